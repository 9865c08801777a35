// snnc run <model> --input name=file ... --output-dir <dir>
import { parseInputSpecs, bindInputs, runToDir } from '../api/run.js';
import { loadModel } from '../api/load.js';
import { probeOutput } from '../api/atomic.js';
import { fail } from '../errors.js';
import { flag, listOpt, parseCommandArgs, stringOpt, intOpt } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a model on input tensors with the reference interpreter',
  usage: 'snnc run <model.onnx|model.json> --input <name>=<file.pb|file.npy> ... --output-dir <dir>',
  description: [
    'Runs the ANN reference interpreter (pure TypeScript, float32) on the given inputs and',
    'writes every graph output, in graph order, as output_<i>.pb (ONNX TensorProto) and',
    "output_<i>.npy. Input names are the model's graph inputs ('snnc inspect' lists them);",
    'each input file must match the input dtype and shape (a symbolic batch dim takes any size).',
    'The output folder is written atomically; an existing folder snnc did not write is refused',
    'unless --force is given.',
  ].join('\n'),
  options: {
    input: { type: 'string', short: 'i', multiple: true, value: 'name=file', help: 'a graph input and the .pb/.npy file that holds it' },
    'output-dir': { type: 'string', short: 'o', value: 'dir', help: 'folder for output_<i>.pb and output_<i>.npy (required)' },
    force: { type: 'boolean', help: 'replace an existing output folder that snnc did not write' },
  },
  examples: [
    'snnc run model.onnx --input x=input_0.pb -o out/',
    'snnc run examples/mlp.onnx -i input=digit.npy -o out/ --json',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const model = requirePositional(a.positionals, 0, 'model path', this.name);
    const outDir = stringOpt(a, 'output-dir');
    if (outDir === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing --output-dir <dir>', hint: "see 'snnc run --help'" });
    probeOutput(outDir); // an unwritable destination fails now, not after the work
    const maxElements = intOpt(a, 'max-elements', 1, Number.MAX_SAFE_INTEGER);
    const g = await loadModel(model, maxElements !== undefined ? { maxElements } : {});
    const feeds = bindInputs(g, parseInputSpecs(listOpt(a, 'input')), maxElements);
    const outputs = runToDir(g, feeds, outDir, {
      force: flag(a, 'force'),
      ...(maxElements !== undefined ? { maxElements } : {}),
    });
    if (flag(a, 'json')) {
      io.stdout(JSON.stringify({ outputs: outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype, file: o.file })) }, null, 2) + '\n');
    } else if (!flag(a, 'quiet')) {
      for (const o of outputs) io.stdout(`${o.name}: ${o.dtype}[${o.shape.join(', ')}] -> ${o.file}, ${o.npy}\n`);
    }
    return 0;
  },
};
