// ReduceMax, ReduceSum, ReduceMean and Softmax. Reductions of number dtypes accumulate in a
// Float64Array and store once at the end (so float32 sums are not rounded per step);
// 64-bit integers accumulate as bigint and wrap on store. Softmax subtracts the max
// along the axis before exponentiating, so large inputs do not overflow.
import type { DType, Node, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import { normalizeAxis, reduceShape } from '../../ir/shape-utils.js';
import type { BigData, FloatData, Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, dtypeErr, isBigData, product, readInts, req, roundHalfInPlace, scratch64, stridesOf, view } from './kernel.js';

const INT_MIN: Partial<Record<DType, number>> = { int8: -128, int16: -32768, int32: -2147483648, uint8: 0, uint16: 0, uint32: 0, bool: 0 };

function reduce(node: Node, inputs: readonly (Tensor | undefined)[], ctx: RunCtx, isMax: boolean, keepdims: boolean, noop: boolean, mean = false): Tensor {
  const x = req(node, inputs, 0);
  if (!isMax && x.dtype === 'bool') throw dtypeErr(node, x, 'input');
  const axesT = inputs[1];
  const axes = axesT === undefined ? undefined : readInts(node, axesT, 'axes');
  if ((axes === undefined || axes.length === 0) && noop) return view(x, x.shape);
  const r = x.shape.length;
  const outShape = reduceShape(x.shape, axes, keepdims, noop, node.name);
  const reduced = new Set(axes === undefined || axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => normalizeAxis(a, r, node.name)));
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const ks = stridesOf(keptShape);
  // Output offset step per input axis: 0 along reduced axes.
  const ostep = x.shape.map((_, i) => (reduced.has(i) ? 0 : (ks[i] as number)));
  const y = alloc(node, x.dtype, outShape, ctx);
  const m = y.data.length;
  const n = x.data.length;
  const rowLen = r > 0 ? (x.shape[r - 1] as number) : 1;
  const inner = r > 0 ? (ostep[r - 1] as number) : 0;
  const idx = new Array<number>(r).fill(0);
  const walk = (row: (i0: number, o0: number) => void): void => {
    let off = 0;
    for (let i0 = 0; i0 < n; i0 += rowLen) {
      row(i0, off);
      for (let d = r - 2; d >= 0; d--) {
        if ((idx[d] as number) + 1 < (x.shape[d] as number)) {
          idx[d] = (idx[d] as number) + 1;
          off += ostep[d] as number;
          break;
        }
        off -= (ostep[d] as number) * (idx[d] as number);
        idx[d] = 0;
      }
    }
  };
  if (isBigData(x.data)) {
    const xd = x.data;
    const yd = y.data as BigData;
    const init = isMax ? (x.dtype === 'int64' ? -(2n ** 63n) : 0n) : 0n;
    yd.fill(init);
    walk((i0, o0) => {
      for (let t = 0; t < rowLen; t++) {
        const o = o0 + t * inner;
        const v = xd[i0 + t] as bigint;
        if (isMax) {
          if (v > (yd[o] as bigint)) yd[o] = v;
        } else yd[o] = (yd[o] as bigint) + v;
      }
    });
    if (mean && m > 0) {
      const cnt = BigInt(n / m);
      for (let i = 0; i < m; i++) yd[i] = (yd[i] as bigint) / cnt;
    }
    return y;
  }
  const xd = x.data as NumData;
  const acc = scratch64(node, m, ctx);
  if (isMax) acc.fill(-Infinity);
  walk((i0, o0) => {
    if (isMax) {
      for (let t = 0; t < rowLen; t++) {
        const o = o0 + t * inner;
        const v = xd[i0 + t] as number;
        if (v > (acc[o] as number) || v !== v) acc[o] = v;
      }
    } else {
      for (let t = 0; t < rowLen; t++) acc[o0 + t * inner] = (acc[o0 + t * inner] as number) + (xd[i0 + t] as number);
    }
  });
  const yd = y.data as NumData;
  const lowest = isFloat(x.dtype) ? -Infinity : (INT_MIN[x.dtype] ?? 0);
  // Mean: the sum over the reduced elements divided by their count (integers truncate, as ORT).
  const div = mean && m > 0 ? n / m : 1;
  for (let i = 0; i < m; i++) {
    const v = div === 1 ? (acc[i] as number) : (acc[i] as number) / div;
    yd[i] = v === -Infinity && isMax ? lowest : v;
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return y;
}

export const reduceMax: Kernel<'ReduceMax'> = (node, inputs, ctx) => [reduce(node, inputs, ctx, true, node.attrs.keepdims, node.attrs.noopWithEmptyAxes)];
export const reduceSum: Kernel<'ReduceSum'> = (node, inputs, ctx) => [reduce(node, inputs, ctx, false, node.attrs.keepdims, node.attrs.noopWithEmptyAxes)];
export const reduceMean: Kernel<'ReduceMean'> = (node, inputs, ctx) => [
  reduce(node, inputs, ctx, false, node.attrs.keepdims, node.attrs.noopWithEmptyAxes, true),
];

export const softmax: Kernel<'Softmax'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (!isFloat(x.dtype)) throw dtypeErr(node, x, 'input');
  const r = x.shape.length;
  const y = alloc(node, x.dtype, x.shape, ctx);
  if (r === 0) {
    (y.data as FloatData)[0] = 1;
    return [y];
  }
  const axis = normalizeAxis(node.attrs.axis, r, node.name);
  const outer = product(x.shape.slice(0, axis));
  const len = x.shape[axis] as number;
  const inner = product(x.shape.slice(axis + 1));
  const xd = x.data as FloatData;
  const yd = y.data as FloatData;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      const end = base + len * inner;
      let mx = -Infinity;
      for (let p = base; p < end; p += inner) {
        const v = xd[p] as number;
        if (v > mx) mx = v;
      }
      let sum = 0;
      for (let p = base; p < end; p += inner) {
        const e = Math.exp((xd[p] as number) - mx);
        yd[p] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let p = base; p < end; p += inner) yd[p] = (yd[p] as number) * inv;
    }
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return [y];
};
