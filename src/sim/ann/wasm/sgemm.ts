// Host side of the WebAssembly SIMD GEMM: compiles the generated module once, lazily
// and synchronously, and runs a float32 product by copying the operands into its
// memory (packed, 16-byte aligned) and the result back out. Operands are copied on
// every call rather than kept resident: the copy is a memcpy, small next to the
// product, and a cache keyed on array identity would go stale if a caller changed
// weights in place. When WebAssembly SIMD is unavailable (validation fails), or
// SNNC_NO_WASM=1 is set, `sgemm` returns false and the caller runs its own TS loop.
import { sgemmModuleBytes } from './sgemm-module.js';

type KernelFn = (m: number, n: number, k: number, a: number, b: number, c: number, alpha: number, acc: number) => void;

// The slice of the WebAssembly JS API used here, typed locally: the project's lib
// settings (ES2022 + node types) do not declare the WebAssembly global.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** The host's WebAssembly object, if it has one. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** avg4's signature (sgemm-module.ts), also run by the SNN's scatter module. */
export type Avg4Fn = (
  x: number,
  y: number,
  nc: number,
  oh: number,
  ow: number,
  plane: number,
  rowStep: number,
  colStep: number,
  o1: number,
  o2: number,
  o3: number,
) => void;
type ConvFn = (m: number, oh: number, ow: number, k: number, a: number, x: number, offs: number, acc: number, c: number, rs: number) => void;
type Im2colFn = (tab: number, segs: number, ow: number, sw: number, src: number, dst: number) => void;
type EwFn = (op: number, rows: number, n: number, a: number, sa: number, da: number, b: number, sb: number, db: number, y: number) => void;

interface Engine {
  readonly mem: WasmMemory;
  readonly nn: KernelFn;
  readonly nt: KernelFn;
  readonly im2col: Im2colFn;
  readonly relu: (ptr: number, n: number) => void;
  readonly conv: ConvFn;
  readonly avg4: Avg4Fn;
  readonly ew: EwFn;
}

/** Largest working set we place in wasm memory; bigger products take the TS path. */
export const MAX_WASM_BYTES = 1 << 30;
const PAGE = 65536;

let engine: Engine | null | undefined;

/** SNNC_NO_WASM=1: every kernel takes its TypeScript path (for tests and comparison). */
function envDisabled(): boolean {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.['SNNC_NO_WASM'] === '1';
}

/**
 * The exports of a generated module, or null when kernels must take their TypeScript path:
 * SNNC_NO_WASM=1, no WebAssembly, or a host that does not validate it (no SIMD).
 */
export function instantiateKernels(bytes: () => Uint8Array): Record<string, unknown> | null {
  const api = wasmApi();
  if (envDisabled() || api === undefined) return null;
  const b = bytes();
  if (!api.validate(b)) return null;
  return new api.Instance(new api.Module(b), {}).exports;
}

/** Grow `mem` to at least `bytes`; false if the host refuses (callers then take the TS path). */
export function growMemory(mem: WasmMemory, bytes: number): boolean {
  if (mem.buffer.byteLength >= bytes) return true;
  try {
    mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / PAGE));
    return true;
  } catch {
    return false;
  }
}

function load(): Engine | null {
  const ex = instantiateKernels(sgemmModuleBytes);
  return ex === null
    ? null
    : {
        mem: ex['mem'] as WasmMemory,
        nn: ex['nn'] as KernelFn,
        nt: ex['nt'] as KernelFn,
        im2col: ex['im2col'] as Im2colFn,
        relu: ex['relu'] as Engine['relu'],
        conv: ex['conv'] as ConvFn,
        avg4: ex['avg4'] as Avg4Fn,
        ew: ex['ew'] as EwFn,
      };
}

function getEngine(): Engine | null {
  if (engine === undefined) engine = load();
  return engine;
}

/** Whether products run in WebAssembly (false: SIMD unsupported or SNNC_NO_WASM=1). */
export function wasmGemmEnabled(): boolean {
  return getEngine() !== null;
}

/**
 * C[i, j] (+)= alpha * sum_p A[i, p] * B'(p, j) summed in the order the exactSums TS loops sum
 * (float32, ascending p: s ← fl32(s + fl32(a·b)), then fl32(alpha·s) (+ C)): the nn kernel,
 * which sums so; the 'nt' form, whose kernel folds four partial sums per output, is
 * transposed into 'nn' on the way in (an O(size) copy). B' as in sgemm. False when the
 * WebAssembly path is unavailable.
 */
export function sgemmExact(
  form: 'nn' | 'nt',
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): boolean {
  return product(true, form, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate);
}

/**
 * The module itself, for a caller that keeps its operands in the module's memory across
 * several products (Conv: the batch, the weights and the output stay put while each
 * image's patches are gathered and multiplied). Pointers are byte offsets into `mem`;
 * a Float32Array view of it is valid until the memory grows (growMemory).
 */
export interface ResidentGemm {
  readonly mem: WasmMemory;
  /** nn(M, N, K, a, b, c, alpha, acc) over densely packed operands (see sgemm-module.ts). */
  readonly nn: KernelFn;
  /** im2col(tab, segs, ow, sw, src, dst): patch rows from a table of (base, lo, hi, count, stride) segments. */
  readonly im2col: Im2colFn;
  /** relu(ptr, n): x < 0 ? 0 : x over n floats in place. */
  readonly relu: (ptr: number, n: number) => void;
  /** conv(M, OH, OW, K, a, x, offs, acc, c, rs): nn with the patches read in place (see sgemm-module.ts). */
  readonly conv: ConvFn;
  /** avg4(x, y, NC, OH, OW, plane, rowStep, colStep, o1, o2, o3): the interior four-tap average pool (see sgemm-module.ts). */
  readonly avg4: Avg4Fn;
  /** ew(op, rows, n, a, sa, da, b, sb, db, y): a float32 Add/Sub/Mul/Div over a broadcast row plan (see sgemm-module.ts). */
  readonly ew: EwFn;
}

/** The resident kernels, or null where `sgemm` would return false. */
export function residentGemm(): ResidentGemm | null {
  return getEngine();
}

/** Test hook: forget the engine so the next call re-reads SNNC_NO_WASM. */
export function resetWasmGemm(): void {
  engine = undefined;
}

/** x rounded up to a multiple of 16 (byte offsets of v128 operands; element counts padded to 16 lanes). */
export const align16 = (x: number): number => (x + 15) & ~15;

/** Copy a rows x cols block (row stride ld) from src[off..] into dst at element dOff, packed. */
function packIn(dst: Float32Array, dOff: number, src: Float32Array, off: number, ld: number, rows: number, cols: number): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(off, off + rows * cols), dOff);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), dOff + r * cols);
}

function packOut(dst: Float32Array, off: number, ld: number, src: Float32Array, sOff: number, rows: number, cols: number): void {
  if (ld === cols || rows === 1) {
    dst.set(src.subarray(sOff, sOff + rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(sOff + r * cols, sOff + (r + 1) * cols), off + r * ld);
}

/**
 * C[i, j] (+)= alpha * sum_p A[i, p] * B'(p, j), where B'(p, j) is B[p, j] for
 * `form` 'nn' and B[j, p] for 'nt'; strides and offsets as in gemmNN / gemmNT.
 * Returns false (having done nothing) when the WebAssembly path is unavailable.
 */
export function sgemm(
  form: 'nn' | 'nt',
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): boolean {
  return product(false, form, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate);
}

/** sgemm (float32 sums) or sgemmExact (float32 sums in ascending order: nn only). */
function product(
  exact: boolean,
  form: 'nn' | 'nt',
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): boolean {
  const e = getEngine();
  if (e === null) return false;
  if (m === 0 || n === 0) return true;
  const aBytes = align16(4 * m * k);
  const bBytes = align16(4 * k * n);
  const need = aBytes + bBytes + 4 * m * n;
  if (need > MAX_WASM_BYTES) return false;
  if (!growMemory(e.mem, need)) return false; // the host refused the memory: the TS path still works
  const heap = new Float32Array(e.mem.buffer);
  const bp = aBytes;
  const cp = aBytes + bBytes;
  packIn(heap, 0, a, aOff, lda, m, k);
  if (form === 'nn') packIn(heap, bp / 4, b, bOff, ldb, k, n);
  else if (!exact) packIn(heap, bp / 4, b, bOff, ldb, n, k);
  else {
    // Ascending order needs nn: B [n x k] (row stride ldb) goes in as its transpose, [k x n].
    const at = bp / 4;
    for (let j = 0; j < n; j++) {
      const r = bOff + j * ldb;
      for (let p = 0; p < k; p++) heap[at + p * n + j] = b[r + p] as number;
    }
  }
  if (accumulate) packIn(heap, cp / 4, c, cOff, ldc, m, n);
  (exact || form === 'nn' ? e.nn : e.nt)(m, n, k, 0, bp, cp, alpha, accumulate ? 1 : 0);
  packOut(c, cOff, ldc, heap, cp / 4, m, n);
  return true;
}
