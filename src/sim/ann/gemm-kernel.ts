// The one matrix-multiply kernel behind Gemm, MatMul and Conv (via im2col).
//
// Form: C[i, j] (+)= alpha * sum_p A[i, p] * B[j, p] — both operands row-major with
// the reduction dim contiguous ("NT"), so the inner loop reads two unit-stride
// streams and accumulates in locals (doubles in registers), storing each C element
// once. A 2x4 register tile cuts loads to 6 per 8 multiply-adds; columns of B are
// taken in blocks sized to stay in L2 while every row of A passes over them.
// Callers transpose an operand into NT form when needed (cost O(size), small next to
// the O(m*n*k) product).
//
// float32 products run in the WebAssembly SIMD kernels of ./wasm (about 10x faster,
// summing in float32 as onnxruntime does). With `exact` (the SNN simulator's exactSums)
// every float32 output is summed in one fixed order — ascending p, s ← fl32(s + fl32(a·b)),
// then fl32(alpha·s) (+ C) — by the nn kernel, or without WebAssembly by exactLoops, the
// same arithmetic in TS; the event-driven scatter (snn/scatter.ts) sums in that order too.
// The TS loops, which sum in float64, serve float64, and float32 (not exact) when
// WebAssembly SIMD is unavailable or SNNC_NO_WASM=1.
import { sgemm, sgemmExact } from './wasm/sgemm.js';

export type FArr = Float32Array | Float64Array;

/** Bytes of B kept hot per column block (about half a typical L2). */
const BLOCK_ELEMS = 32768;

export function gemmNT(
  m: number,
  n: number,
  k: number,
  a: FArr,
  aOff: number,
  lda: number,
  b: FArr,
  bOff: number,
  ldb: number,
  c: FArr,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
  exact = false,
): void {
  if (
    a instanceof Float32Array &&
    b instanceof Float32Array &&
    c instanceof Float32Array &&
    (exact ? sgemmExact : sgemm)('nt', m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate)
  )
    return;
  if (exact && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) {
    exactLoops(m, n, k, a, aOff, lda, b, bOff, ldb, 1, c, cOff, ldc, alpha, accumulate);
    return;
  }
  gemmNTLoops(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate);
}

/**
 * C[i, j] (+)= alpha * sum_p A[i, p] * B[p, j]: the "NN" form, B row-major with the
 * output dim contiguous. Conv uses it on the natural im2col layout [patch x pixels],
 * which saves the transpose gemmNT would need. Same 2x4 register tile; each step of p
 * reads 4 adjacent elements of one row of B, and column blocks of B are sized to stay
 * in L2 across all rows of A.
 */
export function gemmNN(
  m: number,
  n: number,
  k: number,
  a: FArr,
  aOff: number,
  lda: number,
  b: FArr,
  bOff: number,
  ldb: number,
  c: FArr,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
  exact = false,
): void {
  if (
    a instanceof Float32Array &&
    b instanceof Float32Array &&
    c instanceof Float32Array &&
    (exact ? sgemmExact : sgemm)('nn', m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate)
  )
    return;
  if (exact && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) {
    exactLoops(m, n, k, a, aOff, lda, b, bOff, 1, ldb, c, cOff, ldc, alpha, accumulate);
    return;
  }
  gemmNNLoops(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, accumulate);
}

/**
 * The exactSums order in TS, for float32 operands (B[j, p] = b[bOff + j·sj + p·sp]): per C
 * element s ← fl32(s + fl32(a·b)) over ascending p from +0, then fl32(alpha·s), added to C in
 * float32 when accumulating — the nn kernel's arithmetic (alpha as float32, as it takes it).
 * A sum of two float32 values computed in float64 and rounded once is the float32 sum, so
 * the store into the Float32Array does the sum's rounding. Exported for tests.
 */
export function exactLoops(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  sj: number,
  sp: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): void {
  const al = Math.fround(alpha);
  const s = new Float32Array(1);
  for (let i = 0; i < m; i++) {
    const ra = aOff + i * lda;
    const rc = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      s[0] = 0;
      for (let p = 0, r = bOff + j * sj; p < k; p++, r += sp) s[0] = (s[0] as number) + Math.fround((a[ra + p] as number) * (b[r] as number));
      const y = Math.fround(al * (s[0] as number));
      c[rc + j] = accumulate ? (c[rc + j] as number) + y : y;
    }
  }
}

/** gemmNT in TS, summing in float64 (the fallback; exported for tests). */
export function gemmNTLoops(
  m: number,
  n: number,
  k: number,
  a: FArr,
  aOff: number,
  lda: number,
  b: FArr,
  bOff: number,
  ldb: number,
  c: FArr,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): void {
  gemmLoops(m, n, k, a, aOff, lda, b, bOff, ldb, 1, c, cOff, ldc, alpha, accumulate);
}

/** gemmNN in TS, summing in float64 (the fallback; exported for tests). */
export function gemmNNLoops(
  m: number,
  n: number,
  k: number,
  a: FArr,
  aOff: number,
  lda: number,
  b: FArr,
  bOff: number,
  ldb: number,
  c: FArr,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): void {
  gemmLoops(m, n, k, a, aOff, lda, b, bOff, 1, ldb, c, cOff, ldc, alpha, accumulate);
}

/**
 * Both forms in one loop nest: B[j, p] = b[bOff + j·sj + p·sp] (NT: sj = ldb, sp = 1;
 * NN: sj = 1, sp = ldb). Every C element is summed over ascending p in float64, so the
 * two forms give the same bits for the same products. A 2x4 register tile (2 rows of A,
 * 4 columns of B, one running offset for all four); column blocks of B are sized to stay
 * in L2 while every row of A passes over them.
 */
function gemmLoops(
  m: number,
  n: number,
  k: number,
  a: FArr,
  aOff: number,
  lda: number,
  b: FArr,
  bOff: number,
  sj: number,
  sp: number,
  c: FArr,
  cOff: number,
  ldc: number,
  alpha: number,
  accumulate: boolean,
): void {
  const jb = Math.max(4, Math.floor(BLOCK_ELEMS / Math.max(1, k)) & ~3);
  for (let j0 = 0; j0 < n; j0 += jb) {
    const j1 = Math.min(n, j0 + jb);
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const ra0 = aOff + i * lda;
      const ra1 = ra0 + lda;
      const rc0 = cOff + i * ldc;
      const rc1 = rc0 + ldc;
      let j = j0;
      for (; j + 3 < j1; j += 4) {
        const r0 = bOff + j * sj;
        const r1 = r0 + sj;
        const r2 = r1 + sj;
        const r3 = r2 + sj;
        let s00 = 0,
          s01 = 0,
          s02 = 0,
          s03 = 0;
        let s10 = 0,
          s11 = 0,
          s12 = 0,
          s13 = 0;
        for (let p = 0, q = 0; p < k; p++, q += sp) {
          const x0 = a[ra0 + p] as number;
          const x1 = a[ra1 + p] as number;
          const y0 = b[r0 + q] as number;
          const y1 = b[r1 + q] as number;
          const y2 = b[r2 + q] as number;
          const y3 = b[r3 + q] as number;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
        }
        c[rc0 + j] = accumulate ? (c[rc0 + j] as number) + alpha * s00 : alpha * s00;
        c[rc0 + j + 1] = accumulate ? (c[rc0 + j + 1] as number) + alpha * s01 : alpha * s01;
        c[rc0 + j + 2] = accumulate ? (c[rc0 + j + 2] as number) + alpha * s02 : alpha * s02;
        c[rc0 + j + 3] = accumulate ? (c[rc0 + j + 3] as number) + alpha * s03 : alpha * s03;
        c[rc1 + j] = accumulate ? (c[rc1 + j] as number) + alpha * s10 : alpha * s10;
        c[rc1 + j + 1] = accumulate ? (c[rc1 + j + 1] as number) + alpha * s11 : alpha * s11;
        c[rc1 + j + 2] = accumulate ? (c[rc1 + j + 2] as number) + alpha * s12 : alpha * s12;
        c[rc1 + j + 3] = accumulate ? (c[rc1 + j + 3] as number) + alpha * s13 : alpha * s13;
      }
      for (; j < j1; j++) {
        let s0 = 0,
          s1 = 0;
        let r = bOff + j * sj;
        for (let p = 0; p < k; p++, r += sp) {
          const y = b[r] as number;
          s0 += (a[ra0 + p] as number) * y;
          s1 += (a[ra1 + p] as number) * y;
        }
        c[rc0 + j] = accumulate ? (c[rc0 + j] as number) + alpha * s0 : alpha * s0;
        c[rc1 + j] = accumulate ? (c[rc1 + j] as number) + alpha * s1 : alpha * s1;
      }
    }
    if (i < m) {
      // The last odd row (all of a batch-1 Gemm, every row of a depthwise conv): four
      // columns at a time, so four independent sums hide the add latency.
      const ra = aOff + i * lda;
      const rc = cOff + i * ldc;
      let j = j0;
      for (; j + 3 < j1; j += 4) {
        const r0 = bOff + j * sj;
        const r1 = r0 + sj;
        const r2 = r1 + sj;
        const r3 = r2 + sj;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let p = 0, q = 0; p < k; p++, q += sp) {
          const x = a[ra + p] as number;
          s0 += x * (b[r0 + q] as number);
          s1 += x * (b[r1 + q] as number);
          s2 += x * (b[r2 + q] as number);
          s3 += x * (b[r3 + q] as number);
        }
        c[rc + j] = accumulate ? (c[rc + j] as number) + alpha * s0 : alpha * s0;
        c[rc + j + 1] = accumulate ? (c[rc + j + 1] as number) + alpha * s1 : alpha * s1;
        c[rc + j + 2] = accumulate ? (c[rc + j + 2] as number) + alpha * s2 : alpha * s2;
        c[rc + j + 3] = accumulate ? (c[rc + j + 3] as number) + alpha * s3 : alpha * s3;
      }
      for (; j < j1; j++) {
        let s = 0;
        let r = bOff + j * sj;
        for (let p = 0; p < k; p++, r += sp) s += (a[ra + p] as number) * (b[r] as number);
        c[rc + j] = accumulate ? (c[rc + j] as number) + alpha * s : alpha * s;
      }
    }
  }
}

/** dst[j*rows + i] = src[off + i*ld + j] for a rows x cols block: a transposed copy. */
export function transposeInto(src: FArr, off: number, ld: number, rows: number, cols: number, dst: FArr, dstOff: number): void {
  // Tiles of 32x32 keep both the reads and the writes within a few cache lines.
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let i = i0; i < i1; i++) {
        const r = off + i * ld;
        for (let j = j0; j < j1; j++) dst[dstOff + j * rows + i] = src[r + j] as number;
      }
    }
  }
}
