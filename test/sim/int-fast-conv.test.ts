// The integer program's convolutions and dense layers on the WebAssembly scatter kernels'
// integer variants (fast-conv.ts) must give the integer loop's sums exactly, for any geometry
// (groups, strides, padding, dilation) and input (spikes, multi-bit codes, negative values),
// also where sums wrap past int32 as the loop's Int32Array stores do, and decline for weights
// the plans' float32 cannot hold.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IntLayer } from '../../src/sim/int/program.js';
import { convAdd, denseAdd, prepare } from '../../src/sim/int/kernels.js';
import { wasmKernels } from '../../src/sim/int/fast-conv.js';

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
    const fast = prepare(L, wasmKernels);
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

it('sums that leave int32 wrap exactly as the integer loop does', () => {
  const L = conv(
    2,
    3,
    6,
    6,
    3,
    1,
    1,
    1,
    1,
    Int32Array.from(lcg(54, 9), (u) => Math.round((u - 0.3) * (2 ** 24 - 2))),
  );
  const x = Int32Array.from(lcg(72, 10), (u) => Math.floor(u * 256));
  const a = new Int32Array(108);
  const b = new Int32Array(108);
  convAdd(prepare(L), x, a);
  const fast = prepare(L, wasmKernels);
  assert.equal(fast.fast?.(x, b, 1), true, 'the fast kernel ran');
  assert.deepEqual([...b], [...a]);
  const exact = (i: number): number => {
    // The true sum of output 0 at pixel i, to show that it left int32.
    let sum = 0;
    const [oy, ox] = [Math.floor(i / 6), i % 6];
    for (let c = 0; c < 2; c++)
      for (let u = 0; u < 3; u++)
        for (let v = 0; v < 3; v++) {
          const [iy, ix] = [oy + u - 1, ox + v - 1];
          if (iy >= 0 && iy < 6 && ix >= 0 && ix < 6) sum += (x[c * 36 + iy * 6 + ix] as number) * (L.weights[c * 9 + u * 3 + v] as number);
        }
    return sum;
  };
  assert.ok(
    Array.from({ length: 36 }, (_, i) => exact(i)).some((v) => Math.abs(v) > 2 ** 31),
    'some sums left int32',
  );
});

it('declines for weights float32 cannot hold (|w| ≥ 2^24), and the integer loop is exact there', () => {
  const big = 2 ** 24 + 1; // not a float32
  const L = conv(1, 1, 3, 3, 1, 1, 0, 1, 1, Int32Array.of(big));
  const fast = prepare(L, wasmKernels);
  const x = Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  const out = new Int32Array(9);
  assert.equal(fast.fast?.(x, out, 1), false, 'the fast kernel declines');
  convAdd(fast, x, out);
  assert.deepEqual([...out], [big, 0, 0, 0, big, 0, 0, 0, big]);
});

function dense(I: number, O: number, weights: Int32Array): IntLayer {
  return {
    name: 'd',
    kind: 'dense',
    inputs: ['x'],
    inShape: [I],
    outShape: [O],
    weights,
    weightShape: [O, I],
    weightBits: 8,
    shift: 0,
    bias: new Int32Array(0),
    biasBits: 1,
    accBits: 32,
    neuron: null,
    unit: [1],
    outBits: 1,
  };
}

it('scatter dense layers equal the integer loop, and decline for weights float32 cannot hold', () => {
  for (const [I, O] of [
    [1600, 120],
    [7, 3],
    [120, 84],
  ] as const) {
    const w = Int32Array.from(lcg(O * I, I + O), (u) => Math.round((u - 0.5) * 254));
    const L = dense(I, O, w);
    const slow = prepare(L);
    const fast = prepare(L, wasmKernels);
    assert.ok(fast.fast !== undefined, 'the accelerated layer has a fast kernel');
    for (const [name, x] of [
      ['spikes', Int32Array.from(lcg(I, 5 + I), (u) => (u < 0.3 ? 1 : 0))],
      ['counts', Int32Array.from(lcg(I, 6 + I), (u) => Math.floor(u * 5))],
      ['signed', Int32Array.from(lcg(I, 7 + I), (u) => Math.floor((u - 0.5) * 30))],
    ] as const) {
      const a = Int32Array.from({ length: O }, (_, i) => i % 5);
      const b = Int32Array.from(a);
      denseAdd(slow, x, a);
      denseAdd(fast, x, b);
      assert.deepEqual([...b], [...a], `${I}→${O}, ${name}`);
      assert.ok(
        a.some((v, i) => v !== i % 5),
        'the layer added something',
      );
    }
  }
  const big = 2 ** 24 + 1;
  const fast = prepare(dense(2, 1, Int32Array.of(big, 1)), wasmKernels);
  const out = new Int32Array(1);
  assert.equal(fast.fast?.(Int32Array.of(1, 1), out, 1), false, 'the fast kernel declines');
  denseAdd(fast, Int32Array.of(1, 1), out);
  assert.deepEqual([...out], [big + 1]);
});
