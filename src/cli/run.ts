// snnc run <model> --input name=file ... --output-dir <dir>
import { parseInputSpecs, bindInputs, runToDir } from '../api/run.js';
import { loadModel } from '../api/load.js';
import { probeOutput } from '../io/atomic.js';
import { opt } from '../options/schema.js';
import { parseCommandArgs, required } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';

const OPTIONS = {
  input: opt.strings({ short: 'i', value: 'name=file', help: 'a graph input and the .pb/.npy file that holds it' }),
  outputDir: opt.string({ short: 'o', value: 'dir', help: 'folder for output_<i>.pb and output_<i>.npy (required)' }),
  force: opt.switch({ help: 'replace an existing output folder that snnc did not write' }),
};

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
  options: OPTIONS,
  examples: ['snnc run model.onnx --input x=input_0.pb -o out/', 'snnc run examples/mlp.onnx -i input=digit.npy -o out/ --json'],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const outDir = required(o.outputDir, '--output-dir <dir>', this.name);
    probeOutput(outDir); // an unwritable destination fails now, not after the work
    const maxElements = o.maxElements;
    const g = await loadModel(model, maxElements !== undefined ? { maxElements } : {});
    const feeds = bindInputs(g, parseInputSpecs(o.input ?? []), maxElements);
    const outputs = runToDir(g, feeds, outDir, {
      force: o.force === true,
      ...(maxElements !== undefined ? { maxElements } : {}),
    });
    if (o.json === true) {
      io.stdout(JSON.stringify({ outputs: outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype, file: o.file })) }, null, 2) + '\n');
    } else if (o.quiet !== true) {
      for (const o of outputs) io.stdout(`${o.name}: ${o.dtype}[${o.shape.join(', ')}] -> ${o.file}, ${o.npy}\n`);
    }
    return 0;
  },
};
