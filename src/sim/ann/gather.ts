// Shape and Gather: what exporters emit to compute a reshape target at run time
// (x.view(x.size(0), -1) becomes Shape → Gather → Unsqueeze → Concat → Reshape).
// canonicalize folds such chains away when it can; these kernels run them when it cannot.
import { normalizeAxis, shapeSlice } from '../../ir/shape-utils.js';
import type { Kernel } from './kernel.js';
import { alloc, copyRange, product, req, shapeErr } from './kernel.js';

export const shape: Kernel<'Shape'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const [start, end] = shapeSlice(x.shape.length, node.attrs.start, node.attrs.end);
  const dims = x.shape.slice(start, Math.max(start, end));
  const y = alloc(node, 'int64', [dims.length], ctx);
  dims.forEach((d, i) => {
    (y.data as BigInt64Array)[i] = BigInt(d);
  });
  return [y];
};

export const gather: Kernel<'Gather'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const ind = req(node, inputs, 1);
  const axis = normalizeAxis(node.attrs.axis, x.shape.length, node.name);
  const n = x.shape[axis] as number;
  const idx = Array.from(ind.data as ArrayLike<number | bigint>, Number).map((i) => {
    if (i < -n || i >= n) throw shapeErr(node, `index ${i} is out of range for axis ${axis} of size ${n}`);
    return i < 0 ? i + n : i;
  });
  const outer = product(x.shape.slice(0, axis));
  const inner = product(x.shape.slice(axis + 1));
  const y = alloc(node, x.dtype, [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)], ctx);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const i of idx) {
      const from = (a * n + i) * inner;
      copyRange(y.data, o, x.data, from, from + inner);
      o += inner;
    }
  }
  return [y];
};
