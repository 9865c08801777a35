// snnc retrain <model> --target <t> [--T 4] [--budget …] -o <retrained.onnx>
import { probeOutput, writeDirAtomic, writeFileAtomic } from '../io/atomic.js';
import { retrainChart } from '../report/retrain-plot.js';
import { renderHtml } from '../report/html.js';
import { loadModel } from '../api/load.js';
import type { RetrainResult, RetrainRound } from '../api/retrain.js';
import { retrainModel, SPIKE_ACCURACY_SLACK } from '../api/retrain.js';
import { fail } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { describeMiss } from '../report/budget.js';
import { formatPercent, formatSI } from '../report/format.js';
import { RETRAIN_OPTIONS } from '../options/declarations.js';
import { opt, pick } from '../options/schema.js';
import { parseCommandArgs, required } from './args.js';
import { diagnosticLine } from './format.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { progressBar } from './progress.js';

function roundLine(r: RetrainRound, withBudget: boolean): string {
  const what = r.round === 0 ? 'as given ' : `round ${String(r.round).padEnd(2)}`;
  const proxy = r.proxyAccuracy !== null ? `  (training proxy ${formatPercent(r.proxyAccuracy)})` : '';
  return `${what}  accuracy ${formatPercent(r.accuracy)}  energy ${formatSI(r.energyJ, 'J')}  latency ${formatSI(r.latencyS, 's')}  spikes ${r.spikesPerSample.toFixed(0)}${withBudget ? (r.budgetMet ? '  budget met' : '  budget missed') : ''}${proxy}`;
}

const OPTIONS = {
  ...RETRAIN_OPTIONS,
  output: opt.string({ short: 'o', value: 'file', help: 'where to write the retrained ONNX model (required)' }),
  report: opt.string({ value: 'dir', help: "also write the best round's compile output there, with retrain.json (every round) and retrain.svg (the chart)" }),
  force: opt.switch({ help: 'replace an existing --report folder that snnc did not write' }),
};

export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'retrain an ANN for a hardware target until an accuracy/energy/latency budget holds',
  usage: 'snnc retrain <model> --target <name|file.json> [--T 4] [--budget "accuracy>=98%"] [--rounds 3] [--epochs 2] -o <retrained.onnx>',
  description: [
    'The hardware-aware retraining loop. Each round fine-tunes the ANN (TF.js) with the target in',
    'the forward pass — every ReLU becomes a trainable clip, quantized to L levels for few time',
    'steps (QCFS; on Loihi at T ≤ 16 the spiking network itself, step by step), weights fake-quantized to the deployment bits (for imc-adcless: every product',
    "through the crossbars' 1-bit sense amplifiers, their references trained), optionally distilled from the",
    "original ANN — then converts, quantizes and runs it on the target's own simulation (Loihi",
    'bit-accurate, FPGA integer program, IMC functional) and costs it, as snnc compile does. One',
    'line per round; it stops when the budget holds, when two rounds fall clearly behind the best, or',
    'after --rounds. The output is a plain ONNX ANN (Clip(0, λ) activations) with the settings',
    "in its metadata; 'snnc compile' converts it with the trained clips as thresholds.",
    "The accuracy that decides is the hardware simulation's on the first --hw-samples test images (a",
    '.npz dataset, which is its own test split, holds that many out of training). Those images chose',
    'the round and favour it, so the last line also gives the chosen round on the next --hw-samples',
    'test images, which chose nothing (embedded MNIST; for a .npz, measure the result on other images).',
    "With --noise (IMC) training draws every layer's cells anew each batch through the device model",
    '(programming noise, drift, stuck cells, on/off ratio), and every round is the mean over --seeds',
    'chips; the check then measures other chips.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc retrain examples/lenet.onnx --target fpga --T 4 -o lenet.t4.onnx',
    'snnc retrain examples/lenet.onnx --target fpga --weight-bits 3 --budget "accuracy>=98%" -o lenet.w3.onnx',
    'snnc retrain examples/lenet.onnx --target imc-adcless -o lenet.adcless.onnx',
    'snnc retrain examples/mlp.onnx --target imc-adcless --step-by-step -o mlp.adcless.onnx',
    'snnc retrain examples/mlp.onnx --target loihi2 --T 8 --json -o mlp.loihi.onnx',
    'snnc retrain examples/lenet.onnx --target imc-hpadc --noise program=3,stuck=0.01 -o lenet.robust.onnx',
    'snnc retrain examples/lenet.onnx --target fpga --levels 0 --kd teacher=8,student=2,weight=0.7 --lr 3e-4 --rounds 5 -o lenet.sparse.onnx',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const out = required(o.output, '-o <retrained.onnx>', this.name);
    const target = o.target;
    if (target === undefined)
      throw fail({ code: 'SNNC_E_USAGE', message: 'missing --target', hint: 'e.g. --target loihi2 (one target; retrain trains for one hardware)' });
    const budget = o.budget ?? [];
    probeOutput(out);
    const reportDir = o.report;
    if (reportDir !== undefined) probeOutput(reportDir);
    const g = await loadModel(model);
    const json = o.json === true;
    const quiet = o.quiet === true;
    const r = await retrainModel(g, {
      ...pick(o, RETRAIN_OPTIONS),
      target,
      T: o.T ?? 32,
      budget,
      modelFile: model,
      keepFiles: reportDir !== undefined,
      onProgress: progressBar(io, quiet || json),
      onRound: (row) => {
        if (!json && !quiet) io.stderr(roundLine(row, budget.length > 0) + '\n');
      },
    });
    const best = r.rounds.find((x) => x.round === r.best);
    const warn =
      budget.length > 0 && !r.budgetMet && best !== undefined
        ? {
            severity: 'warning',
            code: 'SNNC_W_BUDGET_UNMET',
            message: `the budget is not met; closest: round ${best.round}: ${best.misses.map(describeMiss).join('; ')}`,
            hint: 'more --rounds or --epochs, more --levels or --weight-bits, a larger --T, or relax the budget',
          }
        : undefined;
    const log = {
      output: out,
      settings: r.settings,
      best: r.best,
      budgetMet: r.budgetMet,
      checked: r.checked, // (JSON leaves it out when there is none)
      rounds: r.rounds.map((x) => ({ ...x, misses: x.misses.map(describeMiss) })),
      diagnostics: warn !== undefined ? [warn] : [],
    };
    writeFileAtomic(out, exportOnnx(r.graph));
    if (reportDir !== undefined) {
      // The best round's compile report, with the rounds' chart in its HTML.
      const chart = retrainChart(r.rounds, r.best, r.settings.target);
      const html = renderHtml(r.report, [{ id: 'retrain', title: `Retraining for ${r.settings.target} (${r.settings.method})`, svg: chart }]);
      writeDirAtomic(
        reportDir,
        [
          ...r.files.map((f) => (f.path === 'report.html' ? { path: f.path, data: html } : f)),
          { path: 'retrain.json', data: JSON.stringify(log, null, 2) + '\n' },
          { path: 'retrain.svg', data: chart + '\n' },
        ],
        { force: o.force === true },
      );
    }
    if (json) {
      io.stdout(JSON.stringify(log, null, 2) + '\n');
      return 0;
    }
    if (warn !== undefined) io.stderr(diagnosticLine(warn) + '\n');
    if (!quiet)
      io.stdout(
        `wrote ${out}: round ${r.best} (${r.settings.method}); ${budget.length > 0 ? (r.budgetMet ? 'budget met' : 'budget not met') : 'no budget given'}${chosenText(r)}; each round ${r.settings.trainedOn}; rounds measured on ${r.settings.measuredOn}${chipsText(r)}${checkedText(r.checked)}\n`,
      );
    return 0;
  },
};

/** How the round was chosen, for the closing line, when it was not simply the most accurate (no budget counts as met). */
function chosenText(r: RetrainResult): string {
  if (r.settings.chosenFor !== 'spikes' || !r.budgetMet) return '';
  const floor = r.settings.spikeFloor;
  return floor === undefined
    ? '; the fewest spikes among the rounds meeting it'
    : `; the fewest spikes at ≥ ${formatPercent(floor)} (within ${SPIKE_ACCURACY_SLACK * 100} pp of the model as given)`;
}

/** The chosen round's figure on images that chose nothing, for the closing line. */
function checkedText(c: RetrainResult['checked']): string {
  if (c === undefined || c.accuracy === null) return '';
  return `; on ${c.on} (which chose nothing) it reads ${formatPercent(c.accuracy)}`;
}

/** The chips a retrain with device effects was measured on, for the closing line. */
function chipsText(r: RetrainResult): string {
  const d = r.settings.devices;
  if (d === undefined) return '';
  const list = (xs: readonly number[]): string => (xs.length === 1 ? `seed ${xs[0] ?? 0}` : `seeds ${xs.join(', ')}`);
  return ` (device ${list(d.seeds)}; the check: ${list(d.checkSeeds)})`;
}
