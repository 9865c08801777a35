// The popcount product (src/sim/ann/wasm/bitmm.ts) against a plain sum of 0/1 products, in
// WebAssembly and in its TypeScript fallback: several 64-bit words per row, a partial last
// word, an all-zero row, shifts and accumulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitmm, bitmmWasmEnabled, packedWords, resetBitmm } from '../../src/sim/ann/wasm/bitmm.js';

function lcgBits(n: number, seed: number, p: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 < p ? 1 : 0;
  });
}

function pack(v: readonly number[], rows: number, bits: number): Uint32Array {
  const words = packedWords(bits);
  const out = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < bits; k++) if (v[r * bits + k] === 1) out[r * words + (k >> 5)] = (out[r * words + (k >> 5)] as number) | (1 << (k & 31));
  return out;
}

function check(): void {
  for (const [M, N, bits] of [
    [1, 1, 1],
    [7, 5, 64],
    [13, 9, 130],
    [4, 33, 200],
  ] as const) {
    const x = lcgBits(M * bits, M + bits, 0.3);
    if (M > 1) x.fill(0, 0, bits); // row 0: no active input
    const e = lcgBits(N * bits, N * 7 + bits, 0.5);
    const want = Array.from({ length: M * N }, (_, at) => {
      const i = Math.floor(at / N);
      const j = at % N;
      let s = 0;
      for (let k = 0; k < bits; k++) s += (x[i * bits + k] as number) * (e[j * bits + k] as number);
      return s;
    });
    const a = pack(x, M, bits);
    const b = pack(e, N, bits);
    const c = new Int32Array(M * N).fill(-9);
    bitmm(a, b, c, M, N, packedWords(bits), 0, false);
    assert.deepEqual([...c], want, `${M}x${N}x${bits}`);
    bitmm(a, b, c, M, N, packedWords(bits), 3, true);
    assert.deepEqual(
      [...c],
      want.map((v) => 9 * v),
      `${M}x${N}x${bits} accumulated with shift 3`,
    );
    assert.ok(
      want.some((v) => v > 0),
      'some sums are nonzero',
    );
  }
}

test('bitmm in WebAssembly equals plain sums of 0/1 products', { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false }, () => {
  assert.ok(bitmmWasmEnabled(), 'the WebAssembly kernel validates and loads');
  check();
});

test('bitmm without WebAssembly (SNNC_NO_WASM=1) gives the same sums', () => {
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
