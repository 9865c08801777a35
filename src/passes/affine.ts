// Folding a per-channel affine map `y = scale·x + shift` into a Conv or Gemm, on either
// side. canonicalize (constant Add/Sub/Mul/Div, input normalization) and fold-batchnorm
// (BatchNormalization = one such map) share these. Arithmetic is in float64; results are
// stored in the weight's dtype. Nothing here mutates a tensor: new initializers are made.
import { isStatic, roundToHalf } from '../ir/dtype.js';
import { resolveWindow } from '../ir/window.js';
import type { AttrsOf, DType, Graph, Node, Tensor } from '../ir/types.js';

/** y[c] = scale[c]·x[c] + shift[c] along one channel axis. */
export interface ChannelAffine {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

export type AffineNode = Extract<Node, { op: 'Conv' | 'Gemm' }>;

export interface Folded {
  readonly node: Node;
  readonly initializers: Record<string, Tensor>;
}

const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16'];

/** The elements of a float tensor as float64 (undefined for other dtypes). */
export function readFloats(t: Tensor): Float64Array | undefined {
  if (!FLOAT_DTYPES.includes(t.dtype)) return undefined;
  return Float64Array.from(t.data as Float32Array | Float64Array);
}

/** A tensor of `dtype` holding `data`, rounded to that precision. */
function floatTensor(dtype: DType, shape: readonly number[], data: Float64Array): Tensor {
  if (dtype === 'float64') return { dtype, shape: [...shape], data: Float64Array.from(data) };
  const d = Float32Array.from(data);
  if (dtype === 'float16') for (let i = 0; i < d.length; i++) d[i] = roundToHalf(d[i] as number);
  return { dtype, shape: [...shape], data: d };
}

/**
 * A constant that broadcasts against a rank-`rank` value and varies only along `axis`
 * (size `channels`), as one value per channel; undefined if it varies anywhere else
 * or would enlarge the value by broadcasting.
 */
export function perChannel(t: Tensor, rank: number, axis: number, channels: number): Float64Array | undefined {
  const vals = readFloats(t);
  if (vals === undefined || t.shape.length > rank) return undefined;
  let varies = false;
  for (let i = 0; i < t.shape.length; i++) {
    const d = t.shape[i] as number;
    const p = rank - t.shape.length + i;
    if (d === 1) continue;
    if (p !== axis || d !== channels) return undefined;
    varies = true;
  }
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) out[c] = vals[varies ? c : 0] as number;
  return out;
}

export function identityAffine(n: number): { scale: Float64Array; shift: Float64Array } {
  return { scale: new Float64Array(n).fill(1), shift: new Float64Array(n) };
}

/** outer ∘ inner: x ↦ outer.scale·(inner.scale·x + inner.shift) + outer.shift. */
export function composeAffine(outer: ChannelAffine, inner: ChannelAffine): ChannelAffine {
  const n = outer.scale.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const s = outer.scale[c] as number;
    scale[c] = s * (inner.scale[c] as number);
    shift[c] = s * (inner.shift[c] as number) + (outer.shift[c] as number);
  }
  return { scale, shift };
}

/** True when the Conv reads any zero padding (explicit pads or SAME auto-padding). */
export function convPads(node: Extract<Node, { op: 'Conv' }>, g: Graph): boolean {
  const a = node.attrs;
  if (a.autoPad === 'VALID') return false;
  if (a.autoPad === 'NOTSET') return a.pads.some((p) => p !== 0);
  const x = g.values.get(node.inputs[0] ?? '');
  if (x === undefined || !isStatic(x.shape)) return true;
  const w = resolveWindow(x.shape.slice(2), a, false, node.name);
  return [...w.padsBegin, ...w.padsEnd].some((p) => p !== 0);
}

interface Params {
  readonly w: Tensor;
  readonly wv: Float64Array;
  /** Effective bias per output (beta·C for Gemm), zeros when absent. */
  readonly bias: Float64Array;
  /** Output channels M and, for Gemm, input features K. */
  readonly m: number;
  readonly k: number;
}

/** Weight and effective bias of a Conv/Gemm with constant parameters, or undefined. */
function params(node: AffineNode, g: Graph): Params | undefined {
  const w = g.initializers.get(node.inputs[1] ?? '');
  if (w === undefined) return undefined;
  const wv = readFloats(w);
  if (wv === undefined) return undefined;
  let m: number;
  let k: number;
  if (node.op === 'Conv') {
    m = w.shape[0] ?? 0;
    k = w.shape[1] ?? 0;
  } else {
    if (node.attrs.transA || w.shape.length !== 2) return undefined;
    [k, m] = node.attrs.transB ? [w.shape[1] ?? 0, w.shape[0] ?? 0] : [w.shape[0] ?? 0, w.shape[1] ?? 0];
  }
  const bName = node.inputs[2] ?? '';
  let bias = new Float64Array(m);
  if (bName !== '') {
    const b = g.initializers.get(bName);
    if (b === undefined) return undefined;
    // Conv bias is [M]; a Gemm C must broadcast as a row vector (one value per output).
    const v = node.op === 'Conv' ? readFloats(b) : perChannel(b, 2, 1, m);
    if (v === undefined || v.length !== m) return undefined;
    const beta = node.op === 'Gemm' ? node.attrs.beta : 1;
    bias = v.map((x) => x * beta);
  }
  return { w, wv, bias, m, k };
}

function withParams(node: AffineNode, p: Params, wv: Float64Array, bias: Float64Array, fresh: (b: string) => string): Folded {
  const wName = fresh(`${node.name}_w`);
  const bName = fresh(`${node.name}_b`);
  const inputs = [node.inputs[0] ?? '', wName, bName];
  const initializers = { [wName]: floatTensor(p.w.dtype, p.w.shape, wv), [bName]: floatTensor(p.w.dtype, [p.m], bias) };
  const folded: Node = node.op === 'Conv' ? { ...node, inputs } : { ...node, inputs, attrs: { ...node.attrs, beta: 1 } satisfies AttrsOf<'Gemm'> };
  return { node: folded, initializers };
}

/** Index of weight element (output m, input feature k) of a Gemm's B. */
function gemmIndex(node: Extract<Node, { op: 'Gemm' }>, p: Params, m: number, k: number): number {
  return node.attrs.transB ? m * p.k + k : k * p.m + m;
}

/** Folds `a` applied to the node's OUTPUT (per output channel) into weights and bias. */
export function foldOutputAffine(node: AffineNode, g: Graph, a: ChannelAffine, fresh: (b: string) => string): Folded | undefined {
  const p = params(node, g);
  if (p === undefined || a.scale.length !== p.m) return undefined;
  const wv = p.wv.slice();
  const per = p.wv.length / p.m;
  for (let m = 0; m < p.m; m++) {
    const s = a.scale[m] as number;
    if (node.op === 'Conv') for (let j = 0; j < per; j++) wv[m * per + j] = (wv[m * per + j] as number) * s;
    else for (let k = 0; k < p.k; k++) wv[gemmIndex(node, p, m, k)] = (wv[gemmIndex(node, p, m, k)] as number) * s;
  }
  const bias = p.bias.map((b, m) => (a.scale[m] as number) * b + (a.shift[m] as number));
  return withParams(node, p, wv, bias, fresh);
}

/**
 * Folds `a` applied to the node's INPUT into weights and bias. For a Conv, `a` is per
 * input channel; for a Gemm, per input feature. The caller checks exactness: with zero
 * padding a Conv sees padded zeros of the shifted input, so only shift = 0 is exact.
 */
export function foldInputAffine(node: AffineNode, g: Graph, a: ChannelAffine, fresh: (b: string) => string): Folded | undefined {
  const p = params(node, g);
  if (p === undefined) return undefined;
  const wv = p.wv.slice();
  const bias = p.bias.slice();
  if (node.op === 'Conv') {
    const groups = node.attrs.group;
    const cg = p.k;
    const mg = p.m / groups;
    const per = p.wv.length / (p.m * cg);
    if (a.scale.length !== cg * groups || !Number.isInteger(mg)) return undefined;
    for (let m = 0; m < p.m; m++) {
      const g0 = Math.floor(m / mg) * cg;
      let acc = 0;
      for (let ci = 0; ci < cg; ci++) {
        const s = a.scale[g0 + ci] as number;
        const t = a.shift[g0 + ci] as number;
        for (let j = 0; j < per; j++) {
          const idx = (m * cg + ci) * per + j;
          const w = p.wv[idx] as number;
          wv[idx] = w * s;
          acc += w * t;
        }
      }
      bias[m] = (bias[m] as number) + acc;
    }
  } else {
    if (a.scale.length !== p.k) return undefined;
    const alpha = node.attrs.alpha;
    for (let m = 0; m < p.m; m++) {
      let acc = 0;
      for (let k = 0; k < p.k; k++) {
        const idx = gemmIndex(node, p, m, k);
        const w = p.wv[idx] as number;
        wv[idx] = w * (a.scale[k] as number);
        acc += w * (a.shift[k] as number);
      }
      bias[m] = (bias[m] as number) + alpha * acc;
    }
  }
  return withParams(node, p, wv, bias, fresh);
}
