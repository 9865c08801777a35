// Hand-made converted graphs for the Loihi backend tests.
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs, windowAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph, NeuronAttrs, Tensor } from '../../src/ir/types.js';

/** Loihi-native neuron semantics (no warnings expected). */
export const LOIHI_IF: NeuronAttrs = { reset: 'zero', vInit: 0, fire: 'gt', refractory: 0 };

export function f32(shape: readonly number[], data: readonly number[]): Tensor {
  return { dtype: 'float32', shape: [...shape], data: Float32Array.from(data) };
}

const META = { 'snnc.kind': 'snn', 'snnc.coding': 'direct', 'snnc.readout': 'membrane' };

/** dense 4→3 with IF (per-channel θ = [1, 2, 0.5]), readout dense 3→2 with bias. */
export function twoLayer(neuron: NeuronAttrs = LOIHI_IF): Graph {
  return buildGraph({
    name: 'two-layer',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
    initializers: {
      w1: f32([3, 4], [0.5, -0.25, 1.0, 0.0, 0.2, 0.4, -0.6, 0.8, -1.0, 0.5, 0.25, 0.125]),
      b1: f32([3], [0.1, 0, -0.2]),
      th1: f32([3], [1, 2, 0.5]),
      w2: f32([2, 3], [1, -0.5, 0.25, -0.75, 0.5, 1]),
      b2: f32([2], [0.5, -0.25]),
    },
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h1'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if1', inputs: ['h1', 'th1'], outputs: ['s1'], attrs: neuron },
      { op: 'Gemm', name: 'fc2', inputs: ['s1', 'w2', 'b2'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
    meta: META,
  });
}

/** conv 1→2 (3×3, pad 1) + IF → avgpool 2×2 → flatten → dense 18→3 readout, on 1×6×6. */
export function convNet(extra: { pool?: 'avg' | 'spikemax' } = {}): Graph {
  const k = [
    // channel 0: asymmetric, to pin the kernel orientation
    0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
    // channel 1
    -0.5, 0, 0.5, -0.25, 0, 0.25, 0, 0, 1,
  ];
  const w2 = Array.from({ length: 3 * 18 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);
  const pool: NodeSpec =
    extra.pool === 'spikemax'
      ? {
          op: 'SpikeMaxPool',
          name: 'pool1',
          inputs: ['s1'],
          outputs: ['p1'],
          attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false },
        }
      : { op: 'AveragePool', name: 'pool1', inputs: ['s1'], outputs: ['p1'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) };
  return buildGraph({
    name: 'conv-net',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }],
    initializers: {
      wc: f32([2, 1, 3, 3], k),
      bc: f32([2], [0.05, -0.1]),
      thc: f32([2, 1, 1], [1.5, 0.75]),
      w2: f32([18, 3], w2),
      b2: f32([3], [0, 0, 0]),
    },
    nodes: [
      { op: 'Conv', name: 'conv1', inputs: ['x', 'wc', 'bc'], outputs: ['c1'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'IF', name: 'if1', inputs: ['c1', 'thc'], outputs: ['s1'], attrs: LOIHI_IF },
      pool,
      { op: 'Flatten', name: 'flat', inputs: ['p1'], outputs: ['f1'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['f1', 'w2', 'b2'], outputs: ['y'], attrs: gemmAttrs() },
    ],
    outputs: ['y'],
    meta: META,
  });
}
