// One mapped layer on a batch: encode the inputs as word-line codes (spikes as 0/1,
// pooled spike counts as integers, analog values quantized), unroll convolutions
// im2col-style one output position at a time, run imcAffine, and scale the integer
// accumulators back to currents: acc · s_w · s_x · alpha + bias (rounded to float32).
import type { Tensor } from '../../ir/types.js';
import type { Rng } from './devices.js';
import { makeRng } from './devices.js';
import type { AffineScratch, Converter, LayerProgram } from './functional.js';
import { addToHistogram } from './sense-amp.js';
import { imcAffine, newScratch } from './functional.js';
import { gemmNN } from '../../sim/ann/gemm-kernel.js';

/** The word-line code of one input value. */
function encoder(p: LayerProgram): (v: number) => number {
  const m = p.m;
  const inp = m.layer.input;
  if (inp.kind === 'spike') return (v) => (v !== 0 ? 1 : 0);
  if (inp.kind === 'count') return (v) => Math.max(0, Math.min(inp.k, Math.round(v * inp.k)));
  const top = Math.max(m.maxCodePerRead, 2 ** m.inputBits - 1);
  return (v) => Math.max(0, Math.min(top, Math.round(v / m.sX)));
}

/**
 * The word-line codes of one read into codes[at … at + rows): the input vector of a dense
 * layer, or the im2col patch of output position `pos` of group `grp` (rows ordered input
 * channel, kernel row, kernel column; zero outside the padded input).
 */
function readCodes(
  p: LayerProgram,
  enc: (v: number) => number,
  xd: Float32Array,
  xo: number,
  grp: number,
  pos: number,
  codes: Float32Array | Float64Array,
  at: number,
): void {
  const L = p.m.layer;
  const geo = L.conv;
  if (geo === undefined) {
    for (let r = 0; r < L.rows; r++) codes[at + r] = enc(xd[xo + r] as number);
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
      for (let kj = 0; kj < geo.kw; kj++, r++) {
        const iw = ow * geo.sw - geo.padL + kj * geo.dw;
        codes[r] = ih >= 0 && ih < geo.inH && iw >= 0 && iw < geo.inW ? enc(xd[plane + ih * geo.inW + iw] as number) : 0;
      }
    }
  }
}

/**
 * x: [n, ...] float32 for samples first..first+n−1 at step t (−1: a static value).
 * Read noise draws from a stream per (layer, sample, step), independent of batching.
 */
export function runMapped(p: LayerProgram, x: Tensor, first: number, n: number, seed: number, layerIndex: number, t: number): Tensor {
  if (gemmApplies(p)) return runMappedGemm(p, x, n);
  const m = p.m;
  const L = m.layer;
  const G = L.groups;
  const og = L.outFeatures / G;
  const rows = L.rows;
  const enc = encoder(p);
  const scale = m.sW * m.sX * L.alpha;
  const xd = x.data as Float32Array;
  const perIn = xd.length / n;
  const P = L.positions;
  const out = new Float32Array(n * L.outFeatures * P);
  const codes = new Float64Array(rows);
  const acc = new Float64Array(og);
  const scratch = newScratch(p);
  const geo = L.conv;
  for (let b = 0; b < n; b++) {
    const rng: Rng | undefined = p.readSigma > 0 ? makeRng(seed, 2, layerIndex, first + b, t + 1) : undefined;
    const xo = b * perIn;
    for (let grp = 0; grp < G; grp++) {
      for (let pos = 0; pos < P; pos++) {
        readCodes(p, enc, xd, xo, grp, pos, codes, 0);
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
 * Largest float32 copy of a layer's cell levels (rows × data columns per group) the GEMM path
 * keeps; a larger layer takes the per-position path (a CIFAR ResNet-18 layer holds 37 M).
 */
const MAX_GEMM_LEVELS = 2 ** 24;
const levelCopies = new WeakMap<LayerProgram, Float32Array[]>();

/**
 * Whether a layer can run as matrix products: its partial sums are then integers below 2^24
 * (cell levels ≤ 15 times input codes ≤ 255 over a tile's rows), exact in float32 in any
 * summation order, so the result equals the per-position path's bit for bit. That holds for
 * programmed integer levels (no device effect changed them), no read noise (whose draws follow
 * the per-position order), differential columns; the exact shortcut is already cheap.
 */
function gemmApplies(p: LayerProgram): boolean {
  return (
    p.readSigma === 0 &&
    !(p.exact === true && p.histograms === undefined) &&
    p.m.polarity === 2 &&
    p.eff.every((e) => e instanceof Uint8Array) &&
    p.m.layer.rows * p.m.dataCols <= MAX_GEMM_LEVELS
  );
}

function levelsF32(p: LayerProgram): Float32Array[] {
  let c = levelCopies.get(p);
  if (c === undefined) {
    c = p.eff.map((e) => Float32Array.from(e));
    levelCopies.set(p, c);
  }
  return c;
}

/** Per data column: the integer a partial sum must reach, and ±2^(c·slice)·level (column weight times level). */
function senseColumns(cv: Extract<Converter, { kind: 'sense-amp' }>, colSlice: Int32Array, colWeight: Float64Array): { ref: Float64Array; add: Float64Array } {
  const ref = new Float64Array(colSlice.length);
  const add = new Float64Array(colSlice.length);
  for (let j = 0; j < colSlice.length; j++) {
    const sl = colSlice[j] as number;
    ref[j] = Math.max(Math.ceil(cv.ref[sl] as number), 1);
    add[j] = (colWeight[j] as number) * (cv.level[sl] as number);
  }
  return { ref, add };
}

/** Partial sums held at once by the GEMM path (float32 elements: 16 MB). */
const MAX_PSUM = 2 ** 22;

/**
 * The crossbar evaluation of many reads at once: the rows of X are (sample, output position)
 * pairs, in chunks; per input bit plane and row tile, psum[read, column] = X[read, tile rows] ·
 * E[tile rows, column] as one matrix product (the interpreter's GEMM kernel, WebAssembly
 * SIMD), then each partial sum goes through the converter and the digital shift-and-add
 * exactly as imcAffine does one read at a time.
 */
function runMappedGemm(p: LayerProgram, x: Tensor, n: number): Tensor {
  const m = p.m;
  const L = m.layer;
  const G = L.groups;
  const og = L.outFeatures / G;
  const rows = L.rows;
  const J = m.dataCols;
  const R = p.R;
  const enc = encoder(p);
  const scale = m.sW * m.sX * L.alpha;
  const xd = x.data as Float32Array;
  const perIn = xd.length / n;
  const P = L.positions;
  const geo = L.conv;
  const out = new Float32Array(n * L.outFeatures * P);
  const E = levelsF32(p);
  const total = n * P;
  const chunk = Math.max(1, Math.min(total, Math.floor(MAX_PSUM / Math.max(J, rows))));
  const codes = new Float32Array(chunk * rows);
  const plane = new Float32Array(chunk * rows);
  const psum = new Float32Array(chunk * J);
  const acc = new Float64Array(chunk * og);
  const s: AffineScratch = newScratch(p);
  const dac = m.maxCodePerRead > 1;
  const planes = dac ? 1 : m.inputBits;
  const cv = p.converter;
  const colOut = s.out;
  const colSlice = s.slice;
  const colWeight = s.weight;
  const hists = p.histograms;
  // Sense amplifiers without calibration, the common case, kept tight: per column its
  // reference — psum is an integer, so v ≥ ref ⇔ v ≥ ⌈ref⌉, and 0 never passes (references are
  // positive) — and the value a set bit adds before the plane's weight.
  const PS = m.polarity * p.slices;
  const sense = cv.kind === 'sense-amp' && hists === undefined && J === og * PS ? senseColumns(cv, colSlice, colWeight) : undefined;
  const bitAdd = new Float64Array(J);
  for (let grp = 0; grp < G; grp++) {
    const e = E[grp] as Float32Array;
    for (let c0 = 0; c0 < total; c0 += chunk) {
      const c1 = Math.min(total, c0 + chunk);
      const reads = c1 - c0;
      // im2col: codes[read, r], the word-line code of row r for read (sample, position).
      for (let i = c0; i < c1; i++) {
        const b = Math.floor(i / P);
        const pos = i - b * P;
        readCodes(p, enc, xd, b * perIn, grp, pos, codes, (i - c0) * rows);
      }
      acc.fill(0, 0, reads * og);
      for (let k = 0; k < planes; k++) {
        const bitWeight = 2 ** k;
        let X = codes;
        if (!dac && m.inputBits > 1) {
          // Codes are small non-negative integers (below 2^inputBits): bit k by shift and mask.
          for (let i = 0; i < reads * rows; i++) plane[i] = ((codes[i] as number) >> k) & 1;
          X = plane;
        }
        if (sense !== undefined) for (let j = 0; j < J; j++) bitAdd[j] = bitWeight * (sense.add[j] as number);
        for (let r0 = 0; r0 < rows; r0 += R) {
          const kr = Math.min(rows, r0 + R) - r0;
          gemmNN(reads, J, kr, X, r0, rows, e, r0 * J, J, psum, 0, J, 1, false);
          if (sense !== undefined) {
            // Output o owns the contiguous columns o·PS … o·PS + PS − 1 (newScratch), so its
            // sum stays in a register, adding in the same (ascending column) order.
            const ref = sense.ref;
            for (let i = 0; i < reads; i++) {
              const pb = i * J;
              const ab = i * og;
              for (let o = 0; o < og; o++) {
                let a = acc[ab + o] as number;
                for (let j = o * PS, j1 = j + PS; j < j1; j++) if ((psum[pb + j] as number) >= (ref[j] as number)) a += bitAdd[j] as number;
                acc[ab + o] = a;
              }
            }
            continue;
          }
          for (let i = 0; i < reads; i++) {
            const pb = i * J;
            const ab = i * og;
            for (let j = 0; j < J; j++) {
              const v = psum[pb + j] as number;
              if (v === 0) continue;
              const sl = colSlice[j] as number;
              if (hists !== undefined) addToHistogram(hists, sl, v);
              let val: number;
              if (cv.kind === 'sense-amp') {
                if (v < (cv.ref[sl] as number)) continue;
                val = cv.level[sl] as number;
              } else if (cv.kind === 'adc') {
                const code = Math.round(v / cv.step);
                val = (code <= 0 ? 0 : Math.min(code, cv.maxCode)) * cv.step;
              } else val = v;
              const o = ab + (colOut[j] as number);
              acc[o] = (acc[o] as number) + bitWeight * (colWeight[j] as number) * val;
            }
          }
        }
      }
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
  const shape = geo === undefined ? [n, L.outFeatures] : [n, L.outFeatures, geo.outH, geo.outW];
  return { dtype: 'float32', shape, data: out };
}
