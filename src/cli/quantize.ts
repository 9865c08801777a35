// snnc quantize <model> [--bits w=4,th=8] [--layer conv1:w=6] [--rounding …] -o <out.snn.onnx>
import { writeFileAtomic, probeOutput } from '../io/atomic.js';
import { loadModel } from '../api/load.js';
import { formatBits } from '../sim/int/memory.js';
import { quantizeModel } from '../api/quantize.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { QUANTIZE_MODEL_OPTIONS, QUANTIZE_OPTIONS } from '../options/declarations.js';
import { opt, pick } from '../options/schema.js';
import { parseCommandArgs, required } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { diagnosticLine, table } from './format.js';

const OPTIONS = {
  ...MODEL_CONVERT_OPTIONS,
  ...QUANTIZE_OPTIONS,
  perChannel: opt.switch({ help: 'one weight scale per output channel (the default)' }),
  perLayer: opt.switch({ help: 'one weight scale per layer' }),
  scheme: QUANTIZE_MODEL_OPTIONS.scheme,
  output: opt.string({ short: 'o', value: 'file', help: 'where to write the quantized model (required)' }),
};

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'quantize a spiking network to integers (weights and neuron parameters, 1–16 bits)',
  usage: 'snnc quantize <model> [conversion options] [--bits w=8,th=8] [--layer name:w=6] [--rounding nearest] -o <out.snn.onnx>',
  description: [
    'Maps a converted network (an ANN is converted first, as snnc convert would) to an integer',
    'program: weights, thresholds, biases, initial and reset potentials as integers of the given',
    'widths, symmetric, per output channel (default) or per layer, optionally power-of-two scales;',
    'rounding trunc, nearest or stochastic (seeded, reproducible). Prints the memory per layer',
    'against float32 and writes a *.snn.onnx holding the dequantized network and the exact',
    "integers (docs/formats.md); 'snnc simulate --int' runs it bit-exactly.",
    'Bit keys: w (weights), th (thresholds, unsigned), b (biases), v (membrane, or auto), in (input).',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc quantize examples/lenet.onnx --bits w=8,th=8 -o lenet.q8.snn.onnx',
    'snnc quantize lenet.snn.onnx --bits w=4,th=8 --rounding stochastic --seed 3 -o lenet.q4.snn.onnx',
    'snnc quantize model.onnx --bits w=4 --layer conv1:w=8 --pow2 -o m.snn.onnx --json',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const out = required(o.output, '-o <out.snn.onnx>', this.name);
    probeOutput(out); // an unwritable destination fails now, not after the work
    if (o.perChannel === true && o.perLayer === true) throw fail({ code: 'SNNC_E_USAGE', message: '--per-channel and --per-layer exclude each other' });
    const g = await loadModel(model, loadOptionsFrom(o));
    const q = quantizeModel(g, {
      ...(await withSyntheticCalibration(g, convertOptionsFrom(o, io))),
      ...pick(o, QUANTIZE_OPTIONS),
      ...(o.scheme !== undefined ? { scheme: o.scheme } : {}),
      ...(o.perLayer === true ? { perChannel: false } : {}),
    });
    writeFileAtomic(out, exportOnnx(q.graph));
    const m = q.memory;
    if (o.json === true) {
      io.stdout(
        JSON.stringify(
          {
            output: out,
            calibration: q.calibration,
            memory: m,
            layers: q.program.layers.map((l) => ({
              name: l.name,
              kind: l.kind,
              weightBits: l.weightBits,
              accBits: l.accBits,
              shift: l.shift,
              ...(l.neuron !== null ? { thresholdBits: l.neuron.thresholdBits, membraneBits: l.neuron.membraneBits } : {}),
            })),
            diagnostics: q.diagnostics,
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    if (o.quiet === true) return 0;
    for (const d of q.diagnostics) io.stderr(diagnosticLine(d) + '\n');
    const rows = [...m.layers, m.total].map((row) => [
      row.layer,
      row.kind,
      formatBits(row.weightBits),
      formatBits(row.biasBits),
      formatBits(row.stateBits),
      formatBits(row.paramBits),
      formatBits(row.totalBits),
      formatBits(row.float32Bits),
    ]);
    io.stdout(table(['layer', 'kind', 'weights', 'biases', 'state', 'params', 'total', 'float32'], rows) + '\n');
    io.stdout(`wrote ${out}: ${formatBits(m.total.totalBits)} vs ${formatBits(m.total.float32Bits)} in float32 (${m.compression.toFixed(2)}× smaller)\n`);
    return 0;
  },
};
