// Binary matrix products by popcount. The rows of A and of B are bit vectors packed into W
// 64-bit words each (bit r of a row is bit r % 64 of word r / 64, words little-endian); B
// comes as `planes` bit planes (plane b of column j: bit b of its cells' levels), and
//   s[i, j] = Σ_b 2^b · popcount(A_i AND B_bj)
// is the partial sum of crossbar column j when the word-line inputs are one bit plane
// (spikes, or one bit of a bit-serial code) and the cells hold levels of `planes` bits:
// Σ_r x_r · e_rj exactly (integers). One AND and one popcount stand for 64 multiply-adds.
// Three consumers of s, so partial sums never leave the kernel when they need not:
//   bitmm           C[i, j] (+)= s[i, j]
//   bitmmThreshold  the sense-amplifier read-out: the columns of output o are o·G … o·G + G − 1;
//                   each chunk of C of them (readoutChunk) sums add_q (q the column's place in
//                   its output) over its columns with s[i, j] ≥ ref_j, ascending from +0, and
//                   if one passed acc[i, o] += that sum, chunk after chunk (every engine's order)
//   bitmmHistogram  count every nonzero s[i, j] in hist[slice_j][min(s, len − 1)]
// For cells of one bit (the ADC-less targets) the threshold and histogram read-outs run from
// the inputs' side instead (fromInputs): spiking inputs are sparse, so adding the byte rows of
// a read's few active inputs, sixteen columns per SIMD add, beats N popcount dot products.
// A fourth kernel makes the A rows of the IMC simulation's reads (scatterBits: each nonzero
// input code sets its bits in every read that sees it). Tiles' cell bytes and the scatter
// tables stay in the module's memory between calls (residentAt).
// The kernels are a generated WebAssembly module; without WebAssembly, or with SNNC_NO_WASM=1,
// TypeScript loops give the same results.
import type { Bytes, FuncSpec, ValType } from './encode.js';
import { F64, I32, I64, V128, encodeModule, localsAfter, op, seq, whileLoop } from './encode.js';
import { align16, growMemory, instantiateKernels } from './sgemm.js';
import type { WasmMemory } from './sgemm.js';

const { get, set, i32 } = op;
type Kind = 'sums' | 'threshold' | 'histogram';
// Common parameters: a, b (byte addresses), M rows of A, N columns, W words per row, planes,
// planeBytes (N·W·8); then per kind: sums (c, acc); threshold (ref, add, out, G, C − 1);
// histogram (slice, hist, len).
const COMMON = 7;
const EXTRA: Record<Kind, number> = { sums: 2, threshold: 5, histogram: 3 };

/**
 * Columns per chunk of the threshold read-out for outputs of G columns: the largest power of
 * two up to 8 that divides G (8 for the bundled targets' G = 16: two polarities × 8 slices).
 * A chunk's passing columns are summed first and the sum added to the output, so the
 * WebAssembly kernel can look a chunk up in a table of 2^C sums (thresholdReadout) instead of
 * adding column by column; the other engines keep the same order, hence the same bits.
 */
export function readoutChunk(G: number): number {
  return Math.min(8, G & -G);
}

/** Row widths (64-bit words) with a kernel of their own: A's words sit in locals, the word loop unrolled. */
const UNROLLED = [1, 2, 3, 4] as const;

/**
 * `kind`'s kernel; with `fixedW` specialised to rows of that many words (the W parameter is then
 * ignored), and with `onePlane` also to cells of one bit (the planes parameter is then ignored:
 * 1-bit cells, the ADC-less targets', need no loop over planes — a third fewer instructions per
 * column).
 */
function kernel(kind: Kind, fixedW?: number, onePlane = false): FuncSpec {
  const params: ValType[] = new Array<ValType>(COMMON + EXTRA[kind]).fill(I32);
  const [A, B, M, N, W, PLANES, PLANE_BYTES] = [0, 1, 2, 3, 4, 5, 6];
  const x = (k: number): number => COMMON + k;
  const { types: locals, add } = localsAfter(params.length);
  const i = add(I32),
    j = add(I32),
    w = add(I32),
    b = add(I32),
    ap = add(I32),
    bp = add(I32),
    pp = add(I32),
    s = add(I32),
    t = add(I32),
    rowBytes = add(I32),
    q = add(I32),
    o = add(I32),
    any = add(I64),
    acc = add(F64),
    cs = add(F64),
    pass = add(I32),
    anyp = add(I32);
  const xw = Array.from({ length: fixedW ?? 0 }, () => add(I64));
  const inc = (l: number, by: Bytes): number[] => seq(get(l), by, op.i32Add, set(l));
  const word = (base: number): number[] => seq(get(base), get(w), i32(3), op.i32Shl, op.i32Add, op.i64Load());
  // s = Σ_b (Σ_w popcount(a[ap + 8w] & b[pp + 8w])) << b, pp = bp + b·planeBytes
  const oneDot = seq(i32(0), ...xw.map((l, k) => seq(get(l), get(bp), op.i64Load(8 * k), op.i64And, op.i64Popcnt, op.i32WrapI64, op.i32Add)), set(s));
  const dot = onePlane
    ? oneDot
    : seq(
        i32(0),
        set(s),
        get(bp),
        set(pp),
        i32(0),
        set(b),
        whileLoop(
          seq(get(b), get(PLANES), op.i32LtU),
          fixedW === undefined
            ? seq(
                i32(0),
                set(t),
                i32(0),
                set(w),
                whileLoop(
                  seq(get(w), get(W), op.i32LtU),
                  get(t),
                  word(ap),
                  word(pp),
                  op.i64And,
                  op.i64Popcnt,
                  op.i32WrapI64,
                  op.i32Add,
                  set(t),
                  inc(w, i32(1)),
                ),
              )
            : seq(i32(0), ...xw.map((l, k) => seq(get(l), get(pp), op.i64Load(8 * k), op.i64And, op.i64Popcnt, op.i32WrapI64, op.i32Add)), set(t)),
          get(s),
          get(t),
          get(b),
          op.i32Shl,
          op.i32Add,
          set(s),
          inc(pp, get(PLANE_BYTES)),
          inc(b, i32(1)),
        ),
      );
  // What a nonzero row of A does: for sums and histograms one pass over the N columns with a
  // step per column; for the threshold read-out a pass over the outputs, G columns each.
  const columns = (column: Bytes): number[] =>
    seq(get(B), set(bp), i32(0), set(j), whileLoop(seq(get(j), get(N), op.i32LtU), dot, column, inc(bp, get(rowBytes)), inc(j, i32(1))));
  let rowWork: number[];
  if (kind === 'sums') {
    const [C, ACC] = [x(0), x(1)];
    const at = seq(get(C), get(i), get(N), op.i32Mul, get(j), op.i32Add, i32(2), op.i32Shl, op.i32Add);
    rowWork = columns(seq(at, get(s), at, op.i32Load(), i32(0), get(ACC), op.select, op.i32Add, op.i32Store()));
  } else if (kind === 'threshold') {
    const [REF, ADD, OUT, G, CM] = [x(0), x(1), x(2), x(3), x(4)];
    // Output-major: acc holds out[i, o] in a register while its G columns run; per column the
    // chunk sum cs + (s ≥ ref ? add_q : +0) — adding +0 changes no bit of cs, which starts at +0
    // and so is never −0 (+0 + −0 = +0) — and after a chunk's last column acc += cs if one of
    // its columns passed (anyp), as the bytes kernel adds a table entry only for a nonzero mask.
    const columnAdd = seq(
      seq(get(s), get(REF), get(j), i32(2), op.i32Shl, op.i32Add, op.i32Load(), op.i32GeS, set(pass)),
      seq(get(anyp), get(pass), op.i32Or, set(anyp)),
      seq(get(cs), get(ADD), get(q), i32(3), op.i32Shl, op.i32Add, op.f64Load(), op.f64(0), get(pass), op.select, op.f64Add, set(cs)),
    );
    // After column q (counted from 1 here): the chunk's end when q is a multiple of C.
    const chunkEnd = seq(
      get(q),
      get(CM),
      op.i32And,
      op.i32Eqz,
      op.if(seq(get(anyp), op.if(seq(get(acc), get(cs), op.f64Add, set(acc))), op.f64(0), set(cs), i32(0), set(anyp))),
    );
    // o: the byte address of out[i, output], advancing per output; q counts that output's columns.
    rowWork = seq(
      get(OUT),
      get(i),
      get(N),
      op.i32Mul,
      get(G),
      op.i32DivU,
      i32(3),
      op.i32Shl,
      op.i32Add,
      set(o),
      get(B),
      set(bp),
      i32(0),
      set(j),
      whileLoop(
        seq(get(j), get(N), op.i32LtU),
        get(o),
        op.f64Load(),
        set(acc),
        op.f64(0),
        set(cs),
        i32(0),
        set(anyp),
        i32(0),
        set(q),
        whileLoop(seq(get(q), get(G), op.i32LtU), dot, columnAdd, inc(bp, get(rowBytes)), inc(j, i32(1)), inc(q, i32(1)), chunkEnd),
        get(o),
        get(acc),
        op.f64Store(),
        inc(o, i32(8)),
      ),
    );
  } else {
    const [SLICE, HIST, LEN] = [x(0), x(1), x(2)];
    rowWork = columns(
      seq(
        get(s),
        op.if(
          seq(
            // t = address of hist[slice_j · len + min(s, len − 1)]
            get(HIST),
            get(SLICE),
            get(j),
            i32(2),
            op.i32Shl,
            op.i32Add,
            op.i32Load(),
            get(LEN),
            op.i32Mul,
            get(s),
            get(LEN),
            i32(1),
            op.i32Sub,
            get(s),
            get(LEN),
            i32(1),
            op.i32Sub,
            op.i32LtU,
            op.select,
            op.i32Add,
            i32(2),
            op.i32Shl,
            op.i32Add,
            set(t),
            get(t),
            get(t),
            op.i32Load(),
            i32(1),
            op.i32Add,
            op.i32Store(),
          ),
        ),
      ),
    );
  }
  // An all-zero row of A gives s = 0 everywhere: sums store zeros (or add nothing), a
  // threshold (ref ≥ 1) adds nothing, a histogram counts nothing.
  const zeroRow =
    kind === 'sums'
      ? seq(
          get(x(1)),
          op.i32Eqz,
          op.if(seq(get(x(0)), get(i), get(N), op.i32Mul, i32(2), op.i32Shl, op.i32Add, i32(0), get(N), i32(2), op.i32Shl, op.memoryFill)),
        )
      : [];
  const rowAny = seq(op.i64Const0, set(any), i32(0), set(w), whileLoop(seq(get(w), get(W), op.i32LtU), get(any), word(ap), op.i64Or, set(any), inc(w, i32(1))));
  // Fixed width: the row's words into locals once, for all N columns.
  const loadRow = seq(...xw.map((l, k) => seq(get(ap), op.i64Load(8 * k), set(l))));
  const row = seq(rowAny, loadRow, get(any), op.i64Eqz, op.if(zeroRow, rowWork));
  const body = seq(
    get(W),
    i32(3),
    op.i32Shl,
    set(rowBytes),
    get(A),
    set(ap),
    i32(0),
    set(i),
    whileLoop(seq(get(i), get(M), op.i32LtU), row, inc(ap, get(rowBytes)), inc(i, i32(1))),
  );
  return { name: fixedW === undefined ? kind : `${kind}${fixedW}${onePlane ? 'p1' : ''}`, params, results: [], locals, body };
}

/**
 * The threshold and histogram read-outs for cells of one bit, from the inputs' side:
 *   thresholdBytes(a, M, W, N, lt, refb, table, out, G, cnt, npad, lc, list)
 *   histogramBytes(a, M, W, N, lt, slice, hist, len, 0, cnt, npad, 0, list)
 * Row i of A is a read's input bits (W 64-bit words); lt holds the tile's cells as bytes, row r
 * of the tile npad bytes (column j: bit r of column j, 0 or 1; npad = N rounded up to 16). s[i, ·]
 * is the sum of the lt rows of A_i's set bits (their addresses first listed at list, 4 bytes
 * each, up to 64·W), counted in saturating bytes, 128 columns at a time in eight vector locals
 * (one load and one add per input and 16 columns), then stored at cnt — refs ≤ 255 and
 * len ≤ 256, so s ≥ ref and min(s, len − 1) survive the saturation. Then, chunk by chunk in ascending j (C = 2^lc columns, readoutChunk): the chunk's
 * columns with s ≥ refb_j form a bit mask m, and out[i, ⌊j/G⌋] += table[c·2^C + m] for a
 * nonzero m, c the chunk's place in its output (the table holds each mask's sum, ascending
 * from +0: the popcount kernel's bits); or every nonzero s counts hist[slice_j·len + min(s,
 * len − 1)]. A read with k inputs set costs k·npad/16 byte-vector adds instead of N popcount
 * dot products, and one table look-up per chunk with a passing column instead of an add each.
 */
function fromInputs(kind: 'threshold' | 'histogram'): FuncSpec {
  const [A, M, W, N, LT, P5, P6, P7, P8, CNT, NPAD, LC, LIST] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const params: ValType[] = new Array<ValType>(13).fill(I32);
  const { types: locals, add } = localsAfter(params.length);
  const i = add(I32),
    w = add(I32),
    q = add(I32),
    ap = add(I32),
    lt = add(I32),
    mask = add(I32),
    j = add(I32),
    o = add(I32),
    outRow = add(I32),
    sv = add(I32),
    word = add(I64),
    any = add(I64),
    pow2 = add(I32),
    gs = add(I32),
    jg = add(I32),
    cm = add(I32),
    sh = add(I32),
    nl = add(I32),
    k = add(I32),
    bp = add(I32);
  const V = Array.from({ length: 8 }, () => add(V128));
  const inc = (l: number, by: Bytes): number[] => seq(get(l), by, op.i32Add, set(l));
  // list[nl++] = LT + (64w + ctz(word))·npad for every set bit of the row (word &= word − 1)
  const listRows = seq(
    i32(0),
    set(nl),
    i32(0),
    set(w),
    whileLoop(
      seq(get(w), get(W), op.i32LtU),
      seq(get(ap), get(w), i32(3), op.i32Shl, op.i32Add, op.i64Load(), set(word)),
      whileLoop(
        seq(get(word), op.i64Eqz, op.i32Eqz),
        seq(get(LIST), get(nl), i32(2), op.i32Shl, op.i32Add),
        seq(get(LT), get(w), i32(6), op.i32Shl, get(word), op.i64Ctz, op.i32WrapI64, op.i32Add, get(NPAD), op.i32Mul, op.i32Add, op.i32Store()),
        seq(get(word), get(word), op.i64Const1, op.i64Sub, op.i64And, set(word)),
        inc(nl, i32(1)),
      ),
      inc(w, i32(1)),
    ),
  );
  // cnt[bp + 16u …] = Σ over the listed rows of lt[row + bp + 16u …] (saturating), u < width:
  // the counts in vector locals, one load and one add per row and vector.
  const countBlock = (width: number): number[] =>
    seq(
      ...V.slice(0, width).map((v) => seq(i32(0), op.i32x4Splat, set(v))),
      i32(0),
      set(k),
      whileLoop(
        seq(get(k), get(nl), op.i32LtU),
        seq(get(LIST), get(k), i32(2), op.i32Shl, op.i32Add, op.i32Load(), get(bp), op.i32Add, set(lt)),
        ...V.slice(0, width).map((v, u) => seq(get(v), get(lt), op.v128Load(16 * u), op.i8x16AddSatU, set(v))),
        inc(k, i32(1)),
      ),
      ...V.slice(0, width).map((v, u) => seq(get(CNT), get(bp), op.i32Add, get(v), op.v128Store(16 * u))),
      inc(bp, i32(16 * width)),
    );
  const countRow = seq(
    listRows,
    i32(0),
    set(bp),
    whileLoop(seq(get(bp), i32(128), op.i32Add, get(NPAD), op.i32LeU), countBlock(8)),
    whileLoop(seq(get(bp), get(NPAD), op.i32LtU), countBlock(1)),
  );
  const cnt16 = seq(get(CNT), get(q), op.i32Add, op.v128Load());
  // The columns of this group of sixteen that read out, as a bit mask.
  const select =
    kind === 'threshold'
      ? seq(cnt16, get(P5), get(q), op.i32Add, op.v128Load(), op.i8x16GeU, op.i8x16Bitmask, set(mask))
      : seq(cnt16, i32(0), op.i32x4Splat, op.i8x16Eq, op.i8x16Bitmask, i32(0xffff), op.i32Xor, set(mask));
  const readOut =
    kind === 'threshold'
      ? // The lowest chunk with a passing column: its start sh within the group, its bits (sv),
        // cleared from the mask; j = its first column, jg = ⌊j/G⌋ (a shift when G is a power of
        // two, as for the bundled targets, a division costing tens of cycles otherwise).
        seq(
          seq(get(mask), op.i32Ctz, i32(-1), get(LC), op.i32Shl, op.i32And, set(sh)),
          seq(get(mask), get(sh), op.i32ShrU, get(cm), op.i32And, set(sv)),
          seq(get(mask), get(cm), get(sh), op.i32Shl, i32(-1), op.i32Xor, op.i32And, set(mask)),
          seq(get(q), get(sh), op.i32Add, set(j)),
          get(pow2),
          op.if(seq(get(j), get(gs), op.i32ShrU, set(jg)), seq(get(j), get(P8), op.i32DivU, set(jg))),
          seq(get(outRow), get(jg), i32(3), op.i32Shl, op.i32Add, set(o)),
          // sh = the table entry's address: P6 + 8·(((j − jg·G) >> lc) << C | bits)
          seq(get(j), get(jg), get(P8), op.i32Mul, op.i32Sub, get(LC), op.i32ShrU, i32(1), get(LC), op.i32Shl, op.i32Shl, get(sv), op.i32Or),
          seq(i32(3), op.i32Shl, get(P6), op.i32Add, set(sh)),
          seq(get(o), get(o), op.f64Load(), get(sh), op.f64Load(), op.f64Add, op.f64Store()),
        )
      : // hist[slice_j·len + min(s, len − 1)] += 1
        seq(
          seq(get(CNT), get(j), op.i32Add, op.i32Load8U(), set(sv)),
          seq(get(P7), i32(1), op.i32Sub, get(sv), get(sv), get(P7), i32(1), op.i32Sub, op.i32GeU, op.select, set(sv)),
          seq(
            get(P6),
            get(P5),
            get(j),
            i32(2),
            op.i32Shl,
            op.i32Add,
            op.i32Load(),
            get(P7),
            op.i32Mul,
            get(sv),
            op.i32Add,
            i32(2),
            op.i32Shl,
            op.i32Add,
            set(o),
          ),
          seq(get(o), get(o), op.i32Load(), i32(1), op.i32Add, op.i32Store()),
        );
  const compare = whileLoop(
    seq(get(q), get(NPAD), op.i32LtU),
    select,
    kind === 'threshold'
      ? whileLoop(get(mask), readOut) // readOut takes a chunk's bits off the mask itself
      : whileLoop(get(mask), seq(get(q), get(mask), op.i32Ctz, op.i32Add, set(j)), seq(get(mask), get(mask), i32(1), op.i32Sub, op.i32And, set(mask)), readOut),
    inc(q, i32(16)),
  );
  const row = seq(
    seq(op.i64Const0, set(any), i32(0), set(w)),
    whileLoop(seq(get(w), get(W), op.i32LtU), get(any), get(ap), get(w), i32(3), op.i32Shl, op.i32Add, op.i64Load(), op.i64Or, set(any), inc(w, i32(1))),
    get(any),
    op.i64Eqz,
    op.if(
      [],
      seq(
        countRow,
        kind === 'threshold' ? seq(get(P7), get(i), get(N), op.i32Mul, get(P8), op.i32DivU, i32(3), op.i32Shl, op.i32Add, set(outRow)) : [],
        seq(i32(0), set(q), compare),
      ),
    ),
  );
  const body = seq(
    seq(get(P8), get(P8), i32(1), op.i32Sub, op.i32And, op.i32Eqz, set(pow2), get(P8), op.i32Ctz, set(gs)),
    // cm = 2^C − 1, the bits of one chunk
    kind === 'threshold' ? seq(i32(1), i32(1), get(LC), op.i32Shl, op.i32Shl, i32(1), op.i32Sub, set(cm)) : [],
    get(A),
    set(ap),
    i32(0),
    set(i),
    whileLoop(seq(get(i), get(M), op.i32LtU), row, inc(ap, seq(get(W), i32(3), op.i32Shl)), inc(i, i32(1))),
  );
  return { name: `${kind}Bytes`, params, results: [], locals, body };
}

type Fn = (...args: number[]) => void;
interface Engine {
  readonly mem: WasmMemory;
  /** By kind, then by row width in words (0: any width); `onePlane`: the kernels for 1-bit cells (fixed widths only). */
  readonly fns: Readonly<Record<Kind, ReadonlyMap<number, Fn>>>;
  readonly onePlane: Readonly<Record<Kind, ReadonlyMap<number, Fn>>>;
  readonly thresholdBytes: Fn;
  readonly histogramBytes: Fn;
  readonly scatterBits: Fn;
}

/**
 * scatterBits(xc, perIn, b0, b1, P, c0, reads, start, pos, tb, out, words, planeBytes): the
 * input bits of a chunk of reads (src/backends/imc/run-layer.ts: each nonzero code of a sample
 * sets its bits in every read that sees it). For samples b0 … b1 − 1 (codes: float32 at xc,
 * perIn per sample, from sample b0 on), input o's slots start[o] … start[o + 1] − 1 go to read
 * i = b·P + pos[slot] − c0 (skipped unless 0 ≤ i < reads), row tile tb >> 16 and row
 * tb & 0xffff of it; bit k of the code is OR-ed into plane k's word at
 * out + k·planeBytes + ((tile·reads + i)·words + row / 32)·4. `out` must be zero (or hold the
 * bits to add to).
 */
function scatterBitsFunc(): FuncSpec {
  const [XC, PER, B0, B1, PP, C0, READS, START, POS, TB, OUT, WORDS, PLANE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const params: ValType[] = new Array<ValType>(13).fill(I32);
  const { types: locals, add } = localsAfter(params.length);
  const b = add(I32),
    xp = add(I32),
    first = add(I32),
    o = add(I32),
    c = add(I32),
    e = add(I32),
    e1 = add(I32),
    i = add(I32),
    tb = add(I32),
    mask = add(I32),
    at0 = add(I32),
    cc = add(I32),
    at = add(I32);
  const inc = (l: number, by: Bytes): number[] => seq(get(l), by, op.i32Add, set(l));
  const at4 = (base: number, idx: number): number[] => seq(get(base), get(idx), i32(2), op.i32Shl, op.i32Add);
  const setBits = seq(
    get(TB),
    get(e),
    i32(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(),
    set(tb),
    i32(1),
    get(tb),
    i32(31),
    op.i32And,
    op.i32Shl,
    set(mask),
    // at0 = OUT + ((tile·reads + i)·words + row / 32)·4
    get(tb),
    i32(16),
    op.i32ShrU,
    get(READS),
    op.i32Mul,
    get(i),
    op.i32Add,
    get(WORDS),
    op.i32Mul,
    get(tb),
    i32(0xffff),
    op.i32And,
    i32(5),
    op.i32ShrU,
    op.i32Add,
    i32(2),
    op.i32Shl,
    get(OUT),
    op.i32Add,
    set(at0),
    get(c),
    set(cc),
    whileLoop(
      get(cc),
      get(at0),
      get(cc),
      op.i32Ctz,
      get(PLANE),
      op.i32Mul,
      op.i32Add,
      set(at),
      get(at),
      get(at),
      op.i32Load(),
      get(mask),
      op.i32Or,
      op.i32Store(),
      get(cc),
      get(cc),
      i32(1),
      op.i32Sub,
      op.i32And,
      set(cc),
    ),
  );
  const slots = seq(
    at4(START, o),
    op.i32Load(),
    set(e),
    at4(START, o),
    op.i32Load(4),
    set(e1),
    whileLoop(
      seq(get(e), get(e1), op.i32LtU),
      at4(POS, e),
      op.i32Load(),
      get(first),
      op.i32Add,
      set(i),
      seq(get(i), get(READS), op.i32LtU),
      op.if(setBits),
      inc(e, i32(1)),
    ),
  );
  const body = seq(
    get(XC),
    set(xp),
    get(B0),
    set(b),
    whileLoop(
      seq(get(b), get(B1), op.i32LtU),
      get(b),
      get(PP),
      op.i32Mul,
      get(C0),
      op.i32Sub,
      set(first),
      i32(0),
      set(o),
      whileLoop(seq(get(o), get(PER), op.i32LtU), at4(xp, o), op.f32Load(), op.f64PromoteF32, op.i32TruncSatF64S, set(c), get(c), op.if(slots), inc(o, i32(1))),
      get(PER),
      i32(2),
      op.i32Shl,
      get(xp),
      op.i32Add,
      set(xp),
      inc(b, i32(1)),
    ),
  );
  return { name: 'scatterBits', params, results: [], locals, body };
}
let engine: Engine | null | undefined;

const KINDS: readonly Kind[] = ['sums', 'threshold', 'histogram'];

function getEngine(): Engine | null {
  if (engine === undefined) {
    const funcs = [
      ...KINDS.flatMap((k) => [kernel(k), ...UNROLLED.map((w) => kernel(k, w)), ...UNROLLED.map((w) => kernel(k, w, true))]),
      fromInputs('threshold'),
      fromInputs('histogram'),
      scatterBitsFunc(),
    ];
    const ex = instantiateKernels(() => encodeModule({ memory: { name: 'mem', pages: 1 }, funcs }));
    engine =
      ex === null
        ? null
        : {
            mem: ex['mem'] as WasmMemory,
            fns: {
              sums: byWidth(ex, 'sums'),
              threshold: byWidth(ex, 'threshold'),
              histogram: byWidth(ex, 'histogram'),
            },
            onePlane: {
              sums: onePlaneByWidth(ex, 'sums'),
              threshold: onePlaneByWidth(ex, 'threshold'),
              histogram: onePlaneByWidth(ex, 'histogram'),
            },
            thresholdBytes: ex['thresholdBytes'] as Fn,
            histogramBytes: ex['histogramBytes'] as Fn,
            scatterBits: ex['scatterBits'] as Fn,
          };
  }
  return engine;
}

function byWidth(ex: Record<string, unknown>, kind: Kind): ReadonlyMap<number, Fn> {
  return new Map<number, Fn>([[0, ex[kind] as Fn], ...UNROLLED.map((w) => [w, ex[`${kind}${w}`] as Fn] as const)]);
}

function onePlaneByWidth(ex: Record<string, unknown>, kind: Kind): ReadonlyMap<number, Fn> {
  return new Map<number, Fn>(UNROLLED.map((w) => [w, ex[`${kind}${w}p1`] as Fn] as const));
}

/** The kernel of `kind` for rows of `words` 32-bit words and `planes` cell bit planes. */
function fnFor(e: Engine, kind: Kind, words: number, planes: number): Fn {
  const m = e.fns[kind];
  return ((planes === 1 ? e.onePlane[kind].get(words / 2) : undefined) ?? m.get(words / 2) ?? m.get(0)) as Fn;
}

/** Whether the kernels run in WebAssembly (false: no WebAssembly or SNNC_NO_WASM=1). */
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
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The operands: M packed rows of A; `planes` planes of N packed columns each (plane-major). */
export interface BitOperands {
  readonly a: Uint32Array;
  readonly b: Uint32Array;
  readonly M: number;
  readonly N: number;
  /** 32-bit words per row (packedWords: even). */
  readonly words: number;
  readonly planes: number;
}

/** s[i, j] for the TypeScript paths. */
function sumAt(op: BitOperands, i: number, j: number): number {
  const { a, b, N, words, planes } = op;
  let s = 0;
  for (let p = 0; p < planes; p++) {
    let t = 0;
    for (let w = 0; w < words; w++) t += popcount32(((a[i * words + w] as number) & (b[(p * N + j) * words + w] as number)) >>> 0);
    s += t * 2 ** p;
  }
  return s;
}

/** Copy the operands (and the given extra arrays) into the module's memory; their addresses, or undefined. */
function place(e: Engine, op: BitOperands, extra: readonly (Int32Array | Float64Array)[]): number[] | undefined {
  return placeAll(e, [op.a.subarray(0, op.M * op.words), op.b.subarray(0, op.planes * op.N * op.words), ...extra]);
}

/**
 * Copy `parts` into the module's memory one after another, 16-byte aligned; their addresses, or
 * undefined. A number reserves that many bytes for the kernel to write before it reads them.
 */
function placeAll(e: Engine, parts: readonly (ArrayBufferView | number)[]): number[] | undefined {
  const at: number[] = [];
  let top = residency(e).top;
  for (const p of parts) {
    top = align16(top);
    at.push(top);
    top += typeof p === 'number' ? p : p.byteLength;
  }
  if (!growMemory(e.mem, top)) return undefined;
  parts.forEach((p, k) => {
    if (typeof p !== 'number') new Uint8Array(e.mem.buffer, at[k] as number, p.byteLength).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  });
  return at;
}

function copyBack(e: Engine, at: number, to: Int32Array | Float64Array): void {
  to.set(to instanceof Int32Array ? new Int32Array(e.mem.buffer, at, to.length) : new Float64Array(e.mem.buffer, at, to.length));
}

const common = (op: BitOperands, at: readonly number[]): number[] => [
  at[0] as number,
  at[1] as number,
  op.M,
  op.N,
  op.words / 2,
  op.planes,
  op.N * op.words * 4,
];

/** c[i·N + j] (+)= s[i, j] (c: M·N). */
export function bitmm(op: BitOperands, c: Int32Array, accumulate: boolean): void {
  if (op.M === 0 || op.N === 0) return;
  const e = getEngine();
  const at = e === null ? undefined : place(e, op, [c.subarray(0, op.M * op.N)]);
  if (e !== null && at !== undefined) {
    fnFor(e, 'sums', op.words, op.planes)(...common(op, at), at[2] as number, accumulate ? 1 : 0);
    copyBack(e, at[2] as number, c.subarray(0, op.M * op.N));
    return;
  }
  for (let i = 0; i < op.M; i++) for (let j = 0; j < op.N; j++) c[i * op.N + j] = (accumulate ? (c[i * op.N + j] as number) : 0) + sumAt(op, i, j);
}

/**
 * A threshold read-out's constants, prepared once (thresholdReadout) for many products: per
 * column the integer its partial sum must reach, and per place q in an output of G columns
 * what a passing column adds.
 */
export interface ThresholdReadout {
  /** Per column (N), ≥ 1: a zero partial sum never passes. */
  readonly ref: Int32Array;
  /** Per place in an output (G): the value a passing column adds. */
  readonly add: Float64Array;
  readonly G: number;
  /** Columns per chunk (readoutChunk(G)). */
  readonly C: number;
  /** ref as bytes, N rounded up to 16 (padding 255); undefined when a ref is above 255. */
  readonly refBytes: Uint8Array | undefined;
  /** Per chunk place c (G/C of them) and mask m of its passing columns: their adds' sum, ascending from +0. */
  readonly table: Float64Array;
}

/** The read-out of columns with references `ref` (N of them, each ≥ 1) into outputs of G columns adding add[q]. */
export function thresholdReadout(ref: Int32Array, add: Float64Array, G: number): ThresholdReadout {
  const C = readoutChunk(G);
  const table = new Float64Array((G / C) * 2 ** C);
  for (let c = 0; c < G / C; c++) {
    const t = c * 2 ** C;
    // The mask's highest column is added last: its sum is the sum without it, plus its add.
    for (let m = 1; m < 2 ** C; m++) {
      const hi = 31 - Math.clz32(m);
      table[t + m] = (table[t + (m ^ (1 << hi))] as number) + (add[c * C + hi] as number);
    }
  }
  const refBytes: Uint8Array | undefined = new Uint8Array(align16(ref.length)).fill(255); // padding columns count 0 and never reach 255
  for (let j = 0; j < ref.length; j++) {
    const r = ref[j] as number;
    if (!(r >= 1 && r <= 255)) return { ref, add, G, C, refBytes: undefined, table };
    refBytes[j] = r;
  }
  return { ref, add, G, C, refBytes, table };
}

/**
 * The sense-amplifier read-out (file header): out[i·(N/G) + o] += the sum of each chunk of output
 * o's columns j = o·G … o·G + G − 1 that has a column with s[i, j] ≥ ref_j (a chunk without one
 * adds nothing, so even a −0 in out stays in every engine).
 */
export function bitmmThreshold(op: BitOperands, r: ThresholdReadout, out: Float64Array): void {
  if (op.M === 0 || op.N === 0) return;
  const { ref, add, G, C } = r;
  const O = op.N / G;
  const e = getEngine();
  const view = out.subarray(0, op.M * O);
  if (e !== null && op.planes === 1 && thresholdFromInputs(e, op, r, view)) return;
  const at = e === null ? undefined : place(e, op, [ref.subarray(0, op.N), add.subarray(0, G), view]);
  if (e !== null && at !== undefined) {
    fnFor(e, 'threshold', op.words, op.planes)(...common(op, at), at[2] as number, at[3] as number, at[4] as number, G, C - 1);
    copyBack(e, at[4] as number, view);
    return;
  }
  const sums = new Int32Array(op.N);
  for (let i = 0; i < op.M; i++) {
    for (let j = 0; j < op.N; j++) sums[j] = sumAt(op, i, j);
    readOutSums(sums, 0, r, op.N, out, i * O);
  }
}

/** The read-out of one read's partial sums s[sb + j] (j < N) into out[ob + o] (bitmmThreshold's order). */
export function readOutSums(s: ArrayLike<number>, sb: number, r: ThresholdReadout, N: number, out: Float64Array, ob: number): void {
  const { ref, add, G, C } = r;
  for (let o = 0; o < N / G; o++) {
    let acc = out[ob + o] as number;
    for (let c = 0; c < G; c += C) {
      let cs = 0;
      let any = false;
      for (let q = c; q < c + C; q++) {
        if ((s[sb + o * G + q] as number) >= (ref[o * G + q] as number)) {
          cs += add[q] as number;
          any = true;
        }
      }
      if (any) acc += cs;
    }
    out[ob + o] = acc;
  }
}

/** The cells of a tile of one bit plane as bytes, row-major (rows × npad), per B array. */
let cellBytes = new WeakMap<Uint32Array, Uint8Array>();
/**
 * Bytes of such copies alive at once: eight times the bits they copy, so a large network (a
 * CIFAR VGG-16 holds 240 M cells) keeps copies only of its first tiles and reads the rest by
 * popcount. A copy's bytes return to the budget when its bit array is collected.
 */
let cellBytesBudget = 32 << 20;
let cellBytesHeld = 0;
const released = new FinalizationRegistry<number>((bytes) => {
  cellBytesHeld -= bytes;
});

/**
 * Test hook: forget the copies made so far and allow at most n bytes of new ones (0: the
 * popcount kernels for every tile); returns the old budget.
 */
export function keepCellBytesUpTo(n: number): number {
  const old = cellBytesBudget;
  cellBytesBudget = n;
  cellBytes = new WeakMap();
  return old;
}

/** The tile's cells as bytes (npad = align16(N) per row): kept per B array, within the budget; undefined beyond it. */
function bytesOf(op: BitOperands, npad: number): Uint8Array | undefined {
  const known = cellBytes.get(op.b);
  if (known !== undefined) return known;
  const rows = op.words * 32;
  if (cellBytesHeld + rows * npad > cellBytesBudget) return undefined;
  const lt = new Uint8Array(rows * npad);
  for (let j = 0; j < op.N; j++) {
    for (let w = 0; w < op.words; w++) {
      let v = op.b[j * op.words + w] as number;
      while (v !== 0) {
        const bit = 31 - Math.clz32(v & -v);
        lt[(32 * w + bit) * npad + j] = 1;
        v &= v - 1;
      }
    }
  }
  cellBytes.set(op.b, lt);
  cellBytesHeld += lt.length;
  released.register(op.b, lt.length);
  return lt;
}

/**
 * Tiles' cell bytes kept at the bottom of the module's memory between calls (placeAll puts each
 * call's operands above them): a layer's tiles are read by every call of every step, and copying
 * them in each time was ~3 % of an ADC-less LeNet simulation. A copy is never changed once made
 * (bytesOf), so the one in memory stays good; when the area is full it starts over.
 */
interface Residency {
  top: number;
  at: WeakMap<ArrayBufferView, number>;
}
const residencies = new WeakMap<Engine, Residency>();
/** Bytes the kept tiles may take (the byte copies' own budget is cellBytesBudget). */
let residentBytes = 16 << 20;

/** Test hook: keep at most n bytes of tiles in memory (0: copy each tile in with every call); returns the old limit. */
export function keepResidentUpTo(n: number): number {
  const old = residentBytes;
  residentBytes = n;
  const e = engine;
  if (e !== undefined && e !== null) residencies.delete(e);
  return old;
}

function residency(e: Engine): Residency {
  let r = residencies.get(e);
  if (r === undefined) {
    r = { top: 0, at: new WeakMap() };
    residencies.set(e, r);
  }
  return r;
}

/** Restart the area (forgetting every array in it) unless `bytes` more fit above its top. */
function makeRoom(r: Residency, bytes: number): void {
  if (align16(r.top) + bytes <= residentBytes) return;
  r.top = 0;
  r.at = new WeakMap();
}

/** Where `lt` sits in memory (copied there now if it is not yet), or undefined when it does not fit the area. */
function residentAt(e: Engine, lt: ArrayBufferView): number | undefined {
  const r = residency(e);
  const known = r.at.get(lt);
  if (known !== undefined) return known;
  if (lt.byteLength > residentBytes) return undefined;
  makeRoom(r, lt.byteLength);
  const addr = align16(r.top);
  if (!growMemory(e.mem, addr + lt.byteLength)) return undefined;
  new Uint8Array(e.mem.buffer, addr, lt.byteLength).set(new Uint8Array(lt.buffer, lt.byteOffset, lt.byteLength));
  r.at.set(lt, addr);
  r.top = addr + lt.byteLength;
  return addr;
}

/**
 * Place op's rows, the tile's cells as bytes (kept in memory: residentAt), the read-out's own
 * arrays and the byte counters in the module's memory: their addresses in that order, or
 * undefined if the memory is refused or the tile has no byte copy (bytesOf's budget).
 */
function placeFromInputs(e: Engine, op: BitOperands, npad: number, extra: readonly ArrayBufferView[]): number[] | undefined {
  const lt = bytesOf(op, npad);
  if (lt === undefined) return undefined;
  const ltAt = residentAt(e, lt);
  // Last, reserved (each row's counts and list are written before they are read): the byte
  // counters (npad) and the list of a read's active rows (one i32 per input bit).
  if (ltAt === undefined) return placeAll(e, [op.a.subarray(0, op.M * op.words), lt, ...extra, npad, 4 * 32 * op.words]);
  const at = placeAll(e, [op.a.subarray(0, op.M * op.words), ...extra, npad, 4 * 32 * op.words]);
  return at === undefined ? undefined : [at[0] as number, ltAt, ...at.slice(1)];
}

/** bitmmThreshold by thresholdBytes (1-bit cells, references 1 … 255); false when it does not apply. */
function thresholdFromInputs(e: Engine, op: BitOperands, r: ThresholdReadout, view: Float64Array): boolean {
  if (r.refBytes === undefined) return false;
  const npad = align16(op.N);
  const at = placeFromInputs(e, op, npad, [r.refBytes, r.table, view]);
  if (at === undefined) return false;
  const [a, lt, rf, tab, out, cnt, list] = at as [number, number, number, number, number, number, number];
  e.thresholdBytes(a, op.M, op.words / 2, op.N, lt, rf, tab, out, r.G, cnt, npad, 31 - Math.clz32(r.C), list);
  copyBack(e, out, view);
  return true;
}

/** bitmmHistogram by histogramBytes (1-bit cells, at most 256 bins); false when it does not apply. */
function histogramFromInputs(e: Engine, op: BitOperands, slice: Int32Array, hist: Int32Array, len: number): boolean {
  if (!(len >= 1 && len <= 256)) return false;
  const npad = align16(op.N);
  const at = placeFromInputs(e, op, npad, [slice.subarray(0, op.N), hist]);
  if (at === undefined) return false;
  const [a, lt, sl, h, cnt, list] = at as [number, number, number, number, number, number];
  e.histogramBytes(a, op.M, op.words / 2, op.N, lt, sl, h, len, 0, cnt, npad, 0, list);
  copyBack(e, h, hist);
  return true;
}

/** hist[slice_j·len + min(s, len − 1)] += 1 for every nonzero s[i, j]. */
export function bitmmHistogram(op: BitOperands, slice: Int32Array, hist: Int32Array, len: number): void {
  if (op.M === 0 || op.N === 0) return;
  const e = getEngine();
  if (e !== null && op.planes === 1 && histogramFromInputs(e, op, slice, hist, len)) return;
  const at = e === null ? undefined : place(e, op, [slice, hist]);
  if (e !== null && at !== undefined) {
    fnFor(e, 'histogram', op.words, op.planes)(...common(op, at), at[2] as number, at[3] as number, len);
    copyBack(e, at[3] as number, hist);
    return;
  }
  for (let i = 0; i < op.M; i++) {
    for (let j = 0; j < op.N; j++) {
      const s = sumAt(op, i, j);
      if (s === 0) continue;
      const k = (slice[j] as number) * len + Math.min(s, len - 1);
      hist[k] = (hist[k] as number) + 1;
    }
  }
}

/** A layer's scatter tables for scatterBitsWasm (src/backends/imc/run-layer.ts's Targets): never changed once made. */
export interface BitTargets {
  /** Per input of a sample, its first slot (perIn + 1 entries). */
  readonly start: Int32Array;
  /** Per slot: the read's position within the sample. */
  readonly pos: Int32Array;
  /** Per slot: row tile · 2^16 + row within the tile. */
  readonly tb: Int32Array;
}

/**
 * Set `bits` — [plane][row tile][read][word], planeWords words per plane, `reads` reads from
 * read c0 on (read = sample·P + position) — to the bits of the word-line codes of samples
 * b0 … b1 − 1 (xc: their codes, perIn each), every word written, in WebAssembly
 * (scatterBitsFunc); false (bits untouched) when unavailable. The tables stay in memory between calls (residentAt), as tiles do. Codes
 * must be whole numbers below 2^planes (run-layer's encodeAll clamps them): a higher bit would
 * address a plane past `bits`.
 */
export function scatterBitsWasm(
  t: BitTargets,
  xc: Float32Array,
  perIn: number,
  b0: number,
  b1: number,
  P: number,
  c0: number,
  reads: number,
  words: number,
  planeWords: number,
  bits: Uint32Array,
): boolean {
  const e = getEngine();
  if (e === null) return false;
  // The three tables in the area at once: when one is missing, room for all three is made first
  // (restarting the area if needed), so placing them never drops another; tables that cannot
  // fit together leave the area alone and the TypeScript loop runs.
  const tables = [t.start, t.pos, t.tb];
  const r = residency(e);
  let at = tables.map((a) => r.at.get(a));
  if (at.some((a) => a === undefined)) {
    const need = tables.reduce((sum, a) => sum + align16(a.byteLength), 0) + 16;
    if (need > residentBytes) return false;
    makeRoom(r, need);
    at = tables.map((a) => residentAt(e, a));
    if (at.some((a) => a === undefined)) return false;
  }
  const io = placeAll(e, [xc, 4 * bits.length]);
  if (io === undefined) return false;
  const [xp, op] = io as [number, number];
  new Uint32Array(e.mem.buffer, op, bits.length).fill(0);
  e.scatterBits(xp, perIn, b0, b1, P, c0, reads, at[0] as number, at[1] as number, at[2] as number, op, words, 4 * planeWords);
  bits.set(new Uint32Array(e.mem.buffer, op, bits.length));
  return true;
}
