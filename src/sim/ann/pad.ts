// Pad with constant / reflect / edge / wrap modes, negative pads (cropping) and the
// optional axes input, for every dtype. Each output coordinate along an axis maps
// to source coordinate i - pad_begin, folded back into the input by the mode (or -1
// for the constant); per-axis maps are built once, then the output is walked row
// by row. Folding is periodic, so pads wider than the input behave like numpy.pad.
import type { PadMode } from '../../ir/types.js';
import { normalizeAxes, padShape } from '../../ir/shape-utils.js';
import type { Kernel } from './kernel.js';
import { alloc, dtypeErr, elems, isBigData, readInts, readScalar, req, shapeErr, stridesOf } from './kernel.js';

function sourceIndex(mode: PadMode, s: number, n: number): number {
  if (s >= 0 && s < n) return s;
  if (mode === 'constant' || n === 0) return -1;
  if (mode === 'edge') return s < 0 ? 0 : n - 1;
  if (mode === 'wrap') return ((s % n) + n) % n;
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  const m = ((s % p) + p) % p;
  return m < n ? m : p - m;
}

export const pad: Kernel<'Pad'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const pads = readInts(node, req(node, inputs, 1), 'pads');
  const cvT = inputs[2];
  const axesT = inputs[3];
  const r = x.shape.length;
  const axes = axesT === undefined ? x.shape.map((_, i) => i) : normalizeAxes(readInts(node, axesT, 'axes'), r, node.name);
  const outShape = padShape(x.shape, pads, axes, node.name);
  const mode = node.attrs.mode;
  const begin = new Array<number>(r).fill(0);
  axes.forEach((a, k) => {
    begin[a] = pads[k] as number;
  });
  if (mode !== 'constant') {
    axes.forEach((a) => {
      if ((x.shape[a] as number) === 0 && (outShape[a] as number) > 0) {
        throw shapeErr(node, `${mode} padding of an empty axis ${a} has nothing to copy`);
      }
    });
  }
  let cv: number | bigint = isBigData(x.data) ? 0n : 0;
  if (cvT !== undefined && mode === 'constant') {
    if (cvT.dtype !== x.dtype) throw dtypeErr(node, cvT, 'constant_value');
    cv = readScalar(node, cvT, 'constant_value');
  }
  const y = alloc(node, x.dtype, outShape, ctx);
  const total = y.data.length;
  if (total === 0) return [y];
  const maps = outShape.map((d, a) => {
    const m = new Int32Array(d);
    for (let i = 0; i < d; i++) m[i] = sourceIndex(mode, i - (begin[a] as number), x.shape[a] as number);
    return m;
  });
  const xs = stridesOf(x.shape);
  const xd = elems(x.data);
  const yd = elems(y.data);
  if (r === 0) {
    yd[0] = xd[0] as number;
    return [y];
  }
  const last = r - 1;
  const rowLen = outShape[last] as number;
  const lastMap = maps[last] as Int32Array;
  const lastStride = xs[last] as number;
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < total; o += rowLen) {
    // Source offset of this row, or -1 when an outer coordinate lands in constant padding.
    let base = 0;
    for (let d = 0; d < last; d++) {
      const s = (maps[d] as Int32Array)[idx[d] as number] as number;
      if (s < 0) {
        base = -1;
        break;
      }
      base += s * (xs[d] as number);
    }
    for (let t = 0; t < rowLen; t++) {
      const s = lastMap[t] as number;
      yd[o + t] = base < 0 || s < 0 ? (cv as number) : (xd[base + s * lastStride] as number);
    }
    for (let d = last - 1; d >= 0; d--) {
      if ((idx[d] as number) + 1 < (outShape[d] as number)) {
        idx[d] = (idx[d] as number) + 1;
        break;
      }
      idx[d] = 0;
    }
  }
  return [y];
};
