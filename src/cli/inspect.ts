// snnc inspect <model> [--json] [--graph]
import { inspectGraph } from '../ir/inspect.js';
import { loadModel } from '../api/load.js';
import { printGraph } from '../ir/print.js';
import { opt } from '../options/schema.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { bytes, count, shapeStr, table } from './format.js';

const OPTIONS = {
  graph: opt.switch({ help: 'also print the whole IR, one line per node' }),
};

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show inputs, outputs, operators, parameters and MACs of a model',
  usage: 'snnc inspect <model.onnx|model.json> [--graph] [--json]',
  description: [
    'Loads a model (ONNX or TF.js layers format) into the snnc IR and summarizes it:',
    'graph inputs/outputs with dtype and shape, an operator histogram, and per layer the',
    'parameter count, multiply-accumulates per sample and output shape. A symbolic leading',
    'dimension (the batch) counts as 1. Use it first: it also tells you whether snnc can',
    'read the model at all, and names the node when it cannot.',
  ].join('\n'),
  options: OPTIONS,
  examples: ['snnc inspect examples/lenet.onnx', 'snnc inspect model.onnx --json | jq .totals'],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const g = await loadModel(model, o.maxElements !== undefined ? { maxElements: o.maxElements } : {});
    const r = inspectGraph(g);
    if (o.json === true) {
      io.stdout(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    if (o.quiet === true) return 0;
    const out: string[] = [];
    out.push(`model: ${model}${r.name !== '' ? ` (graph '${r.name}')` : ''}`);
    out.push('inputs:');
    for (const v of r.inputs) out.push(`  ${v.name}: ${v.dtype}${shapeStr(v.shape)}`);
    out.push('outputs:');
    for (const v of r.outputs) out.push(`  ${v.name}: ${v.dtype}${shapeStr(v.shape)}`);
    out.push(
      'ops: ' +
        Object.entries(r.histogram)
          .map(([k, v]) => `${k}×${v}`)
          .join(', '),
    );
    out.push('');
    out.push(
      table(
        ['layer', 'op', 'params', 'MACs/sample', 'output'],
        r.layers.map((l) => [l.name, l.op, count(l.params), count(l.macs), shapeStr(l.outputShape)]),
      ),
    );
    out.push('');
    out.push(
      `total: ${r.totals.nodes} nodes, ${count(r.totals.params)} parameters (${bytes(r.totals.paramBytes)}), ` +
        `${count(r.totals.macsPerSample)} MACs/sample, ${bytes(r.totals.activationBytesPerSample)} activations/sample`,
    );
    if (o.graph === true) out.push('', printGraph(g));
    io.stdout(out.join('\n') + '\n');
    return 0;
  },
};
