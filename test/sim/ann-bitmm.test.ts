// The popcount kernels (src/sim/ann/wasm/bitmm.ts) against plain sums of 0/1 products, in
// WebAssembly and in their TypeScript fallback: 1 to 5 64-bit words per row, a partial last
// word, an all-zero row, 1 and 2 level planes, accumulation; the sense-amplifier threshold
// read-out (float64 adds, chunk sums of up to 8 columns in ascending order) and the histogram
// counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitmm,
  bitmmHistogram,
  bitmmThreshold,
  bitmmWasmEnabled,
  keepCellBytesUpTo,
  keepResidentUpTo,
  packedWords,
  resetBitmm,
  scatterBitsWasm,
  thresholdReadout,
} from '../../src/sim/ann/wasm/bitmm.js';

function lcg(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  });
}

/** rows × bits 0/1 values → packed rows. */
function pack(v: readonly number[], rows: number, bits: number): Uint32Array {
  const words = packedWords(bits);
  const out = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < bits; k++) if (v[r * bits + k] === 1) out[r * words + (k >> 5)] = (out[r * words + (k >> 5)] as number) | (1 << (k & 31));
  }
  return out;
}

function check(): void {
  let nonzero = 0;
  for (const [M, N, bits, planes] of [
    [1, 2, 1, 1],
    [7, 6, 64, 1],
    [13, 10, 130, 2],
    [4, 32, 200, 2],
    // One plane (1-bit cells) has kernels of its own: 2 words (R = 128, the bundled crossbars), 4 words.
    [5, 8, 128, 1],
    [6, 6, 250, 1],
    // Wider than the unrolled kernels (1–4 words): the generic word loop.
    [3, 4, 300, 1],
    // Read-out chunks of 2, 4 and 8 columns with many passing columns each (sums ≈ 19 against references 1–4).
    [9, 48, 128, 1],
    // Wider than one block of 128 counted columns: a block of eight vectors, then two single ones.
    [4, 160, 128, 1],
  ] as const) {
    const x = lcg(M * bits, M + bits).map((u) => (u < 0.3 ? 1 : 0));
    if (M > 1) x.fill(0, 0, bits); // row 0: no active input
    // Cell levels 0 … 2^planes − 1, and their bit planes.
    const levels = lcg(N * bits, N * 7 + bits).map((u) => Math.floor(u * 2 ** planes));
    const b = new Uint32Array(planes * N * packedWords(bits));
    for (let p = 0; p < planes; p++)
      b.set(
        pack(
          levels.map((l) => (l >> p) & 1),
          N,
          bits,
        ),
        p * N * packedWords(bits),
      );
    const want = Array.from({ length: M * N }, (_, at) => {
      const i = Math.floor(at / N);
      const j = at % N;
      let s = 0;
      for (let k = 0; k < bits; k++) s += (x[i * bits + k] as number) * (levels[j * bits + k] as number);
      return s;
    });
    nonzero += want.filter((v) => v > 0).length;
    const op = { a: pack(x, M, bits), b, M, N, words: packedWords(bits), planes };
    const c = new Int32Array(M * N).fill(-9);
    bitmm(op, c, false);
    assert.deepEqual([...c], want, `${M}x${N}x${bits}, ${planes} planes`);
    bitmm(op, c, true);
    assert.deepEqual(
      [...c],
      want.map((v) => 2 * v),
      'accumulated',
    );

    // Threshold read-out, for every G (columns per output) that divides N: each chunk of C
    // columns (the largest of 8, 4, 2, 1 dividing G) with a passing column sums their adds
    // from +0, ascending, then adds that sum to the output. Adds with fractions, so the order
    // matters (a column-by-column sum gives other bits).
    const ref = Int32Array.from(lcg(N, 5), (u) => 1 + Math.floor(u * 4));
    for (const G of [1, 2, 3, 4, 6, 8, 12, 16, 32].filter((g) => N % g === 0)) {
      const C = [8, 4, 2, 1].find((c) => G % c === 0) as number;
      const add = Float64Array.from(lcg(G, 6 + G), (u) => (u - 0.4) * 3.3);
      const out = Float64Array.from(lcg(M * (N / G), 7), (u) => u * 0.1);
      const expect = Float64Array.from(out);
      for (let i = 0; i < M; i++) {
        for (let o = 0; o < N / G; o++) {
          let a = expect[i * (N / G) + o] as number;
          for (let c = 0; c < G; c += C) {
            const pass = Array.from({ length: C }, (_, k) => c + k).filter((q) => (want[i * N + o * G + q] as number) >= (ref[o * G + q] as number));
            if (pass.length > 0) a += pass.reduce((sum, q) => sum + (add[q] as number), 0);
          }
          expect[i * (N / G) + o] = a;
        }
      }
      bitmmThreshold(op, thresholdReadout(ref, add, G), out);
      assert.deepEqual([...out], [...expect], `threshold read-out ${M}x${N}x${bits}, G = ${G}`);
    }

    // Histogram: slices alternate 0/1, bins 0 … 3 (larger sums land in the last).
    const slice = Int32Array.from({ length: N }, (_, j) => j % 2);
    const len = 4;
    const hist = new Int32Array(2 * len).fill(1);
    const expectHist = new Int32Array(2 * len).fill(1);
    want.forEach((v, at) => {
      if (v === 0) return;
      const k = (slice[at % N] as number) * len + Math.min(v, len - 1);
      expectHist[k] = (expectHist[k] as number) + 1;
    });
    bitmmHistogram(op, slice, hist, len);
    assert.deepEqual([...hist], [...expectHist], 'histogram');
  }
  assert.ok(nonzero > 50, `${nonzero} nonzero sums`);
  // A −0 in out stays −0 in every engine when no column passes (an active read over empty cells, and a silent read).
  const silent = {
    a: pack([...Array<number>(64).fill(1), ...Array<number>(64).fill(0)], 2, 64),
    b: new Uint32Array(16 * packedWords(64)),
    M: 2,
    N: 16,
    words: packedWords(64),
    planes: 1,
  };
  const zeros = Float64Array.from([-0, -0]);
  bitmmThreshold(silent, thresholdReadout(new Int32Array(16).fill(1), new Float64Array(16).fill(1), 16), zeros);
  assert.ok(
    [...zeros].every((v) => Object.is(v, -0)),
    `−0 changed: ${[...zeros].map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(', ')}`,
  );
}

test('bitmm kernels in WebAssembly equal plain sums of 0/1 products', { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false }, () => {
  assert.ok(bitmmWasmEnabled(), 'the WebAssembly module validates and loads');
  check();
});

test(
  'the popcount kernels of 1-bit cells, where a tile has no byte copy (budget 0), give the same results',
  { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false },
  () => {
    const old = keepCellBytesUpTo(0);
    try {
      check();
    } finally {
      keepCellBytesUpTo(old);
    }
  },
);

test(
  "tiles' cell bytes kept in memory between calls: the same results when none fit, and when the area restarts for every other tile",
  { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false },
  () => {
    // Two tiles (1-bit cells, 128 rows × 16 columns: 2 KB as bytes) read alternately with
    // other inputs, as a layer's row tiles are; each call's result against the plain sums.
    const bits = 128;
    const N = 16;
    const cells = [3, 4].map((seed) => lcg(N * bits, seed).map((u) => (u < 0.4 ? 1 : 0)));
    const tiles = cells.map((c) => pack(c, N, bits));
    const inputs = Array.from({ length: 6 }, (_, call) => lcg(3 * bits, 10 + call).map((u) => (u < 0.35 ? 1 : 0)));
    const ref = 6;
    const add = Float64Array.from({ length: N }, (_, j) => 1 + j * 0.25);
    // Four columns per output, one chunk: the passing columns' adds, summed in column order.
    const want = inputs.map((x, call) =>
      Array.from({ length: 3 * (N / 4) }, (_, at) => {
        const i = Math.floor(at / (N / 4));
        const o = at % (N / 4);
        const pass = [0, 1, 2, 3].filter((q) => {
          let s = 0;
          for (let k = 0; k < bits; k++) s += (x[i * bits + k] as number) * ((cells[call % 2] as number[])[(o * 4 + q) * bits + k] as number);
          return s >= ref;
        });
        return pass.length === 0 ? 0 : pass.reduce((sum, q) => sum + (add[q] as number), 0);
      }),
    );
    assert.ok(
      want.flat().some((v) => v !== 0),
      'some column passes',
    );
    const run = (): number[][] =>
      inputs.map((x, call) => {
        const out = new Float64Array(3 * (N / 4));
        const op = { a: pack(x, 3, bits), b: tiles[call % 2] as Uint32Array, M: 3, N, words: packedWords(bits), planes: 1 };
        bitmmThreshold(op, thresholdReadout(new Int32Array(N).fill(ref), add, 4), out);
        return [...out];
      });
    assert.deepEqual(run(), want, 'tiles kept');
    for (const limit of [0, 3000]) {
      const old = keepResidentUpTo(limit);
      try {
        assert.deepEqual(run(), want, `resident area of ${limit} bytes`);
        check();
      } finally {
        keepResidentUpTo(old);
      }
    }
  },
);

test(
  'scatterBits: each nonzero code sets its bit planes in the reads that see it (every word written), also when its tables must make room in a full area',
  { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false },
  () => {
    // 99 inputs per sample, 3 slots each (300: 1,200 bytes per table; start 400 bytes), 3
    // positions per sample, 2 row tiles of ≤ 64 rows (2 words), codes 0 … 3 (2 planes).
    const perIn = 99;
    const P = 3;
    const tiles = 2;
    const words = 2;
    const u = lcg(4 * 300 + 2 * perIn, 21);
    const start = Int32Array.from({ length: perIn + 1 }, (_, o) => 3 * o);
    const pos = Int32Array.from({ length: 300 }, (_, e) => Math.floor((u[e] as number) * P));
    const tb = Int32Array.from({ length: 300 }, (_, e) => Math.floor((u[300 + e] as number) * tiles) * 65536 + Math.floor((u[600 + e] as number) * 64));
    const codes = Float32Array.from({ length: 2 * perIn }, (_, i) => Math.floor((u[1200 + i] as number) * 4));
    // Reads 1 … 5 of samples 0 and 1 (c0 = 1: sample 0's position 0 falls before the chunk).
    const c0 = 1;
    const reads = 5;
    const planeWords = tiles * reads * words;
    const want = new Uint32Array(2 * planeWords);
    for (let b = 0; b < 2; b++) {
      for (let o = 0; o < perIn; o++) {
        const c = codes[b * perIn + o] as number;
        for (let e = 3 * o; e < 3 * o + 3; e++) {
          const i = b * P + (pos[e] as number) - c0;
          if (i < 0 || i >= reads) continue;
          const t = tb[e] as number;
          for (let k = 0; k < 2; k++) {
            if (((c >> k) & 1) === 0) continue;
            const w = ((k * tiles + (t >>> 16)) * reads + i) * words + ((t & 0xffff) >> 5);
            want[w] = ((want[w] as number) | (1 << (t & 31))) >>> 0;
          }
        }
      }
    }
    assert.ok(want.some((w) => w !== 0));
    // A 3,000-byte area holding a tile of 2,048 bytes (64 rows × 32 columns) first: start would
    // fit after it, pos and tb not — all three must go to a restarted area together.
    const old = keepResidentUpTo(3000);
    try {
      const bits = 64;
      const tile = pack(
        lcg(32 * bits, 5).map((v) => (v < 0.5 ? 1 : 0)),
        32,
        bits,
      );
      const x = pack(
        lcg(bits, 6).map((v) => (v < 0.5 ? 1 : 0)),
        1,
        bits,
      );
      bitmmThreshold(
        { a: x, b: tile, M: 1, N: 32, words: packedWords(bits), planes: 1 },
        thresholdReadout(new Int32Array(32).fill(1), new Float64Array(32).fill(1), 32),
        new Float64Array(1),
      );
      for (let call = 0; call < 2; call++) {
        // Junk in it: the kernel writes every word.
        const got = new Uint32Array(2 * planeWords).fill(0xdeadbeef);
        assert.ok(scatterBitsWasm({ start, pos, tb }, codes, perIn, 0, 2, P, c0, reads, words, planeWords, got), 'the kernel ran');
        assert.deepEqual([...got], [...want], `call ${call}`);
      }
    } finally {
      keepResidentUpTo(old);
    }
  },
);

test('bitmm kernels without WebAssembly (SNNC_NO_WASM=1) give the same results', () => {
  const before = process.env['SNNC_NO_WASM'];
  process.env['SNNC_NO_WASM'] = '1';
  resetBitmm();
  try {
    assert.equal(bitmmWasmEnabled(), false);
    check();
  } finally {
    if (before === undefined) delete process.env['SNNC_NO_WASM'];
    else process.env['SNNC_NO_WASM'] = before;
    resetBitmm();
  }
});

test('threshold read-out of 1-bit cells: sums past 255 still pass a reference of 255 (byte counters saturate)', () => {
  const bits = 320;
  const row = (ones: number): number[] => Array.from({ length: bits }, (_, k) => (k < ones ? 1 : 0));
  const a = pack([...row(bits), ...row(100)], 2, bits);
  const b = pack([...row(bits), ...row(200), ...row(0)], 3, bits);
  const op = { a, b, M: 2, N: 3, words: packedWords(bits), planes: 1 };
  // s = [[320, 200, 0], [100, 100, 0]]
  const out = new Float64Array(2);
  bitmmThreshold(op, thresholdReadout(Int32Array.from([255, 100, 1]), Float64Array.from([1, 10, 100]), 3), out);
  assert.deepEqual([...out], [11, 10]);
});
