// `quantize --scheme ann-first`: the ANN's Conv/Gemm/MatMul weights rounded to the widths the
// hardware will hold (per output channel, the same rounding as the integer program), so that
// calibration and conversion see those weights.
import type { Graph, Tensor } from '../ir/types.js';
import type { QuantizeSettings } from './quantize-config.js';
import { bitsFor, quantizeSymmetric, rounder } from './quantize-config.js';

/** The ANN with every constant Conv/Gemm/MatMul weight rounded to its layer's width. */
export function fakeQuantizeAnn(g: Graph, s: QuantizeSettings): Graph {
  const inits = new Map(g.initializers);
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
    const name = n.inputs[1] as string;
    const t = inits.get(name);
    if (t === undefined || t.dtype !== 'float32' || t.shape.length < 2) continue;
    const bits = bitsFor(s, [n.name]).w;
    const colMajor = n.op === 'MatMul' || (n.op === 'Gemm' && !n.attrs.transB);
    const [r0, r1] = t.shape as [number, number];
    const d = t.data as Float32Array;
    // Rows = output channels; a [I, O] matrix is quantized column-wise through a transpose.
    const rows = colMajor ? Float64Array.from({ length: d.length }, (_, k) => d[(k % r0) * r1 + Math.floor(k / r0)] as number) : Float64Array.from(d);
    const O = colMajor ? r1 : (t.shape[0] as number);
    const { q, scale } = quantizeSymmetric(rows, O, bits, rounder(s.rounding ?? 'nearest', s.seed ?? 0, `${n.name}/ann`), s.pow2 === true);
    const per = d.length / O;
    const out = new Float32Array(d.length);
    for (let k = 0; k < d.length; k++) {
      const o = Math.floor(k / per);
      const v = (q[k] as number) * (scale[o] as number);
      if (colMajor) out[(k % per) * r1 + o] = v;
      else out[k] = v;
    }
    const qt: Tensor = { ...t, data: out };
    inits.set(name, qt);
  }
  return { ...g, initializers: inits };
}
