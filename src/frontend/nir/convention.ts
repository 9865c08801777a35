// How snnc's discrete-time neurons are written as NIR's continuous-time ODEs, and back.
//
// NIR stores no time step. snnc uses forward Euler with dt = 1e-4 s (the convention of the
// NIR project's own Lava bridge), applied identically on export and import:
//   LIF  τ dv/dt = (v_leak − v) + R·I  →  v[t+1] = (1 − dt/τ)·v + (dt·R/τ)·I
//        so snnc's `v ← leak·v + I` is τ = dt/(1 − leak), R = τ/dt, v_leak = 0.
//   IF   dv/dt = R·I                  →  v[t+1] = v + dt·R·I, so R = 1/dt.
//   I    (readout integrator)          R = 1/dt: the sum of its input over steps.
// On import, an input gain dt·R/τ (IF: dt·R) that is not 1 is folded into the threshold
// (exact for a reset to 0: v/g > θ/g ⇔ v > θ).
import { fail } from '../../errors.js';

export const DT = 1e-4;

/** Gains within this relative distance of 1 count as 1 (a float32 R = τ/dt rounds). */
export const GAIN_TOLERANCE = 1e-6;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The next float64 above x (x finite). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = (u64[0] ?? 0n) + (x > 0 ? 1n : -1n);
  return f64[0];
}

/** The next float64 below x (x finite). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** 1 − dt/τ: the per-step leak factor of a LIF time constant. */
function leakFromTau(tau: number, dt: number): number {
  return 1 - dt / tau;
}

/**
 * A τ with leakFromTau(τ) === leak exactly, so export → import gives back the same leak.
 * dt/(1 − leak) is usually it; otherwise one of its float neighbours is.
 */
export function tauFromLeak(leak: number, dt: number): number {
  if (leak === 1) return Infinity;
  let tau = dt / (1 - leak);
  if (leakFromTau(tau, dt) === leak) return tau;
  let up = tau;
  let down = tau;
  for (let i = 0; i < 64; i++) {
    up = nextUp(up);
    down = nextDown(down);
    if (leakFromTau(up, dt) === leak) return up;
    if (leakFromTau(down, dt) === leak) return down;
  }
  tau = dt / (1 - leak);
  return tau;
}

// HDF5 link names cannot contain '/' nor be '.'; our node names often contain '/'
// ('conv1/linear'). Percent-encode '%', '/' and a lone '.', and decode exactly those.
export function escapeName(s: string): string {
  if (s === '.') return '%2E';
  return s.replace(/%/g, '%25').replace(/\//g, '%2F');
}

export function unescapeName(s: string): string {
  return s.replace(/%(2F|2E|25)/gi, (_m, h: string) => (h === '2F' || h === '2f' ? '/' : h === '25' ? '%' : '.'));
}

/** `base`, or `base_1`, `base_2`, … whichever is not in `taken` (then marked taken). */
export function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** Numpy-style broadcast of `src` (shape `from`) to the full shape `to` (trailing alignment). */
export function broadcastTo(src: ArrayLike<number>, from: readonly number[], to: readonly number[], out: Float32Array | Float64Array): void {
  const R = to.length;
  const strides = new Array<number>(R).fill(0);
  let acc = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    const d = from[i] as number;
    const j = R - from.length + i;
    if (j < 0) {
      if (d !== 1) throw new Error(`cannot broadcast [${from.join(', ')}] to [${to.join(', ')}]`);
      continue;
    }
    if (d !== 1 && d !== to[j]) throw new Error(`cannot broadcast [${from.join(', ')}] to [${to.join(', ')}]`);
    strides[j] = d === 1 ? 0 : acc;
    acc *= d;
  }
  const idx = new Array<number>(R).fill(0);
  for (let e = 0; e < out.length; e++) {
    let o = 0;
    for (let i = 0; i < R; i++) o += (idx[i] as number) * (strides[i] as number);
    out[e] = src[o] as number;
    for (let i = R - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (to[i] as number)) break;
      idx[i] = 0;
    }
  }
}

/**
 * The inverse of broadcastTo: the values of `full` (shape `to`) as a tensor of shape
 * `from`, or undefined when `full` is not such a broadcast (or `from` does not fit).
 */
export function unbroadcast(full: Float64Array, to: readonly number[], from: readonly number[]): Float64Array | undefined {
  const n = from.reduce((a, b) => a * b, 1);
  if (!from.every((d) => Number.isInteger(d) && d >= 1) || from.length > to.length + 1) return undefined;
  // Pick one representative per element of `from`: broadcast the index map and compare.
  const probe = new Float64Array(full.length);
  try {
    broadcastTo(
      Float64Array.from({ length: n }, (_v, i) => i),
      from,
      to,
      probe,
    );
  } catch {
    return undefined;
  }
  const out = new Float64Array(n).fill(NaN);
  const seen = new Uint8Array(n);
  for (let e = 0; e < full.length; e++) {
    const k = probe[e] as number;
    const v = full[e] as number;
    if (seen[k] === 0) {
      out[k] = v;
      seen[k] = 1;
    } else if (!Object.is(out[k], v)) {
      return undefined;
    }
  }
  return out;
}

export function nirError(message: string, path: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_NIR', message, file: path, ...(hint !== undefined ? { hint } : {}) });
}
