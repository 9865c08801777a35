// Conv, Gemm and MatMul: hand-computed cases, plus properties against naive loops.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gemmNT } from '../../src/sim/ann/gemm-kernel.js';
import type { Tensor } from '../../src/ir/types.js';
import { f32, iota, near, one, t, values, win } from './graph.js';
import { mulberry32 } from '../../src/sim/snn/rng.js';

const conv = (w: ReturnType<typeof win>, group = 1) => ({ op: 'Conv', attrs: { ...w, group } }) as const;

describe('Conv (hand-computed)', () => {
  it('1x1x3x3 input, 2x2 kernel, bias', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]: y00 = 1+4+12+20 = 37, ...
    const y = one(conv(win([2, 2])), [iota([1, 1, 3, 3], 1), f32([1, 1, 2, 2], [1, 2, 3, 4]), f32([1], [0.5])]);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    near(y, [37.5, 47.5, 67.5, 77.5]);
  });
  it('3x3 ones kernel with pads 1 and stride 2 sums the 2x2 corner blocks', () => {
    const y = one(conv(win([3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] })), [iota([1, 1, 3, 3], 1), f32([1, 1, 3, 3], new Array(9).fill(1))]);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    near(y, [12, 16, 24, 28]);
  });
  it('depthwise (group = channels) with 1x1 kernels scales each channel', () => {
    const y = one(conv(win([1, 1]), 2), [iota([1, 2, 2, 2]), f32([2, 1, 1, 1], [2, -1])]);
    near(y, [0, 2, 4, 6, -4, -5, -6, -7]);
  });
  it('grouped conv: two groups of two channels', () => {
    // group 0 sums channels 0 and 1, group 1 takes channel 3 minus channel 2.
    const x = f32([1, 4, 1, 2], [1, 2, 10, 20, 100, 200, 1000, 2000]);
    const w = f32([2, 2, 1, 1], [1, 1, -1, 1]);
    near(one(conv(win([1, 1]), 2), [x, w]), [11, 22, 900, 1800]);
  });
  it('1-D with dilation 2 and 1-D with asymmetric pads', () => {
    near(one(conv(win([2], { dilations: [2] })), [f32([1, 1, 5], [1, 2, 3, 4, 5]), f32([1, 1, 2], [1, 1])]), [4, 6, 8]);
    near(one(conv(win([2], { pads: [1, 0] })), [f32([1, 1, 3], [1, 2, 3]), f32([1, 1, 2], [1, 1])]), [1, 3, 5]);
  });
  it('SAME_UPPER keeps the size; extra pad goes at the end', () => {
    // 1-D, input 4, kernel 2: total pad 1, at the end: y = [1+2, 2+3, 3+4, 4+0]
    const y = one(conv(win([2], { autoPad: 'SAME_UPPER' })), [f32([1, 1, 4], [1, 2, 3, 4]), f32([1, 1, 2], [1, 1])]);
    near(y, [3, 5, 7, 4]);
  });
  it('3-D: a 2x2x2 ones kernel sums the cube', () => {
    const y = one(conv(win([2, 2, 2])), [iota([1, 1, 2, 2, 2], 1), f32([1, 1, 2, 2, 2], new Array(8).fill(1))]);
    assert.deepEqual(y.shape, [1, 1, 1, 1, 1]);
    near(y, [36]);
  });
  it('float16 results are rounded to half precision', () => {
    // 1 + 2^-11 is halfway between halves 1 and 1 + 2^-10; ties go to even (1).
    const y = one(conv(win([1])), [t('float16', [1, 2, 1], [1, 2 ** -11]), t('float16', [1, 2, 1], [1, 1])]);
    assert.equal(y.dtype, 'float16');
    assert.deepEqual(values(y), [1]);
  });
  it('rejects mismatched channels with SNNC_E_BAD_SHAPE naming the node', () => {
    assert.throws(
      () => one(conv(win([1, 1])), [iota([1, 3, 2, 2]), iota([1, 2, 1, 1])]),
      (e: unknown) => (e as { code?: string; node?: string }).code === 'SNNC_E_BAD_SHAPE' && (e as { node?: string }).node === 'n0',
    );
  });
});

describe('Gemm and MatMul (hand-computed)', () => {
  const A = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const B = f32([3, 2], [1, 0, 0, 1, 1, 1]); // A*B = [[4, 5], [10, 11]]
  const gemm = (p: Partial<{ alpha: number; beta: number; transA: boolean; transB: boolean }> = {}) =>
    ({ op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: false, transB: false, ...p } }) as const;
  it('plain, with alpha/beta and a broadcast bias', () => {
    near(one(gemm(), [A, B]), [4, 5, 10, 11]);
    near(one(gemm({ alpha: 2, beta: 0.5 }), [A, B, f32([2], [10, 20])]), [13, 20, 25, 32]);
    near(one(gemm(), [A, B, f32([2, 1], [100, 200])]), [104, 105, 210, 211]);
  });
  it('transA and transB read the transposed operands', () => {
    const At = f32([3, 2], [1, 4, 2, 5, 3, 6]);
    const Bt = f32([2, 3], [1, 0, 1, 0, 1, 1]);
    near(one(gemm({ transA: true, transB: true }), [At, Bt]), [4, 5, 10, 11]);
  });
  it('int32 Gemm wraps like fixed-width arithmetic', () => {
    const y = one(gemm(), [t('int32', [1, 1], [65536]), t('int32', [1, 1], [65536])]);
    assert.deepEqual(values(y), [0]);
  });
  it('MatMul: 1-D x 1-D is a dot product; 1-D x 2-D drops the dim', () => {
    const y = one({ op: 'MatMul', attrs: {} }, [f32([3], [1, 2, 3]), f32([3], [4, 5, 6])]);
    assert.deepEqual(y.shape, []);
    near(y, [32]);
    const z = one({ op: 'MatMul', attrs: {} }, [f32([3], [1, 2, 3]), B]);
    assert.deepEqual(z.shape, [2]);
    near(z, [4, 5]);
  });
  it('MatMul broadcasts batch dims: [2,1,1,2] x [3,2,1]', () => {
    const a = f32([2, 1, 1, 2], [1, 2, 3, 4]);
    const b = f32([3, 2, 1], [1, 1, 2, 0, 0, 3]);
    const y = one({ op: 'MatMul', attrs: {} }, [a, b]);
    assert.deepEqual(y.shape, [2, 3, 1, 1]);
    // batch (i, j): a[i] . b[j]
    near(y, [3, 2, 6, 7, 6, 12]);
  });
  it('int64 MatMul uses exact bigint products', () => {
    const y = one({ op: 'MatMul', attrs: {} }, [t('int64', [1, 2], [2 ** 40, 1]), t('int64', [2, 1], [2 ** 20, 3])]);
    assert.deepEqual(values(y), [2n ** 60n + 3n]);
  });
});

// --- properties against naive references -------------------------------------

/** The shared seeded generator, centred: uniform in [-0.5, 0.5). */
function mulberry(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() - 0.5;
}
const randT = (shape: number[], seed: number): Tensor => {
  const r = mulberry(seed);
  return f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r));
};

/** Direct 2-D convolution straight from the definition. */
function naiveConv2d(x: Tensor, w: Tensor, b: Tensor | undefined, s: number[], p: number[], d: number[], group: number): number[] {
  const [N, C, H, W] = x.shape as number[] as [number, number, number, number];
  const [OC, Cg, KH, KW] = w.shape as number[] as [number, number, number, number];
  const OH = Math.floor((H + p[0]! + p[2]! - ((KH - 1) * d[0]! + 1)) / s[0]!) + 1;
  const OW = Math.floor((W + p[1]! + p[3]! - ((KW - 1) * d[1]! + 1)) / s[1]!) + 1;
  const out: number[] = [];
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OC; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          const g = Math.floor(o / (OC / group));
          let acc = b !== undefined ? (b.data[o] as number) : 0;
          for (let c = 0; c < Cg; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = i * s[0]! - p[0]! + kh * d[0]!;
                const iw = j * s[1]! - p[1]! + kw * d[1]!;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += xd[((n * C + g * Cg + c) * H + ih) * W + iw]! * wd[((o * Cg + c) * KH + kh) * KW + kw]!;
              }
          out.push(acc);
        }
  return out;
}

describe('properties', () => {
  it('gemmNT equals the triple loop for any m, n, k, alpha and accumulate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        fc.constantFrom(1, 0.5, -2),
        (m, n, k, seed, acc, alpha) => {
          const r = mulberry(seed);
          const a = Float64Array.from({ length: m * k }, r);
          const b = Float64Array.from({ length: n * k }, r);
          const c0 = Float64Array.from({ length: m * n }, r);
          const c = c0.slice();
          gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n, alpha, acc);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
              const want = alpha * s + (acc ? c0[i * n + j]! : 0);
              assert.ok(Math.abs(c[i * n + j]! - want) < 1e-12, `(${i}, ${j}): ${c[i * n + j]} vs ${want}`);
            }
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('Conv 2-D equals the direct definition (groups, strides, pads, dilations)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 3 }),
          cg: fc.integer({ min: 1, max: 3 }),
          ocg: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 7 }),
          w: fc.integer({ min: 1, max: 7 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          dh: fc.integer({ min: 1, max: 2 }),
          dw: fc.integer({ min: 1, max: 2 }),
          pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          bias: fc.boolean(),
          seed: fc.nat(10000),
        }),
        (c) => {
          const ekh = (c.kh - 1) * c.dh + 1;
          const ekw = (c.kw - 1) * c.dw + 1;
          fc.pre(c.h + c.pads[0] + c.pads[2] >= ekh && c.w + c.pads[1] + c.pads[3] >= ekw);
          const x = randT([c.n, c.cg * c.group, c.h, c.w], c.seed);
          const w = randT([c.ocg * c.group, c.cg, c.kh, c.kw], c.seed + 1);
          const b = c.bias ? randT([c.ocg * c.group], c.seed + 2) : undefined;
          const s = [c.sh, c.sw];
          const d = [c.dh, c.dw];
          const y = one(conv(win([c.kh, c.kw], { strides: s, pads: [...c.pads], dilations: d }), c.group), [x, w, b]);
          near(y, naiveConv2d(x, w, b, s, [...c.pads], d, c.group), 1e-5);
        },
      ),
      { seed: 11, numRuns: 150 },
    );
  });

  it('MatMul equals the triple loop on random float32 matrices', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.nat(1000), (m, n, k, seed) => {
        const a = randT([m, k], seed);
        const b = randT([k, n], seed + 1);
        const want: number[] = [];
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (a.data[i * k + p] as number) * (b.data[p * n + j] as number);
            want.push(s);
          }
        near(one({ op: 'MatMul', attrs: {} }, [a, b]), want, 1e-5);
      }),
      { seed: 3, numRuns: 100 },
    );
  });
});
