// Size and work of a graph, per node and in total (used by `snnc inspect`).
//
// Conventions:
// - "Per sample": a symbolic LEADING dim (the batch, e.g. 'N') counts as 1. Static dims
//   count as they are, so a model exported with a fixed batch B reports B samples' worth.
//   Any other symbolic dim makes the quantity unknown (null).
// - params: elements of the node's initializer inputs (weights, biases, BN statistics,
//   and constant shape/axes tensors). The graph total counts each initializer once.
// - MACs: multiply-accumulates of Conv (out_elems * Cin/group * prod(kernel)), Gemm
//   (M * K * N) and MatMul (out_elems * K). Everything else has 0 MACs.
// - elementwiseOps: one per output element for elementwise ops (activations, Add/Sub/
//   Mul/Div/Max/Less/Where, Clip, BatchNormalization, Softmax); one per window element
//   for pooling (out_elems * prod(kernel); global pools: input elements). Data movement
//   (Reshape, Transpose, Concat, Pad, Cast, ...) counts 0.
// - activationBytes: size of the node's outputs in bytes at the dtype's storage width.
import { byteSize } from './dtype.js';
import type { Dim, Graph, Node, ValueInfo } from './types.js';

export interface NodeStats {
  readonly name: string;
  readonly op: Node['op'];
  readonly params: number;
  readonly macs: number | null;
  readonly elementwiseOps: number | null;
  readonly activationBytes: number | null;
}

export interface GraphStats {
  readonly nodes: readonly NodeStats[];
  /** Elements of all initializers, each counted once. */
  readonly params: number;
  readonly paramBytes: number;
  /** Sums over nodes; nodes with an unknown (null) quantity are left out and counted in `unknown`. */
  readonly macs: number;
  readonly elementwiseOps: number;
  readonly activationBytes: number;
  readonly unknown: { readonly macs: number; readonly elementwiseOps: number; readonly activationBytes: number };
  /** Node count per op, keys sorted. */
  readonly histogram: Readonly<Record<string, number>>;
}

/** Elements per sample, or null when a non-leading dim is symbolic. */
export function perSampleElements(shape: readonly Dim[]): number | null {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as Dim;
    if (typeof d === 'number') n *= d;
    else if (i !== 0) return null;
  }
  return n;
}

const ELEMENTWISE = new Set<Node['op']>([
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Neg',
  'Softmax',
  'BatchNormalization',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Less',
  'Where',
  'IF',
  'LIF',
]);

const mul = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a * b);
const dimOrNull = (d: Dim | undefined): number | null => (typeof d === 'number' ? d : null);

function nodeMacs(n: Node, info: (v: string) => ValueInfo | undefined): number | null {
  const out = info(n.outputs[0] ?? '')?.shape;
  if (out === undefined) return null;
  switch (n.op) {
    case 'Conv': {
      const w = info(n.inputs[1] ?? '')?.shape ?? [];
      const k = w.slice(1).reduce<number | null>((acc, d) => mul(acc, dimOrNull(d)), 1); // Cin/group * kH * kW
      return mul(perSampleElements(out), k);
    }
    case 'Gemm': {
      const a = info(n.inputs[0] ?? '')?.shape ?? [];
      const k = dimOrNull(n.attrs.transA ? a[0] : a[1]);
      return mul(perSampleElements(out), k);
    }
    case 'MatMul': {
      const a = info(n.inputs[0] ?? '')?.shape ?? [];
      return mul(perSampleElements(out), dimOrNull(a[a.length - 1]));
    }
    default:
      return 0;
  }
}

function nodeElementwise(n: Node, info: (v: string) => ValueInfo | undefined): number | null {
  const out = info(n.outputs[0] ?? '')?.shape;
  if (out === undefined) return null;
  if (ELEMENTWISE.has(n.op)) return perSampleElements(out);
  if (n.op === 'MaxPool' || n.op === 'AveragePool' || n.op === 'SpikeMaxPool') {
    return mul(
      perSampleElements(out),
      n.attrs.kernelShape.reduce((a, b) => a * b, 1),
    );
  }
  if (n.op === 'GlobalAveragePool' || n.op === 'GlobalMaxPool') {
    const x = info(n.inputs[0] ?? '')?.shape;
    return x === undefined ? null : perSampleElements(x);
  }
  return 0;
}

export function graphStats(g: Graph): GraphStats {
  const info = (v: string): ValueInfo | undefined => g.values.get(v);
  const unknown = { macs: 0, elementwiseOps: 0, activationBytes: 0 };
  const totals = { macs: 0, elementwiseOps: 0, activationBytes: 0 };
  const add = (key: keyof typeof totals, v: number | null): void => {
    if (v === null) unknown[key]++;
    else totals[key] += v;
  };
  const histogram: Record<string, number> = {};
  const nodes = g.nodes.map((n): NodeStats => {
    let params = 0;
    for (const v of n.inputs) params += g.initializers.get(v)?.data.length ?? 0;
    let bytes: number | null = 0;
    for (const v of n.outputs) {
      if (v === '') continue;
      const o = info(v);
      bytes = o === undefined ? null : addOrNull(bytes, mul(perSampleElements(o.shape), byteSize(o.dtype)));
    }
    const s: NodeStats = { name: n.name, op: n.op, params, macs: nodeMacs(n, info), elementwiseOps: nodeElementwise(n, info), activationBytes: bytes };
    add('macs', s.macs);
    add('elementwiseOps', s.elementwiseOps);
    add('activationBytes', s.activationBytes);
    histogram[n.op] = (histogram[n.op] ?? 0) + 1;
    return s;
  });
  let params = 0;
  let paramBytes = 0;
  for (const t of g.initializers.values()) {
    params += t.data.length;
    paramBytes += t.data.length * byteSize(t.dtype);
  }
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(histogram).sort()) sorted[k] = histogram[k] ?? 0;
  return { nodes, params, paramBytes, ...totals, unknown, histogram: sorted };
}

function addOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}
