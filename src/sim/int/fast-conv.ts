// The integer program's convolutions, sum pools and dense layers on the float SNN's scatter
// plans, run by the WebAssembly SIMD kernels' integer variants (int32 weights, inputs and
// sums: exact, since int32 arithmetic wraps alike in any order, as the integer loop's
// Int32Array stores do), and its neuron steps on the WebAssembly integer neuron kernel (the
// same int32 operations as neuron.ts, four neurons at a time). Where WebAssembly SIMD is
// missing the kernels decline and kernels.ts's integer loops run. Kept out of kernels.ts so
// that snnc/runtime, which must not need WebAssembly, does not pull it in.
import type { Accelerator, ConvKernel, NeuronKernel } from './kernels.js';
import { stepNeuron } from './neuron.js';
import type { ConvGeometry, IntLayer } from './program.js';
import { elements } from './program.js';
import { convPlan, rowsPlan } from '../snn/scatter.js';
import { scatterAddInt, stepIntNeuronsWasm } from '../snn/wasm/scatter.js';
import type { IntNeuronLayer, WasmConv, WasmRows } from '../snn/wasm/scatter.js';

/** The kernel for a conv or dense layer (simulate.ts's accelerator), or undefined. */
function scatterLayer(layer: IntLayer): ConvKernel | undefined {
  return layer.kind === 'dense' ? scatterDense(layer) : scatterConv(layer);
}

/**
 * I += the plan's sums for `count` inputs x (back to back) in int32 (wasm/scatter.ts's scatterAddInt: exact, as int32
 * wraps alike in any order), when the weights are integers float32 holds (|w| < 2^24, which
 * the ≤ 16-bit weights of a program are); else false, and the integer loop runs.
 */
function exactKernel(plan: WasmConv | WasmRows, w: ArrayLike<number>): ConvKernel {
  let ok = true;
  for (let i = 0; i < w.length; i++) if (Math.abs(w[i] as number) >= 2 ** 24) ok = false;
  return (x, I, count) => ok && scatterAddInt(plan, x, I, count);
}

/**
 * A dense layer [O, I] (row-major int weights) as rows of its transpose: input i adds row i.
 * Worth it for the wide layers of a LeNet (1600 → 120: a spike adds 120 values, four to a
 * SIMD lane group). Also the Loihi simulation's dense layers (backends/loihi/cuba.ts).
 */
export function denseKernel(O: number, I: number, w: ArrayLike<number>): ConvKernel {
  const wt = new Float32Array(O * I);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wt[i * O + o] = w[o * I + i] as number;
  return exactKernel(rowsPlan(I, O, wt), w);
}

/** A conv of int weights [O, C/group, KH, KW] (a correlation) over [C, H, W] → [O, OH, OW]; also the Loihi simulation's. */
export function convKernel(inShape: readonly number[], outShape: readonly number[], g: ConvGeometry, w: ArrayLike<number>): ConvKernel {
  const [C, H, W] = inShape as [number, number, number];
  const [O, OH, OW] = outShape as [number, number, number];
  const plan = convPlan(C, { H, W, OH, OW, KH: g.kernel[0], KW: g.kernel[1], s: g.strides, d: g.dilations, pb: [g.pads[0], g.pads[1]] }, O, g.group, w);
  return exactKernel(plan, w);
}

function scatterDense(layer: IntLayer): ConvKernel {
  const [O, I] = layer.weightShape as [number, number];
  return denseKernel(O, I, layer.weights);
}

function scatterConv(layer: IntLayer): ConvKernel | undefined {
  const g = layer.geometry;
  if ((layer.kind !== 'conv' && layer.kind !== 'sum-pool') || g === undefined) return undefined;
  const C = layer.inShape[0] as number;
  // A sum pool is a depthwise conv of ones.
  if (layer.kind === 'sum-pool') return convKernel(layer.inShape, layer.outShape, { ...g, group: C }, new Int32Array(C * g.kernel[0] * g.kernel[1]).fill(1));
  return convKernel(layer.inShape, layer.outShape, g, layer.weights);
}

/**
 * A neuron layer's step in WebAssembly (wasm/scatter.ts's stepIntNeuronsWasm), for neurons
 * without refractory period or synaptic current (the others keep neuron.ts's loop).
 */
function wasmNeuron(layer: IntLayer): NeuronKernel | undefined {
  const n = layer.neuron;
  if (n === null || n.refractory > 0 || n.currentDecay !== undefined) return undefined;
  const F = elements(layer.outShape);
  const per = F / (layer.outShape[0] as number);
  const flags = {
    ge: n.fire === 'ge',
    subtract: n.reset === 'subtract',
    saturate: n.overflow === 'saturate',
    shift: n.leakShift,
    membraneBits: n.membraneBits,
    vReset: n.vReset,
  };
  // The thresholds of `count` samples back to back, made once per count (a run uses one or two).
  const forCount = new Map<number, IntNeuronLayer>();
  const layerFor = (count: number): IntNeuronLayer => {
    const known = forCount.get(count);
    if (known !== undefined) return known;
    const theta = new Int32Array(Math.ceil((F * count) / 4) * 4).fill(1);
    for (let i = 0; i < F; i++) theta[i] = (n.threshold.length === 1 ? n.threshold[0] : n.threshold[Math.floor(i / per)]) as number;
    for (let b = 1; b < count; b++) theta.copyWithin(b * F, 0, F);
    const k = { ...flags, theta };
    forCount.set(count, k);
    return k;
  };
  return (s, I, out, count) => stepIntNeuronsWasm(layerFor(count), s.v, I, out) ?? stepNeuron(s, I, out);
}

/** The accelerator simulate.ts and the FPGA testbench run the integer program with. */
export const wasmKernels: Accelerator = { affine: scatterLayer, neuron: wasmNeuron };
