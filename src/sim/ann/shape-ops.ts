// Structural ops for every dtype: they only move elements. Flatten, Reshape, Squeeze
// and Unsqueeze return a view of the same data (kernels never write their inputs);
// Transpose and Concat copy. Output shapes come from src/ir/shape-utils, the same
// rules shape inference uses.
import type { Tensor } from '../../ir/types.js';
import { flattenShape, normalizeAxis, reshapeTarget, squeezeShape, transposeShape, unsqueezeShape } from '../../ir/shape-utils.js';
import type { Kernel } from './kernel.js';
import { alloc, copyRange, elems, nodeError, product, readInts, req, shapeErr, stridesOf, view } from './kernel.js';

export const flatten: Kernel<'Flatten'> = (node, inputs) => {
  const x = req(node, inputs, 0);
  return [view(x, flattenShape(x.shape, node.attrs.axis, node.name))];
};

export const reshape: Kernel<'Reshape'> = (node, inputs) => {
  const x = req(node, inputs, 0);
  const spec = readInts(node, req(node, inputs, 1), 'shape');
  const shape = reshapeTarget(x.shape, spec, node.attrs.allowzero, node.name);
  if (product(shape) !== x.data.length) {
    throw shapeErr(node, `cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]: element counts differ`);
  }
  return [view(x, shape)];
};

export const squeeze: Kernel<'Squeeze'> = (node, inputs) => {
  const x = req(node, inputs, 0);
  const axesT = inputs[1];
  const axes = axesT === undefined ? undefined : readInts(node, axesT, 'axes');
  return [view(x, squeezeShape(x.shape, axes, node.name))];
};

export const unsqueeze: Kernel<'Unsqueeze'> = (node, inputs) => {
  const x = req(node, inputs, 0);
  const axes = readInts(node, req(node, inputs, 1), 'axes');
  return [view(x, unsqueezeShape(x.shape, axes, node.name))];
};

export const transpose: Kernel<'Transpose'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const r = x.shape.length;
  const perm = node.attrs.perm ?? x.shape.map((_, i) => r - 1 - i);
  const outShape = transposeShape(x.shape, perm, node.name);
  const y = alloc(node, x.dtype, outShape, ctx);
  const n = x.data.length;
  if (n === 0) return [y];
  if (r === 0) {
    copyRange(y.data, 0, x.data, 0, n);
    return [y];
  }
  const inStrides = stridesOf(x.shape);
  // Source stride of each output axis; walk the output in order with an odometer.
  const src = perm.map((p) => inStrides[p] as number);
  const xd = elems(x.data);
  const yd = elems(y.data);
  const last = r - 1;
  const rowLen = outShape[last] as number;
  const step = src[last] as number;
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += rowLen) {
    let s = off;
    for (let t = 0; t < rowLen; t++, s += step) yd[o + t] = xd[s] as number;
    for (let d = last - 1; d >= 0; d--) {
      if ((idx[d] as number) + 1 < (outShape[d] as number)) {
        idx[d] = (idx[d] as number) + 1;
        off += src[d] as number;
        break;
      }
      off -= (src[d] as number) * (idx[d] as number);
      idx[d] = 0;
    }
  }
  return [y];
};

export const concat: Kernel<'Concat'> = (node, inputs, ctx) => {
  const parts = inputs.map((_, i) => req(node, inputs, i));
  const first = parts[0];
  if (first === undefined) throw shapeErr(node, 'needs at least one input');
  const r = first.shape.length;
  const axis = normalizeAxis(node.attrs.axis, r, node.name);
  let total = 0;
  for (const t of parts) {
    if (t.dtype !== first.dtype) {
      throw nodeError(node, 'SNNC_E_BAD_DTYPE', `inputs have dtypes ${first.dtype} and ${t.dtype}; they must match`, 'insert a Cast');
    }
    if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw shapeErr(node, `input [${t.shape.join(', ')}] does not match [${first.shape.join(', ')}] outside axis ${axis}`);
    }
    total += t.shape[axis] as number;
  }
  const outShape = first.shape.map((d, i) => (i === axis ? total : d));
  const y = alloc(node, first.dtype, outShape, ctx);
  const outer = product(first.shape.slice(0, axis));
  const inner = product(first.shape.slice(axis + 1));
  const rowOut = total * inner;
  let col = 0;
  for (const t of parts as Tensor[]) {
    const chunk = (t.shape[axis] as number) * inner;
    for (let o = 0; o < outer; o++) copyRange(y.data, o * rowOut + col, t.data, o * chunk, (o + 1) * chunk);
    col += chunk;
  }
  return [y];
};
