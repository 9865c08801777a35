// snnc simulate <model> --dataset mnist --T 8,16,32
import { simulateModel } from '../api/simulate.js';
import { parseNoise, simulateOnImc } from '../api/simulate-imc.js';
import type { ImcAccuracy } from '../api/simulate-imc.js';
import { loihiConvertOptions, simulateOnLoihi } from '../api/simulate-loihi.js';
import type { LoihiComparison } from '../api/simulate-loihi.js';
import { fitToModel, loadDatasetSpec } from '../api/dataset.js';
import { loadTarget } from '../costmodel/target.js';
import { loadModel } from '../api/load.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { DATA_OPTIONS, HW_SAMPLES, opt, pick, SIMULATE_OPTIONS, TIMESTEPS } from '../api/options.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { count, diagnosticLine, table } from './format.js';
import { progressBar } from './progress.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

const OPTIONS = {
  dataset: DATA_OPTIONS.dataset,
  T: { ...TIMESTEPS, help: 'time steps to evaluate, comma-separated (default 8,16,32,64)' },
  n: DATA_OPTIONS.n,
  target: opt.string({ value: 'target', help: 'also run the network on a target: loihi1/loihi2 (bit-accurate netx), or an IMC target (imc-hpadc, imc-adcless, or a JSON file)' }),
  noise: opt.string({ value: 'spec', help: 'device non-idealities for --target, e.g. program=1,read=0.01,drift=3600,stuck=0.001,onoff=17' }),
  seeds: opt.int({ value: 'n', min: 1, max: 100, help: 'noise seeds for --target (default 3 with --noise, else 1); reports mean ± std' }),
  hwSamples: { ...HW_SAMPLES, help: 'samples for the --target simulation (default 200)' },
  earlyExit: SIMULATE_OPTIONS.earlyExit,
  mode: SIMULATE_OPTIONS.mode,
  int: opt.switch({ help: 'also run the integer-exact simulation (the program stored by snnc quantize, else default 8-bit weights)' }),
  ...MODEL_CONVERT_OPTIONS,
};

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'measure SNN accuracy, spikes and synaptic operations over time steps',
  usage: 'snnc simulate <model> [--dataset mnist|file.npz] [--T 8,16,32,64] [--n samples] [options]',
  description: [
    'Runs the spiking network on a labelled dataset and reports, for each number of time steps T,',
    'the accuracy (membrane readout: argmax of the output summed over steps), spikes and synaptic',
    'operations per sample, and per-layer firing rates — next to the ANN accuracy when the input',
    'is an ANN (it is converted first, with the conversion options below). One run also gives the',
    'accuracy after every step. The default dataset is the embedded MNIST test split (2,004 images).',
    'Warnings name layers that never fire or fire almost every step, with a calibration suggestion.',
    '',
    'With --target loihi1|loihi2 the network is also run as the emitted netx file runs on Loihi',
    "(bit-accurate lava CUBA fixed point, one step of synaptic delay per layer) on the first",
    '--hw-samples samples, next to the float SNN and the integer SNN at Loihi precision for every T.',
    "An ANN is then converted with Loihi's semantics (reset to zero, fire on v > θ) unless --reset",
    'is given; the float SNN of the default conversion is reported beside it.',
    'With --target <imc target> it is run as mapped on the crossbars (--noise, --seeds: IMC only).',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc simulate examples/lenet.onnx --T 16,32',
    'snnc simulate lenet.snn.onnx --n 500 --T 8,16 --json',
    'snnc simulate model.onnx --dataset test.npz --calib train.npz --method percentile:99.9',
    'snnc simulate examples/lenet.onnx --target loihi2 --T 16,32 --hw-samples 500',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const T = o.T ?? [8, 16, 32, 64];
    // Hardware options are checked before the (long) simulation starts.
    const hwTarget = o.target;
    const noise = o.noise !== undefined ? parseNoise(o.noise) : undefined;
    if (noise !== undefined && hwTarget === undefined) throw fail({ code: 'SNNC_E_USAGE', message: '--noise needs --target <imc target>' });
    const hwKind = hwTarget !== undefined ? loadTarget(hwTarget).kind : undefined;
    if (hwTarget !== undefined && hwKind !== 'imc' && hwKind !== 'loihi') {
      throw fail({ code: 'SNNC_E_USAGE', message: `--target ${hwTarget} is a ${String(hwKind)} target; simulate runs Loihi and IMC targets`, hint: 'use loihi1, loihi2, imc-hpadc, imc-adcless or an IMC target JSON' });
    }
    if (hwKind === 'loihi' && (noise !== undefined || o.seeds !== undefined)) {
      throw fail({ code: 'SNNC_E_USAGE', message: `--noise and --seeds apply to IMC targets; --target ${hwTarget ?? ''} is simulated bit-accurately (deterministic, no device noise)`, hint: 'drop --noise/--seeds, or use --target imc-hpadc|imc-adcless' });
    }
    const g = await loadModel(model, loadOptionsFrom(o));
    const userConvert = await withSyntheticCalibration(g, convertOptionsFrom(o, io));
    const bar = progressBar(io, o.quiet === true || o.json === true);
    const r = simulateModel(g, {
      ...(hwKind === 'loihi' ? loihiConvertOptions(userConvert) : userConvert),
      ...pick(o, { ...DATA_OPTIONS, earlyExit: SIMULATE_OPTIONS.earlyExit, mode: SIMULATE_OPTIONS.mode }),
      T,
      ...(o.int === true ? { int: {} } : {}),
      onProgress: bar,
    });
    let hw: ImcAccuracy | undefined;
    let loihi: LoihiComparison | undefined;
    const nHw = Math.min(o.hwSamples ?? 200, r.samples);
    if (hwTarget !== undefined && hwKind === 'loihi') {
      const data = fitToModel(r.graph, loadDatasetSpec(o.dataset ?? 'mnist', 'test', nHw));
      loihi = simulateOnLoihi(g, r.graph, hwTarget, data, { T, convert: userConvert, onProgress: bar });
    } else if (hwTarget !== undefined) {
      const nSeeds = o.seeds ?? (noise !== undefined ? 3 : 1);
      const data = fitToModel(r.graph, loadDatasetSpec(o.dataset ?? 'mnist', 'test', nHw));
      const calib = fitToModel(r.graph, loadDatasetSpec(o.calib === undefined || o.calib === 'synthetic' ? 'mnist' : o.calib, 'train', 64));
      hw = simulateOnImc(r.graph, hwTarget, data, calib, {
        T: Math.max(...T),
        ...(noise !== undefined ? { noise } : {}),
        seeds: Array.from({ length: nSeeds }, (_, i) => i),
      });
    }
    if (o.json === true) {
      const json = {
        samples: r.samples,
        dataset: r.dataset,
        ann: r.ann,
        snn: r.snn.map((s) => ({
          T: s.T, accuracy: s.accuracy, spikesPerSample: s.spikesPerSample, synopsPerSample: s.synopsPerSample,
          ...(s.meanSteps !== undefined ? { meanSteps: s.meanSteps } : {}),
          layers: s.layers.map((l) => ({ name: l.name, spikes: l.spikes, synops: l.synops, firingRate: l.firingRate })),
        })),
        accuracyPerStep: r.accuracyPerStep,
        ...(r.int !== undefined ? { int: r.int } : {}),
        ...(hw !== undefined ? { hardware: { ...hw, samples: nHw } } : {}),
        ...(loihi !== undefined ? { hardware: { kind: 'loihi', ...loihi } } : {}),
        diagnostics: r.diagnostics,
      };
      io.stdout(JSON.stringify(json, null, 2) + '\n');
      return 0;
    }
    if (o.quiet === true) return 0;
    const out: string[] = [`${model} on ${r.dataset} (${r.samples} samples)`];
    if (r.ann !== null) out.push(`ANN accuracy ${pct(r.ann.accuracy)}, ${count(r.ann.macsPerSample)} MACs/sample`);
    out.push('');
    out.push(table(
      ['T', 'accuracy', ...(r.ann !== null ? ['vs ANN'] : []), 'spikes/sample', 'synops/sample', ...(r.snn[0]?.meanSteps !== undefined ? ['mean steps'] : [])],
      r.snn.map((s) => [
        String(s.T), pct(s.accuracy),
        ...(r.ann !== null ? [`${(100 * (s.accuracy - r.ann.accuracy)).toFixed(2)} pp`] : []),
        count(Math.round(s.spikesPerSample)), count(Math.round(s.synopsPerSample)),
        ...(s.meanSteps !== undefined ? [s.meanSteps.toFixed(1)] : []),
      ]),
    ));
    if (r.int !== undefined) {
      const ints = r.int.rows;
      out.push('', 'integer-exact simulation:');
      out.push(table(['T', 'int accuracy', 'vs float SNN', 'spikes/sample'], ints.map((s, i) => [String(s.T), pct(s.accuracy), `${(100 * (s.accuracy - (r.snn[i]?.accuracy ?? 0))).toFixed(2)} pp`, count(Math.round(s.spikesPerSample))])));
    }
    const last = r.snn[r.snn.length - 1];
    if (last !== undefined) {
      out.push('', `layers at T=${last.T}:`);
      out.push(table(['layer', 'op', 'spikes/sample', 'firing rate'], last.layers.map((l) => [l.name, l.op, count(Math.round(l.spikes)), pct(l.firingRate)])));
    }
    if (hw !== undefined) {
      const noise = Object.entries(hw.noise).map(([k, v]) => `${k}=${String(v)}`).join(',') || 'ideal devices';
      out.push('', `${hw.target} at T=${hw.T} (${noise}): ${pct(hw.mean)}${hw.runs.length > 1 ? ` ± ${(100 * hw.std).toFixed(2)} pp over seeds ${hw.seeds.join(',')}` : ''}`);
    }
    if (loihi !== undefined) out.push('', ...loihiLines(loihi));
    for (const d of r.diagnostics) out.push(diagnosticLine(d));
    io.stdout(out.join('\n') + '\n');
    return 0;
  },
};

function loihiLines(l: LoihiComparison): string[] {
  const def = l.rows[0]?.snnDefault !== undefined;
  const out = [
    `${l.target}, bit-accurate netx simulation on the first ${l.samples} samples (input presented T steps, read ${l.latency} steps later; input scale ${l.inputScale}, ${l.readout} readout):`,
    table(
      ['T', ...(def ? ['float SNN (subtract)'] : []), `float SNN (${l.conversion.reset}, ${l.conversion.fire})`, 'integer SNN', l.target, 'vs integer'],
      l.rows.map((x) => [
        String(x.T), ...(x.snnDefault !== undefined ? [pct(x.snnDefault)] : []), pct(x.snn), pct(x.int), pct(x.loihi), `${(100 * (x.loihi - x.int)).toFixed(2)} pp`,
      ]),
    ),
  ];
  if (l.conversion.loihiSemantics) out.push(`converted with Loihi's semantics (reset to zero, fire on v > θ); --reset subtract keeps the default conversion`);
  if (l.aInOver16 > 0) out.push(`warning: ${l.aInOver16.toFixed(1)} neuron-steps per sample exceed lava's 16-bit a_in`);
  for (const d of l.diagnostics) out.push(diagnosticLine(d));
  return out;
}
