// References of the 1-bit sense amplifiers (ADC-less mode). A sense amplifier compares a
// column partial sum with a reference ref and outputs one bit; the digital periphery
// turns the bit into a value `level` before shift-and-add. Per layer and slice (the
// offset column of offset mode is slice S), three ways to choose (ref, level):
//   'calibrated' (default): 1-bit Lloyd–Max with a fixed zero level on a histogram of the
//     layer's ideal column partial sums over calibration samples: ref minimizes
//     Σ_{v<ref} v² + Σ_{v≥ref} (v − level)², level = mean of the sums ≥ ref (a layer whose
//     references dither: the ramp that dither makes, fitRampRefs). The seed paper
//     (Apolinario et al. 2023) instead trains the network for its sense amplifiers; this
//     is the post-training stand-in, and the hook (LayerProgram.converter) where trained
//     references would go.
//   'half-max': ref = half the largest possible partial sum R·(2^c − 1)·x_max, level = that
//     largest sum (a 1-bit rounding quantizer over the full range);
//   a number u: ref = u (in cell-level units), level = 2u (1-bit rounding of step 2u).
import type { MappedLayer, MappedNetwork } from './mapping.js';

/** How references are chosen: see above, or trained ones by mapped layer name (trainedRefs). */
export type SenseReference = 'calibrated' | 'half-max' | number | { readonly trained: ReadonlyMap<string, SenseAmpRefs> };

/** Graph metadata key of references trained by `snnc retrain --target imc-adcless` (src/retrain/train.ts writes it). */
export const SENSE_META = 'snnc.imc.sense';

export interface SenseAmpRefs {
  readonly ref: Float64Array;
  readonly level: Float64Array;
}

function maxColumnSum(m: MappedLayer, R: number, cellBits: number): number {
  return R * (2 ** cellBits - 1) * m.maxCodePerRead;
}

export function fixedRefs(m: MappedLayer, R: number, cellBits: number, slices: number, how: 'half-max' | number): SenseAmpRefs {
  const maxSum = maxColumnSum(m, R, cellBits);
  const ref = how === 'half-max' ? maxSum / 2 : how;
  const level = how === 'half-max' ? maxSum : 2 * how;
  return { ref: new Float64Array(slices + 1).fill(ref), level: new Float64Array(slices + 1).fill(level) };
}

/** Histograms of integer partial sums, one per slice (+ offset column). */
export function newHistograms(m: MappedLayer, R: number, cellBits: number, slices: number): Float64Array[] {
  const n = maxColumnSum(m, R, cellBits) + 1;
  return Array.from({ length: slices + 1 }, () => new Float64Array(n));
}

export function addToHistogram(h: readonly Float64Array[], slice: number, v: number): void {
  const hist = h[slice];
  if (hist === undefined) return;
  const i = Math.max(0, Math.min(hist.length - 1, Math.round(v)));
  hist[i] = (hist[i] as number) + 1;
}

/** Lloyd–Max 1-bit fit per histogram; an empty histogram keeps ref 0.5, level 1. */
export function fitRefs(h: readonly Float64Array[]): SenseAmpRefs {
  const ref = new Float64Array(h.length);
  const level = new Float64Array(h.length);
  h.forEach((hist, s) => {
    // Suffix sums of count, Σv, Σv² for v ≥ t; prefix Σv² for v < t.
    const n = hist.length;
    let cnt = 0;
    let sum = 0;
    let sum2 = 0;
    for (let v = 1; v < n; v++) {
      const c = hist[v] as number;
      cnt += c;
      sum += c * v;
      sum2 += c * v * v;
    }
    let best = Infinity;
    let bestT = 1;
    let bestLevel = 1;
    let below2 = 0;
    for (let t = 1; t < n && cnt > 0; t++) {
      const mean = sum / cnt;
      const err = below2 + (sum2 - cnt * mean * mean);
      if (err < best) {
        best = err;
        bestT = t;
        bestLevel = mean;
      }
      const c = hist[t] as number;
      below2 += c * t * t;
      cnt -= c;
      sum -= c * t;
      sum2 -= c * t * t;
    }
    // Partial sums are integers, so any ref in (t − 1, t] decides alike; take the midpoint.
    ref[s] = bestT - 0.5;
    level[s] = bestLevel;
  });
  return { ref, level };
}

/**
 * The fit for a layer whose references dither (ditheredRefs, width w > 0, T steps): over the T
 * compares a column reads level·n/T, n = clamp(⌊T·z + ½⌋, 0, T), z = (psum − ref)/(w·level) + ½
 * — a T-level converter of slope 1/w. With ref = w·level/2 an empty column reads 0 and the ramp
 * reaches its top at psum = w·level; level is chosen per histogram to minimize Σ (read − psum/w)²,
 * saturation against step size. The 1-bit fit (fitRefs) would put level near the mean of the larger sums,
 * a ramp that saturates early: resnet-tiny retrained from it, 500 test images with every other
 * layer exact, read its dithered analog layer at 88.6 %; the same model with level 4–12 and
 * ref level/2 (this fit's range) at 97.0–97.4 %. Unretrained, 1,000 test images, T = 32, dither
 * 1: LeNet 87.6 → 93.0 %, the MLP 80.1 → 83.0 % against the 1-bit fit. The retrain still starts
 * from the 1-bit fit (api/retrain.ts senseStart): started from this one, 3 rounds of 2,000 images
 * ended lower (LeNet 96.76 against 97.26 %, the MLP 95.26 against 96.06 %, full test split).
 * Why is open: the wider ramp swings the layer's output more from step to step, but holding its
 * mean over the steps instead (tried in the simulation, no swing at all) read lower still.
 */
export function fitRampRefs(h: readonly Float64Array[], width: number, T: number): SenseAmpRefs {
  const ref = new Float64Array(h.length);
  const level = new Float64Array(h.length);
  h.forEach((hist, s) => {
    let top = 0;
    for (let v = 1; v < hist.length; v++) if ((hist[v] as number) > 0) top = v;
    let best = Infinity;
    let bestLevel = 1;
    // Candidate tops of the ramp (w·level) in quarter counts up to the largest sum seen.
    for (let q = 4; q <= 4 * Math.max(1, top); q++) {
      const L = q / 4 / width;
      let err = 0;
      for (let v = 1; v < hist.length; v++) {
        const c = hist[v] as number;
        if (c === 0) continue;
        const n = Math.min(T, Math.max(0, Math.floor((T * v) / (width * L) + 0.5)));
        const d = (L * n) / T - v / width;
        err += c * d * d;
      }
      if (err < best) {
        best = err;
        bestLevel = L;
      }
    }
    ref[s] = top > 0 ? (width * bestLevel) / 2 : 0.5;
    level[s] = top > 0 ? bestLevel : 1;
  });
  return { ref, level };
}

function numbers(v: unknown, n: number): number[] | undefined {
  if (!Array.isArray(v) || v.length < n) return undefined;
  const out = v.slice(0, n).map(Number);
  return out.every((x) => Number.isFinite(x)) ? out : undefined;
}

/**
 * The references a retrained model carries (graph metadata SENSE_META: the crossbar geometry it
 * was trained for and, per synaptic layer in mapping order, ref and level per slice), when they
 * fit this mapping — same rows per tile, bits per cell, weight bits and layer count; else
 * undefined (the caller calibrates). The offset column's pair, unused by differential pairs,
 * keeps ref ½ and level 1.
 */
export function trainedRefs(meta: Readonly<Record<string, string>>, net: MappedNetwork): Map<string, SenseAmpRefs> | undefined {
  const text = meta[SENSE_META];
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = doc as { rows?: unknown; cellBits?: unknown; weightBits?: unknown; layers?: unknown };
  const cfg = net.config;
  if (d.rows !== cfg.R || d.cellBits !== cfg.cellBits || d.weightBits !== cfg.weightBits || cfg.signed !== 'differential') return undefined;
  if (!Array.isArray(d.layers) || d.layers.length !== net.layers.length) return undefined;
  const out = new Map<string, SenseAmpRefs>();
  for (let i = 0; i < net.layers.length; i++) {
    const l = d.layers[i] as { ref?: unknown; level?: unknown } | null;
    const ref = numbers(l?.ref, cfg.slices);
    const level = numbers(l?.level, cfg.slices);
    if (ref === undefined || level === undefined) return undefined;
    out.set((net.layers[i] as MappedLayer).layer.name, { ref: Float64Array.from([...ref, 0.5]), level: Float64Array.from([...level, 1]) });
  }
  return out;
}

/**
 * Reference dither of a layer whose input is the same every step (direct coding: the analog
 * first layer). Its column partial sums repeat every step, so a fixed reference gives the same
 * bit T times and the neurons after it see one of two levels per column. Stepping the
 * reference through T evenly spaced offsets over ±½·width·level around ref instead makes the
 * mean over the T steps a T-level converter: level · n/T with n = #{t : psum ≥ ref_t} =
 * clamp(⌊T·z + ½⌋, 0, T), z = (psum − ref)/(width·level) + ½ — a ramp from ref − ½·width·level
 * to ref + ½·width·level (with Lloyd–Max's ref ≈ level/2 and width 1: min(psum, level)).
 * The reference is a voltage the tile's periphery already generates; stepping it costs a
 * reference DAC update per step, which the cost model does not charge (docs/targets/imc.md).
 * The simulation shifts the phase per output position (simulate.ts phaseMix).
 * Measured (MLP retrained for fixed references, 2,004 test images, T = 32): width 0 93.41 %,
 * 0.5 94.91, 1 95.51, 1.5 95.41, 2 94.66 %.
 * This is the width `snnc retrain --target imc-adcless` trains for by default; compile uses the
 * width a model was retrained for (trainedDither) and fixed references for any other model —
 * the dithered layer runs once per phase, T× its work in the simulation (LeNet 5.6 → 15.0 s,
 * the MLP 0.44 → 5.6 s on 1,000 images), too slow for a quick post-training compile.
 */
export const DEFAULT_SENSE_DITHER = 1;

/**
 * The offsets u_t ∈ (−½, ½) of steps t = 0 … T − 1: (k + ½)/T − ½ for k = 0 … T − 1, visited
 * in bit-reversed order so that every prefix of the steps spreads over the range (a neuron
 * reading the first steps sees low and high references alike).
 */
export function ditherOffsets(T: number): Float64Array {
  const bits = Math.ceil(Math.log2(Math.max(1, T)));
  const reversed = (k: number): number => {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((k >> b) & 1) << (bits - 1 - b);
    return r;
  };
  const order = Array.from({ length: 2 ** bits }, (_, k) => reversed(k)).filter((k) => k < T);
  return Float64Array.from(order, (k) => (k + 0.5) / T - 0.5);
}

/**
 * The dither width a retrained model was trained for (graph metadata SENSE_META `dither`): 0 when
 * the model has references but no width (trained before the dither existed, for fixed
 * references); undefined without trained references (the simulation's default applies).
 */
export function trainedDither(meta: Readonly<Record<string, string>>): number | undefined {
  const text = meta[SENSE_META];
  if (text === undefined) return undefined;
  try {
    const w = (JSON.parse(text) as { dither?: unknown }).dither;
    return typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w : 0;
  } catch {
    return undefined;
  }
}

/**
 * The sense amplifiers a model runs with on this mapping — compile's simulation, the emitted
 * config and the retrain's hardware forward alike: a retrained model's references (trainedRefs)
 * with the dither width they were trained for (trainedDither); else none (the simulation fits
 * them on calibration images) with the target's width (ImcConfig.referenceDither). An ADC
 * periphery has neither.
 */
export function senseSetup(meta: Readonly<Record<string, string>>, net: MappedNetwork): { readonly refs?: Map<string, SenseAmpRefs>; readonly dither: number } {
  if (net.config.periphery !== 'sense-amp') return { dither: 0 };
  const refs = trainedRefs(meta, net);
  return refs !== undefined ? { refs, dither: trainedDither(meta) ?? 0 } : { dither: net.config.referenceDither };
}

/** The references of step t: ref_s + u_t · width · level_s per slice (the levels stay). */
export function ditheredRefs(r: SenseAmpRefs, u: number, width: number): SenseAmpRefs {
  return { ref: r.ref.map((ref, s) => ref + u * width * (r.level[s] as number)), level: r.level };
}
