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
import { flag, intOpt, parseCommandArgs, stringOpt } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { CONVERT_OPTIONS, convertOptionsFrom, parseIntList, loadOptionsFrom } from './convert-options.js';
import { count, diagnosticLine, table } from './format.js';
import { progressBar } from './progress.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

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
  options: {
    dataset: { type: 'string', value: 'mnist|file.npz', help: 'labelled test data (default mnist: the embedded test split)' },
    T: { type: 'string', value: 'list', help: 'time steps to evaluate, comma-separated (default 8,16,32,64)' },
    n: { type: 'string', value: 'samples', help: 'use only the first n samples' },
    target: { type: 'string', value: 'target', help: 'also run the network on a target: loihi1/loihi2 (bit-accurate netx), or an IMC target (imc-hpadc, imc-adcless, or a JSON file)' },
    noise: { type: 'string', value: 'spec', help: 'device non-idealities for --target, e.g. program=1,read=0.01,drift=3600,stuck=0.001,onoff=17' },
    seeds: { type: 'string', value: 'n', help: 'noise seeds for --target (default 3 with --noise, else 1); reports mean ± std' },
    'hw-samples': { type: 'string', value: 'n', help: 'samples for the --target simulation (default 200)' },
    'early-exit': { type: 'string', value: 'margin', help: 'stop a sample once top-1 minus top-2 of its mean readout reaches this margin' },
    mode: { type: 'string', value: 'time-stepped|event-driven', help: 'simulation engine (identical results; default event-driven, the faster on the examples)' },
    int: { type: 'boolean', help: 'also run the integer-exact simulation (the program stored by snnc quantize, else default 8-bit weights)' },
    ...CONVERT_OPTIONS,
  },
  examples: [
    'snnc simulate examples/lenet.onnx --T 16,32',
    'snnc simulate lenet.snn.onnx --n 500 --T 8,16 --json',
    'snnc simulate model.onnx --dataset test.npz --calib train.npz --method percentile:99.9',
    'snnc simulate examples/lenet.onnx --target loihi2 --T 16,32 --hw-samples 500',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const model = requirePositional(a.positionals, 0, 'model path', this.name);
    const T = parseIntList(stringOpt(a, 'T') ?? '8,16,32,64', 'T');
    const n = intOpt(a, 'n', 1, 10_000_000);
    const ee = stringOpt(a, 'early-exit');
    const earlyExit = ee !== undefined ? Number(ee) : undefined;
    if (earlyExit !== undefined && !(earlyExit >= 0 && Number.isFinite(earlyExit))) {
      throw fail({ code: 'SNNC_E_USAGE', message: `--early-exit must be a non-negative number, got '${ee ?? ''}'` });
    }
    const mode = stringOpt(a, 'mode');
    if (mode !== undefined && mode !== 'time-stepped' && mode !== 'event-driven') {
      throw fail({ code: 'SNNC_E_USAGE', message: `--mode must be time-stepped or event-driven, got '${mode}'` });
    }
    // Hardware options are checked before the (long) simulation starts.
    const hwTarget = stringOpt(a, 'target');
    const noiseSpec = stringOpt(a, 'noise');
    const noise = noiseSpec !== undefined ? parseNoise(noiseSpec) : undefined;
    if (noise !== undefined && hwTarget === undefined) throw fail({ code: 'SNNC_E_USAGE', message: '--noise needs --target <imc target>' });
    const hwKind = hwTarget !== undefined ? loadTarget(hwTarget).kind : undefined;
    if (hwTarget !== undefined && hwKind !== 'imc' && hwKind !== 'loihi') {
      throw fail({ code: 'SNNC_E_USAGE', message: `--target ${hwTarget} is a ${String(hwKind)} target; simulate runs Loihi and IMC targets`, hint: 'use loihi1, loihi2, imc-hpadc, imc-adcless or an IMC target JSON' });
    }
    if (hwKind === 'loihi' && (noise !== undefined || stringOpt(a, 'seeds') !== undefined)) {
      throw fail({ code: 'SNNC_E_USAGE', message: `--noise and --seeds apply to IMC targets; --target ${hwTarget ?? ''} is simulated bit-accurately (deterministic, no device noise)`, hint: 'drop --noise/--seeds, or use --target imc-hpadc|imc-adcless' });
    }
    const g = await loadModel(model, loadOptionsFrom(a));
    const dataset = stringOpt(a, 'dataset');
    const userConvert = await withSyntheticCalibration(g, convertOptionsFrom(a, (pass, text) => io.stderr(`--- IR after ${pass} ---\n${text}\n`)));
    const r = simulateModel(g, {
      ...(hwKind === 'loihi' ? loihiConvertOptions(userConvert) : userConvert),
      T,
      ...(dataset !== undefined ? { dataset } : {}),
      ...(n !== undefined ? { n } : {}),
      ...(earlyExit !== undefined ? { earlyExit } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(flag(a, 'int') ? { int: {} } : {}),
      onProgress: progressBar(io, flag(a, 'quiet') || flag(a, 'json')),
    });
    let hw: ImcAccuracy | undefined;
    let loihi: LoihiComparison | undefined;
    if (hwTarget !== undefined && hwKind === 'loihi') {
      const nHw = Math.min(intOpt(a, 'hw-samples', 1, 10_000_000) ?? 200, r.samples);
      const data = fitToModel(r.graph, loadDatasetSpec(dataset ?? 'mnist', 'test', nHw));
      loihi = simulateOnLoihi(g, r.graph, hwTarget, data, { T, convert: userConvert, onProgress: progressBar(io, flag(a, 'quiet') || flag(a, 'json')) });
    } else if (hwTarget !== undefined) {
      const nSeeds = intOpt(a, 'seeds', 1, 100) ?? (noise !== undefined ? 3 : 1);
      const nHw = Math.min(intOpt(a, 'hw-samples', 1, 10_000_000) ?? 200, r.samples);
      const data = fitToModel(r.graph, loadDatasetSpec(dataset ?? 'mnist', 'test', nHw));
      const calib = fitToModel(r.graph, loadDatasetSpec(stringOpt(a, 'calib') === undefined || stringOpt(a, 'calib') === 'synthetic' ? 'mnist' : (stringOpt(a, 'calib') ?? 'mnist'), 'train', 64));
      hw = simulateOnImc(r.graph, hwTarget, data, calib, {
        T: Math.max(...T),
        ...(noise !== undefined ? { noise } : {}),
        seeds: Array.from({ length: nSeeds }, (_, i) => i),
      });
    }
    if (flag(a, 'json')) {
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
        ...(hw !== undefined ? { hardware: { ...hw, samples: Math.min(r.samples, intOpt(a, 'hw-samples', 1, 10_000_000) ?? 200) } } : {}),
        ...(loihi !== undefined ? { hardware: { kind: 'loihi', ...loihi } } : {}),
        diagnostics: r.diagnostics,
      };
      io.stdout(JSON.stringify(json, null, 2) + '\n');
      return 0;
    }
    if (flag(a, 'quiet')) return 0;
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
