// snnc verify <file>
import { verifyFile } from '../api/verify.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a netx .net file or a model file field by field',
  usage: 'snnc verify <network.net|model.onnx|model.snn.onnx|net.nir>',
  description: [
    'A lava-dl netx file (.net/.h5) is re-opened and checked against what netx.hdf5.Network',
    'reads: contiguous /layer/<i> groups, layer types it can build, dataset dtypes and shapes,',
    'conv output sizes, weight ranges (even integers in [-256, 254]), threshold and decay ranges,',
    'no HDF5 attributes. A model file is loaded and its graph verified. A violation is an',
    'SNNC_E_BACKEND (netx) or the loader/verifier error, naming the HDF5 path or node; exit 2.',
  ].join('\n'),
  options: {},
  examples: ['snnc verify out/loihi2/network.net', 'snnc verify lenet.snn.onnx --json'],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, {}, this.name);
    const file = requirePositional(positionals, 0, 'file path', this.name);
    const r = await verifyFile(file);
    if (o.json === true) io.stdout(JSON.stringify({ ok: true, ...r }, null, 2) + '\n');
    else if (o.quiet !== true) io.stdout([`ok: ${file} (${r.format})`, ...r.summary.map((s) => `  ${s}`)].join('\n') + '\n');
    return 0;
  },
};
