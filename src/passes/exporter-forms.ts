// Exporter idioms that spell a simple op the long way, rewritten to the short form
// canonicalize's other patterns (and every later pass) already know:
//
//   shape-chain     torch's x.view(x.size(0), -1) exports a run-time reshape target:
//                   Shape(x) → Gather(0) → Unsqueeze → Concat([·, −1]) → Reshape(x, ·).
//                   The target is evaluated over symbolic dims; a symbol that copies the
//                   same position of the reshaped input becomes 0 ("copy this dim"), so the
//                   target is a constant and reshape-normalize then sees a Flatten.
//   mean-to-pool    ReduceMean over all spatial axes (nn.AdaptiveAvgPool2d(1) in some
//                   exporters, Keras GlobalAveragePooling2D via tf2onnx) is GlobalAveragePool,
//                   followed by a Flatten when keepdims = 0.
//   matmul-gemm     tf2onnx's dense layer, MatMul(x, W) with a constant 2-D W on a 2-D x, is
//                   Gemm(x, Wᵀ, transB = 1) — the form torch exports; fold-output-affine
//                   then takes the following bias Add into it.
//   layout-reshape  a Transpose that only moves axes of size 1 (Keras NHWC → NCHW with one
//                   channel) moves no bytes: it is a Reshape.
import { int64Tensor } from '../ir/build.js';
import { shapeSlice } from '../ir/shape-utils.js';
import type { Dim, Node, Tensor } from '../ir/types.js';
import type { AnyPattern, GraphView } from './rewrite.js';
import { constOf, infoOf, intValues, pattern } from './rewrite.js';

/** A 0-D or 1-D integer value known up to symbolic dims, or undefined. */
interface SymInts {
  readonly dims: readonly Dim[];
  readonly scalar: boolean;
}

const MAX_DEPTH = 16;

function symbolic(view: GraphView, value: string | undefined, depth = 0): SymInts | undefined {
  if (value === undefined || value === '' || depth > MAX_DEPTH) return undefined;
  const c = constOf(view, value);
  if (c !== undefined) {
    if (c.shape.length > 1 || (c.dtype !== 'int64' && c.dtype !== 'int32')) return undefined;
    return { dims: intValues(c), scalar: c.shape.length === 0 };
  }
  const n = view.producers.get(value);
  const arg = (i: number): SymInts | undefined => symbolic(view, n?.inputs[i], depth + 1);
  switch (n?.op) {
    case 'Shape': {
      const s = infoOf(view, n.inputs[0] ?? '')?.shape;
      if (s === undefined) return undefined;
      const [a, b] = shapeSlice(s.length, n.attrs.start, n.attrs.end);
      return { dims: s.slice(a, Math.max(a, b)), scalar: false };
    }
    case 'Cast':
    case 'Identity':
      return n.op === 'Cast' && n.attrs.to !== 'int64' && n.attrs.to !== 'int32' ? undefined : arg(0);
    case 'Gather': {
      const x = arg(0);
      const idx = constOf(view, n.inputs[1]);
      if (x === undefined || x.scalar || idx === undefined || idx.shape.length > 1 || n.attrs.axis !== 0) return undefined;
      const picked = intValues(idx).map((i) => x.dims[i < 0 ? i + x.dims.length : i]);
      if (picked.some((d) => d === undefined)) return undefined;
      return { dims: picked as Dim[], scalar: idx.shape.length === 0 };
    }
    case 'Unsqueeze': {
      const x = arg(0);
      const axes = constOf(view, n.inputs[1]);
      return x !== undefined && x.scalar && axes !== undefined && intValues(axes).join() === '0' ? { dims: x.dims, scalar: false } : undefined;
    }
    case 'Squeeze': {
      const x = arg(0);
      return x !== undefined && !x.scalar && x.dims.length === 1 ? { dims: x.dims, scalar: true } : undefined;
    }
    case 'Concat': {
      if (n.attrs.axis !== 0 && n.attrs.axis !== -1) return undefined;
      const parts = n.inputs.map((_, i) => arg(i));
      if (parts.some((p) => p === undefined || p.scalar)) return undefined;
      return { dims: parts.flatMap((p) => p?.dims ?? []), scalar: false };
    }
    default:
      return undefined;
  }
}

/** The constant reshape target equal to `dims` for data of shape `x`, or undefined. */
function constantTarget(dims: readonly Dim[], x: readonly Dim[]): number[] | undefined {
  const out: number[] = [];
  for (const [i, d] of dims.entries()) {
    if (typeof d === 'number') out.push(d);
    else if (x[i] === d) out.push(0);
    else return undefined;
  }
  return out;
}

const RESHAPE_TARGET_OPS = ['Concat', 'Unsqueeze', 'Gather', 'Shape', 'Cast', 'Squeeze'];

const shapeChain = pattern<{ node: Node; out: string; target: number[] }>({
  name: 'shape-chain',
  match: (node, view) => {
    if (!RESHAPE_TARGET_OPS.includes(node.op) || node.outputs.length !== 1) return undefined;
    const out = node.outputs[0] ?? '';
    const readers = view.consumers.get(out) ?? [];
    if (readers.length === 0 || view.graph.outputs.includes(out)) return undefined;
    const sym = symbolic(view, out);
    if (sym === undefined || sym.scalar) return undefined;
    let target: number[] | undefined;
    for (const r of readers) {
      if (r.op !== 'Reshape' || r.attrs.allowzero || r.inputs[1] !== out || r.inputs[0] === out) return undefined;
      const x = infoOf(view, r.inputs[0] ?? '')?.shape;
      const t = x === undefined ? undefined : constantTarget(sym.dims, x);
      if (t === undefined || (target !== undefined && t.join() !== target.join())) return undefined;
      target = t;
    }
    return target === undefined ? undefined : { node, out, target };
  },
  rewrite: ({ node, out, target }) => ({ remove: [node.name], add: [], initializers: { [out]: int64Tensor(target) } }),
});

const meanToPool = pattern<{ node: Node; add: Node[] }>({
  name: 'mean-to-pool',
  match: (node, view) => {
    if (node.op !== 'ReduceMean') return undefined;
    const x = infoOf(view, node.inputs[0] ?? '')?.shape;
    const axesT = constOf(view, node.inputs[1]);
    if (x === undefined || x.length < 3 || axesT === undefined) return undefined;
    const r = x.length;
    const axes = [...new Set(intValues(axesT).map((a) => (a < 0 ? a + r : a)))].sort((a, b) => a - b);
    if (axes.join() !== Array.from({ length: r - 2 }, (_, i) => i + 2).join()) return undefined;
    const out = node.outputs[0] ?? '';
    if (node.attrs.keepdims) return { node, add: [{ name: node.name, op: 'GlobalAveragePool', inputs: [node.inputs[0] ?? ''], outputs: [out], attrs: {} }] };
    const pooled = view.fresh(`${node.name}_pooled`);
    return {
      node,
      add: [
        { name: pooled, op: 'GlobalAveragePool', inputs: [node.inputs[0] ?? ''], outputs: [pooled], attrs: {} },
        { name: node.name, op: 'Flatten', inputs: [pooled], outputs: [out], attrs: { axis: 1 } },
      ],
    };
  },
  rewrite: ({ node, add }) => ({ remove: [node.name], add }),
});

const matmulGemm = pattern<{ node: Node; add: Node; init: [string, Tensor] }>({
  name: 'matmul-gemm',
  match: (node, view) => {
    if (node.op !== 'MatMul') return undefined;
    const w = constOf(view, node.inputs[1]);
    const x = infoOf(view, node.inputs[0] ?? '')?.shape;
    if (w === undefined || w.dtype !== 'float32' || w.shape.length !== 2 || x?.length !== 2) return undefined;
    const [K, M] = w.shape as [number, number];
    const d = w.data as Float32Array;
    const t = new Float32Array(K * M);
    for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) t[m * K + k] = d[k * M + m] as number;
    const name = view.fresh(`${node.name}_wT`);
    return {
      node,
      init: [name, { dtype: 'float32', shape: [M, K], data: t }],
      add: {
        name: node.name,
        op: 'Gemm',
        inputs: [node.inputs[0] ?? '', name],
        outputs: node.outputs,
        attrs: { alpha: 1, beta: 1, transA: false, transB: true },
      },
    };
  },
  rewrite: ({ node, add, init }) => ({ remove: [node.name], add: [add], initializers: { [init[0]]: init[1] } }),
});

const layoutReshape = pattern<{ node: Node; add: Node; init: [string, Tensor] }>({
  name: 'layout-reshape',
  match: (node, view) => {
    if (node.op !== 'Transpose') return undefined;
    const x = infoOf(view, node.inputs[0] ?? '')?.shape;
    if (x === undefined) return undefined;
    const perm = node.attrs.perm ?? x.map((_, i) => x.length - 1 - i);
    const moved = perm.filter((a) => x[a] !== 1);
    if (moved.some((a, i) => i > 0 && a < (moved[i - 1] as number))) return undefined;
    // Static target; a symbolic dim keeps its place only where it stays (0 = copy).
    const target = perm.map((a, i) => (typeof x[a] === 'number' ? (x[a] as number) : a === i ? 0 : -1));
    if (target.filter((v) => v === -1).length > 1) return undefined;
    const name = view.fresh(`${node.name}_shape`);
    return {
      node,
      init: [name, int64Tensor(target)],
      add: { name: node.name, op: 'Reshape', inputs: [node.inputs[0] ?? '', name], outputs: node.outputs, attrs: { allowzero: false } },
    };
  },
  rewrite: ({ node, add, init }) => ({ remove: [node.name], add: [add], initializers: { [init[0]]: init[1] } }),
});

export const EXPORTER_FORMS: readonly AnyPattern[] = [shapeChain, meanToPool, matmulGemm, layoutReshape];
