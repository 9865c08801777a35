// Host side of the WebAssembly scatter kernels (scatter-module.ts). A plan's constant
// data — weights, tap tables, bias, accumulators — is placed in the
// module's memory once and stays there while it fits (an arena, reset when full: plans
// then reload on their next use). Each call copies the batch's inputs in and the
// outputs out. Without WebAssembly SIMD, or with SNNC_NO_WASM=1, `scatterWasm` returns
// undefined and scatter.ts runs its TypeScript loop, which gives the same bits.
import { align16, growMemory, instantiateKernels } from '../../ann/wasm/sgemm.js';
import type { Avg4Fn, WasmMemory } from '../../ann/wasm/sgemm.js';
import {
  ALPHA_BYTE,
  FIRE_GE,
  HEADER,
  HEADER_BYTES,
  INT_GE,
  INT_LEAK,
  INT_SATURATE,
  INT_SUBTRACT,
  RESET_SUBTRACT,
  SHUFFLES_AT,
  SHUFFLES_BYTES,
  compactShuffles,
  scatterModuleBytes,
} from './scatter-module.js';

type Kernel = (hdr: number, x: number, out: number, count: number) => void;
type GapKernel = (x: number, out: number, B: number, C: number, plane: number) => void;
type NeuronKernel = (v: number, cur: number, theta: number, out: number, counts: number, B: number, F: number, flags: number, leak: number) => void;
type IntNeuronKernel = (
  v: number,
  cur: number,
  theta: number,
  out: number,
  n4: number,
  flags: number,
  lo: number,
  hi: number,
  shift: number,
  vReset: number,
  wrapShift: number,
) => number;

interface Engine {
  readonly mem: WasmMemory;
  readonly conv: Kernel;
  readonly convMean: Kernel;
  readonly rows: Kernel;
  readonly convInt: Kernel;
  readonly rowsInt: Kernel;
  readonly neurons: NeuronKernel;
  readonly intNeurons: IntNeuronKernel;
  readonly gap: GapKernel;
  readonly avg4: Avg4Fn;
  /** First free byte of the arena; bumps when a plan is placed, resets when it is full. */
  top: number;
  /** Incremented on every reset: a plan placed in an older generation must reload. */
  gen: number;
}

/** What scatterWasm needs of a plan (scatter.ts's ConvPlan / RowsPlan). */
export interface WasmConv {
  /** 'avg': an average pool over C channels, run as a depthwise conv of ones divided by `count`. */
  readonly kind: 'conv' | 'avg';
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly OC: number;
  readonly OCg: number;
  readonly Cg: number;
  readonly KH: number;
  readonly KW: number;
  readonly wr: Float32Array;
  readonly hStart: Int32Array;
  readonly hPairs: Int32Array;
  readonly wStart: Int32Array;
  readonly wPairs: Int32Array;
  readonly bias: Float32Array | undefined;
  /** Taps per output pixel (average pool). */
  readonly count: Float64Array;
  /**
   * One group, and every input column's (ow, kw) pairs are consecutive outputs with
   * consecutive (descending) taps — stride and dilation 1 along W: a column's taps are one run.
   */
  readonly span: boolean;
}
export interface WasmRows {
  readonly kind: 'rows';
  readonly K: number;
  readonly N: number;
  readonly wt: Float32Array;
  readonly alpha: number;
  readonly bias: Float32Array | undefined;
}

/** Arena size before a reset; bigger single plans take the TypeScript path. */
let arenaBytes = 256 * 1024 * 1024;

/** Test hook: the arena size before a reset (small: resets on every placement); returns the old size. */
export function setScatterArenaBytes(bytes: number): number {
  const old = arenaBytes;
  arenaBytes = bytes;
  return old;
}
/** Largest per-call input + output we copy in; bigger batches take the TypeScript path. */
const IO_BYTES = 512 * 1024 * 1024;
/**
 * Address 0 is reserved so a null pointer (no bias) is 0; the kernels' compaction shuffles sit
 * at SHUFFLES_AT, then the arena.
 */
export const ARENA_START = SHUFFLES_AT + SHUFFLES_BYTES;
/** A kernel listing nonzeros reads up to 12 bytes past its input (lanes it masks off): memory must reach past it. */
const READ_PAST = 16;

let engine: Engine | null | undefined;
const placed = new WeakMap<object, { readonly gen: number; readonly hdr: number }>();
/**
 * Arena generations, counted across engines: a plan placed in an older generation — or in an
 * engine since dropped (releaseWasmScatter, resetWasmScatter) — must reload.
 */
let generation = 0;
/** An arena larger than this is dropped when a simulation ends (releaseWasmScatter). */
let keepBytes = 64 * 1024 * 1024;

/** Test hook: the largest arena kept between simulations (0: none); returns the old limit. */
export function keepScatterArenaUpTo(bytes: number): number {
  const old = keepBytes;
  keepBytes = bytes;
  return old;
}

function load(): Engine | null {
  const ex = instantiateKernels(scatterModuleBytes);
  if (ex === null) return null;
  const mem = ex['mem'] as WasmMemory;
  new Uint8Array(mem.buffer, SHUFFLES_AT, SHUFFLES_BYTES).set(compactShuffles());
  return {
    mem,
    conv: ex['conv'] as Kernel,
    convMean: ex['convMean'] as Kernel,
    rows: ex['rows'] as Kernel,
    convInt: ex['convInt'] as Kernel,
    rowsInt: ex['rowsInt'] as Kernel,
    neurons: ex['neurons'] as NeuronKernel,
    intNeurons: ex['intNeurons'] as IntNeuronKernel,
    gap: ex['gap'] as GapKernel,
    avg4: ex['avg4'] as Avg4Fn,
    top: ARENA_START,
    gen: ++generation,
  };
}

function getEngine(): Engine | null {
  if (engine === undefined) engine = load();
  return engine;
}

/** Whether the kernels run in WebAssembly (false: SIMD unsupported or SNNC_NO_WASM=1). */
export function wasmScatterEnabled(): boolean {
  return getEngine() !== null;
}

/** Test hook: forget the engine so the next call re-reads SNNC_NO_WASM. */
export function resetWasmScatter(): void {
  if (engine !== null && engine !== undefined) flushMembranes(engine);
  engine = undefined;
  forgetIo();
}

/**
 * Drops an engine whose arena grew past 64 MB, so its memory (a WebAssembly memory never
 * shrinks) goes back to the system: a CIFAR VGG-16's weights are ~63 MB (float32), which a
 * compile would otherwise carry through every target after its float simulation. The next
 * simulation loads a fresh engine and places its plans again (a copy of the weights).
 */
export function releaseWasmScatter(): void {
  // The last output's record holds its engine (and its array): a dropped engine must not stay reachable.
  forgetIo();
  if (engine === null || engine === undefined) return;
  flushMembranes(engine);
  if (engine.mem.buffer.byteLength > keepBytes) engine = undefined;
}

type Part = Float64Array | Float32Array | Int32Array | { readonly zeros: number };

/** Place a plan's header and parts in the arena; returns the header address, or undefined. */
function place(e: Engine, fields: Readonly<Record<string, number | Part | undefined>>, order: readonly string[], alpha: number): number | undefined {
  const parts = order.map((k) => fields[k]);
  let size = HEADER_BYTES;
  for (const p of parts) if (typeof p === 'object') size += align16('zeros' in p ? 8 * p.zeros : p.byteLength);
  if (size > arenaBytes - ARENA_START) return undefined;
  // The I/O area starts at e.top, which this moves (and the new part may overwrite it).
  forgetIo();
  if (e.top + size > arenaBytes) {
    flushMembranes(e);
    freeSlots.length = 0;
    e.top = ARENA_START;
    e.gen = ++generation;
  }
  if (!growMemory(e.mem, e.top + size)) return undefined;
  const buf = e.mem.buffer;
  const hdr = e.top;
  const slots = new Int32Array(buf, hdr, HEADER_BYTES / 4);
  new Float64Array(buf, hdr + ALPHA_BYTE, 1)[0] = alpha;
  let at = hdr + HEADER_BYTES;
  parts.forEach((p, s) => {
    if (typeof p === 'number') slots[s] = p;
    else if (p === undefined) slots[s] = 0;
    else {
      slots[s] = at;
      if ('zeros' in p) new Float64Array(buf, at, p.zeros).fill(0);
      else new Uint8Array(buf, at, p.byteLength).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      at += align16('zeros' in p ? 8 * p.zeros : p.byteLength);
    }
  });
  e.top = at;
  return hdr;
}

/** Conv weights [C][KH][KW][OC] with kw reversed (the span layout). */
function flipKw(p: WasmConv): Float32Array {
  const { C, KH, KW, OC, wr } = p;
  const out = new Float32Array(wr.length);
  for (let ck = 0; ck < C * KH; ck++) {
    for (let kw = 0; kw < KW; kw++) {
      const from = (ck * KW + kw) * OC;
      out.set(wr.subarray(from, from + OC), (ck * KW + (KW - 1 - kw)) * OC);
    }
  }
  return out;
}

/** Per (oh, kh) pair, the byte offsets of its output row and tap row (both kernel paths). */
function rowTables(p: WasmConv, bytes: number): Record<'rowAcc' | 'rowW', Int32Array> {
  const { OW, OC, OCg, KW, hPairs } = p;
  const Q = hPairs.length / 2;
  const rowAcc = new Int32Array(Q);
  const rowW = new Int32Array(Q);
  for (let q = 0; q < Q; q++) {
    rowAcc[q] = (hPairs[2 * q] as number) * OW * OC * bytes;
    rowW[q] = (hPairs[2 * q + 1] as number) * KW * OCg * bytes;
  }
  return { rowAcc, rowW };
}

/**
 * The span kernel's byte offsets (see spanTaps in scatter-module.ts) for accumulators and
 * weights of `bytes` each: per input column its first output, first reversed tap and run
 * length in values (one group: OCg = OC); and the row tables.
 */
function spanTables(p: WasmConv, bytes: number): Record<'colAcc' | 'colW' | 'colN' | 'rowAcc' | 'rowW', Int32Array> {
  const { W, OC, KW, wStart, wPairs } = p;
  const colAcc = new Int32Array(W);
  const colW = new Int32Array(W);
  const colN = new Int32Array(W);
  for (let iw = 0; iw < W; iw++) {
    const r = wStart[iw] as number;
    const n = (wStart[iw + 1] as number) - r;
    if (n === 0) continue;
    colAcc[iw] = (wPairs[2 * r] as number) * OC * bytes;
    colW[iw] = (KW - 1 - (wPairs[2 * r + 1] as number)) * OC * bytes;
    colN[iw] = n * OC;
  }
  return { colAcc, colW, colN, ...rowTables(p, bytes) };
}

/**
 * The general conv kernel's byte offsets (see generalTaps in scatter-module.ts) for
 * accumulators and weights of `bytes` each: per (ow, kw) pair its output column and tap; and
 * the row tables.
 */
function pairTables(p: WasmConv, bytes: number): Record<'rowAcc' | 'rowW' | 'pairAcc' | 'pairW', Int32Array> {
  const { OC, OCg, wPairs } = p;
  const R = wPairs.length / 2;
  const pairAcc = new Int32Array(R);
  const pairW = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    pairAcc[r] = (wPairs[2 * r] as number) * OC * bytes;
    pairW[r] = (wPairs[2 * r + 1] as number) * OCg * bytes;
  }
  return { pairAcc, pairW, ...rowTables(p, bytes) };
}

/** The tables of a plan's kernel path (span or general). */
function tablesOf(p: WasmConv, span: boolean, bytes: number): Record<string, Int32Array> {
  return span ? spanTables(p, bytes) : pairTables(p, bytes);
}

/** The plan's numbers and arrays by name (header slots are looked up by these names). */
function fieldsOf(p: WasmConv | WasmRows): Record<string, number | Part | undefined> {
  const out: Record<string, number | Part | undefined> = {};
  for (const [k, v] of Object.entries(p))
    if (typeof v === 'number' || v instanceof Float32Array || v instanceof Int32Array || v instanceof Float64Array) out[k] = v;
  return out;
}

/**
 * The header of what `key` stands for in this arena generation: placed by `make` the first time
 * (and again after a reset), then looked up. `where` keeps one kind of layout per key.
 */
function placedOnce(
  e: Engine,
  where: WeakMap<object, { readonly gen: number; readonly hdr: number }>,
  key: object,
  make: () => number | undefined,
): number | undefined {
  const known = where.get(key);
  if (known !== undefined && known.gen === e.gen) return known.hdr;
  const hdr = make();
  if (hdr !== undefined) where.set(key, { gen: e.gen, hdr });
  return hdr;
}

/** One constant array placed once per key (thresholds); its address. */
function arrayAt(e: Engine, key: object, data: Float64Array | Int32Array): number | undefined {
  const hdr = placedOnce(e, placed, key, () => place(e, { data }, ['data'], 0));
  return hdr === undefined ? undefined : hdr + HEADER_BYTES;
}

function header(e: Engine, p: WasmConv | WasmRows): number | undefined {
  return placedOnce(e, placed, p, () => placePlan(e, p));
}

/**
 * The kernel's list of nonzero inputs among n (int32 indices, and the 12 bytes listNonzeros may
 * write past the last; `zeros` counts 8-byte slots).
 */
function nzList(n: number): { readonly zeros: number } {
  return { zeros: Math.ceil(n / 2) + 2 };
}

/** Per input position ih·W + iw of a channel, (ih, iw): where the conv kernel finds a listed position's row and column. */
function positions(p: WasmConv): Int32Array {
  const pos = new Int32Array(2 * p.H * p.W);
  for (let ih = 0; ih < p.H; ih++) {
    for (let iw = 0; iw < p.W; iw++) {
      pos[2 * (ih * p.W + iw)] = ih;
      pos[2 * (ih * p.W + iw) + 1] = iw;
    }
  }
  return pos;
}

/**
 * A conv plan with 4-byte weights `wr` (float32 for conv, int32 for convInt: the same tables and
 * layout) in the span layout when p.span, as placed for the conv kernels.
 */
function placeConv(e: Engine, p: WasmConv, wr: Float32Array | Int32Array): number | undefined {
  const fields = {
    ...fieldsOf(p),
    ...tablesOf(p, p.span, 4),
    wr,
    acc: { zeros: p.OC * p.OH * p.OW },
    count: undefined,
    span: p.span ? 1 : 0,
    nz: nzList(p.H * p.W),
    pos: positions(p),
  };
  return place(e, fields, HEADER.conv, 1);
}

function placePlan(e: Engine, p: WasmConv | WasmRows): number | undefined {
  if (p.kind === 'rows') return place(e, { ...fieldsOf(p), acc: { zeros: p.N }, nz: nzList(p.K) }, HEADER.rows, p.alpha);
  if (p.kind === 'conv') return placeConv(e, p, p.span ? flipKw(p) : p.wr);
  // Depthwise ones in float64 (convMean): OC = C, one output channel per group; an empty window divides by NaN.
  const fields = {
    ...fieldsOf(p),
    ...tablesOf(p, false, 8),
    wr: new Float64Array(p.C * p.KH * p.KW).fill(1),
    OCg: 1,
    Cg: 1,
    bias: undefined,
    acc: { zeros: p.OC * p.OH * p.OW },
    count: p.count.map((n) => (n > 0 ? n : NaN)),
    span: 0,
    nz: nzList(p.H * p.W),
    pos: positions(p),
  };
  return place(e, fields, HEADER.conv, 1);
}

/**
 * The float32 output the last kernel call copied out of memory, and where it still sits: the
 * next call, when its input is that same array (a conv's currents into their neuron layer, a
 * layer's spikes into the next conv), reads it there instead of copying it in again — its own
 * regions then go above it. Every call starts a new I/O epoch and every placement does too, so
 * an entry is good only until anything else has used or moved the I/O area. The simulator
 * never writes into a value after its producer made it (no value is modified in place), so
 * the array still holds what memory holds.
 */
let ioEpoch = 0;
let lastOut: { readonly e: Engine; readonly arr: Float32Array; readonly addr: number; readonly epoch: number } | undefined;

function forgetIo(): void {
  ioEpoch++;
  lastOut = undefined;
}

/** Start an I/O call: where `x` already sits in memory (undefined: copy it in), then a new epoch. */
function ioStart(e: Engine, x: Float32Array | undefined): number | undefined {
  const l = lastOut;
  const hit = l !== undefined && x !== undefined && l.e === e && l.arr === x && l.epoch === ioEpoch ? l.addr : undefined;
  forgetIo();
  return hit;
}

/** `arr` now holds memory's float32s at addr (as left by this call). */
function ioLeft(e: Engine, arr: Float32Array, addr: number): void {
  lastOut = { e, arr, addr, epoch: ioEpoch };
}

let ioReuses = 0;
/** Test hook: how many kernel calls so far read their input where the previous call left it. */
export function ioReuseCount(): number {
  return ioReuses;
}

/**
 * Run `count` samples (conv) or rows (rows) of x through the plan in WebAssembly, the float32
 * outputs into `out` (every element written); false (out untouched) when the WebAssembly path
 * is unavailable for it.
 */
export function scatterWasm(p: WasmConv | WasmRows, x: Float32Array, count: number, out: Float32Array): boolean {
  const e = getEngine();
  if (e === null) return false;
  const hdr = header(e, p);
  if (hdr === undefined) {
    // The caller's loop writes `out` instead: no array may stand for memory any more.
    forgetIo();
    return false;
  }
  const kernel = p.kind === 'rows' ? e.rows : p.kind === 'conv' ? e.conv : e.convMean;
  return ioRun(e, x, out, (xp, op) => kernel(hdr, xp, op, count));
}

/**
 * A global average pool of B samples (C channels × plane each) in WebAssembly (the `gap`
 * kernel: the TypeScript loop's sums), into out (B·C); false (out untouched) when unavailable.
 */
export function gapWasm(x: Float32Array, B: number, C: number, plane: number, out: Float32Array): boolean {
  const e = getEngine();
  if (e === null) {
    forgetIo();
    return false;
  }
  return ioRun(e, x, out, (xp, op) => e.gap(xp, op, B, C, plane));
}

/** What avg4Wasm needs of a four-tap pool plan (scatter.ts's Avg4Plan): sizes, strides and tap offsets in elements. */
export interface WasmAvg4 {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly sH: number;
  readonly sW: number;
  /** Offsets of taps 1–3 from tap 0, in elements (row-major tap order). */
  readonly o1: number;
  readonly o2: number;
  readonly o3: number;
}

/**
 * B samples of a four-tap average pool whose windows all lie inside the input, in WebAssembly
 * (avg4: the dense kernel's sums and rounding), into out; false (out untouched) when unavailable.
 */
export function avg4Wasm(p: WasmAvg4, x: Float32Array, B: number, out: Float32Array): boolean {
  const e = getEngine();
  if (e === null) {
    forgetIo();
    return false;
  }
  return ioRun(e, x, out, (xp, op) => e.avg4(xp, op, B * p.C, p.OH, p.OW, 4 * p.H * p.W, 4 * p.sH * p.W, 4 * p.sW, 4 * p.o1, 4 * p.o2, 4 * p.o3));
}

/**
 * One kernel call on float32 input x (copied in, or read where the previous call left it) and
 * output out (every element written by the kernel, copied out); false (nothing done, no array
 * standing for memory) when the I/O does not fit.
 */
function ioRun(e: Engine, x: Float32Array, out: Float32Array, call: (xp: number, op: number) => void): boolean {
  const outLen = out.length;
  const base = align16(e.top);
  let xp = ioStart(e, x) ?? base;
  let op = align16(xp + 4 * x.length);
  if (xp !== base && op + 4 * outLen - base > IO_BYTES) {
    xp = base;
    op = align16(xp + 4 * x.length);
  }
  // The output lies above the input (wherever that sits), so memory reaching past it reaches past both.
  if (op + 4 * outLen - base > IO_BYTES || !growMemory(e.mem, op + 4 * outLen + READ_PAST)) return false;
  if (xp === base) new Float32Array(e.mem.buffer, xp, x.length).set(x);
  else ioReuses++;
  call(xp, op);
  out.set(new Float32Array(e.mem.buffer, op, outLen));
  ioLeft(e, out, op);
  return true;
}

/** Where each integer plan sits (its weights as int32: a layout of its own, apart from `placed`). */
const placedInt = new WeakMap<object, { readonly gen: number; readonly hdr: number }>();

function headerInt(e: Engine, p: WasmConv | WasmRows): number | undefined {
  return placedOnce(e, placedInt, p, () =>
    p.kind === 'rows'
      ? place(e, { ...fieldsOf(p), wt: Int32Array.from(p.wt), acc: { zeros: p.N }, nz: nzList(p.K) }, HEADER.rows, 1)
      : placeConv(e, p, Int32Array.from(p.span ? flipKw(p) : p.wr)),
  );
}

/**
 * I += the plan's sums for `count` int32 inputs x (samples or rows back to back, as their sums
 * in I): the integer program's conv and dense layers
 * (plans of integer weights without bias, alpha or mean), summed in int32 — which wraps as the
 * integer loop's Int32Array stores do, so the result is the same in any order. False (I
 * untouched) when the WebAssembly path is unavailable for it.
 */
export function scatterAddInt(p: WasmConv | WasmRows, x: Int32Array, I: Int32Array, count: number): boolean {
  const e = getEngine();
  if (e === null || p.bias !== undefined || (p.kind === 'rows' ? p.alpha !== 1 : p.kind !== 'conv')) return false;
  const hdr = headerInt(e, p);
  if (hdr === undefined) return false;
  forgetIo();
  const xp = align16(e.top);
  const op = align16(xp + 4 * x.length);
  if (op + 4 * I.length - xp > IO_BYTES || !growMemory(e.mem, op + 4 * I.length + READ_PAST)) return false;
  const buf = e.mem.buffer;
  new Int32Array(buf, xp, x.length).set(x);
  const io = new Int32Array(buf, op, I.length);
  io.set(I);
  (p.kind === 'rows' ? e.rowsInt : e.convInt)(hdr, xp, op, count);
  I.set(io);
  return true;
}

/**
 * Membranes kept in the arena between steps (a slot per neuron layer, by the caller's key),
 * instead of being copied in and out on every step: B·F float64 twice per step was a fifth of
 * a LeNet simulation. The caller's array (`owner`) is stale while its slot is live; every way
 * out of `live` — another array taking the slot (the next batch), an arena reset, an engine
 * dropped, releaseWasmScatter — first copies the slot back, so the caller's array is current
 * whenever the kernel does not hold it.
 */
interface Slot {
  readonly addr: number;
  readonly bytes: number;
  readonly gen: number;
  owner: Float64Array;
}
const live = new Map<object, Slot>();
const freeSlots: Slot[] = [];

function flushSlot(e: Engine, s: Slot): void {
  if (s.gen === e.gen) s.owner.set(new Float64Array(e.mem.buffer, s.addr, s.owner.length));
}

/** Copy every live membrane back to its array; the slots become free (same size, same generation: reusable). */
function flushMembranes(e: Engine): void {
  for (const key of [...live.keys()]) letGo(e, key);
}

/** The slot of `key`, if live, back to its array and freed. */
function letGo(e: Engine, key: object): void {
  const s = live.get(key);
  if (s === undefined) return;
  flushSlot(e, s);
  live.delete(key);
  if (s.gen === e.gen) freeSlots.push(s);
}

/** Copy every membrane kept in the arena back to its array (a simulation that is done with its neuron states). */
export function releaseMembranes(): void {
  if (engine !== null && engine !== undefined) flushMembranes(engine);
}

/** The live slot of `key` holding v (loading v into it), or undefined when the arena cannot hold it. */
function membrane(e: Engine, key: object, v: Float64Array): Slot | undefined {
  const s = live.get(key);
  if (s !== undefined && s.gen === e.gen && s.bytes === v.byteLength) {
    if (s.owner !== v) {
      flushSlot(e, s);
      new Float64Array(e.mem.buffer, s.addr, v.length).set(v);
      s.owner = v;
    }
    return s;
  }
  letGo(e, key);
  const i = freeSlots.findIndex((f) => f.gen === e.gen && f.bytes === v.byteLength);
  let slot: Slot;
  if (i >= 0) slot = freeSlots.splice(i, 1)[0] as Slot;
  else {
    // May reset the arena (flushing every live slot) — then e.gen is the new generation.
    const hdr = place(e, { v: { zeros: v.length } }, ['v'], 0);
    if (hdr === undefined) return undefined;
    slot = { addr: hdr + HEADER_BYTES, bytes: v.byteLength, gen: e.gen, owner: v };
  }
  new Float64Array(e.mem.buffer, slot.addr, v.length).set(v);
  slot.owner = v;
  live.set(key, slot);
  return slot;
}

/**
 * One step of B·F neurons without refractory period or synaptic state, in WebAssembly:
 * v (float64, B·F; kept in the arena between steps under `key`, see Slot) updated, spikes
 * written to out[outOff..] (every element is written), spike counts added to counts[cOff + b].
 * False (nothing done) when the WebAssembly path is unavailable.
 */
export function stepNeuronsWasm(
  key: object,
  v: Float64Array,
  theta: Float64Array,
  leak: number,
  ge: boolean,
  subtract: boolean,
  B: number,
  cur: Float32Array,
  curOff: number,
  out: Float32Array,
  outOff: number,
  counts: Float64Array,
  cOff: number,
): boolean {
  const e = getEngine();
  if (e === null) return false;
  const F = theta.length;
  const n = B * F;
  // θ and the membrane's slot: placing either may reset the arena, which drops the other (a
  // slot is flushed first) — so until both are of the current generation (at most twice more:
  // after a reset the arena is empty).
  let tp: number | undefined;
  let slot: Slot | undefined;
  for (let tries = 0; tries < 3 && !(slot !== undefined && placed.get(theta)?.gen === e.gen); tries++) {
    tp = arrayAt(e, theta, theta);
    slot = tp === undefined ? undefined : membrane(e, key, v);
  }
  const base = align16(e.top);
  const whole = curOff === 0 && cur.length === n;
  let cp = ioStart(e, whole ? cur : undefined) ?? base;
  if (cp !== base && align16(align16(cp + 4 * n) + 4 * n) + 4 * B - base > IO_BYTES) cp = base;
  const op = align16(cp + 4 * n);
  const np = align16(op + 4 * n);
  const end = np + 4 * B;
  if (tp === undefined || slot === undefined || placed.get(theta)?.gen !== e.gen || end - base > IO_BYTES || !growMemory(e.mem, end)) {
    // The TypeScript loop takes over: v must be current.
    letGo(e, key);
    return false;
  }
  const buf = e.mem.buffer;
  if (cp === base) new Float32Array(buf, cp, n).set(cur.subarray(curOff, curOff + n));
  else ioReuses++;
  e.neurons(slot.addr, cp, tp, op, np, B, F, (ge ? FIRE_GE : 0) | (subtract ? RESET_SUBTRACT : 0), leak);
  out.set(new Float32Array(buf, op, n), outOff);
  if (outOff === 0 && out.length === n) ioLeft(e, out, op);
  const c = new Int32Array(buf, np, B);
  for (let b = 0; b < B; b++) counts[cOff + b] = (counts[cOff + b] as number) + (c[b] as number);
  return true;
}

/** An integer neuron layer's constants for `stepIntNeuronsWasm` (src/sim/int/fast-conv.ts makes them). */
export interface IntNeuronLayer {
  /** Threshold per neuron of the samples stepped together, padded to a multiple of 4 with 1s (padding lanes stay at 0 and never fire). */
  readonly theta: Int32Array;
  readonly ge: boolean;
  readonly subtract: boolean;
  readonly saturate: boolean;
  /** Leak shift, or null (IF). */
  readonly shift: number | null;
  readonly membraneBits: number;
  readonly vReset: number;
}

/**
 * One step of an integer neuron layer (no refractory period, no synaptic current) in
 * WebAssembly: v updated in place, out ← 0/1, returns the spike count; undefined (nothing
 * done) when the WebAssembly path is unavailable. v, I and out hold one value per threshold
 * (before the padding): all the samples' neurons, back to back.
 */
export function stepIntNeuronsWasm(layer: IntNeuronLayer, v: Int32Array, I: Int32Array, out: Int32Array): number | undefined {
  const e = getEngine();
  if (e === null) return undefined;
  const tp = arrayAt(e, layer, layer.theta);
  if (tp === undefined) return undefined;
  forgetIo();
  const F = v.length;
  const bytes = layer.theta.byteLength;
  const vp = align16(e.top);
  const cp = vp + bytes;
  const op = cp + bytes;
  if (3 * bytes > IO_BYTES || !growMemory(e.mem, op + bytes)) return undefined;
  const buf = e.mem.buffer;
  const n = bytes / 4;
  const vw = new Int32Array(buf, vp, n);
  vw.set(v);
  const cw = new Int32Array(buf, cp, n);
  cw.set(I);
  for (let k = F; k < n; k++) vw[k] = cw[k] = 0;
  const m = layer.membraneBits;
  const flags = (layer.ge ? INT_GE : 0) | (layer.subtract ? INT_SUBTRACT : 0) | (layer.saturate ? INT_SATURATE : 0) | (layer.shift !== null ? INT_LEAK : 0);
  const spikes = e.intNeurons(vp, cp, tp, op, n / 4, flags, -(2 ** (m - 1)), 2 ** (m - 1) - 1, layer.shift ?? 0, layer.vReset, 32 - m);
  v.set(vw.subarray(0, F));
  out.set(new Int32Array(buf, op, F));
  return spikes;
}
