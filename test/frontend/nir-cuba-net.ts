// The network in nir.write's layout: Conv2d → CubaLIF → SumPool2d → Flatten → Affine →
// CubaLIF on a 1×4×4 input, seeded weights on a 1/16 grid (every synaptic sum exact in float32).
import type { HandNode } from './nir-helpers.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface Net {
  readonly conv: { w: number[]; b: number[] };
  readonly fc: { w: number[]; b: number[] };
  readonly l1: { tauSyn: number; tauMem: number; r: number; th: number };
  readonly l2: { tauSyn: number; tauMem: number; r: number; th: number };
}

export function makeNet(): Net {
  const rnd = lcg(7);
  // Multiples of 1/16: every synaptic sum is exact in float32, so only the neuron arithmetic can differ.
  const q = (scale: number): number => Math.round((rnd() * 2 - 1) * scale * 16) / 16;
  return {
    conv: { w: Array.from({ length: 2 * 1 * 3 * 3 }, () => q(1)), b: [0.125, -0.0625] },
    fc: { w: Array.from({ length: 3 * 8 }, () => Math.round((rnd() * 1.5 - 0.4) * 16) / 16), b: [0.25, 0, -0.125] },
    l1: { tauSyn: 3e-4, tauMem: 8e-4, r: 12, th: 0.9 },
    l2: { tauSyn: 4e-4, tauMem: 1e-3, r: 30, th: 1.1 },
  };
}

function cuba(n: Net['l1'], count: number): Record<string, { f32: number[] }> {
  const fill = (v: number): { f32: number[] } => ({ f32: new Array<number>(count).fill(v) });
  return { tau_syn: fill(n.tauSyn), tau_mem: fill(n.tauMem), r: fill(n.r), v_leak: fill(0), v_threshold: fill(n.th), v_reset: fill(0), w_in: fill(1) };
}

export function fileOf(net: Net): { nodes: Record<string, HandNode>; edges: [string, string][] } {
  return {
    nodes: {
      input: { type: 'Input', fields: { shape: { i64: [1, 4, 4] } } },
      conv: {
        type: 'Conv2d',
        fields: {
          weight: { f32: net.conv.w, shape: [2, 1, 3, 3] },
          bias: { f32: net.conv.b },
          stride: { i64: [1, 1] },
          padding: { i64: [1, 1] },
          dilation: { i64: [1, 1] },
          groups: { i64: [1], shape: [] },
          input_shape: { i64: [4, 4] },
        },
      },
      lif1: { type: 'CubaLIF', fields: Object.fromEntries(Object.entries(cuba(net.l1, 32)).map(([k, v]) => [k, { ...v, shape: [2, 4, 4] }])) },
      pool: { type: 'SumPool2d', fields: { kernel_size: { i64: [2, 2] }, stride: { i64: [2, 2] }, padding: { i64: [0, 0] } } },
      flat: { type: 'Flatten', fields: { start_dim: { i64: [0], shape: [] }, end_dim: { i64: [-1], shape: [] }, input_type: { i64: [2, 2, 2] } } },
      fc: { type: 'Affine', fields: { weight: { f32: net.fc.w, shape: [3, 8] }, bias: { f32: net.fc.b } } },
      lif2: { type: 'CubaLIF', fields: cuba(net.l2, 3) },
      output: { type: 'Output', fields: { shape: { i64: [3] } } },
    },
    edges: [
      ['input', 'conv'],
      ['conv', 'lif1'],
      ['lif1', 'pool'],
      ['pool', 'flat'],
      ['flat', 'fc'],
      ['fc', 'lif2'],
      ['lif2', 'output'],
    ],
  };
}
