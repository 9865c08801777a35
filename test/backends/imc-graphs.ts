// Small converted graphs and target helpers for the IMC backend tests.
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs } from '../../src/ir/build.js';
import type { Graph, NeuronAttrs, Tensor } from '../../src/ir/types.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { ImcTarget } from '../../src/costmodel/target.js';

const CONV_IF: NeuronAttrs = { reset: 'subtract', vInit: 0.5, fire: 'ge', refractory: 0 };
const META = { 'snnc.kind': 'snn', 'snnc.coding': 'direct', 'snnc.readout': 'membrane' };

export function hpadc(): ImcTarget {
  return loadTarget('imc-hpadc') as ImcTarget;
}
export function adcless(): ImcTarget {
  return loadTarget('imc-adcless') as ImcTarget;
}

export function f32(shape: readonly number[], data: readonly number[] | Float32Array): Tensor {
  return { dtype: 'float32', shape: [...shape], data: Float32Array.from(data) };
}

/** Deterministic pseudo-random values in [lo, hi) (a plain LCG; test data only). */
export function lcg(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((hi - lo) * s) / 4294967296);
  }
  return out;
}

/** A single dense layer K → O (weights [O, K], transB) followed by IF; for mapping tests. */
export function denseOnly(K: number, O: number): Graph {
  return buildGraph({
    name: 'dense',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', K] }],
    initializers: { w: f32([O, K], lcg(K * O, 1)), b: f32([O], new Array<number>(O).fill(0)), th: f32([], [1]) },
    nodes: [
      { op: 'Gemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['h'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if', inputs: ['h', 'th'], outputs: ['s'], attrs: CONV_IF },
    ],
    outputs: ['s'],
    meta: META,
  });
}

/** A conv layer Cin → Cout, k×k, on H×W, with group g; for mapping tests. */
export function convOnly(cin: number, cout: number, k: number, H: number, group = 1): Graph {
  return buildGraph({
    name: 'conv',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', cin, H, H] }],
    initializers: { w: f32([cout, cin / group, k, k], lcg((cout * cin * k * k) / group, 2)), th: f32([], [1]) },
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w', ''], outputs: ['h'], attrs: convAttrs({ kernelShape: [k, k], group }) },
      { op: 'IF', name: 'if', inputs: ['h', 'th'], outputs: ['s'], attrs: CONV_IF },
    ],
    outputs: ['s'],
    meta: META,
  });
}

/** Analog input 20 → Gemm 12 + IF (per-feature θ) → Gemm 3 readout (with bias). */
export function mlp(): Graph {
  return buildGraph({
    name: 'mlp',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 20] }],
    initializers: {
      w1: f32([12, 20], lcg(240, 11, -0.3, 0.5)),
      b1: f32([12], lcg(12, 12, -0.05, 0.1)),
      th1: f32([12], lcg(12, 13, 0.6, 1.2)),
      w2: f32([12, 3], lcg(36, 14, -1, 1)),
      b2: f32([3], [0.01, -0.02, 0.03]),
    },
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h1'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if1', inputs: ['h1', 'th1'], outputs: ['s1'], attrs: CONV_IF },
      { op: 'Gemm', name: 'fc2', inputs: ['s1', 'w2', 'b2'], outputs: ['y'], attrs: gemmAttrs() },
    ],
    outputs: ['y'],
    meta: META,
  });
}

/** 1×6×6 → Conv 1→3 3×3 pad 1 + IF → AvgPool 2 → Flatten → Gemm 27→4 readout. */
export function convNet(): Graph {
  return buildGraph({
    name: 'convnet',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }],
    initializers: {
      wc: f32([3, 1, 3, 3], lcg(27, 21, -0.4, 0.6)),
      bc: f32([3], [0.05, -0.02, 0]),
      thc: f32([3, 1, 1], [0.8, 1.0, 0.6]),
      wf: f32([4, 27], lcg(108, 22, -1, 1)),
      bf: f32([4], [0, 0.1, -0.1, 0]),
    },
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'wc', 'bc'], outputs: ['hc'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'IF', name: 'ifc', inputs: ['hc', 'thc'], outputs: ['sc'], attrs: CONV_IF },
      { op: 'AveragePool', name: 'pool', inputs: ['sc'], outputs: ['p'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
    meta: META,
  });
}

/** A conv fed by spikes: strided, grouped and padded (the reads the batched path scatters spikes into). */
export function spikingConvNet(): Graph {
  return buildGraph({
    name: 'spiking-convnet',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 7, 7] }],
    initializers: {
      w1: f32([3, 1, 3, 3], lcg(27, 31, -0.4, 0.6)),
      b1: f32([3], [0.05, -0.02, 0]),
      th1: f32([3, 1, 1], [0.8, 1.0, 0.6]),
      w2: f32([6, 1, 3, 3], lcg(54, 32, -0.6, 0.8)),
      b2: f32([6], [0, 0.1, -0.1, 0, 0.05, 0]),
      th2: f32([6, 1, 1], [0.7, 0.9, 0.6, 1.1, 0.8, 0.5]),
      wf: f32([4, 96], lcg(384, 33, -1, 1)),
      bf: f32([4], [0, 0.1, -0.1, 0]),
    },
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['h1'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'IF', name: 'if1', inputs: ['h1', 'th1'], outputs: ['s1'], attrs: CONV_IF },
      {
        op: 'Conv',
        name: 'conv2',
        inputs: ['s1', 'w2', 'b2'],
        outputs: ['h2'],
        attrs: convAttrs({ kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 3 }),
      },
      { op: 'IF', name: 'if2', inputs: ['h2', 'th2'], outputs: ['s2'], attrs: CONV_IF },
      { op: 'Flatten', name: 'flat', inputs: ['s2'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
    meta: META,
  });
}
