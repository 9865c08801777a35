// snnc quantize <model> [--bits w=4,th=8] [--layer conv1:w=6] [--rounding …] -o <out.snn.onnx>
import { writeFileAtomic, probeOutput } from '../api/atomic.js';
import { loadModel } from '../api/load.js';
import { formatBits } from '../api/memory.js';
import type { QuantScheme } from '../api/quantize.js';
import { quantizeModel } from '../api/quantize.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import type { BitWidths } from '../passes/quantize-config.js';
import { parseBits, parseLayerOverride, parseRounding } from '../passes/quantize-config.js';
import { flag, listOpt, parseCommandArgs, stringOpt } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { diagnosticLine, table } from './format.js';

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
  options: {
    ...CONVERT_OPTIONS,
    bits: { type: 'string', value: 'k=b,…', help: 'bit widths for every layer, e.g. w=4,th=8 (defaults w=8,th=16,b=16,v=auto,in=8)' },
    layer: { type: 'string', multiple: true, value: 'name:k=b,…', help: 'widths for one layer, e.g. conv1:w=6' },
    rounding: { type: 'string', value: 'trunc|nearest|stochastic', help: 'rounding of every parameter (default nearest)' },
    'per-channel': { type: 'boolean', help: 'one weight scale per output channel (the default)' },
    'per-layer': { type: 'boolean', help: 'one weight scale per layer' },
    pow2: { type: 'boolean', help: 'power-of-two scales (shift-only hardware)' },
    overflow: { type: 'string', value: 'saturate|wrap', help: 'membrane overflow (default saturate)' },
    scheme: { type: 'string', value: 'after-conversion|ann-first', help: 'quantize the converted SNN (default) or the ANN before converting' },
    output: { type: 'string', short: 'o', value: 'file', help: 'where to write the quantized model (required)' },
  },
  examples: [
    'snnc quantize examples/lenet.onnx --bits w=8,th=8 -o lenet.q8.snn.onnx',
    'snnc quantize lenet.snn.onnx --bits w=4,th=8 --rounding stochastic --seed 3 -o lenet.q4.snn.onnx',
    'snnc quantize model.onnx --bits w=4 --layer conv1:w=8 --pow2 -o m.snn.onnx --json',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const model = requirePositional(a.positionals, 0, 'model path', this.name);
    const out = stringOpt(a, 'output');
    if (out === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing -o <out.snn.onnx>', hint: "see 'snnc quantize --help'" });
    probeOutput(out); // an unwritable destination fails now, not after the work
    const b = stringOpt(a, 'bits');
    const bits = b !== undefined ? parseBits(b) : undefined;
    const layers: Record<string, Partial<BitWidths>> = {};
    for (const s of listOpt(a, 'layer')) { const [name, o] = parseLayerOverride(s); layers[name] = { ...layers[name], ...o }; }
    const r = stringOpt(a, 'rounding');
    const rounding = r !== undefined ? parseRounding(r) : undefined;
    if (flag(a, 'per-channel') && flag(a, 'per-layer')) throw fail({ code: 'SNNC_E_USAGE', message: '--per-channel and --per-layer exclude each other' });
    const ov = stringOpt(a, 'overflow');
    if (ov !== undefined && ov !== 'saturate' && ov !== 'wrap') throw fail({ code: 'SNNC_E_USAGE', message: `--overflow must be saturate or wrap, got '${ov}'` });
    const scheme = stringOpt(a, 'scheme');
    if (scheme !== undefined && scheme !== 'after-conversion' && scheme !== 'ann-first') throw fail({ code: 'SNNC_E_USAGE', message: `--scheme must be after-conversion or ann-first, got '${scheme}'` });
    const g = await loadModel(model, loadOptionsFrom(a));
    const q = quantizeModel(g, {
      ...(await withSyntheticCalibration(g, convertOptionsFrom(a, (pass, text) => io.stderr(`--- IR after ${pass} ---\n${text}\n`)))),
      ...(bits !== undefined ? { bits } : {}),
      layers,
      ...(rounding !== undefined ? { rounding } : {}),
      ...(flag(a, 'per-layer') ? { perChannel: false } : {}),
      pow2: flag(a, 'pow2'),
      ...(ov !== undefined ? { overflow: ov } : {}),
      ...(scheme !== undefined ? { scheme: scheme as QuantScheme } : {}),
    });
    writeFileAtomic(out, exportOnnx(q.graph));
    const m = q.memory;
    if (flag(a, 'json')) {
      io.stdout(JSON.stringify({ output: out, calibration: q.calibration, memory: m, layers: q.program.layers.map((l) => ({ name: l.name, kind: l.kind, weightBits: l.weightBits, accBits: l.accBits, shift: l.shift, ...(l.neuron !== null ? { thresholdBits: l.neuron.thresholdBits, membraneBits: l.neuron.membraneBits } : {}) })), diagnostics: q.diagnostics }, null, 2) + '\n');
      return 0;
    }
    if (flag(a, 'quiet')) return 0;
    for (const d of q.diagnostics) io.stderr(diagnosticLine(d) + '\n');
    const rows = [...m.layers, m.total].map((row) => [row.layer, row.kind, formatBits(row.weightBits), formatBits(row.biasBits), formatBits(row.stateBits), formatBits(row.paramBits), formatBits(row.totalBits), formatBits(row.float32Bits)]);
    io.stdout(table(['layer', 'kind', 'weights', 'biases', 'state', 'params', 'total', 'float32'], rows) + '\n');
    io.stdout(`wrote ${out}: ${formatBits(m.total.totalBits)} vs ${formatBits(m.total.float32Bits)} in float32 (${m.compression.toFixed(2)}× smaller)\n`);
    return 0;
  },
};
