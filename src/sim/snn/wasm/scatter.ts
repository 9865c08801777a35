// Host side of the WebAssembly scatter kernels (scatter-module.ts). A plan's constant
// data — weights widened to float64, tap tables, bias, accumulators — is placed in the
// module's memory once and stays there while it fits (an arena, reset when full: plans
// then reload on their next use). Each call copies the batch's inputs in and the
// outputs out. Without WebAssembly SIMD, or with SNNC_NO_WASM=1, `scatterWasm` returns
// undefined and scatter.ts runs its TypeScript loop, which gives the same bits.
import { growMemory, instantiateKernels } from '../../ann/wasm/sgemm.js';
import type { WasmMemory } from '../../ann/wasm/sgemm.js';
import { ALPHA_BYTE, FIRE_GE, HEADER, HEADER_BYTES, RESET_SUBTRACT, scatterModuleBytes } from './scatter-module.js';

type Kernel = (hdr: number, x: number, out: number, count: number) => void;
type NeuronKernel = (v: number, cur: number, theta: number, out: number, counts: number, B: number, F: number, flags: number, leak: number) => void;

interface Engine {
  readonly mem: WasmMemory;
  readonly conv: Kernel;
  readonly rows: Kernel;
  readonly neurons: NeuronKernel;
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
const ARENA_BYTES = 256 * 1024 * 1024;
/** Largest per-call input + output we copy in; bigger batches take the TypeScript path. */
const IO_BYTES = 512 * 1024 * 1024;
/** Address 0 is reserved so a null pointer (no bias) is 0. */
const ARENA_START = 16;

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
  return ex === null
    ? null
    : {
        mem: ex['mem'] as WasmMemory,
        conv: ex['conv'] as Kernel,
        rows: ex['rows'] as Kernel,
        neurons: ex['neurons'] as NeuronKernel,
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
  engine = undefined;
}

/**
 * Drops an engine whose arena grew past 64 MB, so its memory (a WebAssembly memory never
 * shrinks) goes back to the system: a CIFAR VGG-16's weights as float64 are 126 MB, which a
 * compile would otherwise carry through every target after its float simulation. The next
 * simulation loads a fresh engine and places its plans again (a copy of the weights).
 */
export function releaseWasmScatter(): void {
  if (engine !== null && engine !== undefined && engine.mem.buffer.byteLength > keepBytes) engine = undefined;
}

const align16 = (x: number): number => (x + 15) & ~15;

type Part = Float64Array | Float32Array | Int32Array | { readonly zeros: number };

/** Place a plan's header and parts in the arena; returns the header address, or undefined. */
function place(e: Engine, fields: Readonly<Record<string, number | Part | undefined>>, order: readonly string[], alpha: number): number | undefined {
  const parts = order.map((k) => fields[k]);
  let size = HEADER_BYTES;
  for (const p of parts) if (typeof p === 'object') size += align16('zeros' in p ? 8 * p.zeros : p.byteLength);
  if (size > ARENA_BYTES - ARENA_START) return undefined;
  if (e.top + size > ARENA_BYTES) {
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

/** Conv weights [C][KH][KW][OC] as float64 with kw reversed (the span layout). */
function flipKw(p: WasmConv): Float64Array {
  const { C, KH, KW, OC, wr } = p;
  const out = new Float64Array(wr.length);
  for (let ck = 0; ck < C * KH; ck++) {
    for (let kw = 0; kw < KW; kw++) {
      const from = (ck * KW + kw) * OC;
      out.set(wr.subarray(from, from + OC), (ck * KW + (KW - 1 - kw)) * OC);
    }
  }
  return out;
}

/** The plan's numbers and arrays by name (header slots are looked up by these names). */
function fieldsOf(p: WasmConv | WasmRows): Record<string, number | Part | undefined> {
  const out: Record<string, number | Part | undefined> = {};
  for (const [k, v] of Object.entries(p))
    if (typeof v === 'number' || v instanceof Float32Array || v instanceof Int32Array || v instanceof Float64Array) out[k] = v;
  return out;
}

function header(e: Engine, p: WasmConv | WasmRows): number | undefined {
  const known = placed.get(p);
  if (known !== undefined && known.gen === e.gen) return known.hdr;
  let hdr: number | undefined;
  if (p.kind === 'rows') hdr = place(e, { ...fieldsOf(p), wt: Float64Array.from(p.wt), acc: { zeros: p.N } }, HEADER.rows, p.alpha);
  else {
    const acc = { zeros: p.OC * p.OH * p.OW };
    hdr =
      p.kind === 'conv'
        ? place(e, { ...fieldsOf(p), wr: p.span ? flipKw(p) : Float64Array.from(p.wr), acc, count: undefined, span: p.span ? 1 : 0 }, HEADER.conv, 1)
        : // Depthwise ones: OC = C, one output channel per group; an empty window divides by NaN.
          place(
            e,
            {
              ...fieldsOf(p),
              wr: new Float64Array(p.C * p.KH * p.KW).fill(1),
              OCg: 1,
              Cg: 1,
              bias: undefined,
              acc,
              count: p.count.map((n) => (n > 0 ? n : NaN)),
              span: 0,
            },
            HEADER.conv,
            1,
          );
  }
  if (hdr !== undefined) placed.set(p, { gen: e.gen, hdr });
  return hdr;
}

/**
 * Run `count` samples (conv) or rows (rows) of x through the plan in WebAssembly; the
 * float32 outputs, or undefined when the WebAssembly path is unavailable for it.
 */
export function scatterWasm(p: WasmConv | WasmRows, x: Float32Array, count: number): Float32Array | undefined {
  const e = getEngine();
  if (e === null) return undefined;
  const hdr = header(e, p);
  if (hdr === undefined) return undefined;
  const outLen = count * (p.kind === 'rows' ? p.N : p.OC * p.OH * p.OW);
  const xp = align16(e.top);
  const op = align16(xp + 4 * x.length);
  if (op + 4 * outLen - xp > IO_BYTES || !growMemory(e.mem, op + 4 * outLen)) return undefined;
  new Float32Array(e.mem.buffer, xp, x.length).set(x);
  (p.kind === 'rows' ? e.rows : e.conv)(hdr, xp, op, count);
  return new Float32Array(e.mem.buffer, op, outLen).slice();
}

/**
 * One step of B·F neurons without refractory period or synaptic state, in WebAssembly:
 * v (float64, B·F) updated in place, spikes written to out[outOff..] (which must hold
 * zeros or be overwritten: every element is written), spike counts added to
 * counts[cOff + b]. False (nothing done) when the WebAssembly path is unavailable.
 */
export function stepNeuronsWasm(
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
  const vp = align16(e.top);
  const cp = align16(vp + 8 * n);
  const tp = align16(cp + 4 * n);
  const op = align16(tp + 8 * F);
  const np = align16(op + 4 * n);
  const end = np + 4 * B;
  if (end - vp > IO_BYTES || !growMemory(e.mem, end)) return false;
  const buf = e.mem.buffer;
  new Float64Array(buf, vp, n).set(v);
  new Float32Array(buf, cp, n).set(cur.subarray(curOff, curOff + n));
  new Float64Array(buf, tp, F).set(theta);
  e.neurons(vp, cp, tp, op, np, B, F, (ge ? FIRE_GE : 0) | (subtract ? RESET_SUBTRACT : 0), leak);
  v.set(new Float64Array(buf, vp, n));
  out.set(new Float32Array(buf, op, n), outOff);
  const c = new Int32Array(buf, np, B);
  for (let b = 0; b < B; b++) counts[cOff + b] = (counts[cOff + b] as number) + (c[b] as number);
  return true;
}
