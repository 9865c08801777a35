// Binary matrix products by popcount: C[i, j] (+)= 2^shift · popcount(A_i AND B_j), where the
// rows of A and of B are bit vectors packed into W 64-bit words each (bit r of row i is bit
// r % 64 of word r / 64, words little-endian). This is the partial sum of a crossbar column
// when the word-line inputs are one bit plane (spikes, or one bit of a bit-serial code) and
// the column's cells are one bit plane of their levels: Σ_r x_r · e_rj with x, e ∈ {0, 1}.
// One AND and one popcount stand for 64 multiply-adds, and the sums are integers, so the
// result equals a float GEMM's exactly. The kernel is a generated WebAssembly module (no
// SIMD needed: i64.popcnt is core WebAssembly); without WebAssembly, or with SNNC_NO_WASM=1,
// the same sums run in a TypeScript loop over 32-bit halves.
import type { ValType } from './encode.js';
import { I32, I64, encodeModule, op, seq, whileLoop } from './encode.js';
import { growMemory, instantiateKernels } from './sgemm.js';
import type { WasmMemory } from './sgemm.js';

const { get, set, i32 } = op;
// Parameters: a, b, c (byte addresses), M rows of A, N rows of B, W words per row, shift, acc.
const A = 0,
  B = 1,
  C = 2,
  M = 3,
  N = 4,
  W = 5,
  SHIFT = 6,
  ACC = 7;
const PARAMS: readonly ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32];

function moduleBytes(): Uint8Array {
  const locals: ValType[] = [];
  const add = (t: ValType): number => {
    locals.push(t);
    return PARAMS.length + locals.length - 1;
  };
  const i = add(I32),
    j = add(I32),
    w = add(I32),
    ap = add(I32),
    bp = add(I32),
    cp = add(I32),
    cq = add(I32),
    s = add(I32),
    rowBytes = add(I32),
    any = add(I64);
  const inc = (l: number, by: number[]): number[] => seq(get(l), by, op.i32Add, set(l));
  // s = Σ_w popcount(a[ap + 8w] & b[bp + 8w])
  const dot = seq(
    i32(0),
    set(s),
    i32(0),
    set(w),
    whileLoop(
      seq(get(w), get(W), op.i32LtU),
      get(s),
      get(ap),
      get(w),
      i32(3),
      op.i32Shl,
      op.i32Add,
      op.i64Load(),
      get(bp),
      get(w),
      i32(3),
      op.i32Shl,
      op.i32Add,
      op.i64Load(),
      op.i64And,
      op.i64Popcnt,
      op.i32WrapI64,
      op.i32Add,
      set(s),
      inc(w, i32(1)),
    ),
  );
  // c[cq] = (acc ? c[cq] : 0) + (s << shift)
  const store = seq(get(cq), get(s), get(SHIFT), op.i32Shl, get(cq), op.i32Load(), i32(0), get(ACC), op.select, op.i32Add, op.i32Store());
  // An all-zero row of A (no active word line) gives zeros: stored, or nothing to add.
  const rowAny = seq(
    op.i64Const0,
    set(any),
    i32(0),
    set(w),
    whileLoop(seq(get(w), get(W), op.i32LtU), get(any), get(ap), get(w), i32(3), op.i32Shl, op.i32Add, op.i64Load(), op.i64Or, set(any), inc(w, i32(1))),
  );
  const row = seq(
    rowAny,
    get(any),
    op.i64Eqz,
    op.if(
      seq(get(ACC), op.i32Eqz, op.if(seq(get(cp), i32(0), get(N), i32(2), op.i32Shl, op.memoryFill))),
      seq(
        get(B),
        set(bp),
        get(cp),
        set(cq),
        i32(0),
        set(j),
        whileLoop(seq(get(j), get(N), op.i32LtU), dot, store, inc(bp, get(rowBytes)), inc(cq, i32(4)), inc(j, i32(1))),
      ),
    ),
  );
  const body = seq(
    get(W),
    i32(3),
    op.i32Shl,
    set(rowBytes),
    get(A),
    set(ap),
    get(C),
    set(cp),
    i32(0),
    set(i),
    whileLoop(seq(get(i), get(M), op.i32LtU), row, inc(ap, get(rowBytes)), get(cp), get(N), i32(2), op.i32Shl, op.i32Add, set(cp), inc(i, i32(1))),
  );
  return encodeModule({ memory: { name: 'mem', pages: 1 }, funcs: [{ name: 'bitmm', params: PARAMS, results: [], locals, body }] });
}

type Kernel = (a: number, b: number, c: number, m: number, n: number, w: number, shift: number, acc: number) => void;
let engine: { readonly mem: WasmMemory; readonly bitmm: Kernel } | null | undefined;

function getEngine(): { readonly mem: WasmMemory; readonly bitmm: Kernel } | null {
  if (engine === undefined) {
    const ex = instantiateKernels(moduleBytes);
    engine = ex === null ? null : { mem: ex['mem'] as WasmMemory, bitmm: ex['bitmm'] as Kernel };
  }
  return engine;
}

/** Whether bitmm runs in WebAssembly (false: no WebAssembly or SNNC_NO_WASM=1). */
export function bitmmWasmEnabled(): boolean {
  return getEngine() !== null;
}

/** Test hook: forget the engine so the next call re-reads SNNC_NO_WASM. */
export function resetBitmm(): void {
  engine = undefined;
}

/** 32-bit words of a packed row of `bits` bits (a whole number of 64-bit words). */
export function packedWords(bits: number): number {
  return 2 * Math.ceil(bits / 64);
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/**
 * C[i·N + j] (+)= popcount(A_i AND B_j) << shift for M packed rows of A and N of B, each of
 * `words` 32-bit words (packedWords: an even count). C is an Int32Array of M·N.
 */
export function bitmm(a: Uint32Array, b: Uint32Array, c: Int32Array, M: number, N: number, words: number, shift: number, accumulate: boolean): void {
  if (M === 0 || N === 0) return;
  const e = getEngine();
  const aBytes = 4 * M * words;
  const bBytes = 4 * N * words;
  if (e !== null && growMemory(e.mem, aBytes + bBytes + 4 * M * N)) {
    const buf = e.mem.buffer;
    new Uint32Array(buf, 0, M * words).set(a.subarray(0, M * words));
    new Uint32Array(buf, aBytes, N * words).set(b.subarray(0, N * words));
    const out = new Int32Array(buf, aBytes + bBytes, M * N);
    if (accumulate) out.set(c.subarray(0, M * N));
    e.bitmm(0, aBytes, aBytes + bBytes, M, N, words / 2, shift, accumulate ? 1 : 0);
    c.set(out);
    return;
  }
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let w = 0; w < words; w++) s += popcount32(((a[i * words + w] as number) & (b[j * words + w] as number)) >>> 0);
      const at = i * N + j;
      c[at] = (accumulate ? (c[at] as number) : 0) + s * 2 ** shift;
    }
  }
}
