// The integer program's convolutions and dense layers on the float SNN's scatter kernels
// (WebAssembly SIMD when available): the same integer weights, summed in float64 and rounded
// once to float32.
// That is exact whenever max|x| · max_o Σ|w_o| < 2^24 — every product, partial sum and result
// is then an integer that float64 and float32 hold exactly — which the kernel checks on each
// input, declining (the integer loop runs) when it does not hold. Kept out of kernels.ts so
// that snnc/runtime, which must not need WebAssembly, does not pull it in.
import type { ConvKernel } from './kernels.js';
import type { IntLayer } from './program.js';
import { convPlan, rowsPlan, scatterRun } from '../snn/scatter.js';
import type { ScatterPlan } from '../snn/scatter.js';

/** 2^24: below it every integer is a float32. */
const F32_EXACT = 16777216;

/** x into the float32 buffer `xf` (same length; a kernel's own, reused); returns max|x|. */
function asFloats(x: Int32Array, xf: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    xf[i] = v;
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  return m;
}

/** The kernel for a conv or dense layer (simulate.ts's accelerator), or undefined. */
export function scatterLayer(layer: IntLayer): ConvKernel | undefined {
  return layer.kind === 'dense' ? scatterDense(layer) : scatterConv(layer);
}

/** The largest Σ|w| over the O output rows of w (row-major [O][…]). */
function maxAbsRow(w: ArrayLike<number>, O: number): number {
  const per = w.length / O;
  let absRow = 0;
  for (let o = 0; o < O; o++) {
    let a = 0;
    for (let i = o * per; i < (o + 1) * per; i++) a += Math.abs(w[i] as number);
    absRow = Math.max(absRow, a);
  }
  return absRow;
}

/** I += the plan's sums for x, when they are exact in float32 (max|x| · absRow < 2^24); else false. */
function exactKernel(plan: ScatterPlan, shape: readonly number[], absRow: number): ConvKernel {
  const xf = new Float32Array(shape.reduce((a, b) => a * b, 1));
  return (x, I) => {
    if (asFloats(x, xf) * absRow >= F32_EXACT) return false;
    const out = scatterRun(plan, { dtype: 'float32', shape, data: xf }).data as Float32Array;
    for (let i = 0; i < I.length; i++) I[i] = (I[i] as number) + (out[i] as number);
    return true;
  };
}

/**
 * A dense layer [O, I] as rows of its transpose: input i adds row i. Worth it for the wide
 * layers of a LeNet (1600 → 120: a spike adds 120 values, four to a SIMD lane group).
 */
function scatterDense(layer: IntLayer): ConvKernel {
  const [O, I] = layer.weightShape as [number, number];
  const w = layer.weights;
  const wt = new Float32Array(O * I);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wt[i * O + o] = w[o * I + i] as number;
  return exactKernel(rowsPlan(I, O, wt), [1, I], maxAbsRow(w, O));
}

function scatterConv(layer: IntLayer): ConvKernel | undefined {
  const g = layer.geometry;
  if (layer.kind !== 'conv' || g === undefined) return undefined;
  const [C, H, W] = layer.inShape as [number, number, number];
  const [O, OH, OW] = layer.outShape as [number, number, number];
  const w = layer.weights;
  const plan = convPlan(C, { H, W, OH, OW, KH: g.kernel[0], KW: g.kernel[1], s: g.strides, d: g.dilations, pb: [g.pads[0], g.pads[1]] }, O, g.group, w);
  return exactKernel(plan, [1, C, H, W], maxAbsRow(w, O));
}
