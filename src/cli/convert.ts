// snnc convert <model> -o <out.snn.onnx>
import { isNeuron } from '../ir/types.js';
import { writeFileAtomic, probeOutput } from '../io/atomic.js';
import { convertModel, isConverted, withSyntheticCalibration } from '../api/convert.js';
import { loadModel } from '../api/load.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { exportNir } from '../frontend/nir/index.js';
import type { NirDiagnostic } from '../frontend/nir/index.js';
import { opt } from '../options/schema.js';
import { parseCommandArgs, required } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { diagnosticLine } from './format.js';

const OPTIONS = {
  ...MODEL_CONVERT_OPTIONS,
  output: opt.string({ short: 'o', value: 'file', help: 'where to write the converted model (required, e.g. lenet.snn.onnx; a .nir name writes NIR)' }),
};

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a ReLU ANN into a spiking network (*.snn.onnx)',
  usage: 'snnc convert <model.onnx|model.json> [options] -o <out.snn.onnx>',
  description: [
    'Cleans the graph (constant folding, Identity/Dropout removal, BatchNorm folding),',
    'calibrates activation ranges on real data, and replaces every ReLU by an integrate-and-fire',
    'neuron with threshold balancing (weights normalized so every threshold is 1, per layer or',
    'per channel). The last layer becomes a membrane readout; a trailing Softmax is dropped.',
    'The result is an ONNX file whose neurons are ops of the ai.snnc domain (docs/formats.md);',
    "every snnc command reloads it. 'snnc simulate' measures what the conversion costs in accuracy.",
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc convert examples/lenet.onnx -o lenet.snn.onnx',
    'snnc convert model.onnx --method percentile:99.9 --granularity layer --reset zero -o m.snn.onnx',
    'snnc convert model.onnx --calib my-data.npz --calib-samples 1000 -o m.snn.onnx --json',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const out = required(o.output, '-o <out.snn.onnx>', this.name);
    probeOutput(out); // an unwritable destination fails now, not after the work
    const loadDiags: NirDiagnostic[] = [];
    const g = await loadModel(model, { ...loadOptionsFrom(o), diagnostics: loadDiags });
    // A network that is already spiking (a NIR file, a *.snn.onnx) is only rewritten in the
    // output's format: `snnc convert net.nir -o net.snn.onnx` and back.
    const r = isConverted(g)
      ? { graph: g, diagnostics: loadDiags, calibration: g.meta['snnc.calibration'] ?? `the input file (${g.meta['format'] ?? 'spiking network'})` }
      : convertModel(g, await withSyntheticCalibration(g, convertOptionsFrom(o, io)));
    // `-o net.nir` writes NIR (docs/formats.md, "NIR"); anything else the ai.snnc ONNX form.
    const nirDiags: NirDiagnostic[] = [];
    writeFileAtomic(out, out.toLowerCase().endsWith('.nir') ? await exportNir(r.graph, { diagnostics: nirDiags }) : exportOnnx(r.graph));
    const diagnostics = [...r.diagnostics, ...nirDiags];
    const neurons = r.graph.nodes.filter(isNeuron).length;
    if (o.json === true) {
      io.stdout(JSON.stringify({ output: out, calibration: r.calibration, neuronLayers: neurons, diagnostics }, null, 2) + '\n');
    } else if (o.quiet !== true) {
      for (const d of diagnostics) io.stderr(diagnosticLine(d) + '\n');
      io.stdout(`wrote ${out}: ${neurons} spiking layers, thresholds from ${r.calibration}\n`);
    }
    return 0;
  },
};
