// ADC-less IMC awareness for training: a synaptic layer's product computed the way the
// crossbars of src/backends/imc compute it, in a form TF.js can differentiate.
//
// On the hardware (src/backends/imc/functional.ts) each step applies the layer's input codes
// plane by plane (spikes: one binary plane; an average pool of k spikes: the bits of the
// count; the analog network input: the bits of its 8-bit code), and every column of every
// R-row tile holds one digit (cellBits bits) of |q| for one output, slice and polarity. The
// column's partial sum c (an integer) goes through a 1-bit sense amplifier — level_s when
// c ≥ ref_s, else 0 — and the periphery adds 2^plane · 2^(cellBits·s) · (±1) · value.
//
// Training sees rates, not spikes. With the inputs of one step taken as independent
// Bernoulli draws of their rates p (the only assumption here), a column's partial sum has
// mean μ = Σ p·d and variance v = Σ p(1 − p)·d² over the tile's rows, and the sense amplifier's
// expected output is level · P(c ≥ ref) ≈ level · Φ((μ − ref)/√(κv)) — the mean-field value of
// what T steps average to, smooth in the rates, the weights' digits, ref and level (κ: see
// SPIKE_VARIANCE). Inputs that are the same every step (the analog input) have v = 0: their
// sense amplifiers step the reference through T offsets (src/backends/imc/sense-amp.ts
// ditheredRefs), and the forward is what the T compares average to exactly — the staircase
// level · clamp(⌊T·z + ½⌋, 0, T)/T — with the ramp's gradient backward; without dither a hard
// step forward and a surrogate gradient (the same Φ with a floor on √v). Weights reach their digits
// through a straight-through estimator that spreads the gradient evenly over the slices.
// The Bernoulli model is only a training proxy: the retrain loop always decides on the
// functional simulation itself.
import type * as TF from '@tensorflow/tfjs-core';
import type { Conv } from './forward.js';

type Tf = typeof TF;
type T = TF.Tensor;

/** The crossbar geometry of the target's mapping (src/backends/imc/options.ts). */
export interface CrossbarGeometry {
  /** Rows per tile. */
  readonly R: number;
  readonly cellBits: number;
  readonly weightBits: number;
  /** Bits and range of analog (non-spike) inputs. */
  readonly inputBits: number;
  readonly inputMax: number;
  /** Reference dither of layers whose input is the same every step: over `steps` steps, ±½·width·level. */
  readonly dither?: { readonly steps: number; readonly width: number };
  /**
   * Compute the never-used top slice too (its digits are 0, but with device effects its cells
   * are not: a stuck cell there reads like any other). Default: only the slices |q| can use.
   */
  readonly allSlices?: boolean;
}

/** What drives the layer's rows, as src/backends/imc/layers.ts classifies it. */
export type CrossbarInput =
  | { readonly kind: 'analog' }
  /** Spikes of a neuron layer with clip λ: the rate is x/λ. */
  | { readonly kind: 'spike'; readonly lambda: T }
  /** An average pool of k such spikes: the count n ∈ 0..k is applied bit-serially. */
  | { readonly kind: 'count'; readonly k: number; readonly lambda: T; readonly exact?: boolean };

/** Trainable sense-amplifier references and output levels, one per slice. */
export interface SenseAmps {
  readonly ref: TF.Variable;
  readonly level: TF.Variable;
}

/** Φ(z) ≈ sigmoid(1.702 z) (max error 0.01): cheap on every backend, and smooth. */
const PROBIT = 1.702;
/** √v floor of the surrogate gradient, in partial-sum units (half a count). */
const SURROGATE_SIGMA = 0.5;
/** √v floor of the forward value: well below one count, so v = 0 is a hard step at ref. */
const FORWARD_VAR = 1e-6;
/**
 * The variance the compare is smoothed with, as a fraction of the Bernoulli one: an IF neuron's
 * spike train is far more regular than independent draws. Measured (LeNet, 2 rounds of 2,000
 * images, 500 test images on the functional simulation): 1 → 95.2 %, 0.3 → 97.2 %; 0.1 and 0
 * (the hard compare of the mean) trained worse after one round (95.8 %, 93.4 % against 96.0 %).
 */
const SPIKE_VARIANCE = 0.3;

/** Slices the mapping has (and has references for). */
export function slicesOf(geo: CrossbarGeometry): number {
  return Math.ceil(geo.weightBits / geo.cellBits);
}

/** Slices that can hold a nonzero digit: |q| ≤ 2^(b−1) − 1, so the top bit is always 0. The others read 0 < ref. */
function usedSlices(geo: CrossbarGeometry): number {
  return geo.allSlices === true ? slicesOf(geo) : Math.ceil((geo.weightBits - 1) / geo.cellBits);
}

/**
 * Digits of q = clamp(round(w/s), −M, M) as [..., O·S·2] in the mapping's column order
 * j = (o·S + s)·2 + polarity (0: max(q, 0), 1: max(−q, 0)). Backward: each digit passes
 * dq/(S·2^(c·s)), so Σ_s 2^(c·s)·digit_s moves like q, through the polarity q has (both halves
 * at q = 0).
 */
export function digitsOf(tf: Tf, geo: CrossbarGeometry): (qc: T) => T {
  const S = usedSlices(geo);
  const c = geo.cellBits;
  const M = 2 ** (geo.weightBits - 1) - 1;
  // Every slice and polarity at once, broadcast over a [S, 1] column of place values (one
  // stack of 14 digit tensors and its slices back out were a tenth of a LeNet training step).
  const placeValues = Array.from({ length: S }, (_, s) => 2 ** (c * s));
  // The gradient per column j = s·2 + p: 1/(S·2^(c·s)) into its polarity's half, 0 into the other.
  const toward = (p: number): T =>
    tf.tensor2d(
      Array.from({ length: S * 2 }, (_, j) => (j % 2 === p ? 1 / (S * 2 ** (c * Math.floor(j / 2))) : 0)),
      [S * 2, 1],
    );
  // (Constants are made where they are used: a tensor captured from the forward pass is gone
  // by the time the tape runs gradFunc.)
  return tf.customGrad(((qc: T, save: TF.GradSaveFunc) => {
    const qi = tf.clipByValue(tf.round(qc), -M, M);
    save([qi]);
    const shape = qc.shape;
    const O = shape[shape.length - 1] ?? 0;
    const rows = qc.size / Math.max(1, O);
    const q2 = tf.reshape(qi, [rows, O, 1, 1]);
    const place = tf.tensor2d(placeValues, [S, 1]);
    const mag = tf.concat([tf.relu(q2), tf.relu(tf.neg(q2))], 3); // [rows, O, 1, 2]
    const digit = tf.sub(tf.floor(tf.div(mag, place)), tf.mul(tf.floor(tf.div(mag, tf.mul(place, 2 ** c))), 2 ** c)); // [rows, O, S, 2]
    const value = tf.reshape(digit, [...shape.slice(0, -1), O * S * 2]);
    return {
      value,
      gradFunc: (dy: T | T[], saved: T[]) => {
        const [q] = saved as [T];
        const g = tf.reshape(dy as T, [q.size, S * 2]);
        const gp = tf.reshape(tf.matMul(g, toward(0)), q.shape);
        const gn = tf.neg(tf.reshape(tf.matMul(g, toward(1)), q.shape));
        return [tf.where(tf.greater(q, 0), gp, tf.where(tf.less(q, 0), gn, tf.mul(tf.add(gp, gn), 0.5)))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (qc: T) => T;
}

/** The surrogate slope of a compare at distance d from its reference: level · σ'(d·inv) · inv, σ the logistic. */
function logisticSlope(tf: Tf, d: T, inv: T | number, level: T): T {
  const s = tf.sigmoid(tf.mul(d, inv));
  return tf.mul(tf.mul(tf.mul(s, tf.sub(1, s)), inv), level);
}

/**
 * Expected sense-amplifier output level·Φ((μ − ref)/√v) for μ, v of shape [..., J] and ref,
 * level of shape [J]; gradients to μ, ref and level (none to v) with √v floored at half a count.
 */
function senseAmp(tf: Tf): (mu: T, v: T, ref: T, level: T) => T {
  return tf.customGrad(((mu: T, v: T, ref: T, level: T, save: TF.GradSaveFunc) => {
    const d = tf.sub(mu, ref);
    const p = tf.sigmoid(tf.div(tf.mul(d, PROBIT), tf.sqrt(tf.add(tf.mul(v, SPIKE_VARIANCE), FORWARD_VAR))));
    save([d, v, p, level]);
    return {
      value: tf.mul(p, level),
      gradFunc: (dyIn: T | T[], saved: T[]) => {
        const dy = dyIn as T;
        const [ds, vs, ps, lv] = saved as [T, T, T, T];
        const inv = tf.div(PROBIT, tf.sqrt(tf.add(vs, SURROGATE_SIGMA * SURROGATE_SIGMA)));
        const dmu = tf.mul(dy, logisticSlope(tf, ds, inv, lv));
        const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
        return [dmu, tf.zerosLike(vs), tf.neg(tf.sum(dmu, lead)), tf.sum(tf.mul(dy, ps), lead)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (mu: T, v: T, ref: T, level: T) => T;
}

/**
 * One step's sense amplifier on an exact partial sum (training step by step): level when
 * μ ≥ ref, else 0 — the hardware's compare — and backward senseAmp's surrogate at v = 0 (a
 * logistic slope √(¼) = half a count wide). Saves one tensor per tile where senseAmp saves four: a
 * step-by-step forward keeps T steps of them for the backward pass.
 */
function stepSenseAmp(tf: Tf): (mu: T, ref: T, level: T) => T {
  return tf.customGrad(((mu: T, ref: T, level: T, save: TF.GradSaveFunc) => {
    const d = tf.sub(mu, ref);
    save([d, level]);
    return {
      value: tf.mul(tf.cast(tf.greaterEqual(d, 0), 'float32'), level),
      gradFunc: (dyIn: T | T[], saved: T[]) => {
        const dy = dyIn as T;
        const [ds, lv] = saved as [T, T];
        const dmu = tf.mul(dy, logisticSlope(tf, ds, PROBIT / SURROGATE_SIGMA, lv));
        const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
        return [dmu, tf.neg(tf.sum(dmu, lead)), tf.sum(tf.mul(dy, tf.cast(tf.greaterEqual(ds, 0), 'float32')), lead)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (mu: T, ref: T, level: T) => T;
}

/**
 * The mean over T steps of a sense amplifier whose reference steps through ref + u_t·W,
 * W = width·level, u_t = (k + ½)/T − ½ (ditherOffsets): level · n/T with n = clamp(⌊T·z + ½⌋, 0, T),
 * z = (μ − ref)/W + ½, and 0 for μ < ½ (a partial sum of 0 never passes: the functional model
 * keeps references ≥ 1). μ is an exact integer here (analog planes are bits). Backward: the
 * ramp level·clamp(z, 0, 1) — slope 1/width inside it — to μ, ref and level.
 */
function ditheredSenseAmp(tf: Tf, T: number, width: number): (mu: T, ref: T, level: T) => T {
  return tf.customGrad(((mu: T, ref: T, level: T, save: TF.GradSaveFunc) => {
    // A level trained to 0 (a slice that only reads zeros) would divide by 0.
    const z = tf.add(tf.div(tf.sub(mu, ref), tf.maximum(tf.mul(level, width), 1e-3)), 0.5);
    const n = tf.clipByValue(tf.floor(tf.add(tf.mul(z, T), 0.5)), 0, T);
    const passes = tf.cast(tf.greaterEqual(mu, 0.5), 'float32');
    const r = tf.mul(tf.div(n, T), passes);
    save([z, r, passes, level]);
    return {
      value: tf.mul(r, level),
      gradFunc: (dyIn: T | T[], saved: T[]) => {
        const dy = dyIn as T;
        const [zs, rs, on, lv] = saved as [T, T, T, T];
        const inside = tf.cast(tf.logicalAnd(tf.greater(zs, 0), tf.less(zs, 1)), 'float32');
        const dmu = tf.mul(dy, tf.div(inside, width));
        const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
        // A partial sum of 0 reads 0 whatever ref and level are: no gradient to them from it
        // (its current still learns through μ). f = level·r(z), z = (μ − ref)/(width·level) + ½:
        // ∂f/∂level = r − r'(z)·(z − ½).
        const dref = tf.neg(tf.sum(tf.mul(dmu, on), lead));
        const dlevel = tf.sum(tf.mul(tf.mul(dy, on), tf.sub(rs, tf.mul(inside, tf.sub(zs, 0.5)))), lead);
        return [dmu, dref, tf.mul(dlevel, tf.onesLike(lv))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (mu: T, ref: T, level: T) => T;
}

/** log C(k, n) for n = 0..k. */
function logBinomials(k: number): number[] {
  const out = [0];
  for (let n = 1; n <= k; n++) out.push((out[n - 1] as number) + Math.log((k - n + 1) / n));
  return out;
}

/**
 * The input planes of one step: per plane, the probability that a row's bit is 1 (mean) and
 * its variance (null when the plane is the same every step), stacked on the batch axis
 * [planes·N, ...]; `scale` is the real value of input code 1 in ANN units.
 */
function inputPlanes(tf: Tf, x: T, input: CrossbarInput, geo: CrossbarGeometry): { mean: T; variance: T | null; planes: number; scale: T | number } {
  if (input.kind === 'analog') {
    const top = 2 ** geo.inputBits - 1;
    const step = geo.inputMax / top;
    const codes = tf.clipByValue(tf.round(tf.div(x, step)), 0, top);
    const planes = Array.from({ length: geo.inputBits }, (_, j) => tf.sub(tf.floor(tf.div(codes, 2 ** j)), tf.mul(tf.floor(tf.div(codes, 2 ** (j + 1))), 2)));
    return { mean: tf.concat(planes, 0), variance: null, planes: geo.inputBits, scale: step };
  }
  const p = tf.clipByValue(tf.div(x, input.lambda), 0, 1);
  if (input.kind === 'spike') return { mean: p, variance: tf.mul(p, tf.sub(1, p)), planes: 1, scale: input.lambda };
  // Count n ~ Binomial(k, p): plane j is 1 with probability Σ_{n: bit j of n} C(k,n) pⁿ(1 − p)^(k−n).
  const k = input.k;
  const bits = Math.max(1, Math.ceil(Math.log2(k + 1)));
  const pc = tf.clipByValue(p, 1e-6, 1 - 1e-6);
  const lp = tf.log(pc);
  const lq = tf.log(tf.sub(1, pc));
  const lc = logBinomials(k);
  const pmf = lc.map((c, n) => tf.exp(tf.add(tf.add(tf.mul(lp, n), tf.mul(lq, k - n)), c)));
  const means: T[] = [];
  for (let j = 0; j < bits; j++) {
    const terms = pmf.filter((_, n) => ((n >> j) & 1) === 1);
    means.push(terms.length > 0 ? tf.addN(terms) : tf.zerosLike(p));
  }
  const mean = tf.concat(means, 0);
  if (input.exact === true) {
    // One step's count, known exactly (training step by step): its bits forward, as the
    // hardware applies them; the binomial planes' gradient backward.
    const n = tf.round(tf.mul(p, k));
    const exact = tf.concat(
      Array.from({ length: bits }, (_, j) => tf.sub(tf.floor(tf.div(n, 2 ** j)), tf.mul(tf.floor(tf.div(n, 2 ** (j + 1))), 2))),
      0,
    );
    const d = tf.sub(exact, mean);
    return { mean: tf.add(mean, tf.tensor(d.dataSync(), d.shape)), variance: null, planes: bits, scale: tf.div(input.lambda, k) };
  }
  return { mean, variance: tf.mul(mean, tf.sub(1, mean)), planes: bits, scale: tf.div(input.lambda, k) };
}

/**
 * A copy of t outside the gradient tape: the variance only smooths the compare (the sense
 * amplifier passes it no gradient), so its products need no backward pass — a third of a
 * crossbar layer's training cost.
 */
function constant(tf: Tf, t: T): T {
  return tf.tensor(t.dataSync(), t.shape);
}

/** Weights of the planes (2^j) and of the columns (±2^(c·s)), for the final sums. */
function columnWeights(tf: Tf, geo: CrossbarGeometry): T {
  const S = usedSlices(geo);
  return tf.tensor2d(
    Array.from({ length: S }, (_, s) => [2 ** (geo.cellBits * s), -(2 ** (geo.cellBits * s))]),
    [S, 2],
  );
}

function refColumns(tf: Tf, sense: SenseAmps, O: number, geo: CrossbarGeometry): { ref: T; level: T } {
  // Column j = (o·U + s)·2 + p reads slice s's reference. A product with a one-hot [S, J]
  // rather than a gather: the wasm backend has no kernel for a gather's gradient.
  const S = slicesOf(geo);
  const U = usedSlices(geo);
  const J = O * U * 2;
  const pick = new Float32Array(S * J);
  for (let j = 0; j < J; j++) pick[(Math.floor(j / 2) % U) * J + j] = 1;
  const P = tf.tensor2d(pick, [S, J]);
  const cols = (v: T): T => tf.reshape(tf.matMul(tf.reshape(v, [1, S]), P), [J]);
  return { ref: cols(sense.ref), level: cols(sense.level) };
}

/**
 * Σ over planes (2^j) and slices/polarities (±2^(c·s)) of the expected outputs
 * [P·N, ..., O·S·2] → [N, ..., O]. Everything but the column axes is one axis here: XNNPACK's
 * broadcasting ops stop at rank 6.
 */
function combine(tf: Tf, E: T, planes: number, O: number, geo: CrossbarGeometry): T {
  const S = usedSlices(geo);
  const shape = E.shape;
  const N = (shape[0] ?? 0) / planes;
  const inner = shape.slice(1, -1);
  const positions = inner.reduce((a, b) => a * b, N);
  // Products, not sums: the gradient of a sum builds its ones in JavaScript (2 s of a 20 s epoch).
  const perColumn = tf.matMul(tf.reshape(E, [planes * positions * O, S * 2]), tf.reshape(columnWeights(tf, geo), [S * 2, 1]));
  const pw = tf.tensor2d(
    Array.from({ length: planes }, (_, j) => 2 ** j),
    [1, planes],
  );
  return tf.reshape(tf.matMul(pw, tf.reshape(perColumn, [planes, positions * O])), [N, ...inner, O]);
}

/** max|w| / M, held constant in the step (the mapping's per-layer weight scale). */
export function weightScale(tf: Tf, w: T, bits: number): number {
  const m = tf.max(tf.abs(w)).dataSync()[0] ?? 0;
  return m > 0 ? m / (2 ** (bits - 1) - 1) : 1;
}

/**
 * What one layer's product computes from its weights alone, kept across the steps of a
 * step-by-step forward (the weights do not change within it): the digits, their squares, the
 * weight scale, and per tile what the tile function derives from them.
 */
export interface CrossbarMemo {
  digits?: { readonly D: T; readonly D2: T; readonly sW: number };
  readonly tiles: Map<number, { readonly D: T; readonly D2: T }>;
}

/**
 * How a product runs beyond its inputs: `memo` keeps what the weights give across the steps of
 * a step-by-step forward; `cells` turns the programmed digits into a chip's (device effects
 * drawn, devices.ts).
 */
export interface CrossbarRun {
  readonly memo?: CrossbarMemo;
  readonly cells?: ((digits: T) => T) | undefined;
}

/**
 * The crossbar product shared by dense and conv layers: `tile(D, D2, r0)` gives one row tile's
 * mean and variance products of the input planes with the digits D (and D² off the tape);
 * each goes through the sense amplifiers, and the tiles, planes and columns are summed.
 */
function crossbarProduct(
  tf: Tf,
  x: T,
  w: T,
  rows: number,
  input: CrossbarInput,
  sense: SenseAmps,
  geo: CrossbarGeometry,
  tile: (planes: { mean: T; variance: T | null }, D: T, D2: T, r0: number) => { mu: T; v: T },
  { memo, cells }: CrossbarRun,
): T {
  const O = w.shape[w.rank - 1] ?? 0;
  const digits =
    memo?.digits ??
    ((): { D: T; D2: T; sW: number } => {
      const sW = weightScale(tf, w, geo.weightBits);
      const programmed = digitsOf(tf, geo)(tf.div(w, sW));
      // The cells as a chip holds them (device effects drawn, devices.ts), or as programmed.
      const D = cells !== undefined ? cells(programmed) : programmed;
      return { D, D2: constant(tf, tf.square(D)), sW };
    })();
  if (memo !== undefined) memo.digits = digits;
  const { D, D2, sW } = digits;
  const planesIn = inputPlanes(tf, x, input, geo);
  // Step by step (a memo across the steps) every plane is one step's exact bits: no variance.
  const variance = planesIn.variance !== null && memo === undefined ? constant(tf, planesIn.variance) : null;
  const cols = refColumns(tf, sense, O, geo);
  const sa = senseAmp(tf);
  const hard = memo !== undefined ? stepSenseAmp(tf) : undefined;
  const d = geo.dither;
  const dithered = input.kind === 'analog' && d !== undefined && d.width > 0 && d.steps > 1 ? ditheredSenseAmp(tf, d.steps, d.width) : undefined;
  const parts: T[] = [];
  for (let r0 = 0; r0 < rows; r0 += geo.R) {
    const { mu, v } = tile({ mean: planesIn.mean, variance }, D, D2, r0);
    parts.push(
      dithered !== undefined ? dithered(mu, cols.ref, cols.level) : hard !== undefined ? hard(mu, cols.ref, cols.level) : sa(mu, v, cols.ref, cols.level),
    );
  }
  const E = parts.length === 1 ? (parts[0] as T) : tf.addN(parts);
  return tf.mul(combine(tf, E, planesIn.planes, O, geo), tf.mul(planesIn.scale, sW));
}

/** x [N, K] · w [K, O] as ADC-less crossbars compute it (ANN units, no bias). */
export function crossbarDense(tf: Tf, x: T, w: T, input: CrossbarInput, sense: SenseAmps, geo: CrossbarGeometry, run: CrossbarRun = {}): T {
  const K = w.shape[0] ?? 0;
  return crossbarProduct(
    tf,
    x,
    w,
    K,
    input,
    sense,
    geo,
    ({ mean, variance }, D, D2, r0) => {
      const n = Math.min(geo.R, K - r0);
      let t = run.memo?.tiles.get(r0);
      if (t === undefined) {
        t = { D: tf.slice(D, [r0, 0], [n, -1]), D2: tf.slice(D2, [r0, 0], [n, -1]) };
        run.memo?.tiles.set(r0, t);
      }
      const mu = tf.matMul(tf.slice(mean, [0, r0], [-1, n]), t.D);
      return { mu, v: variance !== null ? tf.matMul(tf.slice(variance, [0, r0], [-1, n]), t.D2) : tf.scalar(0) };
    },
    run,
  );
}

/**
 * A convolution (NHWC input already padded, HWIO kernel, no groups) as ADC-less crossbars
 * compute it: row r = c·kh·kw + i·kw + j of the unrolled kernel (the mapping's order) lies in
 * tile ⌊r/R⌋; each tile is a convolution with the other rows' digits masked out.
 */
export function crossbarConv(tf: Tf, x: T, w: T, conv: Conv, input: CrossbarInput, sense: SenseAmps, geo: CrossbarGeometry, run: CrossbarRun = {}): T {
  const [kh, kw, cin] = w.shape as [number, number, number, number];
  const rows = kh * kw * cin;
  return crossbarProduct(
    tf,
    x,
    w,
    rows,
    input,
    sense,
    geo,
    ({ mean, variance }, D, D2, r0) => {
      let Dt = D;
      let D2t = D2;
      const known = run.memo?.tiles.get(r0);
      if (known !== undefined) {
        Dt = known.D;
        D2t = known.D2;
      } else if (rows > geo.R) {
        const mask = new Float32Array(rows);
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++)
            for (let c = 0; c < cin; c++) {
              const r = c * kh * kw + i * kw + j;
              if (r >= r0 && r < r0 + geo.R) mask[(i * kw + j) * cin + c] = 1;
            }
        const m = tf.tensor4d(mask, [kh, kw, cin, 1]);
        Dt = tf.mul(D, m);
        D2t = tf.mul(D2, m);
      }
      if (known === undefined) run.memo?.tiles.set(r0, { D: Dt, D2: D2t });
      // The analog input's planes are data: no gradient to them (their transposed convolution
      // was a third of a LeNet training step).
      const mu = conv(mean, Dt, input.kind === 'analog');
      return { mu, v: variance !== null ? conv(variance, D2t, true) : tf.scalar(0) };
    },
    run,
  );
}
