// The event-driven affine kernels of scatter.ts as a WebAssembly SIMD module, generated
// here like the GEMM module (no C/Rust toolchain in the build). Two affine exports, both over
// a batch of dense float32 inputs whose zeros are skipped (and two neuron updates, below):
//
//   conv(hdr, x, out, B): B samples through a Conv plan (weights [C][KH][KW][OCg] in
//     float32, per input row/column the (output, tap) pairs it reaches, CSR)
//   rows(hdr, x, out, R): R rows through a Gemm/MatMul plan (weights [K][N] in float32)
//   convMean: the conv kernel with float64 accumulators, for average pools run as
//     depthwise convs of ones (the pool kernel sums its taps in float64)
//
// `hdr` points to the plan's header in memory (layout: HEADER below). Every output keeps
// ONE float32 accumulator that sees its nonzero terms fl32(v·w) in ascending input order —
// exactly the sum scatter.ts's TypeScript loop and the dense float32 kernels (sgemm-module's
// nn and conv) form — and lanes of an f32x4 are different outputs, never parts of one sum,
// so SIMD changes no bit. A spike (v = 1) costs v·w = w exactly, so one loop serves binary
// and analog inputs alike.
import type { Bytes, FuncSpec, ValType } from '../../ann/wasm/encode.js';
import { F32, F64, I32, V128, encodeModule, localsAfter, op, seq, whileLoop } from '../../ann/wasm/encode.js';
import { avg4Func } from '../../ann/wasm/sgemm-module.js';

/** Header fields, as i32 slots (byte offset = 4·slot); `alpha` is a float64 at ALPHA_BYTE. */
export const HEADER = {
  conv: [
    'C',
    'H',
    'W',
    'OH',
    'OW',
    'OC',
    'OCg',
    'Cg',
    'KH',
    'KW',
    'wr',
    'hStart',
    'hPairs',
    'wStart',
    'wPairs',
    'bias',
    'acc',
    'count',
    'span',
    'nz',
    'colAcc',
    'colW',
    'colN',
    'rowAcc',
    'rowW',
    'pairAcc',
    'pairW',
    'pos',
  ],
  rows: ['K', 'N', 'wt', 'bias', 'acc', 'nz'],
} as const;
export const ALPHA_BYTE = 112;
export const HEADER_BYTES = 128;
if (Math.max(HEADER.conv.length, HEADER.rows.length) * 4 > ALPHA_BYTE) throw new Error('internal: scatter header slots overlap alpha');

const PARAMS: readonly ValType[] = [I32, I32, I32, I32];
const HDR = 0,
  X = 1,
  OUT = 2,
  COUNT = 3;
const { get, set, tee, i32 } = op;

const locals = (params = PARAMS.length): ReturnType<typeof localsAfter> => localsAfter(params);

const inc = (l: number, by: number): number[] => seq(get(l), i32(by), op.i32Add, set(l));
const lt = (a: number, b: number): number[] => seq(get(a), get(b), op.i32LtU);
/** i32 at byte address (base + (idx << shift)) + offset. */
const loadAt = (base: number, idx: number, shift: number, offset = 0): number[] =>
  seq(get(base), get(idx), i32(shift), op.i32Shl, op.i32Add, op.i32Load(offset));

/**
 * What a kernel variant sums in: float32 (conv, rows), float64 (convMean: average pools) or
 * int32 (convInt, rowsInt: the integer program).
 */
type Num = 'f32' | 'f64' | 'i32';
/** log2 of the bytes of one accumulator or weight. */
const shiftOf = (k: Num): number => (k === 'f64' ? 3 : 2);

/** f64 at byte address base + (idx << 3). */
const loadF64At = (base: number, idx: number): number[] => seq(get(base), get(idx), i32(3), op.i32Shl, op.i32Add, op.f64Load());

/**
 * acc[ap..] += v · w[wp..] over n float values (k: float32 or float64 lanes) — four vectors at a
 * time, then one, then one value at a time — advancing ap and wp; vv is the input splatted, v
 * the input itself (float32) or widened (float64). Each product is rounded to the lane type,
 * then added. A spike (v = 1) skips the products: 1·w = w exactly, so the same bits for less
 * work.
 */
function axpy(k: 'f32' | 'f64', ap: number, wp: number, n: number, vv: number, v: number): number[] {
  const f32 = k === 'f32';
  const lanes = f32 ? 4 : 2;
  const [mul, add] = f32 ? [op.f32x4Mul, op.f32x4Add] : [op.f64x2Mul, op.f64x2Add];
  const [load, store, smul, sadd] = f32 ? [op.f32Load, op.f32Store, op.f32Mul, op.f32Add] : [op.f64Load, op.f64Store, op.f64Mul, op.f64Add];
  const bytes = f32 ? 4 : 8;
  const term = (off: number, unit: boolean): number[] =>
    seq(get(ap), get(ap), op.v128Load(off), unit ? [] : get(vv), get(wp), op.v128Load(off), unit ? [] : mul, add, op.v128Store(off));
  const loops = (unit: boolean): number[] =>
    seq(
      whileLoop(
        seq(i32(4 * lanes - 1), get(n), op.i32LtU),
        term(0, unit),
        term(16, unit),
        term(32, unit),
        term(48, unit),
        inc(ap, 64),
        inc(wp, 64),
        get(n),
        i32(4 * lanes),
        op.i32Sub,
        set(n),
      ),
      whileLoop(seq(i32(lanes - 1), get(n), op.i32LtU), term(0, unit), inc(ap, 16), inc(wp, 16), get(n), i32(lanes), op.i32Sub, set(n)),
      whileLoop(
        get(n),
        seq(get(ap), get(ap), load(), get(v), get(wp), load(), smul, sadd, store()),
        inc(ap, bytes),
        inc(wp, bytes),
        get(n),
        i32(1),
        op.i32Sub,
        set(n),
      ),
    );
  return seq(get(v), f32 ? op.f32(1) : op.f64(1), f32 ? op.f32Eq : op.f64Eq, op.if(loops(true), loops(false)));
}

/** acc[ap..] += v · w[wp..] over n int32 values (four at a time, then one; wrapping like int32), advancing ap and wp; vv is v splatted. */
function axpyI32(ap: number, wp: number, n: number, vv: number, v: number): number[] {
  return seq(
    whileLoop(
      seq(i32(3), get(n), op.i32LtU),
      get(ap),
      get(ap),
      op.v128Load(),
      get(vv),
      get(wp),
      op.v128Load(),
      op.i32x4Mul,
      op.i32x4Add,
      op.v128Store(),
      inc(ap, 16),
      inc(wp, 16),
      get(n),
      i32(4),
      op.i32Sub,
      set(n),
    ),
    whileLoop(
      get(n),
      get(ap),
      get(ap),
      op.i32Load(),
      get(v),
      get(wp),
      op.i32Load(),
      op.i32Mul,
      op.i32Add,
      op.i32Store(),
      inc(ap, 4),
      inc(wp, 4),
      get(n),
      i32(1),
      op.i32Sub,
      set(n),
    ),
  );
}

// What differs between the float kernels and their integer variants (ints), for conv and rows alike.

/** Local v splatted into vv: float32 lanes, float64 lanes (v widened into vd) or int32 lanes. */
function splatInput(k: Num, v: number, vd: number, vv: number): number[] {
  if (k === 'f32') return seq(get(v), op.f32x4Splat, set(vv));
  return k === 'i32' ? seq(get(v), op.i32x4Splat, set(vv)) : seq(get(v), op.f64PromoteF32, tee(vd), op.f64x2Splat, set(vv));
}

/** acc[ap..] += v · w[wp..] over n values (axpy or axpyI32). */
function addTerms(k: Num, ap: number, wp: number, n: number, vv: number, v: number, vd: number): number[] {
  if (k === 'f32') return axpy(k, ap, wp, n, vv, v);
  return k === 'i32' ? axpyI32(ap, wp, n, vv, v) : axpy(k, ap, wp, n, vv, vd);
}

/** The integer variants' output, its address already on the stack: the int32 current at `at` plus the accumulator at ap. */
function addToCurrent(at: number, ap: number): number[] {
  return seq(get(at), op.i32Load(), get(ap), op.i32Load(), op.i32Add, op.i32Store());
}

/** Zero `count` values of 2^es bytes from the address in local base. */
function zero(base: number, count: number, es = 3): number[] {
  return seq(get(base), i32(0), get(count), i32(es), op.i32Shl, op.memoryFill);
}

/**
 * Where the host keeps the compaction shuffles of `listNonzeros` (below the arena): for each
 * 4-bit lane mask m, the byte lanes of the set int32 lanes of m in order, then lanes of 16 or
 * more (swizzle's zeros).
 */
export const SHUFFLES_AT = 16;
/** Bytes of the table: sixteen 16-byte shuffles. */
export const SHUFFLES_BYTES = 256;
export function compactShuffles(): Uint8Array {
  const t = new Uint8Array(SHUFFLES_BYTES).fill(16);
  for (let m = 0; m < 16; m++) {
    let k = 0;
    for (let lane = 0; lane < 4; lane++) {
      if (((m >> lane) & 1) === 0) continue;
      for (let b = 0; b < 4; b++) t[16 * m + 4 * k + b] = 4 * lane + b;
      k++;
    }
  }
  return t;
}

/**
 * The indices i < n whose 4-byte input at xp + 4i is nonzero, ascending, as int32s written from
 * np on (np ends past the last; 12 bytes past it may be written too). Four inputs per step,
 * without a branch: compare, lane mask, and the mask's shuffle moves the set lanes' indices to
 * the front of a 16-byte store, of which np keeps 4 bytes per set lane. Spikes come at random,
 * so a branch per input mispredicts about as often as it is taken. Lanes at or past n in the
 * last step are masked off (their loads read past the n inputs: memory the caller has).
 * A float input is nonzero when it compares unequal to 0 (NaN is; −0 is not), as in the
 * TypeScript loops.
 */
function listNonzeros(ints: boolean, xp: number, n: number, np: number, g: number, m: number, idx: number): number[] {
  const zero16 = new Array<number>(16).fill(0);
  const lanes = [0, 1, 2, 3].flatMap((k) => [k, 0, 0, 0]);
  return seq(
    op.v128Const(lanes),
    set(idx),
    i32(0),
    set(g),
    whileLoop(
      lt(g, n),
      get(xp),
      get(g),
      i32(2),
      op.i32Shl,
      op.i32Add,
      op.v128Load(),
      op.v128Const(zero16),
      ints ? op.i32x4Ne : op.f32x4Ne,
      op.i32x4Bitmask,
      // lanes past n: (1 << min(n − g, 4)) − 1 keeps the rest
      i32(1),
      get(n),
      get(g),
      op.i32Sub,
      i32(4),
      get(n),
      get(g),
      op.i32Sub,
      i32(4),
      op.i32LtU,
      op.select,
      op.i32Shl,
      i32(1),
      op.i32Sub,
      op.i32And,
      set(m),
      get(np),
      get(idx),
      get(m),
      i32(4),
      op.i32Shl,
      op.v128Load(SHUFFLES_AT),
      op.i8x16Swizzle,
      op.v128Store(),
      get(np),
      get(m),
      op.i32Popcnt,
      i32(2),
      op.i32Shl,
      op.i32Add,
      set(np),
      get(idx),
      i32(4),
      op.i32x4Splat,
      op.i32x4Add,
      set(idx),
      inc(g, 4),
    ),
  );
}

/**
 * k: what the sums are in (Num). 'f32' is the float kernel (conv, rows); 'f64' the conv kernel
 * of average pools (convMean: float64 sums divided by the tap count, as the pool kernel forms
 * them; the rows kernel has no such variant). 'i32' the integer program's variant (convInt,
 * rowsInt): int32 inputs, weights and
 * accumulators (four outputs per i32x4), and `out` holds int32 currents on entry to which the
 * sums are added. int32 arithmetic wraps, so the sums equal the integer loop's (whose Int32Array
 * stores wrap) in any order; there is no bias, alpha or mean (the host's integer plans have none).
 */
function convFunc(k: Num): FuncSpec {
  const ints = k === 'i32';
  const L = locals();
  const h = Object.fromEntries(HEADER.conv.map((k) => [k, L.add(I32)])) as Record<(typeof HEADER.conv)[number], number>;
  const int = (): number => L.add(I32);
  const b = int(),
    c = int(),
    ih = int(),
    iw = int(),
    xp = int(),
    opp = int(),
    oc0 = int(),
    q = int(),
    qEnd = int(),
    r = int();
  const rEnd = int(),
    ap = int(),
    wp = int(),
    n = int(),
    P = int(),
    outPer = int(),
    i = int();
  const np = int(),
    xc = int(),
    q0 = int(),
    n0 = int(),
    ca = int(),
    cw = int(),
    cW = int();
  const plane = int(),
    g = int(),
    m = int(),
    pi = int();
  const idx = L.add(V128);
  const v = L.add(ints ? I32 : F32),
    vd = L.add(F64),
    vv = L.add(V128),
    bd = L.add(F64);
  const a0 = int(),
    rb = int();
  const bv = L.add(V128),
    lo = L.add(V128),
    hi = L.add(V128);
  const px = [L.add(V128), L.add(V128), L.add(V128), L.add(V128)];
  const header = HEADER.conv.flatMap((k, s) => seq(get(HDR), op.i32Load(4 * s), set(h[k])));
  // ints: int32 accumulators and weights, exact in any order (int32 wraps alike).
  const es = shiftOf(k);
  const add = (): number[] => addTerms(k, ap, wp, n, vv, v, vd);

  // span (one group, stride and dilation 1 along W): the (ow, kw) pairs of a column are
  // consecutive outputs with consecutive taps and the weights are stored with kw reversed, so
  // per (oh, kh) pair all of them are ONE contiguous run of accumulators against one contiguous
  // run of weights (each accumulator still gets exactly one term per input). The host's tables
  // give the byte offsets: per input column, of its first output (colAcc) and first reversed
  // tap (colW) and the run's length (colN); per (oh, kh) pair, of its output row (rowAcc) and
  // tap row (rowW); cW, per channel, of its weights.
  const spanTaps = seq(
    splatInput(k, v, vd, vv),
    loadAt(h.colN, iw, 2),
    set(n0),
    get(n0),
    op.if(
      seq(
        get(h.acc),
        loadAt(h.colAcc, iw, 2),
        op.i32Add,
        set(ca),
        get(h.wr),
        get(cW),
        op.i32Add,
        loadAt(h.colW, iw, 2),
        op.i32Add,
        set(cw),
        loadAt(h.hStart, ih, 2),
        set(q),
        loadAt(h.hStart, ih, 2, 4),
        set(qEnd),
        whileLoop(
          lt(q, qEnd),
          get(ca),
          loadAt(h.rowAcc, q, 2),
          op.i32Add,
          set(ap),
          get(cw),
          loadAt(h.rowW, q, 2),
          op.i32Add,
          set(wp),
          get(n0),
          set(n),
          add(),
          inc(q, 1),
        ),
      ),
    ),
  );

  // One nonzero input at (c, ih, iw): every (oh, kh) pair of row ih × (ow, kw) pair of column iw.
  // Any other conv (strides, dilations, groups; average pools as depthwise convs of ones): per
  // (oh, kh) pair of row ih, per (ow, kw) pair of column iw, OCg terms — offsets from the
  // host's tables (rowAcc, rowW per (oh, kh) pair; pairAcc, pairW per (ow, kw) pair).
  const one =
    k === 'i32'
      ? seq(get(ap), get(ap), op.i32Load(), get(v), get(wp), op.i32Load(), op.i32Mul, op.i32Add, op.i32Store())
      : k === 'f32'
        ? seq(get(ap), get(ap), op.f32Load(), get(v), get(wp), op.f32Load(), op.f32Mul, op.f32Add, op.f32Store())
        : seq(get(ap), get(ap), op.f64Load(), get(vd), get(wp), op.f64Load(), op.f64Mul, op.f64Add, op.f64Store());
  const pairs = (single: boolean): number[] =>
    whileLoop(
      lt(r, rEnd),
      get(ca),
      loadAt(h.pairAcc, r, 2),
      op.i32Add,
      set(ap),
      get(cw),
      loadAt(h.pairW, r, 2),
      op.i32Add,
      set(wp),
      single ? one : seq(get(h.OCg), set(n), add()),
      inc(r, 1),
    );
  const generalTaps = seq(
    splatInput(k, v, vd, vv),
    loadAt(h.hStart, ih, 2),
    set(q),
    loadAt(h.hStart, ih, 2, 4),
    set(qEnd),
    loadAt(h.wStart, iw, 2),
    set(n0),
    loadAt(h.wStart, iw, 2, 4),
    set(rEnd),
    whileLoop(
      lt(q, qEnd),
      get(h.acc),
      get(oc0),
      i32(es),
      op.i32Shl,
      op.i32Add,
      loadAt(h.rowAcc, q, 2),
      op.i32Add,
      set(ca),
      get(h.wr),
      get(cW),
      op.i32Add,
      loadAt(h.rowW, q, 2),
      op.i32Add,
      set(cw),
      get(n0),
      set(r),
      // One output channel per group (average pools, depthwise convs): one term per pair, no run.
      get(h.OCg),
      i32(1),
      op.i32Eq,
      op.if(pairs(true), pairs(false)),
      inc(q, 1),
    ),
  );

  const inputs = seq(
    i32(0),
    set(c),
    whileLoop(
      lt(c, h.C),
      get(c),
      get(h.Cg),
      op.i32DivU,
      get(h.OCg),
      op.i32Mul,
      set(oc0),
      get(c),
      get(h.KH),
      op.i32Mul,
      get(h.KW),
      op.i32Mul,
      get(h.OCg),
      op.i32Mul,
      i32(es),
      op.i32Shl,
      set(cW),
      // First the channel's nonzero positions (listNonzeros), then their taps in ascending
      // order — the same sums as one input at a time.
      get(xp),
      set(xc),
      get(h.nz),
      set(np),
      listNonzeros(ints, xc, plane, np, g, m, idx),
      get(xp),
      get(plane),
      i32(2),
      op.i32Shl,
      op.i32Add,
      set(xp),
      get(h.nz),
      set(q0),
      whileLoop(
        lt(q0, np),
        get(q0),
        op.i32Load(),
        set(pi),
        // (ih, iw) of position pi from the host's table
        loadAt(h.pos, pi, 3),
        set(ih),
        loadAt(h.pos, pi, 3, 4),
        set(iw),
        get(xc),
        get(pi),
        i32(2),
        op.i32Shl,
        op.i32Add,
        ints ? op.i32Load() : op.f32Load(),
        set(v),
        get(h.span),
        op.if(spanTaps, generalTaps),
        inc(q0, 4),
      ),
      inc(c, 1),
    ),
  );

  // Outputs channel-major from the channel-last accumulators: fl32(bias + sum) (conv), or
  // sum / count of taps per output pixel rounded once (convMean: an average pool run as a
  // depthwise conv of ones; a count of NaN stands for "no tap", whose output is NaN).
  // Pixel-major: the accumulators are read in order, the outputs written with stride P.
  type Mode = 'bias' | 'plain' | 'mean';
  const biasAt = seq(get(h.bias), get(c), i32(2), op.i32Shl, op.i32Add, op.f32Load());
  const value = (m: Mode): number[] =>
    m === 'bias'
      ? seq(biasAt, get(ap), op.f32Load(), op.f32Add)
      : m === 'plain'
        ? seq(get(ap), op.f32Load())
        : seq(get(ap), op.f64Load(), get(bd), op.f64Div, op.f32DemoteF64);
  const pixel = (m: Mode): number[] =>
    seq(
      m === 'mean' ? seq(loadF64At(h.count, i), set(bd)) : [],
      get(opp),
      get(i),
      i32(2),
      op.i32Shl,
      op.i32Add,
      set(wp),
      i32(0),
      set(c),
      whileLoop(lt(c, h.OC), get(wp), store(m), inc(ap, 1 << es), get(wp), get(P), i32(2), op.i32Shl, op.i32Add, set(wp), inc(c, 1)),
      inc(i, 1),
    );
  // int: the current at wp plus the sum (no bias or mean: the host's integer plans have none).
  const store = (m: Mode): number[] => (ints ? addToCurrent(wp, ap) : seq(value(m), op.f32Store()));
  // float32: four pixels × four channels at a time (OC a multiple of 4): each pixel's four
  // accumulators (+ the bias vector: fl32(bias + sum), the scalar loop's operation and operand
  // order), transposed 4 × 4 by shuffles into four consecutive pixels of each channel.
  const lanes32 = (ls: readonly number[]): number[] => ls.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  const pixRow = (u: number, bias: boolean): number[] =>
    seq(bias ? get(bv) : [], get(a0), u === 0 ? [] : seq(get(rb), i32(u), op.i32Mul, op.i32Add), op.v128Load(), bias ? op.f32x4Add : [], set(px[u] as number));
  const pair = (x: number, y: number, ls: readonly number[]): number[] => seq(get(x), get(y), op.i8x16Shuffle(lanes32(ls)));
  const storeRow = (u: number, t: number, t2: number, ls: readonly number[]): number[] =>
    seq(get(wp), u === 0 ? [] : seq(get(P), i32(2), op.i32Shl, i32(u), op.i32Mul, op.i32Add), pair(t, t2, ls), op.v128Store());
  const blocks32 = (bias: boolean): number[] =>
    whileLoop(
      seq(get(i), i32(3), op.i32Add, get(P), op.i32LtU),
      i32(0),
      set(c),
      whileLoop(
        lt(c, h.OC),
        bias ? seq(get(h.bias), get(c), i32(2), op.i32Shl, op.i32Add, op.v128Load(), set(bv)) : [],
        seq(get(ap), get(c), i32(2), op.i32Shl, op.i32Add, set(a0)),
        pixRow(0, bias),
        pixRow(1, bias),
        pixRow(2, bias),
        pixRow(3, bias),
        // lo = (p0c0 p1c0 p0c1 p1c1), hi = (p2c0 p3c0 p2c1 p3c1), then channels 2, 3 likewise.
        pair(px[0] as number, px[1] as number, [0, 4, 1, 5]),
        set(lo),
        pair(px[2] as number, px[3] as number, [0, 4, 1, 5]),
        set(hi),
        pair(px[0] as number, px[1] as number, [2, 6, 3, 7]),
        set(px[0] as number),
        pair(px[2] as number, px[3] as number, [2, 6, 3, 7]),
        set(px[1] as number),
        seq(get(opp), get(c), get(P), op.i32Mul, get(i), op.i32Add, i32(2), op.i32Shl, op.i32Add, set(wp)),
        storeRow(0, lo, hi, [0, 1, 4, 5]),
        storeRow(1, lo, hi, [2, 3, 6, 7]),
        storeRow(2, px[0] as number, px[1] as number, [0, 1, 4, 5]),
        storeRow(3, px[0] as number, px[1] as number, [2, 3, 6, 7]),
        inc(c, 4),
      ),
      inc(i, 4),
      get(ap),
      get(rb),
      i32(2),
      op.i32Shl,
      op.i32Add,
      set(ap),
    );
  const rest = (bias: boolean): number[] =>
    seq(seq(get(h.OC), i32(3), op.i32And, op.i32Eqz, op.if(blocks32(bias))), whileLoop(lt(i, P), pixel(bias ? 'bias' : 'plain')));
  const outputs = seq(
    get(h.acc),
    set(ap),
    i32(0),
    set(i),
    get(h.OC),
    i32(es),
    op.i32Shl,
    set(rb),
    // convMean's plans always divide (count), the float32 conv's never do.
    k === 'f32' ? seq(get(h.bias), op.if(rest(true), rest(false))) : whileLoop(lt(i, P), pixel(ints ? 'plain' : 'mean')),
    get(opp),
    get(outPer),
    i32(2),
    op.i32Shl,
    op.i32Add,
    set(opp),
  );

  const body = seq(
    header,
    get(h.H),
    get(h.W),
    op.i32Mul,
    set(plane),
    get(h.OH),
    get(h.OW),
    op.i32Mul,
    set(P),
    get(P),
    get(h.OC),
    op.i32Mul,
    set(outPer),
    get(X),
    set(xp),
    get(OUT),
    set(opp),
    i32(0),
    set(b),
    whileLoop(lt(b, COUNT), zero(h.acc, outPer, es), inputs, outputs, inc(b, 1)),
  );
  return { name: ints ? 'convInt' : k === 'f32' ? 'conv' : 'convMean', params: PARAMS, results: [], locals: L.types, body };
}

function rowsFunc(num: 'f32' | 'i32'): FuncSpec {
  const ints = num === 'i32';
  const L = locals();
  const h = Object.fromEntries(HEADER.rows.map((k) => [k, L.add(I32)])) as Record<(typeof HEADER.rows)[number], number>;
  const int = (): number => L.add(I32);
  const r = int(),
    k = int(),
    j = int(),
    xp = int(),
    opp = int(),
    ap = int(),
    wp = int(),
    n = int(),
    rowBytes = int(),
    np = int(),
    q = int(),
    xr = int(),
    g = int(),
    m = int();
  const idx = L.add(V128);
  const v = L.add(ints ? I32 : F32),
    vd = L.add(F64),
    vv = L.add(V128),
    alpha = L.add(F32);
  // alpha as float32, as the dense kernel (sgemm-module's nn) takes it.
  const header = seq(
    ...HEADER.rows.map((name, s) => seq(get(HDR), op.i32Load(4 * s), set(h[name]))),
    get(HDR),
    op.f64Load(ALPHA_BYTE),
    op.f32DemoteF64,
    set(alpha),
  );
  const es = shiftOf(num);
  const row = seq(
    splatInput(num, v, vd, vv),
    get(h.acc),
    set(ap),
    get(h.wt),
    get(k),
    get(rowBytes),
    op.i32Mul,
    op.i32Add,
    set(wp),
    get(h.N),
    set(n),
    addTerms(num, ap, wp, n, vv, v, vd),
  );
  // fl32(bias + fl32(alpha · sum)): the nn kernel's store onto C filled with the bias.
  const value: Bytes = seq(get(alpha), get(ap), op.f32Load(), op.f32Mul);
  const store = (withBias: boolean): number[] =>
    seq(
      get(opp),
      ints
        ? addToCurrent(opp, ap)
        : seq(withBias ? seq(get(h.bias), get(j), i32(2), op.i32Shl, op.i32Add, op.f32Load(), value, op.f32Add) : value, op.f32Store()),
      inc(opp, 4),
      inc(ap, 1 << es),
      inc(j, 1),
    );
  const body = seq(
    header,
    get(h.N),
    i32(es),
    op.i32Shl,
    set(rowBytes),
    get(X),
    set(xp),
    get(OUT),
    set(opp),
    i32(0),
    set(r),
    whileLoop(
      lt(r, COUNT),
      zero(h.acc, h.N, es),
      // The row's nonzero inputs (listNonzeros), then their rows of weights in ascending order.
      get(xp),
      set(xr),
      get(h.nz),
      set(np),
      listNonzeros(ints, xr, h.K, np, g, m, idx),
      get(xp),
      get(h.K),
      i32(2),
      op.i32Shl,
      op.i32Add,
      set(xp),
      get(h.nz),
      set(q),
      whileLoop(
        lt(q, np),
        get(q),
        op.i32Load(),
        set(k),
        get(xr),
        get(k),
        i32(2),
        op.i32Shl,
        op.i32Add,
        ints ? op.i32Load() : op.f32Load(),
        set(v),
        row,
        inc(q, 4),
      ),
      get(h.acc),
      set(ap),
      i32(0),
      set(j),
      ints ? whileLoop(lt(j, h.N), store(false)) : seq(get(h.bias), op.if(whileLoop(lt(j, h.N), store(true)), whileLoop(lt(j, h.N), store(false)))),
      inc(r, 1),
    ),
  );
  return { name: ints ? 'rowsInt' : 'rows', params: PARAMS, results: [], locals: L.types, body };
}

/**
 * gap(x, out, B, C, plane): a global average pool of B samples of C channels × plane float32
 * inputs — out[b·C + c] = (Σ x, in float64, ascending) / plane, rounded to float32: the sums
 * scatter.ts's TypeScript loop forms. Four channels at a time (four independent chains of adds;
 * lanes of one vector would have to be fetched from four planes), then one.
 */
function gapFunc(): FuncSpec {
  const X0 = 0,
    OUTP = 1,
    NB = 2,
    NC = 3,
    PL = 4;
  const params: readonly ValType[] = [I32, I32, I32, I32, I32];
  const { types, add } = locals(params.length);
  const b = add(I32),
    c = add(I32),
    i = add(I32),
    xp = add(I32),
    rowBytes = add(I32),
    opp = add(I32);
  const sums = [add(F64), add(F64), add(F64), add(F64)];
  const d = add(F64);
  const chans = (k: number): number[] =>
    seq(
      ...sums.slice(0, k).map((s) => seq(op.f64(0), set(s))),
      i32(0),
      set(i),
      whileLoop(
        lt(i, PL),
        ...sums
          .slice(0, k)
          .map((s, j) =>
            seq(
              get(s),
              get(xp),
              get(i),
              i32(2),
              op.i32Shl,
              op.i32Add,
              j === 0 ? [] : seq(get(rowBytes), i32(j), op.i32Mul, op.i32Add),
              op.f32Load(),
              op.f64PromoteF32,
              op.f64Add,
              set(s),
            ),
          ),
        inc(i, 1),
      ),
      ...sums.slice(0, k).map((s, j) => seq(get(opp), get(s), get(d), op.f64Div, op.f32DemoteF64, op.f32Store(4 * j))),
      inc(opp, 4 * k),
      get(xp),
      get(rowBytes),
      i32(k),
      op.i32Mul,
      op.i32Add,
      set(xp),
      inc(c, k),
    );
  const body = seq(
    get(PL),
    op.f64ConvertI32S,
    set(d),
    get(PL),
    i32(2),
    op.i32Shl,
    set(rowBytes),
    get(X0),
    set(xp),
    get(OUTP),
    set(opp),
    i32(0),
    set(b),
    whileLoop(lt(b, NB), i32(0), set(c), whileLoop(seq(get(c), i32(3), op.i32Add, get(NC), op.i32LtU), chans(4)), whileLoop(lt(c, NC), chans(1)), inc(b, 1)),
  );
  return { name: 'gap', params, results: [], locals: types, body };
}

/** Flags of `neurons`. */
export const FIRE_GE = 1,
  RESET_SUBTRACT = 2;

/**
 * neurons(v, cur, theta, out, counts, B, F, flags, leak): one step of B·F IF/LIF neurons
 * without refractory period or synaptic state (neurons.ts has the semantics): v ← leak·v + I,
 * spike ⇔ v ≥ θ (FIRE_GE) or v > θ, then v ← v − θ (RESET_SUBTRACT) or 0; out = 1.0 / 0.0
 * (float32), counts[b] = spikes of sample b (i32). Two neurons per f64x2, branch-free
 * (compare → lane mask → select), the same float64 operations in the same order as the
 * TypeScript loop, so the same bits.
 */
function neuronsFunc(): FuncSpec {
  const V = 0,
    CUR = 1,
    TH = 2,
    OUTP = 3,
    CNT = 4,
    NB = 5,
    NF = 6,
    FLAGS = 7,
    LEAK = 8;
  const params: readonly ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, F64];
  const { types, add } = locals(params.length);
  const b = add(I32),
    i = add(I32),
    vp = add(I32),
    cp = add(I32),
    tp = add(I32),
    opp = add(I32),
    pairs = add(I32),
    n = add(I32),
    fire = add(I32);
  const leakV = add(V128),
    vv = add(V128),
    th = add(V128),
    m = add(V128),
    cnt = add(V128),
    one = add(V128);
  const sv = add(F64),
    st = add(F64);
  const ge = seq(get(FLAGS), i32(FIRE_GE), op.i32And);
  const sub = seq(get(FLAGS), i32(RESET_SUBTRACT), op.i32And);
  // Lanes 0–3 and 8–11 of the mask (its two 64-bit lanes narrowed to 32 bits) into lanes 0, 1.
  const narrow = op.i8x16Shuffle([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  /**
   * Two neurons at byte offset 16·k of v and θ (8·k of cur and out) from the pointers. unit: the
   * leak is 1, whose product 1·v = v is left out (the same value); geC, subC: the flags, fixed
   * per loop variant so the loop body has no branch.
   */
  const pairAt = (k: number, unit: boolean, geC: boolean, subC: boolean): number[] =>
    seq(
      unit ? [] : get(leakV),
      get(vp),
      op.v128Load(16 * k),
      unit ? [] : op.f64x2Mul,
      get(cp),
      op.v128Load64Zero(8 * k),
      op.f64x2PromoteLowF32x4,
      op.f64x2Add,
      set(vv),
      get(tp),
      op.v128Load(16 * k),
      set(th),
      get(vv),
      get(th),
      geC ? op.f64x2Ge : op.f64x2Gt,
      set(m),
      get(vp),
      subC ? seq(get(vv), get(th), op.f64x2Sub, get(vv), get(m), op.v128Bitselect) : seq(get(vv), get(m), op.v128AndNot),
      op.v128Store(16 * k),
      get(m),
      get(m),
      narrow,
      set(m),
      get(opp),
      get(m),
      get(one),
      op.v128And,
      op.v128Store64Lane(0, 8 * k),
      get(cnt),
      get(m),
      op.i32x4Sub,
      set(cnt),
    );
  const advance = (k: number): number[] => seq(inc(vp, 16 * k), inc(cp, 8 * k), inc(tp, 16 * k), inc(opp, 8 * k), inc(i, k));
  /** All pairs of one sample: two per iteration, then the odd one. */
  const pairLoop = (unit: boolean, geC: boolean, subC: boolean): number[] =>
    seq(
      whileLoop(seq(get(i), i32(1), op.i32Add, get(pairs), op.i32LtU), pairAt(0, unit, geC, subC), pairAt(1, unit, geC, subC), advance(2)),
      lt(i, pairs),
      op.if(seq(pairAt(0, unit, geC, subC), advance(1))),
    );
  /** The variant for this call's flags and leak (decided once per sample; the branches are predictable). */
  const pairsOfSample = seq(
    get(LEAK),
    op.f64(1),
    op.f64Eq,
    op.if(
      seq(
        ge,
        op.if(
          seq(sub, op.if(pairLoop(true, true, true), pairLoop(true, true, false))),
          seq(sub, op.if(pairLoop(true, false, true), pairLoop(true, false, false))),
        ),
      ),
      seq(
        ge,
        op.if(
          seq(sub, op.if(pairLoop(false, true, true), pairLoop(false, true, false))),
          seq(sub, op.if(pairLoop(false, false, true), pairLoop(false, false, false))),
        ),
      ),
    ),
  );
  const scalar = seq(
    get(LEAK),
    get(vp),
    op.f64Load(),
    op.f64Mul,
    get(cp),
    op.f32Load(),
    op.f64PromoteF32,
    op.f64Add,
    set(sv),
    get(tp),
    op.f64Load(),
    set(st),
    ge,
    op.if(seq(get(sv), get(st), op.f64Ge, set(fire)), seq(get(sv), get(st), op.f64Gt, set(fire))),
    get(fire),
    op.if(
      seq(
        get(vp),
        sub,
        op.if(seq(get(sv), get(st), op.f64Sub, set(sv)), seq(op.f64(0), set(sv))),
        get(sv),
        op.f64Store(),
        get(opp),
        op.f32(1),
        op.f32Store(),
        inc(n, 1),
      ),
      seq(get(vp), get(sv), op.f64Store(), get(opp), op.f32(0), op.f32Store()),
    ),
    inc(vp, 8),
    inc(cp, 4),
    inc(tp, 8),
    inc(opp, 4),
  );
  const f32One = [0x00, 0x00, 0x80, 0x3f];
  const body = seq(
    get(LEAK),
    op.f64x2Splat,
    set(leakV),
    op.v128Const([...f32One, ...f32One, ...f32One, ...f32One]),
    set(one),
    get(NF),
    i32(1),
    op.i32ShrU,
    set(pairs),
    get(V),
    set(vp),
    get(CUR),
    set(cp),
    get(OUTP),
    set(opp),
    i32(0),
    set(b),
    whileLoop(
      lt(b, NB),
      get(TH),
      set(tp),
      op.v128Const(new Array<number>(16).fill(0)),
      set(cnt),
      i32(0),
      set(i),
      pairsOfSample,
      get(cnt),
      op.i32x4ExtractLane(0),
      get(cnt),
      op.i32x4ExtractLane(1),
      op.i32Add,
      set(n),
      get(NF),
      i32(1),
      op.i32And,
      op.if(scalar),
      get(CNT),
      get(b),
      i32(2),
      op.i32Shl,
      op.i32Add,
      get(n),
      op.i32Store(),
      inc(b, 1),
    ),
  );
  return { name: 'neurons', params, results: [], locals: types, body };
}

/** Flags of `intNeurons`. */
export const INT_GE = 1,
  INT_SUBTRACT = 2,
  INT_SATURATE = 4,
  INT_LEAK = 8;

/**
 * intNeurons(v, cur, theta, out, n4, flags, lo, hi, shift, vReset, wrapShift) → spikes: one
 * step of 4·n4 integer IF/LIF neurons without refractory period or synaptic current — the
 * integer program's neuron (src/sim/int/neuron.ts has the semantics and the TypeScript loop):
 * leak v −= v >> shift (INT_LEAK), integrate v + I, overflow to the membrane width —
 * saturate to [lo, hi] (INT_SATURATE) or keep the low bits (shift left then right by
 * wrapShift) —, fire on v ≥ θ (INT_GE) or v > θ, reset by subtracting θ (overflowed the same
 * way) or to vReset. Four neurons per i32x4. v + I is formed in 32 bits: wrapping is exactly
 * ToInt32 of the true sum (what the wrap mode keeps); for saturation a sum that left the 32
 * bits is first pinned to INT32_MIN / INT32_MAX by its inputs' sign (both had it), which the
 * clamp then takes to lo / hi as the true sum would. θ is per neuron (the host expands it).
 * Branch-free: the flags become lane masks and neutral values once (no leak: a zero mask; wrap:
 * the clamp spans all of int32; saturate: a wrap shift of 0; v ≥ θ as v > θ − 1, θ ≥ 1).
 */
function intNeuronsFunc(): FuncSpec {
  const V = 0,
    CUR = 1,
    TH = 2,
    OUTP = 3,
    N4 = 4,
    FLAGS = 5,
    LO = 6,
    HI = 7,
    SH = 8,
    VRESET = 9,
    WS = 10;
  const params: readonly ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const { types, add } = locals(params.length);
  const i = add(I32),
    vp = add(I32),
    cp = add(I32),
    tp = add(I32),
    opp = add(I32),
    ws = add(I32);
  const vv = add(V128),
    c = add(V128),
    s = add(V128),
    t = add(V128),
    m = add(V128),
    cnt = add(V128),
    one = add(V128),
    loV = add(V128),
    hiV = add(V128),
    maxV = add(V128),
    resetV = add(V128),
    leakM = add(V128),
    satM = add(V128),
    subM = add(V128),
    geV = add(V128);
  const flag = (f: number): number[] => seq(get(FLAGS), i32(f), op.i32And);
  /** An all-ones lane mask when the flag is set, else zeros. */
  const mask = (f: number, into: number): number[] => seq(i32(0), flag(f), i32(0), op.i32Ne, op.i32Sub, op.i32x4Splat, set(into));
  /** The v128 on the stack brought to the membrane width (clamp, then the wrap shifts). */
  const overflow = seq(get(loV), op.i32x4MaxS, get(hiV), op.i32x4MinS, get(ws), op.i32x4Shl, get(ws), op.i32x4ShrS);
  const four = seq(
    get(vp),
    op.v128Load(),
    tee(vv),
    get(vv),
    get(SH),
    op.i32x4ShrS,
    get(leakM),
    op.v128And,
    op.i32x4Sub,
    set(vv),
    get(cp),
    op.v128Load(),
    set(c),
    get(vv),
    get(c),
    op.i32x4Add,
    set(s),
    // Lanes whose sum left 32 bits ((s ^ v) & (s ^ I) < 0) take INT32_MAX or INT32_MIN by v's sign.
    get(vv),
    i32(31),
    op.i32x4ShrS,
    get(maxV),
    op.v128Xor,
    get(s),
    get(s),
    get(vv),
    op.v128Xor,
    get(s),
    get(c),
    op.v128Xor,
    op.v128And,
    i32(31),
    op.i32x4ShrS,
    get(satM),
    op.v128And,
    op.v128Bitselect,
    overflow,
    set(s),
    get(tp),
    op.v128Load(),
    set(t),
    get(s),
    get(t),
    get(geV),
    op.i32x4Sub,
    op.i32x4GtS,
    set(m),
    get(vp),
    get(s),
    get(t),
    op.i32x4Sub,
    overflow,
    get(resetV),
    get(subM),
    op.v128Bitselect,
    get(s),
    get(m),
    op.v128Bitselect,
    op.v128Store(),
    get(opp),
    get(m),
    get(one),
    op.v128And,
    op.v128Store(),
    get(cnt),
    get(m),
    op.i32x4Sub,
    set(cnt),
    inc(vp, 16),
    inc(cp, 16),
    inc(tp, 16),
    inc(opp, 16),
    inc(i, 1),
  );
  const saturate = flag(INT_SATURATE);
  const body = seq(
    i32(1),
    op.i32x4Splat,
    set(one),
    // wrap: the clamp spans int32; saturate: no wrap shift.
    get(LO),
    i32(-0x80000000),
    saturate,
    op.select,
    op.i32x4Splat,
    set(loV),
    get(HI),
    i32(0x7fffffff),
    saturate,
    op.select,
    op.i32x4Splat,
    set(hiV),
    i32(0),
    get(WS),
    saturate,
    op.select,
    set(ws),
    i32(0x7fffffff),
    op.i32x4Splat,
    set(maxV),
    get(VRESET),
    op.i32x4Splat,
    set(resetV),
    mask(INT_LEAK, leakM),
    mask(INT_SATURATE, satM),
    mask(INT_SUBTRACT, subM),
    flag(INT_GE),
    i32(0),
    op.i32Ne,
    op.i32x4Splat,
    set(geV),
    get(V),
    set(vp),
    get(CUR),
    set(cp),
    get(TH),
    set(tp),
    get(OUTP),
    set(opp),
    whileLoop(lt(i, N4), four),
    get(cnt),
    op.i32x4ExtractLane(0),
    get(cnt),
    op.i32x4ExtractLane(1),
    op.i32Add,
    get(cnt),
    op.i32x4ExtractLane(2),
    op.i32Add,
    get(cnt),
    op.i32x4ExtractLane(3),
    op.i32Add,
  );
  return { name: 'intNeurons', params, results: [I32], locals: types, body };
}

/**
 * The module's bytes: memory "mem" (1 page; the host grows it), conv, rows, neurons, gap, avg4
 * (the ANN module's four-tap average pool, here so that a pool reads its spikes and leaves its
 * output where the neighbouring kernels are), and the integer program's convInt, rowsInt, intNeurons.
 */
export function scatterModuleBytes(): Uint8Array {
  return encodeModule({
    memory: { name: 'mem', pages: 1 },
    funcs: [convFunc('f32'), rowsFunc('f32'), neuronsFunc(), convFunc('i32'), rowsFunc('i32'), intNeuronsFunc(), gapFunc(), avg4Func(), convFunc('f64')],
  });
}
