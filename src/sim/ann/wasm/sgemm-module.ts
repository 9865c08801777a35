// The float32 GEMM kernels as a WebAssembly SIMD module, generated here rather than
// compiled (there is no C/Rust toolchain in the build). Two exports over row-major,
// densely packed operands in the module's memory, all sizes in elements and all
// pointers in bytes:
//
//   nn(M, N, K, a, b, c, alpha, acc): C[M x N] (+)= alpha * A[M x K] . B[K x N]
//   nt(M, N, K, a, b, c, alpha, acc): C[M x N] (+)= alpha * A[M x K] . B[N x K]^T
//
// nn broadcasts one A element (v128.load32_splat) against four adjacent columns of a
// row of B, so a tile of C of R rows x 4V columns lives in R*V v128 accumulators while
// p runs over K. nt is a dot-product kernel: R rows of A against Q rows of B, four
// values of p per step, the lane sums folded at the end. Both accumulate in float32
// (as onnxruntime does), and tiles shrink at the edges down to a scalar 1 x 1 tail,
// so every M, N, K (including 0 and 1) is handled. The tile shapes keep accumulators
// plus operands within the 16 vector registers of x86-64.
import type { Bytes, FuncSpec, ValType } from './encode.js';
import { F32, I32, V128, encodeModule, localsAfter, op, seq, whileLoop } from './encode.js';

// Parameters of both functions.
const M = 0,
  N = 1,
  K = 2,
  A = 3,
  B = 4,
  C = 5,
  ALPHA = 6,
  ACC = 7;
const PARAMS: readonly ValType[] = [I32, I32, I32, I32, I32, I32, F32, I32];

/** Local allocation for one function body. */
function localAlloc(): { readonly types: ValType[]; readonly add: (t: ValType) => number; readonly many: (t: ValType, n: number) => number[] } {
  const types: ValType[] = [];
  const add = (t: ValType): number => {
    types.push(t);
    return PARAMS.length + types.length - 1;
  };
  return { types, add, many: (t, n) => Array.from({ length: n }, () => add(t)) };
}

const { get, set, i32 } = op;
/** l += v (i32). */
const inc = (l: number, v: Bytes): number[] => seq(get(l), v, op.i32Add, set(l));
/** x + r < lim, unsigned: "a whole tile of r still fits". */
const fits = (x: number, r: number, lim: number): number[] => seq(get(x), i32(r), op.i32Add, get(lim), op.i32LeU);
const zeroV = seq(op.f32(0), op.f32x4Splat);
/** Pointer to row `row` (a local) + `col` (a local or null) of a matrix with row stride `ld` bytes. */
const addr = (base: number, row: number, ldBytes: number, col: number | null): number[] =>
  seq(get(base), get(row), get(ldBytes), op.i32Mul, op.i32Add, col === null ? [] : seq(get(col), i32(4), op.i32Mul, op.i32Add));

/**
 * Store one tile of results: for each (r, q) the value on the stack produced by `val(r, q)`
 * goes to rowPtr[r] + width*q bytes, added to what is there when `acc` is set.
 */
function storeTile(R: number, Q: number, rowPtr: readonly number[], width: 4 | 16, val: (r: number, q: number) => Bytes, accFlag = ACC): number[] {
  const load = width === 16 ? op.v128Load : op.f32Load;
  const store = width === 16 ? op.v128Store : op.f32Store;
  const add = width === 16 ? op.f32x4Add : op.f32Add;
  const body = (withOld: boolean): number[] => {
    const out: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let q = 0; q < Q; q++) {
        const p = rowPtr[r] as number;
        out.push(...get(p), ...val(r, q));
        if (withOld) out.push(...get(p), ...load(width * q), ...add);
        out.push(...store(width * q));
      }
    }
    return out;
  };
  return seq(get(accFlag), op.if(body(true), body(false)));
}

/** pa[r] = &A[i + r, 0], pc[r] = &C[i + r, j] for r < R (kb, nb: row strides of A and C in bytes). */
function rowPointers(R: number, pa: readonly number[], pc: readonly number[], i: number, j: number, kb: number, nb: number): number[] {
  const out = seq(addr(A, i, kb, null), set(pa[0] as number), addr(C, i, nb, j), set(pc[0] as number));
  for (let r = 1; r < R; r++) {
    out.push(...get(pa[r - 1] as number), ...get(kb), ...op.i32Add, ...set(pa[r] as number));
    out.push(...get(pc[r - 1] as number), ...get(nb), ...op.i32Add, ...set(pc[r] as number));
  }
  return out;
}

function nnFunc(): FuncSpec {
  const L = localAlloc();
  const [i, j, p, nb, kb, pb, alphaV, sv, tb] = [L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(V128), L.add(V128), L.add(F32)];
  const RMAX = 4,
    VMAX = 2;
  const pa = L.many(I32, RMAX);
  const pc = L.many(I32, RMAX);
  const acc = Array.from({ length: RMAX }, () => L.many(V128, VMAX));
  const bv = L.many(V128, VMAX);
  const sacc = L.many(F32, RMAX);

  const rowPtrs = (R: number): number[] => rowPointers(R, pa, pc, i, j, kb, nb);

  /** An R x 4V tile of C, advancing j by 4V while it fits. */
  const vecCols = (R: number, V: number): number[] => {
    const init: number[] = [];
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) init.push(...zeroV, ...set(acc[r]?.[v] as number));
    const step: number[] = [];
    for (let v = 0; v < V; v++) step.push(...get(pb), ...op.v128Load(16 * v), ...set(bv[v] as number));
    for (let r = 0; r < R; r++) {
      step.push(...get(pa[r] as number), ...op.v128Load32Splat(), ...set(sv));
      for (let v = 0; v < V; v++) {
        const a = acc[r]?.[v] as number;
        step.push(...get(a), ...get(sv), ...get(bv[v] as number), ...op.f32x4Mul, ...op.f32x4Add, ...set(a));
      }
      step.push(...inc(pa[r] as number, i32(4)));
    }
    step.push(...inc(pb, get(nb)), ...get(p), ...i32(1), ...op.i32Sub, ...set(p));
    return whileLoop(
      fits(j, 4 * V, N),
      init,
      rowPtrs(R),
      get(B),
      get(j),
      i32(4),
      op.i32Mul,
      op.i32Add,
      set(pb),
      get(K),
      set(p),
      whileLoop(get(p), step),
      storeTile(R, V, pc, 16, (r, v) => seq(get(acc[r]?.[v] as number), get(alphaV), op.f32x4Mul)),
      inc(j, i32(4 * V)),
    );
  };

  /** The last N % 4 columns one at a time, R rows. */
  const scalarCols = (R: number): number[] => {
    const init: number[] = [];
    for (let r = 0; r < R; r++) init.push(...op.f32(0), ...set(sacc[r] as number));
    const step: number[] = [...get(pb), ...op.f32Load(), ...set(tb)];
    for (let r = 0; r < R; r++) {
      const s = sacc[r] as number;
      step.push(...get(s), ...get(pa[r] as number), ...op.f32Load(), ...get(tb), ...op.f32Mul, ...op.f32Add, ...set(s));
      step.push(...inc(pa[r] as number, i32(4)));
    }
    step.push(...inc(pb, get(nb)), ...get(p), ...i32(1), ...op.i32Sub, ...set(p));
    return whileLoop(
      seq(get(j), get(N), op.i32LtU),
      init,
      rowPtrs(R),
      get(B),
      get(j),
      i32(4),
      op.i32Mul,
      op.i32Add,
      set(pb),
      get(K),
      set(p),
      whileLoop(get(p), step),
      storeTile(R, 1, pc, 4, (r) => seq(get(sacc[r] as number), get(ALPHA), op.f32Mul)),
      inc(j, i32(1)),
    );
  };

  const rows = (R: number): number[] => whileLoop(fits(i, R, M), i32(0), set(j), vecCols(R, 2), vecCols(R, 1), scalarCols(R), inc(i, i32(R)));

  const body = seq(get(N), i32(4), op.i32Mul, set(nb), get(K), i32(4), op.i32Mul, set(kb), get(ALPHA), op.f32x4Splat, set(alphaV), rows(4), rows(2), rows(1));
  return { name: 'nn', params: PARAMS, results: [], locals: L.types, body };
}

function ntFunc(): FuncSpec {
  const L = localAlloc();
  const [i, j, p, nb, kb, av, ta] = [L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(V128), L.add(F32)];
  const RMAX = 2,
    QMAX = 4;
  const pa = L.many(I32, RMAX);
  const pbq = L.many(I32, QMAX);
  const pc = L.many(I32, RMAX);
  const acc = Array.from({ length: RMAX }, () => L.many(V128, QMAX));
  const bv = L.many(V128, QMAX);
  const s = Array.from({ length: RMAX }, () => L.many(F32, QMAX));

  const tile = (R: number, Q: number): number[] => {
    const init: number[] = [];
    for (let r = 0; r < R; r++) for (let q = 0; q < Q; q++) init.push(...zeroV, ...set(acc[r]?.[q] as number));
    // Row pointers: A rows i.., B rows j.., C row i.. at column j.
    init.push(...addr(A, i, kb, null), ...set(pa[0] as number), ...addr(C, i, nb, j), ...set(pc[0] as number));
    for (let r = 1; r < R; r++) {
      init.push(...get(pa[r - 1] as number), ...get(kb), ...op.i32Add, ...set(pa[r] as number));
      init.push(...get(pc[r - 1] as number), ...get(nb), ...op.i32Add, ...set(pc[r] as number));
    }
    init.push(...addr(B, j, kb, null), ...set(pbq[0] as number));
    for (let q = 1; q < Q; q++) init.push(...get(pbq[q - 1] as number), ...get(kb), ...op.i32Add, ...set(pbq[q] as number));
    init.push(...get(K), ...set(p));

    const step: number[] = [];
    for (let q = 0; q < Q; q++) step.push(...get(pbq[q] as number), ...op.v128Load(), ...set(bv[q] as number));
    for (let r = 0; r < R; r++) {
      step.push(...get(pa[r] as number), ...op.v128Load(), ...set(av));
      for (let q = 0; q < Q; q++) {
        const a = acc[r]?.[q] as number;
        step.push(...get(a), ...get(av), ...get(bv[q] as number), ...op.f32x4Mul, ...op.f32x4Add, ...set(a));
      }
    }
    for (let r = 0; r < R; r++) step.push(...inc(pa[r] as number, i32(16)));
    for (let q = 0; q < Q; q++) step.push(...inc(pbq[q] as number, i32(16)));
    step.push(...get(p), ...i32(4), ...op.i32Sub, ...set(p));

    // Fold the four lanes: (l0 + l1) + (l2 + l3).
    const fold: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let q = 0; q < Q; q++) {
        const a = acc[r]?.[q] as number;
        const lane = (l: number): number[] => seq(get(a), op.f32x4ExtractLane(l));
        fold.push(...lane(0), ...lane(1), ...op.f32Add, ...lane(2), ...lane(3), ...op.f32Add, ...op.f32Add, ...set(s[r]?.[q] as number));
      }
    }
    // The last K % 4 values of p, scalar.
    const tail: number[] = [];
    for (let r = 0; r < R; r++) {
      tail.push(...get(pa[r] as number), ...op.f32Load(), ...set(ta));
      for (let q = 0; q < Q; q++) {
        const sl = s[r]?.[q] as number;
        tail.push(...get(sl), ...get(ta), ...get(pbq[q] as number), ...op.f32Load(), ...op.f32Mul, ...op.f32Add, ...set(sl));
      }
    }
    for (let r = 0; r < R; r++) tail.push(...inc(pa[r] as number, i32(4)));
    for (let q = 0; q < Q; q++) tail.push(...inc(pbq[q] as number, i32(4)));
    tail.push(...get(p), ...i32(1), ...op.i32Sub, ...set(p));

    return whileLoop(
      fits(j, Q, N),
      init,
      whileLoop(seq(i32(3), get(p), op.i32LtU), step),
      fold,
      whileLoop(get(p), tail),
      storeTile(R, Q, pc, 4, (r, q) => seq(get(s[r]?.[q] as number), get(ALPHA), op.f32Mul)),
      inc(j, i32(Q)),
    );
  };

  const rows = (R: number): number[] => whileLoop(fits(i, R, M), i32(0), set(j), tile(R, 4), tile(R, 1), inc(i, i32(R)));
  const body = seq(get(N), i32(4), op.i32Mul, set(nb), get(K), i32(4), op.i32Mul, set(kb), rows(2), rows(1));
  return { name: 'nt', params: PARAMS, results: [], locals: L.types, body };
}

/**
 * im2col(tab, segs, ow, sw, src, dst): the patch matrix of one image for Conv. Rows of ow
 * floats are written one after another from dst; tab holds five i32 per segment of rows
 * that share their column bounds: base (in elements, relative to src; may be negative,
 * only base + lo*sw onward is read), lo, hi, count, stride. Row r of a segment is zero
 * outside [lo, hi) and src[base + r*stride + q*sw] (q = lo .. hi-1) inside; lo = hi makes
 * the whole segment zeros (padding rows). The host works out the table once per
 * convolution; stride-1 rows copy four floats per step.
 */
function im2colFunc(): FuncSpec {
  const TAB = 0,
    SEGS = 1,
    OW = 2,
    SW = 3,
    SRC = 4,
    DST = 5;
  const L = localsAfter(6);
  const [q, lo, hi, cnt, rowStep, srow, sp, dp, len] = [
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
  ];
  /** memory.fill(dest, 0, len), skipped when len is 0 (the usual case: fill is a call out of the module). */
  const zero = (dest: Bytes, bytes: Bytes): number[] => seq(bytes, set(len), get(len), op.if(seq(dest, i32(0), get(len), op.memoryFill)));
  const times4 = (x: Bytes): number[] => seq(x, i32(2), op.i32Shl);
  const row = seq(
    zero(get(DST), times4(get(lo))),
    seq(get(lo), set(q), get(srow), set(sp), get(DST), times4(get(lo)), op.i32Add, set(dp)),
    seq(get(SW), i32(1), op.i32Eq),
    op.if(
      whileLoop(
        seq(get(q), i32(4), op.i32Add, get(hi), op.i32LeU),
        seq(get(dp), get(sp), op.v128Load(), op.v128Store(), inc(sp, i32(16)), inc(dp, i32(16)), inc(q, i32(4))),
      ),
    ),
    whileLoop(seq(get(q), get(hi), op.i32LtU), seq(get(dp), get(sp), op.f32Load(), op.f32Store(), inc(sp, times4(get(SW))), inc(dp, i32(4)), inc(q, i32(1)))),
    zero(get(dp), times4(seq(get(OW), get(hi), op.i32Sub))),
    inc(DST, times4(get(OW))),
    inc(srow, get(rowStep)),
    seq(get(cnt), i32(1), op.i32Sub, set(cnt)),
  );
  const segment = seq(
    seq(get(TAB), op.i32Load(4), set(lo), get(TAB), op.i32Load(8), set(hi), get(TAB), op.i32Load(12), set(cnt)),
    seq(get(TAB), op.i32Load(16), i32(2), op.i32Shl, set(rowStep)),
    seq(get(lo), get(hi), op.i32Eq),
    op.if(
      // padding rows: one fill for the whole segment
      seq(zero(get(DST), times4(seq(get(OW), get(cnt), op.i32Mul))), inc(DST, get(len))),
      seq(
        // srow = src + 4*(base + lo*sw)
        seq(get(SRC), times4(seq(get(TAB), op.i32Load(0), get(lo), get(SW), op.i32Mul, op.i32Add)), op.i32Add, set(srow)),
        whileLoop(get(cnt), row),
      ),
    ),
    inc(TAB, i32(20)),
    seq(get(SEGS), i32(1), op.i32Sub, set(SEGS)),
  );
  return { name: 'im2col', params: [I32, I32, I32, I32, I32, I32], results: [], locals: L.types, body: whileLoop(get(SEGS), segment) };
}

/**
 * conv(M, OH, OW, K, a, x, offs, acc, c, rs): a stride-1 (along the width) convolution as
 * the nn product with its patch matrix read in place instead of gathered by im2col:
 * C[i, oh*OW + ow] (+)= sum_p A[i, p] * x[offs[p] + oh*rs + 4*ow] (bytes), where offs (K
 * i32 byte offsets) says where patch element p of output pixel (0, 0) sits in the image
 * and rs is the byte distance between the input rows of consecutive output rows. Tiles
 * of 4 or 8 columns stay within one output row, so four adjacent columns are four
 * adjacent inputs; the sums run over p in ascending order in float32 lanes exactly as
 * nn's do on the im2col matrix (same bits). No alpha: Conv has none.
 */
function convFunc(): FuncSpec {
  const CM = 0,
    OH = 1,
    OW = 2,
    CK = 3,
    CA = 4,
    X = 5,
    OFFS = 6,
    CACC = 7,
    CC = 8,
    RS = 9;
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const L = localsAfter(params.length);
  const [i, oh, j, p, kb, pbytes, xrow, xb, po, crow, xp, sv, tb] = [
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(I32),
    L.add(V128),
    L.add(F32),
  ];
  const RMAX = 4,
    VMAX = 2;
  const pa = Array.from({ length: RMAX }, () => L.add(I32));
  const pc = Array.from({ length: RMAX }, () => L.add(I32));
  const acc = Array.from({ length: RMAX }, () => Array.from({ length: VMAX }, () => L.add(V128)));
  const bv = Array.from({ length: VMAX }, () => L.add(V128));
  const sacc = Array.from({ length: RMAX }, () => L.add(F32));

  /** pa[r] = &A[i + r, 0], pc[r] = &C[i + r, oh*OW + j]; xb = xrow + 4j; po = offs; p = K. */
  const tileStart = (R: number): number[] => {
    const out = seq(get(CA), get(i), get(kb), op.i32Mul, op.i32Add, set(pa[0] as number));
    out.push(...get(crow), ...get(j), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(pc[0] as number));
    for (let r = 1; r < R; r++) {
      out.push(...get(pa[r - 1] as number), ...get(kb), ...op.i32Add, ...set(pa[r] as number));
      out.push(...get(pc[r - 1] as number), ...get(pbytes), ...op.i32Add, ...set(pc[r] as number));
    }
    out.push(...get(xrow), ...get(j), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(xb), ...get(OFFS), ...set(po), ...get(CK), ...set(p));
    return out;
  };
  /** After a p step: next patch element. */
  const advance = (R: number): number[] => {
    const out: number[] = [];
    for (let r = 0; r < R; r++) out.push(...inc(pa[r] as number, i32(4)));
    out.push(...inc(po, i32(4)), ...get(p), ...i32(1), ...op.i32Sub, ...set(p));
    return out;
  };
  const vecCols = (R: number, V: number): number[] => {
    const init: number[] = [];
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) init.push(...zeroV, ...set(acc[r]?.[v] as number));
    const step: number[] = [...get(xb), ...get(po), ...op.i32Load(), ...op.i32Add, ...set(xp)];
    for (let v = 0; v < V; v++) step.push(...get(xp), ...op.v128Load(16 * v), ...set(bv[v] as number));
    for (let r = 0; r < R; r++) {
      step.push(...get(pa[r] as number), ...op.v128Load32Splat(), ...set(sv));
      for (let v = 0; v < V; v++) {
        const a = acc[r]?.[v] as number;
        step.push(...get(a), ...get(sv), ...get(bv[v] as number), ...op.f32x4Mul, ...op.f32x4Add, ...set(a));
      }
    }
    step.push(...advance(R));
    return whileLoop(
      fits(j, 4 * V, OW),
      init,
      tileStart(R),
      whileLoop(get(p), step),
      storeTile(R, V, pc, 16, (r, v) => get(acc[r]?.[v] as number), CACC),
      inc(j, i32(4 * V)),
    );
  };
  const scalarCols = (R: number): number[] => {
    const init: number[] = [];
    for (let r = 0; r < R; r++) init.push(...op.f32(0), ...set(sacc[r] as number));
    const step: number[] = [...get(xb), ...get(po), ...op.i32Load(), ...op.i32Add, ...op.f32Load(), ...set(tb)];
    for (let r = 0; r < R; r++) {
      const sl = sacc[r] as number;
      step.push(...get(sl), ...get(pa[r] as number), ...op.f32Load(), ...get(tb), ...op.f32Mul, ...op.f32Add, ...set(sl));
    }
    step.push(...advance(R));
    return whileLoop(
      seq(get(j), get(OW), op.i32LtU),
      init,
      tileStart(R),
      whileLoop(get(p), step),
      storeTile(R, 1, pc, 4, (r) => get(sacc[r] as number), CACC),
      inc(j, i32(1)),
    );
  };
  const rows = (R: number): number[] =>
    whileLoop(
      fits(i, R, CM),
      i32(0),
      set(oh),
      whileLoop(
        seq(get(oh), get(OH), op.i32LtU),
        // xrow = x + oh*rs; crow = c + 4*(i*OH*OW + oh*OW)
        seq(get(X), get(oh), get(RS), op.i32Mul, op.i32Add, set(xrow)),
        seq(get(CC), get(i), get(pbytes), op.i32Mul, op.i32Add, get(oh), get(OW), op.i32Mul, i32(2), op.i32Shl, op.i32Add, set(crow)),
        i32(0),
        set(j),
        vecCols(R, 2),
        vecCols(R, 1),
        scalarCols(R),
        inc(oh, i32(1)),
      ),
      inc(i, i32(R)),
    );
  const body = seq(
    seq(get(CK), i32(2), op.i32Shl, set(kb)),
    seq(get(OH), get(OW), op.i32Mul, i32(2), op.i32Shl, set(pbytes)),
    i32(0),
    set(i),
    rows(4),
    rows(2),
    rows(1),
  );
  return { name: 'conv', params, results: [], locals: L.types, body };
}

/**
 * avg4(x, y, NC, OH, OW, plane, rowStep, colStep, o1, o2, o3): a four-tap average pool whose
 * windows all lie inside the input (the 2x2 pool), all sizes in bytes but the counts. Output
 * (nc, oh, ow) is ((x[a] + x[a + o1]) + x[a + o2]) + x[a + o3], added in float64, times 1/4,
 * rounded to float32, where a = x + nc*plane + oh*rowStep + ow*colStep — the TS loop's
 * arithmetic exactly (x*0.25 and x/4 are the same correctly rounded value).
 */
export function avg4Func(): FuncSpec {
  const [X, Y, NC, OHn, OWn, PLANE, ROWSTEP, COLSTEP, O1, O2, O3] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const params: ValType[] = new Array<ValType>(11).fill(I32);
  const L = localsAfter(params.length);
  const [nc, oh, ow, base, a] = [L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(I32)];
  const tap = (off: number | null): number[] => seq(get(a), off === null ? [] : seq(get(off), op.i32Add), op.f32Load(), op.f64PromoteF32);
  const one = seq(
    get(Y),
    seq(tap(null), tap(O1), op.f64Add, tap(O2), op.f64Add, tap(O3), op.f64Add, op.f64(0.25), op.f64Mul, op.f32DemoteF64),
    op.f32Store(),
    inc(Y, i32(4)),
    inc(a, get(COLSTEP)),
    inc(ow, i32(1)),
  );
  const body = whileLoop(
    seq(get(nc), get(NC), op.i32LtU),
    seq(get(X), get(nc), get(PLANE), op.i32Mul, op.i32Add, set(base), i32(0), set(oh)),
    whileLoop(
      seq(get(oh), get(OHn), op.i32LtU),
      seq(get(base), get(oh), get(ROWSTEP), op.i32Mul, op.i32Add, set(a), i32(0), set(ow)),
      whileLoop(seq(get(ow), get(OWn), op.i32LtU), one),
      inc(oh, i32(1)),
    ),
    inc(nc, i32(1)),
  );
  return { name: 'avg4', params, results: [], locals: L.types, body };
}

/**
 * relu(ptr, n): x = x < 0 ? 0 : x over n floats in place — NaN and -0 pass through, as in
 * the Relu kernel. Four lanes per step (the lane mask clears the negatives), then the tail.
 */
function reluFunc(): FuncSpec {
  const PTR = 0,
    CNT = 1;
  const L = localsAfter(2);
  const v = L.add(V128);
  const s = L.add(F32);
  const vec = seq(
    get(PTR),
    seq(get(PTR), op.v128Load(), op.tee(v)),
    seq(get(v), zeroV, op.f32x4Lt),
    op.v128AndNot,
    op.v128Store(),
    inc(PTR, i32(16)),
    seq(get(CNT), i32(4), op.i32Sub, set(CNT)),
  );
  const one = seq(
    get(PTR),
    op.f32(0),
    seq(get(PTR), op.f32Load(), op.tee(s)),
    seq(get(s), op.f32(0), op.f32Lt),
    op.select,
    op.f32Store(),
    inc(PTR, i32(4)),
    seq(get(CNT), i32(1), op.i32Sub, set(CNT)),
  );
  return {
    name: 'relu',
    params: [I32, I32],
    results: [],
    locals: L.types,
    body: seq(whileLoop(seq(i32(3), get(CNT), op.i32LtU), vec), whileLoop(get(CNT), one)),
  };
}

/**
 * ew(op, rows, n, a, sa, da, b, sb, db, y): y[r·n + t] = a[sa[r] + t·da] ∘ b[sb[r] + t·db] for
 * r < rows, t < n, with ∘ = add, sub, mul, div (op 0–3): a broadcasting float32 binary op over
 * the row plan of ann/broadcast.ts (sa, sb: int32 row starts in elements; da, db: 0 or 1). The
 * f32x4 operation rounds once, as the TS loop's double operation rounded on store does (for
 * these four operations on float32 values double rounding never differs), so the same bits.
 */
function ewFunc(): FuncSpec {
  const [OP, ROWS, NN, A_, SA, DA, B_, SB, DB, Y] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const params: ValType[] = new Array<ValType>(10).fill(I32);
  const L = localsAfter(params.length);
  const [r, t, pa, pb, py] = [L.add(I32), L.add(I32), L.add(I32), L.add(I32), L.add(I32)];
  const [va, vb] = [L.add(V128), L.add(V128)];
  const vecOps = [op.f32x4Add, op.f32x4Sub, op.f32x4Mul, op.f32x4Div];
  const scalarOps = [op.f32Add, op.f32Sub, op.f32Mul, op.f32Div];
  // One row loop per (operation, strides): the strides decide what is loaded or splatted.
  const rowLoop = (o: number, da: 0 | 1, db: 0 | 1): number[] => {
    const start = (base: number, starts: number, ptr: number): number[] =>
      seq(get(base), get(starts), get(r), i32(2), op.i32Shl, op.i32Add, op.i32Load(), i32(2), op.i32Shl, op.i32Add, set(ptr));
    const vec = (d: 0 | 1, ptr: number, v: number): number[] => (d === 1 ? seq(get(ptr), op.v128Load()) : get(v));
    const step = (width: number): number[] =>
      seq(da === 1 ? inc(pa, i32(width)) : [], db === 1 ? inc(pb, i32(width)) : [], inc(py, i32(width)), seq(get(t), i32(width / 4), op.i32Sub, set(t)));
    return seq(
      i32(0),
      set(r),
      get(Y),
      set(py),
      whileLoop(
        seq(get(r), get(ROWS), op.i32LtU),
        start(A_, SA, pa),
        start(B_, SB, pb),
        da === 0 ? seq(get(pa), op.v128Load32Splat(), set(va)) : [],
        db === 0 ? seq(get(pb), op.v128Load32Splat(), set(vb)) : [],
        get(NN),
        set(t),
        whileLoop(seq(i32(3), get(t), op.i32LtU), get(py), vec(da, pa, va), vec(db, pb, vb), vecOps[o] as Bytes, op.v128Store(), step(16)),
        whileLoop(get(t), get(py), get(pa), op.f32Load(), get(pb), op.f32Load(), scalarOps[o] as Bytes, op.f32Store(), step(4)),
        inc(r, i32(1)),
      ),
    );
  };
  const strided = (o: number): number[] =>
    seq(get(DA), op.if(seq(get(DB), op.if(rowLoop(o, 1, 1), rowLoop(o, 1, 0))), seq(get(DB), op.if(rowLoop(o, 0, 1), rowLoop(o, 0, 0)))));
  const body = seq(
    get(OP),
    op.if(seq(get(OP), i32(1), op.i32Eq, op.if(strided(1), seq(get(OP), i32(2), op.i32Eq, op.if(strided(2), strided(3))))), strided(0)),
  );
  return { name: 'ew', params, results: [], locals: L.types, body };
}

/** The module's bytes: memory "mem" (1 page to start; the host grows it) and nn, nt, im2col, relu, conv, avg4, ew. */
export function sgemmModuleBytes(): Uint8Array {
  return encodeModule({
    memory: { name: 'mem', pages: 1 },
    funcs: [nnFunc(), ntFunc(), im2colFunc(), reluFunc(), convFunc(), avg4Func(), ewFunc()],
  });
}
