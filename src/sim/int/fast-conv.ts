// The integer program's convolutions on the float SNN's scatter kernels (WebAssembly SIMD
// when available): the same integer weights, summed in float64 and rounded once to float32.
// That is exact whenever max|x| · max_o Σ|w_o| < 2^24 — every product, partial sum and result
// is then an integer that float64 and float32 hold exactly — which the kernel checks on each
// input, declining (the integer loop runs) when it does not hold. Kept out of kernels.ts so
// that snnc/runtime, which must not need WebAssembly, does not pull it in.
import type { ConvKernel } from './kernels.js';
import type { IntLayer } from './program.js';
import { convPlan, scatterRun } from '../snn/scatter.js';

/** 2^24: below it every integer is a float32. */
const F32_EXACT = 16777216;

export function scatterConv(layer: IntLayer): ConvKernel | undefined {
  const g = layer.geometry;
  if (layer.kind !== 'conv' || g === undefined) return undefined;
  const [C, H, W] = layer.inShape as [number, number, number];
  const [O, OH, OW] = layer.outShape as [number, number, number];
  const w = layer.weights;
  const per = w.length / O;
  let absRow = 0;
  for (let o = 0; o < O; o++) {
    let a = 0;
    for (let i = o * per; i < (o + 1) * per; i++) a += Math.abs(w[i] as number);
    absRow = Math.max(absRow, a);
  }
  const plan = convPlan(C, { H, W, OH, OW, KH: g.kernel[0], KW: g.kernel[1], s: g.strides, d: g.dilations, pb: [g.pads[0], g.pads[1]] }, O, g.group, w);
  const shape = [1, C, H, W];
  return (x, I) => {
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] as number));
    if (m * absRow >= F32_EXACT) return false;
    const out = scatterRun(plan, { dtype: 'float32', shape, data: Float32Array.from(x) }).data as Float32Array;
    for (let i = 0; i < I.length; i++) I[i] = (I[i] as number) + (out[i] as number);
    return true;
  };
}
