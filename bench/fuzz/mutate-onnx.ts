// Structure-aware ONNX mutations: the model is decoded, one to three of its parts changed the
// way a buggy exporter or an attacker would (dims, dtypes, raw_data lengths, names, cycles,
// attributes, opsets, node order and types), and encoded again, so the mutant gets past the
// protobuf decoder and reaches the importer, the verifier and everything after them.
import { onnx } from '../../src/frontend/onnx/proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import type { Rand } from './rand.js';
import { NASTY_FLOATS, NASTY_INTS, NASTY_NAMES } from './rand.js';

type Model = OnnxNs.IModelProto;
type GraphP = OnnxNs.IGraphProto;
type Mut = (r: Rand, m: Model, g: GraphP) => void;

const OPS = [
  'Relu',
  'Conv',
  'Gemm',
  'MatMul',
  'Add',
  'Mul',
  'MaxPool',
  'AveragePool',
  'Flatten',
  'Reshape',
  'Softmax',
  'BatchNormalization',
  'Pad',
  'Concat',
  'Transpose',
  'Clip',
  'Sigmoid',
  'GlobalAveragePool',
  'NoSuchOp',
  'Identity',
  'Loop',
  'If',
];

function names(g: GraphP): string[] {
  const s = new Set<string>();
  for (const n of g.node ?? []) for (const v of [...(n.input ?? []), ...(n.output ?? [])]) s.add(v);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) s.add(v.name ?? '');
  for (const t of g.initializer ?? []) s.add(t.name ?? '');
  return [...s];
}

function dimsOf(r: Rand, d: readonly unknown[]): number[] {
  const out = d.map((x) => Number(x));
  if (out.length === 0 || r.chance(0.2)) out.push(r.pick(NASTY_INTS));
  else out[r.int(out.length)] = r.pick(NASTY_INTS);
  return out;
}

const MUTATIONS: readonly Mut[] = [
  // initializer dims / dtype / data length
  (r, _m, g) => {
    const t = r.pick(g.initializer ?? []);
    if (t !== undefined) t.dims = dimsOf(r, t.dims ?? []);
  },
  (r, _m, g) => {
    const t = r.pick(g.initializer ?? []);
    if (t !== undefined) t.dataType = r.int(26);
  },
  (r, _m, g) => {
    const t = r.pick(g.initializer ?? []);
    if (t === undefined) return;
    const raw = t.rawData !== undefined && t.rawData !== null && t.rawData.length > 0 ? t.rawData : new Uint8Array(new Float32Array(t.floatData ?? []).buffer);
    const cut = r.chance(0.5) ? raw.subarray(0, r.int(raw.length + 1)) : new Uint8Array(raw.length + 1 + r.int(9));
    t.rawData = cut;
    if (r.chance(0.7)) t.floatData = [];
  },
  (r, _m, g) => {
    const t = r.pick(g.initializer ?? []);
    if (t !== undefined) {
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: r.pick(['../../etc/passwd', '/etc/passwd', 'missing.bin', 'x']) }];
    }
  },
  // value infos
  (r, _m, g) => {
    const v = r.pick([...(g.input ?? []), ...(g.output ?? [])]);
    const tt = v?.type?.tensorType;
    if (tt === undefined || tt === null) return;
    if (r.chance(0.3)) tt.elemType = r.int(26);
    else
      tt.shape = {
        dim: dimsOf(
          r,
          (tt.shape?.dim ?? []).map((d) => d.dimValue ?? 1),
        ).map((x) => (r.chance(0.1) ? { dimParam: 'N' } : { dimValue: x })),
      };
  },
  // names: hostile, dangling, duplicated
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined) n.name = r.pick(NASTY_NAMES);
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n === undefined || (n.input ?? []).length === 0) return;
    const ins = [...(n.input ?? [])];
    ins[r.int(ins.length)] = r.chance(0.5) ? r.pick(names(g)) : r.pick(NASTY_NAMES);
    n.input = ins;
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined && (n.output ?? []).length > 0) n.output = [r.pick(names(g))];
  },
  // cycles and order
  (r, _m, g) => {
    const nodes = g.node ?? [];
    if (nodes.length < 2) return;
    const i = r.int(nodes.length - 1);
    const later = nodes[i + 1 + r.int(nodes.length - i - 1)];
    const n = nodes[i];
    if (n !== undefined && later !== undefined && (later.output ?? []).length > 0 && (n.input ?? []).length > 0)
      n.input = [(later.output ?? [])[0] as string, ...(n.input ?? []).slice(1)];
  },
  (r, _m, g) => {
    const nodes = [...(g.node ?? [])];
    if (nodes.length > 1) {
      const i = r.int(nodes.length);
      const j = r.int(nodes.length);
      [nodes[i], nodes[j]] = [nodes[j] as OnnxNs.INodeProto, nodes[i] as OnnxNs.INodeProto];
      g.node = nodes;
    }
  },
  (r, _m, g) => {
    const nodes = [...(g.node ?? [])];
    if (nodes.length > 0) {
      nodes.splice(r.int(nodes.length), 1);
      g.node = nodes;
    }
  },
  (r, _m, g) => {
    const nodes = [...(g.node ?? [])];
    const n = r.pick(nodes);
    if (n !== undefined) {
      nodes.splice(r.int(nodes.length), 0, { ...n });
      g.node = nodes;
    }
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined) n.opType = r.pick(OPS);
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined) n.domain = r.pick(['ai.onnx.ml', 'com.microsoft', 'ai.snnc', 'evil']);
  },
  // attributes: values at the limits, wrong types, unknown, removed
  (r, _m, g) => {
    const n = r.pick((g.node ?? []).filter((x) => (x.attribute ?? []).length > 0));
    const a = n !== undefined ? r.pick(n.attribute ?? []) : undefined;
    if (a === undefined) return;
    switch (r.int(6)) {
      case 0:
        a.i = r.pick(NASTY_INTS);
        break;
      case 1:
        a.ints = (a.ints ?? [1]).map(() => r.pick(NASTY_INTS));
        break;
      case 2:
        a.f = r.pick(NASTY_FLOATS);
        break;
      case 3:
        a.type = r.int(15);
        break;
      case 4:
        a.ints = [];
        a.floats = [1.5];
        break;
      default:
        a.s = new TextEncoder().encode(r.pick(['SAME_UPPER', 'VALID', 'NOTSET', 'same_lower', r.pick(NASTY_NAMES)]));
    }
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined)
      n.attribute = [...(n.attribute ?? []), { name: r.pick(['axis', 'pads', 'strides', 'group', 'bogus']), type: 7, ints: [r.pick(NASTY_INTS)] }];
  },
  (r, _m, g) => {
    const n = r.pick(g.node ?? []);
    if (n !== undefined && (n.attribute ?? []).length > 0) n.attribute = (n.attribute ?? []).slice(1);
  },
  // versions
  (r, m) => {
    m.opsetImport = [{ domain: r.pick(['', 'ai.onnx', 'ai.snnc', 'x']), version: r.pick([-1, 0, 1, 6, 7, 9, 11, 13, 17, 25, 26, 99, 2 ** 40]) }];
  },
  (r, m) => {
    m.irVersion = r.pick([-1, 0, 1, 3, 7, 9, 10, 11, 13, 14, 99]);
  },
  // graph inputs/outputs
  (r, _m, g) => {
    if (r.chance(0.5)) g.output = [];
    else g.input = [...(g.input ?? []), ...(g.input ?? [])];
  },
];

export function mutateOnnx(r: Rand, bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph ?? (m.graph = new onnx.GraphProto());
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) r.pick(MUTATIONS)(r, m, g);
  return onnx.ModelProto.encode(m).finish();
}
