// Structure-aware NIR mutations: the document is read with our own reader, a node's type,
// field shapes or values, or an edge changed, and written back as HDF5.
import { readNirDoc, writeNirDoc } from '../../src/frontend/nir/index.js';
import type { NirArray, NirDoc, NirNode } from '../../src/frontend/nir/index.js';
import type { Rand } from './rand.js';
import { NASTY_FLOATS, NASTY_INTS, NASTY_NAMES } from './rand.js';

function mutateArray(r: Rand, a: NirArray): NirArray {
  if (a.kind !== 'float') return { kind: 'str', shape: [1], data: [r.pick(NASTY_NAMES)] };
  const data = Float32Array.from(a.data);
  switch (r.int(4)) {
    case 0:
      if (data.length > 0) data[r.int(data.length)] = r.pick([NaN, Infinity, ...NASTY_FLOATS]);
      return { ...a, data };
    case 1:
      return { ...a, shape: [...a.shape, r.pick(NASTY_INTS.filter((x) => x < 5))], data };
    case 2:
      return { kind: 'float', shape: [0], data: new Float32Array(0) };
    default:
      return { ...a, data: data.subarray(0, Math.max(0, data.length - 1)), shape: a.shape };
  }
}

export async function mutateNir(r: Rand, bytes: Uint8Array): Promise<Uint8Array> {
  const doc: NirDoc = await readNirDoc(bytes);
  const nodes: NirNode[] = [...doc.nodes];
  let edges = [...doc.edges];
  const rounds = 1 + r.int(2);
  for (let k = 0; k < rounds; k++) {
    const i = r.int(nodes.length);
    const n = nodes[i];
    if (n === undefined) break;
    switch (r.int(6)) {
      case 0:
        nodes[i] = { ...n, type: r.pick(['LIF', 'CubaLIF', 'IF', 'Affine', 'Linear', 'Conv2d', 'SumPool2d', 'Flatten', 'Delay', 'NIRGraph', 'Bogus']) };
        break;
      case 1: {
        const keys = Object.keys(n.fields);
        if (keys.length === 0) break;
        const key = r.pick(keys);
        nodes[i] = { ...n, fields: { ...n.fields, [key]: mutateArray(r, n.fields[key] as NirArray) } };
        break;
      }
      case 2: {
        const f = { ...n.fields };
        const keys = Object.keys(f);
        if (keys.length > 0) delete f[r.pick(keys)];
        nodes[i] = { ...n, fields: f };
        break;
      }
      case 3:
        edges = [...edges, [r.pick(nodes).name, r.pick(nodes).name] as const];
        break;
      case 4:
        edges = edges.filter((_, j) => j !== r.int(edges.length));
        break;
      default:
        nodes.splice(i, 1);
    }
  }
  return writeNirDoc({ ...doc, nodes, edges });
}
