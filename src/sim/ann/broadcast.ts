// Numpy broadcasting as a row plan: the output is cut into rows (the innermost run of
// dims that every input walks with one constant stride), and each input gets the
// start offset of every row. Kernels then run one tight loop per row with a switch
// on the op outside it — no per-element index math, calls or allocations.
import { broadcastAll } from '../../ir/shape-utils.js';
import type { Node } from '../../ir/types.js';
import type { RunCtx } from './kernel.js';
import { shapeSize } from '../../ir/dtype.js';

export interface RowPlan {
  readonly outShape: readonly number[];
  readonly size: number;
  readonly rows: number;
  readonly rowLen: number;
  /** Per input: element stride inside a row (0 when broadcast along it). */
  readonly inner: readonly number[];
  /** Per input: offset of each row's first element. */
  readonly starts: readonly Float64Array[];
}

export function planBroadcast(node: Node, shapes: readonly (readonly number[])[], ctx: RunCtx): RowPlan {
  const outShape = broadcastAll(shapes, node.name);
  const size = shapeSize(outShape, ctx.limit, { node: node.name });
  const r = outShape.length;
  // Strides of each input aligned to the output rank; 0 where the input is broadcast.
  const strides = shapes.map((s) => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const d = s[i] as number;
      if (d !== 1) st[r - s.length + i] = acc;
      acc *= d;
    }
    return st;
  });
  // Drop size-1 output dims, then merge neighbours that every input walks contiguously.
  const dims: number[] = [];
  const ds: number[][] = shapes.map(() => []);
  for (let i = 0; i < r; i++) {
    const d = outShape[i] as number;
    if (d === 1) continue;
    const k = dims.length - 1;
    const mergeable = k >= 0 && strides.every((st, j) => (ds[j] as number[])[k] === (st[i] as number) * d);
    if (mergeable) {
      dims[k] = (dims[k] as number) * d;
      strides.forEach((st, j) => {
        (ds[j] as number[])[k] = st[i] as number;
      });
    } else {
      dims.push(d);
      strides.forEach((st, j) => {
        (ds[j] as number[]).push(st[i] as number);
      });
    }
  }
  const rowLen = dims.length > 0 ? (dims[dims.length - 1] as number) : 1;
  const rows = rowLen === 0 ? 0 : size / rowLen;
  const inner = ds.map((s) => (s.length > 0 ? (s[s.length - 1] as number) : 0));
  const outer = dims.slice(0, -1);
  const starts = ds.map((s) => rowStarts(outer, s.slice(0, -1), rows));
  return { outShape, size, rows, rowLen, inner, starts };
}

/** Offsets of every row for one input, by an odometer over the outer dims. */
function rowStarts(outer: readonly number[], strides: readonly number[], rows: number): Float64Array {
  const out = new Float64Array(rows);
  const idx = new Array<number>(outer.length).fill(0);
  let off = 0;
  for (let rI = 0; rI < rows; rI++) {
    out[rI] = off;
    for (let d = outer.length - 1; d >= 0; d--) {
      const st = strides[d] as number;
      if ((idx[d] as number) + 1 < (outer[d] as number)) {
        idx[d] = (idx[d] as number) + 1;
        off += st;
        break;
      }
      off -= st * (idx[d] as number);
      idx[d] = 0;
    }
  }
  return out;
}
