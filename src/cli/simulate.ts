// snnc simulate <model> --dataset mnist --T 8,16,32
import { simulateModel } from '../api/simulate.js';
import { simulatableTarget, simulateOnTarget } from '../api/simulate-target.js';
import type { TargetComparison } from '../api/simulate-target.js';
import { withTargetSemantics } from '../backends/registry.js';
import { firstOf, fitToModel, loadDatasetSpec } from '../data/spec.js';
import { loadModel } from '../api/load.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { DATA_OPTIONS, HW_SAMPLES, SIMULATE_OPTIONS, TIMESTEPS } from '../options/declarations.js';
import { opt, pick } from '../options/schema.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { count, diagnosticLine, table } from './format.js';
import { progressBar } from './progress.js';
import { granularityNote } from '../api/target-granularity.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

const OPTIONS = {
  dataset: DATA_OPTIONS.dataset,
  T: { ...TIMESTEPS, help: 'time steps to evaluate, comma-separated (default 8,16,32,64)' },
  n: DATA_OPTIONS.n,
  target: opt.string({
    value: 'target',
    help: "also run the network as the target's hardware does: loihi1/loihi2 (bit-accurate netx), imc-hpadc/imc-adcless (crossbars), fpga (its integer program), or a target JSON",
  }),
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
    "With --target the network also runs the way the target's hardware computes it, on the first",
    "--hw-samples samples, next to the float SNN and the integer SNN at the hardware's precisions for",
    'every T: Loihi bit-accurate (lava CUBA fixed point, one step of synaptic delay per layer), IMC',
    'crossbars (partial sums through the ADCs or sense amplifiers; --noise and --seeds add device',
    "non-idealities), the FPGA design's integer program, or a registered kind's own simulation.",
    'A target that needs other neuron semantics (Loihi: reset to zero, fire on v > θ) gets them',
    'unless --reset is given; the float SNN of the default conversion is reported beside it.',
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
    if (o.noise !== undefined && o.target === undefined) throw fail({ code: 'SNNC_E_USAGE', message: '--noise needs --target <imc target>' });
    const hwTarget = o.target !== undefined ? simulatableTarget(o.target, o) : undefined;
    const g = await loadModel(model, loadOptionsFrom(o));
    const userConvert = await withSyntheticCalibration(g, convertOptionsFrom(o, io));
    const bar = progressBar(io, o.quiet === true || o.json === true);
    const r = simulateModel(g, {
      ...withTargetSemantics(hwTarget?.record, userConvert),
      ...pick(o, { ...DATA_OPTIONS, earlyExit: SIMULATE_OPTIONS.earlyExit, mode: SIMULATE_OPTIONS.mode }),
      T,
      ...(o.int === true ? { int: {} } : {}),
      onProgress: bar,
    });
    let hw: TargetComparison | undefined;
    if (o.target !== undefined) {
      const nHw = Math.min(o.hwSamples ?? 200, r.samples);
      const data = fitToModel(r.graph, loadDatasetSpec(o.dataset ?? 'mnist', 'test', nHw));
      // The conversion's own calibration images (the synthetic ones under --calib synthetic), as compile takes them.
      const calib = fitToModel(
        r.graph,
        userConvert.calibData !== undefined ? firstOf(userConvert.calibData, 64) : loadDatasetSpec(o.calib ?? 'mnist', 'train', 64),
      );
      hw = simulateOnTarget(g, r.graph, o.target, data, calib, {
        T,
        convert: userConvert,
        ...pick(o, { noise: OPTIONS.noise, seeds: OPTIONS.seeds }),
        onProgress: bar,
      });
    }
    if (o.json === true) {
      const json = {
        samples: r.samples,
        dataset: r.dataset,
        ann: r.ann,
        snn: r.snn.map((s) => ({
          T: s.T,
          accuracy: s.accuracy,
          spikesPerSample: s.spikesPerSample,
          synopsPerSample: s.synopsPerSample,
          ...(s.meanSteps !== undefined ? { meanSteps: s.meanSteps } : {}),
          layers: s.layers.map((l) => ({ name: l.name, spikes: l.spikes, synops: l.synops, firingRate: l.firingRate })),
        })),
        accuracyPerStep: r.accuracyPerStep,
        ...(r.int !== undefined ? { int: r.int } : {}),
        ...(hw !== undefined ? { hardware: hw } : {}),
        diagnostics: r.diagnostics,
      };
      io.stdout(JSON.stringify(json, null, 2) + '\n');
      return 0;
    }
    if (o.quiet === true) return 0;
    const out: string[] = [`${model} on ${r.dataset} (${r.samples} samples)`];
    if (r.ann !== null) out.push(`ANN accuracy ${pct(r.ann.accuracy)}, ${count(r.ann.macsPerSample)} MACs/sample`);
    out.push('');
    out.push(
      table(
        [
          'T',
          'accuracy',
          ...(r.ann !== null ? ['vs ANN'] : []),
          'spikes/sample',
          'synops/sample',
          ...(r.snn[0]?.meanSteps !== undefined ? ['mean steps'] : []),
        ],
        r.snn.map((s) => [
          String(s.T),
          pct(s.accuracy),
          ...(r.ann !== null ? [`${(100 * (s.accuracy - r.ann.accuracy)).toFixed(2)} pp`] : []),
          count(Math.round(s.spikesPerSample)),
          count(Math.round(s.synopsPerSample)),
          ...(s.meanSteps !== undefined ? [s.meanSteps.toFixed(1)] : []),
        ]),
      ),
    );
    if (r.int !== undefined) {
      const ints = r.int.rows;
      out.push('', 'integer-exact simulation:');
      out.push(
        table(
          ['T', 'int accuracy', 'vs float SNN', 'spikes/sample'],
          ints.map((s, i) => [
            String(s.T),
            pct(s.accuracy),
            `${(100 * (s.accuracy - (r.snn[i]?.accuracy ?? 0))).toFixed(2)} pp`,
            count(Math.round(s.spikesPerSample)),
          ]),
        ),
      );
    }
    const last = r.snn[r.snn.length - 1];
    if (last !== undefined) {
      out.push('', `layers at T=${last.T}:`);
      out.push(
        table(
          ['layer', 'op', 'spikes/sample', 'firing rate'],
          last.layers.map((l) => [l.name, l.op, count(Math.round(l.spikes)), pct(l.firingRate)]),
        ),
      );
    }
    if (hw !== undefined) out.push('', ...hardwareLines(hw));
    for (const d of r.diagnostics) out.push(diagnosticLine(d));
    io.stdout(out.join('\n') + '\n');
    return 0;
  },
};

function hardwareLines(h: TargetComparison): string[] {
  const def = h.rows[0]?.snnDefault !== undefined;
  const noisy = Object.keys(h.noise).length > 0;
  const noise = noisy
    ? `, device noise ${Object.entries(h.noise)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')} over seeds ${h.seeds.join(',')}`
    : '';
  const out = [
    `${h.target} (${h.kind}) on the first ${h.samples} samples${noise}: ${h.note}`,
    table(
      [
        'T',
        ...(def ? ['float SNN (default conversion)'] : []),
        `float SNN (${h.conversion.reset}, ${h.conversion.fire})`,
        'integer SNN',
        h.target,
        'vs integer',
      ],
      h.rows.map((x) => [
        String(x.T),
        ...(x.snnDefault !== undefined ? [pct(x.snnDefault)] : []),
        pct(x.snn),
        x.int === null ? '—' : pct(x.int),
        `${pct(x.hardware)}${h.seeds.length > 1 ? ` ± ${(100 * x.std).toFixed(2)} pp` : ''}`,
        x.int === null ? '—' : `${(100 * (x.hardware - x.int)).toFixed(2)} pp`,
      ]),
    ),
  ];
  if (h.granularity !== undefined) out.push(granularityNote(h.target, h.granularity, h.rows[h.rows.length - 1]?.T ?? 0));
  if (h.conversion.targetSemantics)
    out.push(
      `converted with the target's neuron semantics (reset ${h.conversion.reset}, fire ${h.conversion.fire}); --reset subtract keeps the default conversion`,
    );
  for (const d of h.diagnostics) out.push(diagnosticLine(d));
  return out;
}
