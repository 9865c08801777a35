// The hardware-aware forward model of one mapped layer: what the crossbar tiles, the
// column converters and the digital shift-and-add produce for one input vector.
//
// Per group, for every bit plane k of the input codes (bit-serial; one plane with the whole
// code in DAC mode) and every row tile: each column's partial sum over the tile's active
// rows, psum_j = Σ_r x_r · e_rj (e = effective cell level, + read noise), is converted:
//   'ideal'      the value itself (a lossless ADC)
//   'adc'        n-bit ADC of step Δ: Δ · clamp(round(psum / Δ), 0, 2^n − 1);
//                Δ = 2^max(0, L − n), L the lossless bits log2(R·(2^c − 1)·x_max + 1),
//                so n ≥ L is exact and fewer bits lose the low bits and clip the top
//   'sense-amp'  1-bit sense amplifier: level_s if psum ≥ ref_s, else 0 (ref and level per
//                slice s; the offset column has its own pair, index S)
// and the digital periphery combines: acc_o += 2^k · 2^(c·s) · (±1 polarity) · value,
// summed over row tiles; offset mode subtracts 2^(b−1) · 2^k · (offset-column value).
// With ideal devices and 'ideal' or a lossless ADC, acc_o = Σ_r q_ro · x_r exactly.
// The caller turns acc into a current: acc · s_w · s_x · alpha + bias.
import type { MappedLayer } from './mapping.js';
import type { Rng } from './devices.js';
import { addToHistogram } from './sense-amp.js';
import { readoutChunk } from '../../sim/ann/wasm/bitmm.js';

export type Converter =
  | { readonly kind: 'ideal' }
  | { readonly kind: 'adc'; readonly bits: number; readonly step: number; readonly maxCode: number }
  | { readonly kind: 'sense-amp'; readonly ref: Float64Array; readonly level: Float64Array };

export type Levels = Float64Array | Uint8Array;

/** Everything imcAffine needs for one layer (effective levels include device effects). */
export interface LayerProgram {
  readonly m: MappedLayer;
  readonly R: number;
  readonly cellBits: number;
  readonly slices: number;
  readonly weightBits: number;
  /**
   * Effective levels per group, [rows][dataCols]: the programmed integer levels themselves
   * when no device effect changes them (no float copy: for a CIFAR ResNet-18 that copy alone
   * was 1.4 GB), else their float values. Absent: the programmed levels, for a layer that only
   * runs as popcount products (run-layer.ts keeps their bit planes, an eighth of the bytes at
   * one bit per cell) or as the exact product of q — imcAffine then needs the exact program.
   */
  readonly eff?: readonly Levels[];
  /** Offset mode: effective levels of each column tile's offset column, per group [colTile][rows]. */
  readonly offEff: readonly Levels[];
  readonly converter: Converter;
  /** σ of a column partial sum per unit of sqrt(Σ x²), in level units; 0: no read noise. */
  readonly readSigma: number;
  /**
   * Calibration: every converted partial sum of a read with active rows is counted in the
   * histogram of its slice (the offset column's is index S), at the sum rounded and clamped.
   */
  readonly histograms?: readonly Float64Array[];
  /**
   * Whether the tiles compute the integer product exactly (ideal devices, no read noise, a
   * lossless converter): then acc_o = Σ_r q_ro · x_r (the identity in this file's header), and
   * imcAffine computes that directly — 2·slices times less work, no per-column conversion.
   */
  readonly exact?: boolean;
}

/** Whether `c` converts every partial sum of layer `m` losslessly (ideal, or an ADC of step 1 and range 2^L − 1). */
export function losslessConverter(c: Converter, m: MappedLayer): boolean {
  return c.kind === 'ideal' || (c.kind === 'adc' && c.step === 1 && c.maxCode >= 2 ** m.losslessBits - 1);
}

/** acc_o = Σ_r q_ro · x_r over the group's quantized weights q [rows, og]; integers, exact in float64. */
function exactAffine(p: LayerProgram, group: number, x: Float64Array, out: Float64Array): void {
  const q = p.m.q[group] as Int16Array;
  const rows = p.m.layer.rows;
  const og = p.m.layer.outFeatures / p.m.layer.groups;
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const a = x[r] as number;
    if (a === 0) continue;
    const base = r * og;
    for (let o = 0; o < og; o++) out[o] = (out[o] as number) + a * (q[base + o] as number);
  }
}

/** Scratch buffers, reused across calls. */
export interface AffineScratch {
  readonly psum: Float64Array;
  readonly off: Float64Array;
  /** Per data column: its slice, output, and digital weight ±2^(c·slice). */
  readonly slice: Int32Array;
  readonly out: Int32Array;
  readonly weight: Float64Array;
}

export function newScratch(p: LayerProgram): AffineScratch {
  const J = p.m.dataCols;
  const P = p.m.polarity;
  const S = p.slices;
  const slice = new Int32Array(J);
  const out = new Int32Array(J);
  const weight = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    const sl = Math.floor(j / P) % S;
    slice[j] = sl;
    out[j] = Math.floor(j / (P * S));
    weight[j] = (P === 2 && j % 2 === 1 ? -1 : 1) * 2 ** (p.cellBits * sl);
  }
  return { psum: new Float64Array(J), off: new Float64Array(p.m.colTilesPerGroup), slice, out, weight };
}

/**
 * One crossbar evaluation of group `group` for input codes x (length rows, integers in
 * 0..2^inputBits − 1); writes the per-output accumulators to out (length outFeatures/groups).
 * `rng` supplies read noise (required when p.readSigma > 0).
 */
export function imcAffine(p: LayerProgram, group: number, x: Float64Array, out: Float64Array, s: AffineScratch, rng?: Rng): void {
  if (p.exact === true && p.histograms === undefined) {
    exactAffine(p, group, x, out);
    return;
  }
  const m = p.m;
  const { R, slices: S } = p;
  const rows = m.layer.rows;
  const J = m.dataCols;
  const P = m.polarity;
  const Cd = m.dataColsPerTile;
  const og = m.layer.outFeatures / m.layer.groups;
  const eff = p.eff?.[group];
  if (eff === undefined) throw new Error(`layer '${m.layer.name}': a program without levels runs only as popcount or exact products`);
  const offEff = P === 1 ? (p.offEff[group] as Levels) : undefined;
  const dac = m.maxCodePerRead > 1;
  const planes = dac ? 1 : m.inputBits;
  const offsetQ = 2 ** (p.weightBits - 1);
  const psum = s.psum;
  const off = s.off;
  out.fill(0);
  for (let k = 0; k < planes; k++) {
    const bitWeight = 2 ** k;
    for (let r0 = 0; r0 < rows; r0 += R) {
      const r1 = Math.min(rows, r0 + R);
      psum.fill(0);
      if (offEff !== undefined) off.fill(0);
      let sq = 0;
      for (let r = r0; r < r1; r++) {
        const code = x[r] as number;
        const a = dac ? code : Math.floor(code / bitWeight) % 2;
        if (a === 0) continue;
        sq += a * a;
        const base = r * J;
        for (let j = 0; j < J; j++) psum[j] = (psum[j] as number) + a * (eff[base + j] as number);
        if (offEff !== undefined) for (let t = 0; t < off.length; t++) off[t] = (off[t] as number) + a * (offEff[t * rows + r] as number);
      }
      if (sq === 0) continue; // no active row: every column reads exactly 0
      const sigma = p.readSigma > 0 && rng !== undefined ? p.readSigma * Math.sqrt(sq) : 0;
      const cv = p.converter;
      shiftAdd(p, s, psum, 0, bitWeight, out, 0, sigma, rng);
      if (offEff !== undefined) {
        for (let t = 0; t < off.length; t++) {
          let v = off[t] as number;
          if (sigma > 0) v += sigma * (rng as Rng).normal();
          if (p.histograms !== undefined) addToHistogram(p.histograms, S, v);
          off[t] =
            cv.kind === 'ideal'
              ? v
              : cv.kind === 'adc'
                ? Math.max(0, Math.min(Math.round(v / cv.step), cv.maxCode)) * cv.step
                : v >= (cv.ref[S] as number)
                  ? (cv.level[S] as number)
                  : 0;
        }
        // Each output subtracts the offset column of the tile holding its first column.
        for (let o = 0; o < og; o++) {
          const t = Math.floor((o * S) / Cd);
          out[o] = (out[o] as number) - offsetQ * bitWeight * (off[t] as number);
        }
      }
    }
  }
}

/**
 * One read's column partial sums psum[pb + j] (j < dataCols), plus read noise of σ `sigma`,
 * through the converter (counted in the calibration histograms first) and shift-added into
 * out[ob + output]: value · bitWeight · column weight. A sense amplifier's columns add up in
 * chunks (bitmm.ts readoutChunk: each chunk's values summed from +0, the sum then added to its
 * output if one passed) — the order of the popcount kernels' read-out; other converters add
 * column by column. The batched path (run-layer.ts) runs the same loop on its partial sums.
 */
export function shiftAdd(
  p: LayerProgram,
  s: AffineScratch,
  psum: ArrayLike<number>,
  pb: number,
  bitWeight: number,
  out: Float64Array,
  ob: number,
  sigma = 0,
  rng?: Rng,
): void {
  const cv = p.converter;
  const J = p.m.dataCols;
  const C = cv.kind === 'sense-amp' ? readoutChunk(p.m.polarity * p.slices) : 1;
  let cs = 0;
  let any = false;
  for (let j = 0; j < J; j++) {
    let v = psum[pb + j] as number;
    if (sigma > 0) v += sigma * (rng as Rng).normal();
    // every converter maps 0 to 0 (ADC and sense-amp references are positive)
    if (v !== 0) {
      const sl = s.slice[j] as number;
      if (p.histograms !== undefined) addToHistogram(p.histograms, sl, v);
      let val: number;
      if (cv.kind === 'ideal') val = v;
      else if (cv.kind === 'adc') {
        const code = Math.round(v / cv.step);
        val = (code <= 0 ? 0 : Math.min(code, cv.maxCode)) * cv.step;
      } else val = v >= (cv.ref[sl] as number) ? (cv.level[sl] as number) : 0;
      if (val !== 0) {
        cs += bitWeight * (s.weight[j] as number) * val;
        any = true;
      }
    }
    if (((j + 1) & (C - 1)) === 0 || j === J - 1) {
      if (any) out[ob + (s.out[j] as number)] = (out[ob + (s.out[j] as number)] as number) + cs;
      cs = 0;
      any = false;
    }
  }
}

/** ADC step for a layer: 2^max(0, lossless − bits). */
export function adcStep(m: MappedLayer, bits: number): number {
  return 2 ** Math.max(0, m.losslessBits - bits);
}

/** An n-bit ADC of step Δ (codes 0 .. 2^n − 1). */
export function adcConverter(bits: number, step: number): Converter {
  return { kind: 'adc', bits, step, maxCode: 2 ** bits - 1 };
}
