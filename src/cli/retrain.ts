// snnc retrain <model> --target <t> [--T 4] [--budget …] -o <retrained.onnx>
import { probeOutput, writeDirAtomic, writeFileAtomic } from '../api/atomic.js';
import { retrainChart } from '../report/retrain-plot.js';
import { loadModel } from '../api/load.js';
import type { RetrainRound } from '../api/retrain.js';
import { retrainModel } from '../api/retrain.js';
import { fail } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { describeMiss, parseBudget } from '../report/budget.js';
import { formatPercent, formatSI } from '../report/format.js';
import { flag, intOpt, numberOpt, parseCommandArgs, stringOpt } from './args.js';
import { diagnosticLine } from './format.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { progressBar } from './progress.js';

/** "teacher=4,student=1,weight=0.7" → KD settings (weight default 0.5). */
export function parseKd(s: string): { teacherTemp: number; studentTemp: number; weight: number } {
  const kv = new Map<string, number>();
  for (const part of s.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(teacher|student|weight)=([0-9]*\.?[0-9]+)$/.exec(part);
    if (m === null) throw fail({ code: 'SNNC_E_USAGE', message: `--kd: '${part}' is not teacher=<T>, student=<T> or weight=<w>`, hint: 'e.g. --kd teacher=4,student=1,weight=0.7' });
    kv.set(m[1] ?? '', Number(m[2]));
  }
  const teacherTemp = kv.get('teacher') ?? 1;
  const studentTemp = kv.get('student') ?? teacherTemp;
  const weight = kv.get('weight') ?? 0.5;
  if (teacherTemp <= 0 || studentTemp <= 0) throw fail({ code: 'SNNC_E_USAGE', message: '--kd temperatures must be positive', hint: 'e.g. --kd teacher=4,student=1' });
  if (weight < 0 || weight > 1) throw fail({ code: 'SNNC_E_USAGE', message: `--kd weight must be in [0, 1], got ${weight}` });
  return { teacherTemp, studentTemp, weight };
}

export function roundLine(r: RetrainRound, withBudget: boolean): string {
  const what = r.round === 0 ? 'as given ' : `round ${String(r.round).padEnd(2)}`;
  const proxy = r.proxyAccuracy !== null ? `  (training proxy ${formatPercent(r.proxyAccuracy)})` : '';
  return `${what}  accuracy ${formatPercent(r.accuracy)}  energy ${formatSI(r.energyJ, 'J')}  latency ${formatSI(r.latencyS, 's')}  spikes ${r.spikesPerSample.toFixed(0)}${withBudget ? (r.budgetMet ? '  budget met' : '  budget missed') : ''}${proxy}`;
}

export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'retrain an ANN for a hardware target until an accuracy/energy/latency budget holds',
  usage: 'snnc retrain <model> --target <name|file.json> [--T 4] [--budget "accuracy>=98%"] [--rounds 3] [--epochs 2] -o <retrained.onnx>',
  description: [
    'The hardware-aware retraining loop. Each round fine-tunes the ANN (TF.js) with the target in',
    'the forward pass — every ReLU becomes a trainable clip, quantized to L levels for few time',
    'steps (QCFS), weights fake-quantized to the deployment bits, optionally distilled from the',
    'original ANN — then converts, quantizes and runs it on the target\'s own simulation (Loihi',
    'bit-accurate, FPGA integer program, IMC functional) and costs it, as snnc compile does. One',
    'line per round; it stops when the budget holds, when two rounds bring nothing better, or',
    'after --rounds. The output is a plain ONNX ANN (Clip(0, λ) activations) with the settings',
    "in its metadata; 'snnc compile' converts it with the trained clips as thresholds.",
    'The accuracy that decides is the hardware simulation\'s on the first --hw-samples test images.',
  ].join('\n'),
  options: {
    target: { type: 'string', short: 't', value: 'name', help: 'the target to train for: loihi1, loihi2, imc-hpadc, fpga, or a target JSON file' },
    output: { type: 'string', short: 'o', value: 'file', help: 'where to write the retrained ONNX model (required)' },
    T: { type: 'string', value: 'steps', help: 'time steps the network will run (default 32)' },
    budget: { type: 'string', value: 'limits', help: 'e.g. "accuracy>=98%,energy<=5uJ,latency<=1ms"; stops once it holds' },
    rounds: { type: 'string', value: 'n', help: 'training rounds, each measured on the hardware simulation (default 3)' },
    epochs: { type: 'string', value: 'n', help: 'epochs per round (default 2)' },
    levels: { type: 'string', value: 'L', help: 'quantization levels of each activation (QCFS; default T when T ≤ 16, else 0 = plain clip)' },
    'weight-bits': { type: 'string', value: 'b', help: 'weight bits to train for and deploy with (default 8)' },
    kd: { type: 'string', value: 'teacher=4,student=1,weight=0.5', help: 'distil from the original ANN with these temperatures' },
    'rate-weight': { type: 'string', value: 'x', help: 'penalty on the mean firing rate (fewer spikes, less energy; default 0)' },
    lr: { type: 'string', value: 'rate', help: 'Adam learning rate of the weights (default 1e-4; 1e-3 for --weight-bits 2)' },
    'clip-lr': { type: 'string', value: 'rate', help: 'Adam learning rate of the clips, in log scale (default 1e-2)' },
    dataset: { type: 'string', value: 'mnist|file.npz', help: 'train split trains, test split measures (default mnist)' },
    'train-samples': { type: 'string', value: 'n', help: 'training images per epoch (default all)' },
    'hw-samples': { type: 'string', value: 'n', help: 'test images each round is measured on (default 500)' },
    seed: { type: 'string', value: 'n', help: 'seed of shuffling and conversion (default 0)' },
    report: { type: 'string', value: 'dir', help: 'also write the best round\'s compile output there, with retrain.json (every round) and retrain.svg (the chart)' },
    force: { type: 'boolean', help: 'replace an existing --report folder that snnc did not write' },
  },
  examples: [
    'snnc retrain examples/lenet.onnx --target fpga --T 4 -o lenet.t4.onnx',
    'snnc retrain examples/lenet.onnx --target fpga --weight-bits 3 --budget "accuracy>=98%" -o lenet.w3.onnx',
    'snnc retrain examples/mlp.onnx --target loihi2 --T 8 --kd teacher=4,student=1 --json -o mlp.loihi.onnx',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const model = requirePositional(a.positionals, 0, 'model path', this.name);
    const out = stringOpt(a, 'output');
    if (out === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing -o <retrained.onnx>', hint: "see 'snnc retrain --help'" });
    const target = stringOpt(a, 'target');
    if (target === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing --target', hint: 'e.g. --target loihi2 (one target; retrain trains for one hardware)' });
    const budgetText = stringOpt(a, 'budget');
    const budget = budgetText !== undefined ? parseBudget(budgetText) : [];
    const kdText = stringOpt(a, 'kd');
    const opts = {
      target,
      T: intOpt(a, 'T', 1, 100000) ?? 32,
      budget,
      ...optional('rounds', intOpt(a, 'rounds', 1, 100)),
      ...optional('epochsPerRound', intOpt(a, 'epochs', 1, 1000)),
      ...optional('levels', intOpt(a, 'levels', 0, 1024)),
      ...optional('weightBits', intOpt(a, 'weight-bits', 2, 16)),
      ...(kdText !== undefined ? { kd: parseKd(kdText) } : {}),
      ...optional('rateWeight', numberOpt(a, 'rate-weight', 0, 100)),
      ...optional('learningRate', numberOpt(a, 'lr', 1e-8, 1)),
      ...optional('clipLearningRate', numberOpt(a, 'clip-lr', 0, 1)),
      ...optional('dataset', stringOpt(a, 'dataset')),
      ...optional('trainSamples', intOpt(a, 'train-samples', 1, 10_000_000)),
      ...optional('hwSamples', intOpt(a, 'hw-samples', 1, 1_000_000)),
      ...optional('seed', intOpt(a, 'seed', 0, 2 ** 31 - 1)),
    };
    probeOutput(out);
    const reportDir = stringOpt(a, 'report');
    if (reportDir !== undefined) probeOutput(reportDir);
    const g = await loadModel(model);
    const json = flag(a, 'json');
    const quiet = flag(a, 'quiet');
    const bar = progressBar(io, quiet || json);
    const r = await retrainModel(g, {
      ...opts,
      modelFile: model,
      keepFiles: reportDir !== undefined,
      onProgress: bar,
      onRound: (row) => { if (!json && !quiet) io.stderr(roundLine(row, budget.length > 0) + '\n'); },
    });
    const best = r.rounds.find((x) => x.round === r.best);
    const warn = budget.length > 0 && !r.budgetMet && best !== undefined
      ? { severity: 'warning', code: 'SNNC_W_BUDGET_UNMET', message: `the budget is not met; closest: round ${best.round}: ${best.misses.map(describeMiss).join('; ')}`, hint: 'more --rounds or --epochs, more --levels or --weight-bits, a larger --T, or relax the budget' }
      : undefined;
    const log = { output: out, settings: r.settings, best: r.best, budgetMet: r.budgetMet, rounds: r.rounds.map((x) => ({ ...x, misses: x.misses.map(describeMiss) })), diagnostics: warn !== undefined ? [warn] : [] };
    writeFileAtomic(out, exportOnnx(r.graph));
    if (reportDir !== undefined) {
      writeDirAtomic(reportDir, [
        ...r.files,
        { path: 'retrain.json', data: JSON.stringify(log, null, 2) + '\n' },
        { path: 'retrain.svg', data: retrainChart(r.rounds, r.best, r.settings.target) + '\n' },
      ], { force: flag(a, 'force') });
    }
    if (json) {
      io.stdout(JSON.stringify(log, null, 2) + '\n');
      return 0;
    }
    if (warn !== undefined) io.stderr(diagnosticLine(warn) + '\n');
    if (!quiet) io.stdout(`wrote ${out}: round ${r.best} (${r.settings.method}); ${budget.length > 0 ? (r.budgetMet ? 'budget met' : 'budget not met') : 'no budget given'}\n`);
    return 0;
  },
};

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v !== undefined ? { [key]: v } : {}) as { [P in K]?: V };
}
