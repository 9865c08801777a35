// The integer program's convolutions on the float SNN's scatter kernels (fast-conv.ts) must
// give the integer loop's sums exactly, for any geometry (groups, strides, padding, dilation)
// and input (spikes, multi-bit codes, negative values), and decline where float32 could round.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IntLayer } from '../../src/sim/int/program.js';
import { convAdd, prepare } from '../../src/sim/int/kernels.js';
import { scatterConv } from '../../src/sim/int/fast-conv.js';

function lcg(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  });
}

function conv(C: number, O: number, H: number, W: number, k: number, s: number, pad: number, dil: number, group: number, weights: Int32Array): IntLayer {
  const OH = Math.floor((H + 2 * pad - dil * (k - 1) - 1) / s) + 1;
  const OW = Math.floor((W + 2 * pad - dil * (k - 1) - 1) / s) + 1;
  return {
    name: 'c',
    kind: 'conv',
    inputs: ['x'],
    inShape: [C, H, W],
    outShape: [O, OH, OW],
    weights,
    weightShape: [O, C / group, k, k],
    weightBits: 8,
    shift: 0,
    bias: new Int32Array(0),
    biasBits: 1,
    geometry: { kernel: [k, k], strides: [s, s], pads: [pad, pad, pad, pad], dilations: [dil, dil], group },
    accBits: 32,
    neuron: null,
    unit: [1],
    outBits: 1,
  };
}

it('scatter convs equal the integer loop for any geometry and input', () => {
  let cases = 0;
  for (const [C, O, H, W, k, s, pad, dil, group] of [
    [1, 4, 6, 6, 3, 1, 1, 1, 1],
    [4, 6, 7, 5, 3, 2, 1, 1, 2],
    [3, 5, 9, 9, 2, 1, 0, 2, 1],
    [6, 6, 5, 5, 3, 1, 2, 1, 6],
  ] as const) {
    const per = (C / group) * k * k;
    const w = Int32Array.from(lcg(O * per, C * 31 + k), (u) => Math.round((u - 0.5) * 254));
    const L = conv(C, O, H, W, k, s, pad, dil, group, w);
    const slow = prepare(L);
    const fast = prepare(L, scatterConv);
    assert.ok(fast.fast !== undefined, 'the accelerated layer has a fast kernel');
    const n = C * H * W;
    for (const [name, x] of [
      ['spikes', Int32Array.from(lcg(n, 5 + C), (u) => (u < 0.3 ? 1 : 0))],
      ['codes', Int32Array.from(lcg(n, 6 + C), (u) => Math.floor(u * 256))],
      ['signed', Int32Array.from(lcg(n, 7 + C), (u) => Math.floor((u - 0.5) * 30))],
    ] as const) {
      const O_ = new Int32Array(L.outShape.reduce((a, b) => a * b, 1));
      const a = O_.map((_, i) => i % 5);
      const b = Int32Array.from(a);
      convAdd(slow, x, a);
      convAdd(fast, x, b);
      assert.deepEqual([...b], [...a], `${C}→${O} k${k} s${s} p${pad} d${dil} g${group}, ${name}`);
      assert.ok(
        a.some((v, i) => v !== i % 5),
        'the conv added something',
      );
      cases++;
    }
  }
  assert.equal(cases, 12);
});

it('declines where float32 could round (max|x|·Σ|w| ≥ 2^24), and the integer loop is exact there', () => {
  const big = 2 ** 24 + 1; // not a float32
  const L = conv(1, 1, 3, 3, 1, 1, 0, 1, 1, Int32Array.of(big));
  const fast = prepare(L, scatterConv);
  const x = Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  const out = new Int32Array(9);
  assert.equal(fast.fast?.(x, out), false, 'the fast kernel declines');
  convAdd(fast, x, out);
  assert.deepEqual([...out], [big, 0, 0, 0, big, 0, 0, 0, big]);
});
