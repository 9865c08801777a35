// Scales for ANN→SNN conversion. A value's scale says what 1 means in ANN units: the
// SNN value times its scale is the ANN value (for spikes: a spike stands for λ). A
// scale is one number for the whole value, or one per channel (axis 1: feature maps of
// [N, C, ...] values, features of [N, F] values), held as a Float64Array of length 1 or C.
// This file holds the arithmetic on scales and the rescaling of constant tensors.
import { fail } from '../errors.js';
import type { Node, Tensor } from '../ir/types.js';

export type Scale = Float64Array;

export const unitScale = (): Scale => Float64Array.of(1);

export function sAt(s: Scale, i: number): number {
  return (s.length === 1 ? s[0] : s[i]) as number;
}

/** Relative tolerance under which two scale entries count as equal. */
const TOL = 1e-9;

const close = (a: number, b: number): boolean => Math.abs(a - b) <= TOL * Math.max(Math.abs(a), Math.abs(b));

export function isUniform(s: Scale): boolean {
  const f = s[0] as number;
  return s.every((v) => close(v, f));
}

export function isUnit(s: Scale): boolean {
  return s.every((v) => close(v, 1));
}

/** a / b entry by entry (length 1 when both are). */
export function ratio(a: Scale, b: Scale): Scale {
  const n = Math.max(a.length, b.length);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = sAt(a, i) / sAt(b, i);
  return r;
}

/** One entry per channel. */
export function expandScale(s: Scale, channels: number): Scale {
  const r = new Float64Array(channels);
  for (let i = 0; i < channels; i++) r[i] = sAt(s, i);
  return r;
}

/** The scale of [N, C, inner...] flattened to [N, C·inner]: each channel's entry repeated. */
export function flattenScale(s: Scale, channels: number, inner: number): Scale {
  if (s.length === 1) return s;
  const r = new Float64Array(channels * inner);
  for (let c = 0; c < channels; c++) r.fill(sAt(s, c), c * inner, (c + 1) * inner);
  return r;
}

/** A float32 constant broadcasting one entry per channel over a value of the given rank: [] or [C, 1, ...]. */
export function channelTensor(s: Scale, rank: number, perChannel: boolean): Tensor {
  if (!perChannel && isUniform(s)) return { dtype: 'float32', shape: [], data: Float32Array.of(s[0] as number) };
  const shape = [s.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
  return { dtype: 'float32', shape, data: Float32Array.from(s) };
}

function convertError(node: Node, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_CONVERT', message: `${node.op} '${node.name}': ${message}`, node: node.name, hint });
}

function floatData(node: Node, t: Tensor, what: string): Float32Array | Float64Array {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  throw convertError(node, `${what} has dtype ${t.dtype}; conversion rescales float weights only`, 'dequantize the model before converting');
}

function like(t: Tensor, data: Float64Array, shape: readonly number[] = t.shape): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data instanceof Float64Array ? data : Float32Array.from(data) };
}

/** Scale length check against a channel count. */
function fits(s: Scale, n: number): boolean {
  return s.length === 1 || s.length === n;
}

/**
 * Weights of an affine op rescaled for inputs in units sIn and outputs in units sOut:
 * W'[out, in] = W · sIn[in] / sOut[out].
 */
export function scaleWeights(node: Node, w: Tensor, sIn: Scale, sOut: Scale): Tensor {
  const d = floatData(node, w, 'the weight');
  const out = new Float64Array(d.length);
  if (node.op === 'Conv') {
    const [M, Cg] = w.shape as [number, number];
    const k = w.shape.slice(2).reduce((a, b) => a * b, 1);
    const perGroup = M / node.attrs.group;
    if (!fits(sIn, Cg * node.attrs.group) || !fits(sOut, M)) throw convertError(node, 'scale and weight channel counts differ', 'report this as a bug');
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / perGroup);
      for (let c = 0; c < Cg; c++) {
        const f = sAt(sIn, g * Cg + c) / sAt(sOut, m);
        const off = (m * Cg + c) * k;
        for (let j = 0; j < k; j++) out[off + j] = (d[off + j] as number) * f;
      }
    }
    return like(w, out);
  }
  if (w.shape.length !== 2) throw convertError(node, `weight of shape [${w.shape.join(', ')}] is not a matrix`, 'only 2-D weights are converted');
  const [r, c] = w.shape as [number, number];
  // Gemm with transB stores [M, K]; MatMul and plain Gemm store [K, M].
  const outerIsOut = node.op === 'Gemm' && node.attrs.transB;
  const K = outerIsOut ? c : r;
  const M = outerIsOut ? r : c;
  if (!fits(sIn, K) || !fits(sOut, M)) throw convertError(node, 'scale and weight sizes differ', 'report this as a bug');
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const kk = outerIsOut ? j : i;
      const mm = outerIsOut ? i : j;
      out[i * c + j] = (d[i * c + j] as number) * (sAt(sIn, kk) / sAt(sOut, mm));
    }
  }
  return like(w, out);
}

/**
 * A bias (Conv B [M], Gemm C broadcast to [N, M]) divided by the output scale. A scalar
 * bias is widened to [M] when the output scale differs per channel.
 */
export function scaleBias(node: Node, b: Tensor, sOut: Scale, M: number): Tensor {
  const d = floatData(node, b, 'the bias');
  const n = d.length;
  if (sOut.length === 1 || isUniform(sOut)) {
    const out = new Float64Array(n);
    const s = sOut[0] as number;
    for (let i = 0; i < n; i++) out[i] = (d[i] as number) / s;
    return like(b, out);
  }
  const dims = b.shape.filter((x) => x !== 1);
  if (n === 1) {
    const out = new Float64Array(M);
    for (let m = 0; m < M; m++) out[m] = (d[0] as number) / sAt(sOut, m);
    return like(b, out, [M]);
  }
  if (dims.length === 1 && dims[0] === M && b.shape[b.shape.length - 1] === M) {
    const out = new Float64Array(M);
    for (let m = 0; m < M; m++) out[m] = (d[m] as number) / sAt(sOut, m);
    return like(b, out);
  }
  throw convertError(
    node,
    `bias of shape [${b.shape.join(', ')}] cannot be rescaled per output channel`,
    'convert with --granularity layer, or give the layer a [M] bias',
  );
}

/**
 * A constant added to a value of scale s (Add/Sub bias-like operand), in the value's
 * units: c / s, per channel when the constant covers the channel axis of a rank-`rank` value.
 */
export function scaleAddend(node: Node, t: Tensor, s: Scale, rank: number): Tensor {
  const d = floatData(node, t, 'the constant operand');
  const out = new Float64Array(d.length);
  if (isUniform(s)) {
    for (let i = 0; i < d.length; i++) out[i] = (d[i] as number) / (s[0] as number);
    return like(t, out);
  }
  const axis = 1 - (rank - t.shape.length);
  const C = axis >= 0 ? t.shape[axis] : undefined;
  if ((C === undefined || C === 1) && rank >= 2 && s.length > 1) {
    // The constant is the same for every channel (a scalar or a [W] row, as exporters write
    // `x + 0.5`): broadcast it over the channel axis, so each channel gets c / s_c.
    const full = [...Array<number>(rank - t.shape.length).fill(1), ...t.shape];
    const outer = full[0] as number;
    const inner = full.slice(2).reduce((a, b) => a * b, 1);
    const M = s.length;
    const wide = new Float64Array(outer * M * inner);
    for (let o = 0; o < outer; o++) {
      for (let m = 0; m < M; m++) {
        for (let i = 0; i < inner; i++) wide[(o * M + m) * inner + i] = (d[o * inner + i] as number) / sAt(s, m);
      }
    }
    return like(t, wide, [outer, M, ...full.slice(2)]);
  }
  if (C === undefined || C !== s.length) {
    throw convertError(
      node,
      `constant of shape [${t.shape.join(', ')}] does not vary along the channel axis, which has per-channel scales`,
      'convert with --granularity layer',
    );
  }
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < d.length; i++) out[i] = (d[i] as number) / sAt(s, Math.floor(i / inner) % C);
  return like(t, out);
}
