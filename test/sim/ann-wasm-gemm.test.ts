// The WebAssembly SIMD GEMM: the binary encoder on known bytes and a hand-written tiny
// module, then both kernels (nn, nt) against a naive float64 triple loop on random
// shapes, strides and offsets, within a float32-accumulation error bound.
import { mulberry32 } from '../../src/sim/snn/rng.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { F32, I32, encodeModule, op, seq, sleb, uleb } from '../../src/sim/ann/wasm/encode.js';
import { resetWasmGemm, sgemm, sgemmExact, wasmApi, wasmGemmEnabled } from '../../src/sim/ann/wasm/sgemm.js';
import { exactLoops, gemmNN, gemmNNLoops, gemmNT, gemmNTLoops } from '../../src/sim/ann/gemm-kernel.js';

const forcedOff = process.env['SNNC_NO_WASM'] === '1';

describe('wasm encoder', () => {
  it('LEB128 of known values', () => {
    // Examples from the DWARF / WebAssembly spec literature.
    assert.deepEqual(uleb(0), [0]);
    assert.deepEqual(uleb(127), [0x7f]);
    assert.deepEqual(uleb(128), [0x80, 0x01]);
    assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(sleb(-1), [0x7f]);
    assert.deepEqual(sleb(63), [0x3f]);
    assert.deepEqual(sleb(64), [0xc0, 0x00]);
    assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
    assert.throws(() => uleb(-1), RangeError);
  });

  it('an empty module is exactly the 8-byte header plus its sections', () => {
    const bytes = encodeModule({ memory: { name: 'm', pages: 1 }, funcs: [] });
    // header, type(1) [0], func(3) [0], memory(5) [1, {0, 1}], export(7) [1, "m" mem 0], code(10) [0]
    assert.deepEqual([...bytes], [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 1, 0, 3, 1, 0, 5, 3, 1, 0, 1, 7, 5, 1, 1, 0x6d, 2, 0, 10, 1, 0]);
  });

  it('a tiny module validates and runs: integer add, and an f32x4 product stored to memory', () => {
    const api = wasmApi();
    assert.ok(api !== undefined);
    const add = { name: 'add', params: [I32, I32] as const, results: [I32] as const, locals: [], body: seq(op.get(0), op.get(1), op.i32Add) };
    // mul4(x, y): mem[0..16) = splat(x) * splat(y) + splat(1)
    const mul4 = {
      name: 'mul4',
      params: [F32, F32] as const,
      results: [] as const,
      locals: [],
      body: seq(op.i32(0), op.get(0), op.f32x4Splat, op.get(1), op.f32x4Splat, op.f32x4Mul, op.f32(1), op.f32x4Splat, op.f32x4Add, op.v128Store()),
    };
    const bytes = encodeModule({ memory: { name: 'mem', pages: 1 }, funcs: [add, mul4] });
    if (!api.validate(bytes)) {
      // Without SIMD support only the scalar function can be checked.
      assert.ok(api.validate(encodeModule({ memory: { name: 'mem', pages: 1 }, funcs: [add] })));
      return;
    }
    const ex = new api.Instance(new api.Module(bytes), {}).exports;
    assert.equal((ex['add'] as (a: number, b: number) => number)(40, 2), 42);
    (ex['mul4'] as (x: number, y: number) => void)(1.5, -4);
    const mem = ex['mem'] as { buffer: ArrayBuffer };
    assert.deepEqual([...new Float32Array(mem.buffer, 0, 4)], [-5, -5, -5, -5]);
  });
});

/** Seeded mulberry32 for operand values. */
const prng = mulberry32;

interface Case {
  m: number;
  n: number;
  k: number;
  padA: number;
  padB: number;
  padC: number;
  off: number;
  alpha: number;
  acc: boolean;
  seed: number;
}

/**
 * Run one product in float32 with `run`, compare with a float64 triple loop. Bound on
 * float32 summation of k terms: |err| <= (k + 2) * 2^-24 * (sum |alpha a b| + |c|)
 * (the classical recursive-summation bound, with slack for the final scale and add).
 */
function check(form: 'nn' | 'nt', c0: Case, run: (a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number) => void): void {
  const { m, n, k, off, alpha, acc } = c0;
  const lda = k + c0.padA;
  const bRows = form === 'nn' ? k : n;
  const bCols = form === 'nn' ? n : k;
  const ldb = bCols + c0.padB;
  const ldc = n + c0.padC;
  const rng = prng(c0.seed);
  const fill = (len: number): Float32Array => Float32Array.from({ length: len }, () => 2 * rng() - 1);
  const a = fill(off + m * lda);
  const b = fill(off + bRows * ldb);
  const c = fill(off + m * ldc);
  const before = Float32Array.from(c);
  run(a, lda, b, ldb, c, ldc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const bv = form === 'nn' ? (b[off + p * ldb + j] as number) : (b[off + j * ldb + p] as number);
        s += (a[off + i * lda + p] as number) * bv;
        mag += Math.abs((a[off + i * lda + p] as number) * bv);
      }
      const old = acc ? (before[off + i * ldc + j] as number) : 0;
      const want = alpha * s + old;
      const tol = (k + 2) * 2 ** -24 * (Math.abs(alpha) * mag + Math.abs(old)) + 1e-30;
      const got = c[off + i * ldc + j] as number;
      assert.ok(Math.abs(got - want) <= tol, `${form} m${m} n${n} k${k} at (${i}, ${j}): got ${got}, want ${want}, tol ${tol}`);
    }
    // Padding columns of C are never written.
    for (let j = n; j < ldc; j++) assert.equal(c[off + i * ldc + j], before[off + i * ldc + j]);
  }
}

const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9), fc.integer({ min: 1, max: 40 }));
const caseArb = fc.record({
  m: dim,
  n: dim,
  k: fc.oneof(dim, fc.constant(0)),
  padA: fc.constantFrom(0, 0, 3),
  padB: fc.constantFrom(0, 0, 1),
  padC: fc.constantFrom(0, 0, 2),
  off: fc.constantFrom(0, 5),
  alpha: fc.constantFrom(1, 1, 0.5, -2),
  acc: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('wasm sgemm vs a float64 triple loop', { skip: forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
  it('is enabled on this Node (WebAssembly SIMD validates)', () => {
    assert.equal(wasmGemmEnabled(), true);
  });

  for (const form of ['nn', 'nt'] as const) {
    it(`${form}: random shapes, strides, offsets, alpha, accumulate`, () => {
      fc.assert(
        fc.property(caseArb, (c0) => {
          check(form, c0, (a, lda, b, ldb, c, ldc) => {
            assert.equal(sgemm(form, c0.m, c0.n, c0.k, a, c0.off, lda, b, c0.off, ldb, c, c0.off, ldc, c0.alpha, c0.acc), true);
          });
        }),
        { seed: 20240611, numRuns: 150 },
      );
    });

    it(`${form}: large K and the shapes of the bench layers`, () => {
      const shapes: [number, number, number][] = [
        [64, 256, 784],
        [1, 256, 784],
        [3, 5, 4099],
        [6, 576, 25],
        [16, 64, 150],
        [1, 1, 1],
      ];
      for (const [m, n, k] of shapes) {
        const c0: Case = { m, n, k, padA: 0, padB: 0, padC: 0, off: 0, alpha: 1, acc: true, seed: m * 7 + n + k };
        check(form, c0, (a, lda, b, ldb, c, ldc) => {
          (form === 'nn' ? gemmNN : gemmNT)(m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc, 1, true);
        });
      }
    });
  }
});

/**
 * The exactSums contract the SNN simulator relies on, written out as plain JS: per output
 * s ← fl32(s + fl32(a·b)) over ascending p from 0, then y = fl32(fl32(alpha)·s), and
 * fl32(old C + y) when accumulating.
 */
function exactReference(
  form: 'nn' | 'nt',
  c0: { m: number; n: number; k: number; off: number; alpha: number; acc: boolean },
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  c: Float32Array,
  ldc: number,
): Float32Array {
  const { m, n, k, off, alpha, acc } = c0;
  const want = Float32Array.from(c);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum = Math.fround(sum + Math.fround(a[off + i * lda + p]! * (form === 'nn' ? b[off + p * ldb + j]! : b[off + j * ldb + p]!)));
      const y = Math.fround(Math.fround(alpha) * sum);
      want[off + i * ldc + j] = acc ? Math.fround(want[off + i * ldc + j]! + y) : y;
    }
  return want;
}

describe('exact products (exactSums): float32 sums in ascending order, on both paths', () => {
  for (const form of ['nn', 'nt'] as const) {
    for (const path of ['wasm', 'ts'] as const) {
      it(`${form}, ${path}: random shapes, strides, offsets, alpha, accumulate`, { skip: path === 'wasm' && forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
        fc.assert(
          fc.property(caseArb, (c0) => {
            const { m, n, k, off, alpha, acc } = c0;
            const lda = k + c0.padA;
            const ldb = (form === 'nn' ? n : k) + c0.padB;
            const ldc = n + c0.padC;
            const rng = prng(c0.seed);
            const fill = (len: number): Float32Array => Float32Array.from({ length: len }, () => 2 * rng() - 1);
            const a = fill(off + m * lda);
            const b = fill(off + (form === 'nn' ? k : n) * ldb);
            const c = fill(off + m * ldc);
            const want = exactReference(form, c0, a, lda, b, ldb, c, ldc);
            if (path === 'wasm') assert.equal(sgemmExact(form, m, n, k, a, off, lda, b, off, ldb, c, off, ldc, alpha, acc), true);
            else exactLoops(m, n, k, a, off, lda, b, off, form === 'nn' ? 1 : ldb, form === 'nn' ? ldb : 1, c, off, ldc, alpha, acc);
            assert.deepEqual(new Uint32Array(c.buffer), new Uint32Array(want.buffer));
          }),
          { seed: 99, numRuns: 150 },
        );
      });
    }
  }
});

describe('TS fallback loops (float64 sums)', () => {
  for (const form of ['nn', 'nt'] as const) {
    it(`${form}: the same bound holds`, () => {
      fc.assert(
        fc.property(caseArb, (c0) => {
          check(form, c0, (a, lda, b, ldb, c, ldc) => {
            (form === 'nn' ? gemmNNLoops : gemmNTLoops)(c0.m, c0.n, c0.k, a, c0.off, lda, b, c0.off, ldb, c, c0.off, ldc, c0.alpha, c0.acc);
          });
        }),
        { seed: 7, numRuns: 60 },
      );
    });
  }

  it('SNNC_NO_WASM=1 turns the wasm path off (read when the engine is first needed)', () => {
    const saved = process.env['SNNC_NO_WASM'];
    try {
      process.env['SNNC_NO_WASM'] = '1';
      resetWasmGemm();
      assert.equal(wasmGemmEnabled(), false);
      const c = new Float32Array(1);
      assert.equal(sgemm('nn', 1, 1, 1, new Float32Array([2]), 0, 1, new Float32Array([3]), 0, 1, c, 0, 1, 1, false), false);
      gemmNN(1, 1, 1, new Float32Array([2]), 0, 1, new Float32Array([3]), 0, 1, c, 0, 1, 1, false);
      assert.equal(c[0], 6);
    } finally {
      if (saved === undefined) delete process.env['SNNC_NO_WASM'];
      else process.env['SNNC_NO_WASM'] = saved;
      resetWasmGemm();
    }
  });
});
