// One mapped layer on a batch: encode the inputs as word-line codes (spikes as 0/1,
// pooled spike counts as integers, analog values quantized), unroll convolutions
// im2col-style one output position at a time, run imcAffine, and scale the integer
// accumulators back to currents: acc · s_w · s_x · alpha + bias (rounded to float32).
import type { Node, Tensor } from '../../ir/types.js';
import type { Rng } from './devices.js';
import { makeRng } from './devices.js';
import type { AffineScratch, Converter, LayerProgram, Levels } from './functional.js';
import { programmedLevels, rowLevels } from './mapping.js';
import type { MappedLayer } from './mapping.js';
import { imcAffine, newScratch, shiftAdd } from './functional.js';
import { gemmNN } from '../../sim/ann/gemm-kernel.js';
import { KERNELS } from '../../sim/ann/table.js';
import { convAttrs } from '../../ir/build.js';
import { DEFAULT_MAX_ELEMENTS } from '../../ir/dtype.js';
import { bitmm, bitmmHistogram, bitmmThreshold, packedWords, readOutSums, scatterBitsWasm, thresholdReadout } from '../../sim/ann/wasm/bitmm.js';
import type { BitTargets, ThresholdReadout } from '../../sim/ann/wasm/bitmm.js';

/**
 * Working arrays of the batched paths, kept from call to call and shared by every layer (one
 * layer runs at a time and none of them leaves a call): a LeNet step allocated ~1 MB of zeroed
 * arrays per layer call, and their allocation and collection were ~3 % of an ADC-less run.
 * Each user writes what it reads (fills or overwrites) — a reused array holds the last call's
 * values. Held for the process: the largest a layer needed, which the read chunk bounds
 * (MAX_PSUM: codes ≤ 16 MB, accumulators ≤ 32 MB, bits ≤ 4 MB) but for the batch's codes.
 */
const pool = { xc: new Float32Array(0), codes: new Float32Array(0), acc: new Float64Array(0), xbits: new Uint32Array(0) };

/** A view of n elements of the pool's array `key`, grown (never shrunk) when too short. */
function reuse<K extends keyof typeof pool>(key: K, n: number): (typeof pool)[K] {
  let a = pool[key];
  if (a.length < n) {
    const Ctor = a.constructor as new (len: number) => (typeof pool)[K];
    a = new Ctor(Math.max(n, Math.ceil(a.length * 1.5)));
    pool[key] = a;
  }
  return a.subarray(0, n) as (typeof pool)[K];
}

/**
 * The word-line codes of a whole input batch, once per call: each input value is read by up
 * to kh·kw patches, so encoding it once saves the rest. 0 codes 0 in every mode; spikes 1; an
 * average pool of k spikes its count, round(v·k) clamped to 0 … k; an analog value
 * round(v / s_x) clamped to the largest code. One loop per mode (no call per value).
 */
function encodeAll(p: LayerProgram, xd: Float32Array): Float32Array {
  const m = p.m;
  const inp = m.layer.input;
  const out = reuse('xc', xd.length);
  const n = xd.length;
  if (inp.kind === 'spike') {
    for (let i = 0; i < n; i++) out[i] = (xd[i] as number) !== 0 ? 1 : 0;
  } else if (inp.kind === 'count') {
    const k = inp.k;
    for (let i = 0; i < n; i++) {
      const v = xd[i] as number;
      out[i] = v !== 0 ? Math.max(0, Math.min(k, Math.round(v * k))) : 0;
    }
  } else {
    const top = Math.max(m.maxCodePerRead, 2 ** m.inputBits - 1);
    const sX = m.sX;
    for (let i = 0; i < n; i++) {
      const v = xd[i] as number;
      out[i] = v !== 0 ? Math.max(0, Math.min(top, Math.round(v / sX))) : 0;
    }
  }
  return out;
}

/**
 * The word-line codes of one read into codes[at … at + rows): the input vector of a dense
 * layer, or the im2col patch of output position `pos` of group `grp` (rows ordered input
 * channel, kernel row, kernel column; zero outside the padded input).
 */
function readCodes(p: LayerProgram, xc: Float32Array, xo: number, grp: number, pos: number, codes: Float32Array | Float64Array, at: number): void {
  const L = p.m.layer;
  const geo = L.conv;
  if (geo === undefined) {
    for (let r = 0; r < L.rows; r++) codes[at + r] = xc[xo + r] as number;
    return;
  }
  const oh = Math.floor(pos / geo.outW);
  const ow = pos % geo.outW;
  const cg = geo.cin / L.groups;
  let r = at;
  for (let ci = 0; ci < cg; ci++) {
    const plane = xo + (grp * cg + ci) * geo.inH * geo.inW;
    for (let ki = 0; ki < geo.kh; ki++) {
      const ih = oh * geo.sh - geo.padT + ki * geo.dh;
      const inRow = ih >= 0 && ih < geo.inH;
      for (let kj = 0; kj < geo.kw; kj++, r++) {
        const iw = ow * geo.sw - geo.padL + kj * geo.dw;
        codes[r] = inRow && iw >= 0 && iw < geo.inW ? (xc[plane + ih * geo.inW + iw] as number) : 0;
      }
    }
  }
}

/**
 * Where each word-line row of each read sits in a sample's input: for group `grp`, entry
 * pos·rows + r is the offset of row r of output position pos's patch (readCodes' order), or
 * −1 where the patch reaches into the padding. Built once per mapped layer and group.
 */
const rowSources = new WeakMap<MappedLayer, Int32Array[]>();

/** cache[m][grp], made by `make` the first time. */
function perGroup<T>(cache: WeakMap<MappedLayer, T[]>, m: MappedLayer, grp: number, make: () => T): T {
  let all = cache.get(m);
  if (all === undefined) {
    all = [];
    cache.set(m, all);
  }
  return (all[grp] ??= make());
}

function sourcesOf(p: LayerProgram, grp: number): Int32Array {
  return perGroup(rowSources, p.m, grp, () => {
    const L = p.m.layer;
    const rows = L.rows;
    const tab = new Int32Array(L.positions * rows);
    // readCodes writes codes[r] = x[offset]; an input holding offset + 1 recovers the offset.
    const probe = Float32Array.from({ length: sampleSize(p) }, (_, i) => i + 1);
    const codes = new Float64Array(rows);
    for (let pos = 0; pos < L.positions; pos++) {
      readCodes(p, probe, 0, grp, pos, codes, 0);
      for (let r = 0; r < rows; r++) tab[pos * rows + r] = (codes[r] as number) - 1;
    }
    return tab;
  });
}

/**
 * The inverse of sourcesOf: for each input offset of a sample, the (position, row) slots of
 * the reads its code goes to, as CSR — slots[start[o] … start[o + 1]) hold pos·rows + r in
 * ascending order. Spiking inputs are mostly silent, so scattering each nonzero input into
 * its slots visits a small fraction of the positions × rows a gather would.
 */
interface Targets extends BitTargets {
  readonly start: Int32Array;
  /** Per slot: the read's position. */
  readonly pos: Int32Array;
  /** Per slot: its row tile · 2^16 + its row within the tile (word·32 + bit). */
  readonly tb: Int32Array;
}
const rowTargets = new WeakMap<MappedLayer, Targets[]>();

function targetsOf(p: LayerProgram, grp: number): Targets {
  return perGroup(rowTargets, p.m, grp, () => invertSources(p, sourcesOf(p, grp), sampleSize(p)));
}

function invertSources(p: LayerProgram, src: Int32Array, perIn: number): Targets {
  const start = new Int32Array(perIn + 1);
  for (let e = 0; e < src.length; e++) {
    const o = src[e] as number;
    if (o >= perIn) throw new Error(`imc: layer '${p.m.layer.name}' reads input ${o} of a sample of ${perIn}`);
    if (o >= 0) start[o + 1] = (start[o + 1] as number) + 1;
  }
  for (let o = 0; o < perIn; o++) start[o + 1] = (start[o + 1] as number) + (start[o] as number);
  const fill = start.slice(0, perIn);
  const slots = new Int32Array(start[perIn] as number);
  for (let e = 0; e < src.length; e++) {
    const o = src[e] as number;
    if (o >= 0) {
      slots[fill[o] as number] = e;
      fill[o] = (fill[o] as number) + 1;
    }
  }
  const rows = p.m.layer.rows;
  const pos = Int32Array.from(slots, (e) => Math.floor(e / rows));
  // Row tiles and rows within a tile fit 16 bits (crossbars have at most 65,536 rows, layers far
  // fewer tiles): a CIFAR ResNet-18 holds ~5 M slots.
  const tb = Int32Array.from(slots, (e, k) => {
    const r = e - (pos[k] as number) * rows;
    const tile = Math.floor(r / p.R);
    return (tile * 65536 + (r - tile * p.R)) | 0;
  });
  return { start, pos, tb };
}

/** sourcesOf for a conv layer whose tables can be built (tablesFit), else undefined (readCodes per read). */
function gatherTable(p: LayerProgram, grp: number, perIn: number): Int32Array | undefined {
  return p.m.layer.conv !== undefined && sampleSize(p) === perIn && tablesFit(p) ? sourcesOf(p, grp) : undefined;
}

/** Input elements per sample: a conv layer's input image, a dense layer's rows. */
function sampleSize(p: LayerProgram): number {
  const geo = p.m.layer.conv;
  return geo === undefined ? p.m.layer.rows : geo.cin * geo.inH * geo.inW;
}

/** Whether sourcesOf's probe holds every input offset exactly (float32 integers below 2^24). */
function tablesFit(p: LayerProgram): boolean {
  return sampleSize(p) < 2 ** 24;
}

/**
 * x: [n, ...] float32 for samples first..first+n−1 at step t (−1: a static value).
 * Read noise draws from a stream per (layer, sample, step), independent of batching.
 */
export function runMapped(p: LayerProgram, x: Tensor, first: number, n: number, seed: number, layerIndex: number, t: number): Tensor {
  if (p.exact === true && p.histograms === undefined && exactWeights(p).fits) return runMappedExact(p, x, n);
  if (gemmApplies(p)) return runMappedGemm(p, x, n);
  const m = p.m;
  const L = m.layer;
  const G = L.groups;
  const og = L.outFeatures / G;
  const rows = L.rows;
  const scale = m.sW * m.sX * L.alpha;
  const xd = x.data as Float32Array;
  const xc = encodeAll(p, xd);
  const perIn = xd.length / n;
  const P = L.positions;
  const out = new Float32Array(n * L.outFeatures * P);
  const codes = new Float64Array(rows);
  const acc = new Float64Array(og);
  const scratch = scratchOf(p);
  const geo = L.conv;
  for (let b = 0; b < n; b++) {
    const rng: Rng | undefined = p.readSigma > 0 ? makeRng(seed, 2, layerIndex, first + b, t + 1) : undefined;
    const xo = b * perIn;
    for (let grp = 0; grp < G; grp++) {
      for (let pos = 0; pos < P; pos++) {
        readCodes(p, xc, xo, grp, pos, codes, 0);
        imcAffine(p, grp, codes, acc, scratch, rng);
        for (let o = 0; o < og; o++) {
          const oc = grp * og + o;
          out[(b * L.outFeatures + oc) * P + pos] = (acc[o] as number) * scale + (L.bias[oc] as number);
        }
      }
    }
  }
  const shape = geo === undefined ? [n, L.outFeatures] : [n, L.outFeatures, geo.outH, geo.outW];
  return { dtype: 'float32', shape, data: out };
}

/**
 * Largest float32 copy of a layer's cell levels (rows × data columns per group) kept between
 * calls; a larger layer (a CIFAR ResNet-18 layer holds 37 M) converts one row tile at a time
 * into a scratch buffer on each read instead (O(levels) per call, small next to the product).
 */
let maxKeptLevels = 2 ** 24;
const levelCopies = new WeakMap<LayerProgram, Float32Array[]>();

/** Test hook: set the largest level copy kept (0: every layer converts tiles); returns the old limit. */
export function keepLevelsUpTo(n: number): number {
  const old = maxKeptLevels;
  maxKeptLevels = n;
  return old;
}

/**
 * Whether a layer can run as matrix products: its partial sums are then integers below 2^24
 * (cell levels ≤ 15 times input codes ≤ 255 over a tile's rows), exact in float32 in any
 * summation order, so the result equals the per-position path's bit for bit. That holds for
 * programmed integer levels (no device effect changed them), no read noise (whose draws follow
 * the per-position order), differential columns; the exact shortcut is already cheap.
 */
function gemmApplies(p: LayerProgram): boolean {
  return p.readSigma === 0 && !(p.exact === true && p.histograms === undefined) && p.m.polarity === 2 && (p.eff ?? []).every((e) => e instanceof Uint8Array);
}

/** Group `grp`'s levels as integers: the program's, or the programmed ones made from q. */
function intLevels(p: LayerProgram, grp: number): Uint8Array {
  return (p.eff?.[grp] as Uint8Array | undefined) ?? programmedLevels(p.m, p, grp);
}

/** The float32 levels of rows r0 … r0 + kr of a group: from the kept copy, or converted into `tile`. */
function levelRows(p: LayerProgram, grp: number, r0: number, kr: number, tile: Float32Array): { readonly e: Float32Array; readonly off: number } {
  const J = p.m.dataCols;
  let kept = levelCopies.get(p);
  if (kept === undefined && p.m.layer.rows * J <= maxKeptLevels) {
    kept = p.m.q.map((_, g) => Float32Array.from(intLevels(p, g)));
    levelCopies.set(p, kept);
  }
  if (kept !== undefined) return { e: kept[grp] as Float32Array, off: r0 * J };
  tile.set(intLevels(p, grp).subarray(r0 * J, (r0 + kr) * J));
  return { e: tile, off: 0 };
}

/** Per program: imcAffine's scratch and column tables (a call's own work for a small layer, once per step). */
const scratches = new WeakMap<LayerProgram, AffineScratch>();

function scratchOf(p: LayerProgram): AffineScratch {
  let s = scratches.get(p);
  if (s === undefined) {
    s = newScratch(p);
    scratches.set(p, s);
  }
  return s;
}

/**
 * Per program: its sense-amplifier read-out per input bit plane, with the converter it was made
 * from. Programs are values: a converter whose ref or level arrays are edited in place keeps
 * the read-out made before (a new converter object makes a new one).
 */
const senseReadouts = new WeakMap<LayerProgram, { readonly cv: Converter; readonly planes: readonly ThresholdReadout[] }>();

/**
 * The sense-amplifier read-out of input bit plane k = 0 … planes − 1: per data column the
 * integer a partial sum must reach (psum is an integer, so v ≥ ref ⇔ v ≥ ⌈ref⌉, and 0 never
 * passes: references are positive), and per place q in an output's PS columns what a set bit
 * adds, 2^k·(±2^(c·slice))·level (column weight times level: the same for every output).
 */
function senseReadout(
  p: LayerProgram,
  cv: Extract<Converter, { kind: 'sense-amp' }>,
  s: AffineScratch,
  PS: number,
  planes: number,
): readonly ThresholdReadout[] {
  const known = senseReadouts.get(p);
  if (known !== undefined && known.cv === cv && known.planes.length === planes) return known.planes;
  const ref = Int32Array.from(s.slice, (sl) => Math.max(Math.ceil(cv.ref[sl] as number), 1));
  const add = Float64Array.from({ length: PS }, (_, q) => (s.weight[q] as number) * (cv.level[s.slice[q] as number] as number));
  const made = Array.from({ length: planes }, (_, k) =>
    thresholdReadout(
      ref,
      add.map((a) => 2 ** k * a),
      PS,
    ),
  );
  senseReadouts.set(p, { cv, planes: made });
  return made;
}

/** Partial sums held at once by the GEMM path (float32 elements: 16 MB). */
let MAX_PSUM = 2 ** 22;

/** Test hook: hold at most n partial sums at once (small n: many chunks per batch); returns the old limit. */
export function psumsUpTo(n: number): number {
  const old = MAX_PSUM;
  MAX_PSUM = n;
  return old;
}

/** Reads per chunk of the batched paths: partial sums of `width` columns (or codes of the rows) within MAX_PSUM. */
function readChunk(p: LayerProgram, n: number, width: number): number {
  return Math.max(1, Math.min(n * p.m.layer.positions, Math.floor(MAX_PSUM / Math.max(width, p.m.layer.rows))));
}

/** The chunk a body works on, for bodies that gather their own inputs (see byReads' `gather`). */
interface ReadChunk {
  /** First read (sample · positions + position) of the chunk. */
  readonly c0: number;
  /** The batch's word-line codes (encodeAll) and the codes per sample. */
  readonly xc: Float32Array;
  readonly perIn: number;
}

/**
 * The chunked read loop of the batched paths: the rows of codes are (sample, output position)
 * reads, im2col-style, `chunk` at a time per group; `body(grp, codes, reads, acc)` adds each
 * read's integer accumulators into acc[read, og]; they are scaled to currents as runMapped does.
 * `width`: columns per read the body holds at once (sizes the chunk). With `gather` false no
 * codes are gathered: the body reads the batch's codes itself through its ReadChunk.
 */
function byReads(
  p: LayerProgram,
  x: Tensor,
  n: number,
  width: number,
  body: (grp: number, codes: Float32Array, reads: number, acc: Float64Array, at: ReadChunk) => void,
  gather = true,
  xc: Float32Array = encodeAll(p, x.data as Float32Array),
): Tensor {
  const L = p.m.layer;
  const og = L.outFeatures / L.groups;
  const rows = L.rows;
  const scale = p.m.sW * p.m.sX * L.alpha;
  const xd = x.data as Float32Array;
  const perIn = xd.length / n;
  const P = L.positions;
  const out = new Float32Array(n * L.outFeatures * P);
  const total = n * P;
  const chunk = readChunk(p, n, width);
  const codes = reuse('codes', gather ? chunk * rows : 0);
  const acc = reuse('acc', chunk * og);
  for (let grp = 0; grp < L.groups; grp++) {
    for (let c0 = 0; c0 < total; c0 += chunk) {
      const c1 = Math.min(total, c0 + chunk);
      const reads = c1 - c0;
      // im2col: codes[read, r], the word-line code of row r for read (sample, position).
      if (gather) {
        // Through the layer's row → input table (readCodes' own offsets, worked out once).
        const src = gatherTable(p, grp, perIn);
        for (let i = c0; i < c1; i++) {
          const b = Math.floor(i / P);
          if (src === undefined) {
            readCodes(p, xc, b * perIn, grp, i - b * P, codes, (i - c0) * rows);
            continue;
          }
          const base = b * perIn;
          const sb = (i - b * P) * rows;
          const cb = (i - c0) * rows;
          for (let r = 0; r < rows; r++) {
            const o = src[sb + r] as number;
            codes[cb + r] = o < 0 ? 0 : (xc[base + o] as number);
          }
        }
      }
      acc.fill(0, 0, reads * og);
      body(grp, codes, reads, acc, { c0, xc, perIn });
      for (let i = c0; i < c1; i++) {
        const b = Math.floor(i / P);
        const pos = i - b * P;
        const ab = (i - c0) * og;
        for (let o = 0; o < og; o++) {
          const oc = grp * og + o;
          out[(b * L.outFeatures + oc) * P + pos] = (acc[ab + o] as number) * scale + (L.bias[oc] as number);
        }
      }
    }
  }
  const geo = L.conv;
  const shape = geo === undefined ? [n, L.outFeatures] : [n, L.outFeatures, geo.outH, geo.outW];
  return { dtype: 'float32', shape, data: out };
}

/** The largest word-line code a read of this layer carries. */
function maxCode(p: LayerProgram): number {
  return Math.max(p.m.maxCodePerRead, 2 ** p.m.inputBits - 1);
}

const weightCopies = new WeakMap<LayerProgram, { readonly q: Float32Array[]; readonly fits: boolean }>();

/**
 * The exact shortcut's weights as float32 per group, and whether every partial sum of
 * Σ_r q_ro · x_r stays below 2^24 (max column Σ|q| times the largest code): then a float32
 * matrix product computes it exactly in any order, equal to exactAffine's float64 sums.
 */
function exactWeights(p: LayerProgram): { readonly q: Float32Array[]; readonly fits: boolean } {
  let w = weightCopies.get(p);
  if (w === undefined) {
    const og = p.m.layer.outFeatures / p.m.layer.groups;
    let colMax = 0;
    for (const q of p.m.q) {
      const col = new Float64Array(og);
      for (let i = 0; i < q.length; i++) col[i % og] = (col[i % og] as number) + Math.abs(q[i] as number);
      for (const c of col) colMax = Math.max(colMax, c);
    }
    const fits = colMax * maxCode(p) < 2 ** 24;
    w = { q: fits ? p.m.q.map((q) => Float32Array.from(q)) : [], fits };
    weightCopies.set(p, w);
  }
  return w;
}

/** exactBatch's Conv node and re-laid weights per program (built at the first call, not every step). */
const convCopies = new WeakMap<LayerProgram, { readonly node: Extract<Node, { op: 'Conv' }>; readonly wt: Tensor }>();

/**
 * The exact product of a whole batch, Y[sample, output, position] = Σ_r code · q, or undefined
 * when the layer's shape is not one of the two below (needs exactWeights(p).fits). The codes
 * and q are small integers and every partial sum stays below 2^24, so float32 sums are exact
 * in any order: a conv layer runs as the interpreter's Conv on the batch's codes (its patches
 * read in place in WebAssembly, no per-read im2col), a dense layer as one float32 GEMM of the
 * code rows as they lie. The row order of q is readCodes' (channel, kernel row, kernel column),
 * which is the Conv weight layout [output][channel][kh][kw].
 */
function exactBatch(p: LayerProgram, xc: Float32Array, n: number): Float32Array | undefined {
  const L = p.m.layer;
  const og = L.outFeatures / L.groups;
  const q = exactWeights(p).q;
  const perIn = xc.length / n;
  const geo = L.conv;
  if (geo === undefined) {
    if (L.groups !== 1 || perIn !== L.rows) return undefined;
    const y = new Float32Array(n * og);
    gemmNN(n, og, L.rows, xc, 0, perIn, q[0] as Float32Array, 0, og, y, 0, og, 1, false);
    return y;
  }
  if (perIn !== geo.cin * geo.inH * geo.inW) return undefined;
  // The far pads that give the mapped output size (none when the patches stop short of the edge).
  const padB = Math.max(0, (geo.outH - 1) * geo.sh + (geo.kh - 1) * geo.dh + 1 - geo.inH - geo.padT);
  const padR = Math.max(0, (geo.outW - 1) * geo.sw + (geo.kw - 1) * geo.dw + 1 - geo.inW - geo.padL);
  if (Math.floor((geo.inH + geo.padT + padB - (geo.kh - 1) * geo.dh - 1) / geo.sh) + 1 !== geo.outH) return undefined;
  if (Math.floor((geo.inW + geo.padL + padR - (geo.kw - 1) * geo.dw - 1) / geo.sw) + 1 !== geo.outW) return undefined;
  let conv = convCopies.get(p);
  if (conv === undefined) {
    const w = new Float32Array(L.outFeatures * L.rows);
    for (let grp = 0; grp < L.groups; grp++) {
      const qg = q[grp] as Float32Array;
      for (let r = 0; r < L.rows; r++) for (let o = 0; o < og; o++) w[(grp * og + o) * L.rows + r] = qg[r * og + o] as number;
    }
    const node: Extract<Node, { op: 'Conv' }> = {
      op: 'Conv',
      name: L.name,
      inputs: ['x', 'w'],
      outputs: ['y'],
      attrs: convAttrs({
        kernelShape: [geo.kh, geo.kw],
        strides: [geo.sh, geo.sw],
        dilations: [geo.dh, geo.dw],
        pads: [geo.padT, geo.padL, padB, padR],
        group: L.groups,
      }),
    };
    conv = { node, wt: { dtype: 'float32', shape: [L.outFeatures, geo.cin / L.groups, geo.kh, geo.kw], data: w } };
    convCopies.set(p, conv);
  }
  const x: Tensor = { dtype: 'float32', shape: [n, geo.cin, geo.inH, geo.inW], data: xc };
  return (KERNELS.Conv(conv.node, [x, conv.wt], { limit: DEFAULT_MAX_ELEMENTS })[0] as Tensor).data as Float32Array;
}

/** acc[read, o] of a chunk from exactBatch's result y (all reads of the batch). */
function exactInto(p: LayerProgram, y: Float32Array, grp: number, reads: number, acc: Float64Array, c0: number): void {
  const L = p.m.layer;
  const og = L.outFeatures / L.groups;
  const P = L.positions;
  for (let i = 0; i < reads; i++) {
    const b = Math.floor((c0 + i) / P);
    const yb = (b * L.outFeatures + grp * og) * P + (c0 + i - b * P);
    for (let o = 0; o < og; o++) acc[i * og + o] = y[yb + o * P] as number;
  }
}

/** A byReads body: acc = codes · q, the exact product, one float32 matrix product per chunk (needs exactWeights(p).fits). */
function exactProduct(p: LayerProgram): (grp: number, codes: Float32Array, reads: number, acc: Float64Array) => void {
  const og = p.m.layer.outFeatures / p.m.layer.groups;
  const rows = p.m.layer.rows;
  const q = exactWeights(p).q;
  let prod = new Float32Array(0);
  return (grp, codes, reads, acc) => {
    if (prod.length < reads * og) prod = new Float32Array(reads * og);
    gemmNN(reads, og, rows, codes, 0, rows, q[grp] as Float32Array, 0, og, prod, 0, og, 1, false);
    for (let i = 0; i < reads * og; i++) acc[i] = prod[i] as number;
  };
}

/** The exact shortcut (ideal devices, lossless converter) for many reads. */
function runMappedExact(p: LayerProgram, x: Tensor, n: number): Tensor {
  const og = p.m.layer.outFeatures / p.m.layer.groups;
  const xc = encodeAll(p, x.data as Float32Array);
  const y = exactBatch(p, xc, n);
  if (y === undefined) return byReads(p, x, n, og, exactProduct(p), true, xc);
  return byReads(p, x, n, og, (grp, _codes, reads, acc, at) => exactInto(p, y, grp, reads, acc, at.c0), false, xc);
}

// Keyed by the mapped layer (programs without levels: the programmed ones) or by a group's
// level array: programs over the same mapping (the sense-amplifier calibration and the run
// after it) share the programmed levels, so they share the bits.
const layerBitCopies = new WeakMap<MappedLayer, Uint32Array[][]>();
const levelBitCopies = new WeakMap<Levels, Uint32Array[]>();

/**
 * The cells as bit planes for the popcount products: [group][row tile] → planes of level bit
 * b = 0 … cellBits − 1, each holding per data column its R cells' bit b packed into
 * packedWords(R) words (plane-major, as BitOperands.b; built once per level array).
 */
function levelBits(p: LayerProgram): Uint32Array[][] {
  if (p.eff === undefined) {
    let bits = layerBitCopies.get(p.m);
    if (bits === undefined) {
      bits = p.m.q.map((_, grp) => packRows(p, (r, put) => rowLevels(p.m, p, grp, r, put)));
      layerBitCopies.set(p.m, bits);
    }
    return bits;
  }
  return p.eff.map((e) => {
    const known = levelBitCopies.get(e);
    if (known !== undefined) return known;
    const tiles = packLevels(p, e);
    levelBitCopies.set(e, tiles);
    return tiles;
  });
}

/**
 * One group's levels as bit planes per row tile (see levelBits): `row(r, put)` calls put(j, level)
 * for the nonzero levels of row r.
 */
function packRows(p: LayerProgram, row: (r: number, put: (j: number, level: number) => void) => void): Uint32Array[] {
  const rows = p.m.layer.rows;
  const J = p.m.dataCols;
  const words = packedWords(p.R);
  const tiles: Uint32Array[] = [];
  for (let r0 = 0; r0 < rows; r0 += p.R) {
    const planes = new Uint32Array(p.cellBits * J * words);
    for (let r = r0; r < Math.min(rows, r0 + p.R); r++) {
      const bit = 1 << ((r - r0) & 31);
      const word = (r - r0) >> 5;
      row(r, (j, level) => {
        for (let b = 0; b < p.cellBits; b++) {
          const at = (b * J + j) * words + word;
          if (((level >> b) & 1) !== 0) planes[at] = (planes[at] as number) | bit;
        }
      });
    }
    tiles.push(planes);
  }
  return tiles;
}

/** The bit planes of a program's own integer levels. */
function packLevels(p: LayerProgram, e: Levels): Uint32Array[] {
  const J = p.m.dataCols;
  return packRows(p, (r, put) => {
    for (let j = 0; j < J; j++) {
      const level = e[r * J + j] as number;
      if (level !== 0) put(j, level);
    }
  });
}

/**
 * The crossbar evaluation of many reads at once: per input bit plane and row tile, the
 * partial sums psum[read, column] = X[read, tile rows] · E[tile rows, column], then each goes
 * through the converter and the digital shift-and-add exactly as imcAffine does one read at a
 * time. A bit plane of inputs (spikes, bit-serial codes) against the cells' level bits is a
 * popcount product (bitmm.ts: 64 rows per AND + popcount), which also applies the sense
 * amplifiers or counts calibration histograms without handing the sums back; multi-level DAC
 * inputs take the float32 GEMM (WebAssembly SIMD). All give the integer sums exactly.
 */
function runMappedGemm(p: LayerProgram, x: Tensor, n: number): Tensor {
  const m = p.m;
  const og = m.layer.outFeatures / m.layer.groups;
  const rows = m.layer.rows;
  const J = m.dataCols;
  const R = p.R;
  const chunk = readChunk(p, n, J);
  const dac = m.maxCodePerRead > 1;
  const tile = new Float32Array(!dac || rows * J <= maxKeptLevels ? 0 : R * J);
  const words = packedWords(R);
  const planes = dac ? 1 : m.inputBits;
  const tiles = Math.ceil(rows / R);
  // Packed input bits of a chunk, [plane][row tile][read][word] (see the packing below).
  const xbits = reuse('xbits', dac ? 0 : planes * tiles * chunk * words);
  const pw = new Int32Array(planes);
  const bits = dac ? [] : levelBits(p);
  const s: AffineScratch = scratchOf(p);
  const cv = p.converter;
  const hists = p.histograms;
  // Sense amplifiers without calibration, the common case: their read-out per input bit plane.
  const PS = m.polarity * p.slices;
  const sense = cv.kind === 'sense-amp' && hists === undefined && J === og * PS ? senseReadout(p, cv, s, PS, planes) : undefined;
  // Calibration with the ideal converter: the popcount kernel counts the histograms, and the
  // accumulators are the exact product (the identity in functional.ts), one GEMM per chunk.
  const counting = hists !== undefined && cv.kind === 'ideal' && !dac && exactWeights(p).fits;
  const histLen = counting ? (hists[0]?.length ?? 0) : 0;
  const countsFlat = new Int32Array(counting ? hists.length * histLen : 0);
  const xc = encodeAll(p, x.data as Float32Array);
  // The exact product of the whole batch at once where it can (exactBatch), else per chunk from gathered codes.
  const exactY = counting ? exactBatch(p, xc, n) : undefined;
  const exact = counting && exactY === undefined ? exactProduct(p) : undefined;
  // Partial sums handed back: not by the popcount kernels that read them out themselves.
  const psumLen = dac || (sense === undefined && !counting) ? chunk * J : 0;
  const psum = dac ? new Float32Array(psumLen) : new Int32Array(psumLen);
  // Bit inputs straight from the batch's codes (no im2col copy): the row → input table of
  // sourcesOf, unless a per-chunk exact product needs the codes themselves.
  const direct = !dac && exact === undefined && R <= 65536 && tiles <= 65536 && sampleSize(p) === x.data.length / n && tablesFit(p);
  const P = m.layer.positions;
  return byReads(
    p,
    x,
    n,
    J,
    (grp, codes, reads, acc, at) => {
      if (!dac) {
        // Every read's codes into bits once, for all planes and row tiles: bit k of the code of
        // row r goes to plane k, tile ⌊r/R⌋, bit r mod R. Codes are small non-negative integers,
        // mostly 0 (silent inputs set nothing), so the usual way is from the inputs: each nonzero
        // input sets its bits in the reads that see it (targetsOf). With the calibration's exact
        // product the codes were gathered per read (byReads' im2col) and are packed 32 rows of a
        // tile at a time, each plane's word built in pw and stored once. Words past a tile's rows
        // stay 0 either way.
        if (direct) {
          // Scatter: each nonzero input sets its bit in every read of the chunk that reads it.
          const tg = targetsOf(p, grp);
          const { start, pos, tb } = tg;
          const c1 = at.c0 + reads;
          const perIn = at.perIn;
          const planeStride = tiles * reads * words;
          const b0 = Math.floor(at.c0 / P);
          const b1 = Math.ceil(c1 / P);
          const chunkBits = xbits.subarray(0, planes * planeStride);
          const chunkCodes = at.xc.subarray(b0 * perIn, b1 * perIn);
          if (!scatterBitsWasm(tg, chunkCodes, perIn, b0, b1, P, at.c0, reads, words, planeStride, chunkBits)) {
            chunkBits.fill(0);
            for (let b = b0; b < b1; b++) {
              const base = b * perIn;
              const first = b * P - at.c0; // chunk index of this sample's position 0 (may be < 0)
              for (let o = 0; o < perIn; o++) {
                const c = (at.xc[base + o] as number) | 0;
                if (c === 0) continue;
                for (let e = start[o] as number, e1 = start[o + 1] as number; e < e1; e++) {
                  const i = first + (pos[e] as number);
                  if (i < 0 || i >= reads) continue;
                  const t = tb[e] as number;
                  const rr = t & 0xffff;
                  const mask = 1 << (rr & 31);
                  const at0 = ((t >>> 16) * reads + i) * words + (rr >> 5);
                  // A spike (code 1) sets plane 0 only; a larger code each of its set bits' planes.
                  if (c === 1) xbits[at0] = (xbits[at0] as number) | mask;
                  else {
                    for (let cc = c; cc !== 0; cc &= cc - 1) {
                      const at2 = at0 + (31 - Math.clz32(cc & -cc)) * planeStride;
                      xbits[at2] = (xbits[at2] as number) | mask;
                    }
                  }
                }
              }
            }
          }
        } else {
          xbits.fill(0, 0, planes * tiles * reads * words);
          for (let i = 0; i < reads; i++) {
            const cb = i * rows;
            for (let rt = 0; rt < tiles; rt++) {
              const r0 = rt * R;
              const kr = Math.min(rows, r0 + R) - r0;
              for (let w = 0; 32 * w < kr; w++) {
                const from = cb + r0 + 32 * w;
                const end = Math.min(32, kr - 32 * w);
                pw.fill(0);
                for (let bit = 0; bit < end; bit++) {
                  const c = codes[from + bit] as number;
                  if (c !== 0) for (let k = 0; k < planes; k++) pw[k] = (pw[k] as number) | (((c >> k) & 1) << bit);
                }
                for (let k = 0; k < planes; k++) xbits[((k * tiles + rt) * reads + i) * words + w] = pw[k] as number;
              }
            }
          }
        }
      }
      for (let k = 0; k < planes; k++) {
        const bitWeight = 2 ** k;
        for (let r0 = 0; r0 < rows; r0 += R) {
          const kr = Math.min(rows, r0 + R) - r0;
          if (psum instanceof Float32Array) {
            const lv = levelRows(p, grp, r0, kr, tile);
            gemmNN(reads, J, kr, codes, r0, rows, lv.e, lv.off, J, psum, 0, J, 1, false);
          } else {
            const xb = (k * tiles + r0 / R) * reads * words;
            const op = {
              a: xbits.subarray(xb, xb + reads * words),
              b: (bits[grp] as Uint32Array[])[r0 / R] as Uint32Array,
              M: reads,
              N: J,
              words,
              planes: p.cellBits,
            };
            if (sense !== undefined) {
              bitmmThreshold(op, sense[k] as ThresholdReadout, acc);
              continue;
            }
            if (counting) {
              bitmmHistogram(op, s.slice, countsFlat, histLen);
              continue;
            }
            bitmm(op, psum, false);
          }
          if (sense !== undefined) {
            // Output o owns the contiguous columns o·PS … o·PS + PS − 1 (newScratch).
            for (let i = 0; i < reads; i++) readOutSums(psum, i * J, sense[k] as ThresholdReadout, J, acc, i * og);
            continue;
          }
          // Every other converter (and the calibration's histograms): imcAffine's own read-out.
          for (let i = 0; i < reads; i++) shiftAdd(p, s, psum, i * J, bitWeight, acc, i * og);
        }
      }
      if (counting) {
        if (exactY !== undefined) exactInto(p, exactY, grp, reads, acc, at.c0);
        else exact?.(grp, codes, reads, acc);
        (hists as readonly Float64Array[]).forEach((h, sl) => {
          for (let v = 0; v < histLen; v++) h[v] = (h[v] as number) + (countsFlat[sl * histLen + v] as number);
        });
        countsFlat.fill(0);
      }
    },
    !direct,
    xc,
  );
}
