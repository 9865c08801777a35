// Binary matrix products by popcount. The rows of A and of B are bit vectors packed into W
// 64-bit words each (bit r of a row is bit r % 64 of word r / 64, words little-endian); B
// comes as `planes` bit planes (plane b of column j: bit b of its cells' levels), and
//   s[i, j] = Σ_b 2^b · popcount(A_i AND B_bj)
// is the partial sum of crossbar column j when the word-line inputs are one bit plane
// (spikes, or one bit of a bit-serial code) and the cells hold levels of `planes` bits:
// Σ_r x_r · e_rj exactly (integers). One AND and one popcount stand for 64 multiply-adds.
// Three consumers of s, so partial sums never leave the kernel when they need not:
//   bitmm           C[i, j] (+)= s[i, j]
//   bitmmThreshold  acc[i, o] += Σ_{j of output o} (s[i, j] ≥ ref_j ? add_j : nothing), the
//                   columns of output o being o·G … o·G + G − 1, added in ascending j into
//                   one float64 (the sense-amplifier read-out, same order as the TS loop)
//   bitmmHistogram  count every nonzero s[i, j] in hist[slice_j][min(s, len − 1)]
// The kernels are a generated WebAssembly module (core WebAssembly: i64.popcnt needs no
// SIMD); without WebAssembly, or with SNNC_NO_WASM=1, TypeScript loops give the same results.
import type { Bytes, FuncSpec, ValType } from './encode.js';
import { F64, I32, I64, encodeModule, localsAfter, op, seq, whileLoop } from './encode.js';
import { growMemory, instantiateKernels } from './sgemm.js';
import type { WasmMemory } from './sgemm.js';

const { get, set, i32 } = op;
type Kind = 'sums' | 'threshold' | 'histogram';
// Common parameters: a, b (byte addresses), M rows of A, N columns, W words per row, planes,
// planeBytes (N·W·8); then per kind: sums (c, acc); threshold (ref, add, out, G); histogram
// (slice, hist, len).
const COMMON = 7;
const EXTRA: Record<Kind, number> = { sums: 2, threshold: 4, histogram: 3 };

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
    acc = add(F64);
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
    const [REF, ADD, OUT, G] = [x(0), x(1), x(2), x(3)];
    // Output-major: acc holds out[i, o] in a register while its G columns run; per column
    // acc + (s ≥ ref ? add : +0) — adding +0 changes no bit of acc, which is never −0 (it
    // starts at +0, and +0 + −0 = +0), so this equals "add only when set".
    const columnAdd = seq(
      get(acc),
      get(ADD),
      get(j),
      i32(3),
      op.i32Shl,
      op.i32Add,
      op.f64Load(),
      op.f64(0),
      get(s),
      get(REF),
      get(j),
      i32(2),
      op.i32Shl,
      op.i32Add,
      op.i32Load(),
      op.i32GeS,
      op.select,
      op.f64Add,
      set(acc),
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
        i32(0),
        set(q),
        whileLoop(seq(get(q), get(G), op.i32LtU), dot, columnAdd, inc(bp, get(rowBytes)), inc(j, i32(1)), inc(q, i32(1))),
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

type Fn = (...args: number[]) => void;
interface Engine {
  readonly mem: WasmMemory;
  /** By kind, then by row width in words (0: any width); `onePlane`: the kernels for 1-bit cells (fixed widths only). */
  readonly fns: Readonly<Record<Kind, ReadonlyMap<number, Fn>>>;
  readonly onePlane: Readonly<Record<Kind, ReadonlyMap<number, Fn>>>;
}
let engine: Engine | null | undefined;

const KINDS: readonly Kind[] = ['sums', 'threshold', 'histogram'];

function getEngine(): Engine | null {
  if (engine === undefined) {
    const funcs = KINDS.flatMap((k) => [kernel(k), ...UNROLLED.map((w) => kernel(k, w)), ...UNROLLED.map((w) => kernel(k, w, true))]);
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
  const parts = [op.a.subarray(0, op.M * op.words), op.b.subarray(0, op.planes * op.N * op.words), ...extra];
  const at: number[] = [];
  let top = 0;
  for (const p of parts) {
    top = (top + 15) & ~15;
    at.push(top);
    top += p.byteLength;
  }
  if (!growMemory(e.mem, top)) return undefined;
  parts.forEach((p, k) => new Uint8Array(e.mem.buffer, at[k] as number, p.byteLength).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
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
 * out[i·(N/G) + o] += add_j for every column j of output o (j = o·G … o·G + G − 1, ascending)
 * with s[i, j] ≥ ref_j. ref must be ≥ 1 (a zero partial sum never passes).
 */
export function bitmmThreshold(op: BitOperands, ref: Int32Array, addv: Float64Array, G: number, out: Float64Array): void {
  if (op.M === 0 || op.N === 0) return;
  const O = op.N / G;
  const e = getEngine();
  const view = out.subarray(0, op.M * O);
  const at = e === null ? undefined : place(e, op, [ref, addv, view]);
  if (e !== null && at !== undefined) {
    fnFor(e, 'threshold', op.words, op.planes)(...common(op, at), at[2] as number, at[3] as number, at[4] as number, G);
    copyBack(e, at[4] as number, view);
    return;
  }
  for (let i = 0; i < op.M; i++) {
    for (let o = 0; o < O; o++) {
      let acc = out[i * O + o] as number;
      for (let j = o * G; j < (o + 1) * G; j++) if (sumAt(op, i, j) >= (ref[j] as number)) acc += addv[j] as number;
      out[i * O + o] = acc;
    }
  }
}

/** hist[slice_j·len + min(s, len − 1)] += 1 for every nonzero s[i, j]. */
export function bitmmHistogram(op: BitOperands, slice: Int32Array, hist: Int32Array, len: number): void {
  if (op.M === 0 || op.N === 0) return;
  const e = getEngine();
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
