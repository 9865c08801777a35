// netx HDF5 writer: `/layer/<i>/…` datasets exactly as lava-dl's netx reads them
// (shared/design/FORMATS.md): `type` as fixed-length ASCII (h5wasm 'A10': C string,
// null-terminated, which h5py returns as b'dense'), shapes and conv geometry as int64,
// weights and biases as float32 holding integers (as lava-dl's own exporter writes them;
// netx reads them with astype(int)), no attributes anywhere.
import type { Group } from 'h5wasm';
import { writeH5 } from '../../frontend/hdf5.js';
import type { NetxLayer, NetxNeuron } from './types.js';

function ascii(g: Group, name: string, value: string): void {
  g.create_dataset({ name, data: [value], shape: [1], dtype: 'A10' });
}

function int64(g: Group, name: string, values: readonly number[], scalar = false): void {
  g.create_dataset({ name, data: BigInt64Array.from(values.map((v) => BigInt(v))), shape: scalar ? [] : [values.length], dtype: '<q' });
}

function floats(g: Group, name: string, data: Int32Array, shape: readonly number[]): void {
  g.create_dataset({ name, data: Float32Array.from(data), shape: [...shape], dtype: '<f' });
}

function neuron(g: Group, n: NetxNeuron): void {
  const ng = g.create_group('neuron');
  ascii(ng, 'type', 'CUBA');
  int64(ng, 'iDecay', [n.iDecay], true);
  int64(ng, 'vDecay', [n.vDecay], true);
  int64(ng, 'vThMant', [n.vThMant], true);
  int64(ng, 'refDelay', [n.refDelay], true);
  // h5py writes numpy bools as an int8 enum; netx never reads this field for CUBA.
  ng.create_dataset({ name: 'gradedSpike', data: [n.gradedSpike ? 1 : 0], shape: [], dtype: '<b' });
}

function writeLayer(g: Group, l: NetxLayer): void {
  ascii(g, 'type', l.type);
  int64(g, 'shape', [...l.shape]);
  switch (l.type) {
    case 'input':
    case 'flatten':
      return;
    case 'dense':
      floats(g, 'weight', l.weight, [l.shape[0], l.inFeatures]);
      if (l.bias !== undefined) floats(g, 'bias', l.bias, [l.shape[0]]);
      if (l.neuron !== undefined) neuron(g, l.neuron);
      return;
    case 'conv':
      floats(g, 'weight', l.weight, [l.shape[0], l.inChannels / l.groups, l.kernel[0], l.kernel[1]]);
      if (l.bias !== undefined) floats(g, 'bias', l.bias, [l.shape[0]]);
      int64(g, 'stride', [...l.stride]);
      int64(g, 'padding', [...l.padding]);
      int64(g, 'dilation', [...l.dilation]);
      int64(g, 'groups', [l.groups], true);
      neuron(g, l.neuron);
      return;
  }
}

/** Serialize layers to the bytes of a netx `.net` file (deterministic). */
export async function writeNetx(layers: readonly NetxLayer[]): Promise<Uint8Array> {
  return writeH5((f) => {
    const root = f.create_group('layer');
    layers.forEach((l, i) => writeLayer(root.create_group(String(i)), l));
  });
}
