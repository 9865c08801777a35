// Quantization settings (bit widths, per-layer overrides, rounding) and the symmetric
// quantizer every parameter goes through. Parsing lives here so the CLI and the API reject
// the same mistakes with the same SNNC_E_USAGE messages.
import { fail } from '../errors.js';
import type { BitWidths, QuantizeSettings, Rounding } from '../ir/types.js';
import { qMax } from '../sim/int/program.js';
import { mix32 } from '../sim/snn/rng.js';

export type { BitWidths, QuantizeSettings } from '../ir/types.js';

const DEFAULT_BITS: BitWidths = { w: 8, th: 16, b: 16, v: 'auto', in: 8 };
export const BIT_KEYS = ['w', 'th', 'b', 'v', 'in'] as const;
const ROUNDINGS: readonly Rounding[] = ['trunc', 'nearest', 'stochastic'];

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

export function checkBits(key: string, v: number | 'auto', where: string): void {
  if (v === 'auto' && key === 'v') return;
  const hi = key === 'v' ? 32 : 16;
  const lo = key === 'v' ? 2 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw usage(
      `${where}: ${key}=${String(v)} is not a bit width in ${lo}–${hi}`,
      key === 'v' ? 'membrane width: 2–32 bits or auto' : `weights and neuron parameters take ${lo}–${hi} bits, e.g. --bits w=4,th=8`,
    );
  }
}

/** "w=4,th=8" → { w: 4, th: 8 }. */
export function parseBits(s: string, where = '--bits'): Partial<BitWidths> {
  const out: Record<string, number | 'auto'> = {};
  for (const part of s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    const m = /^([a-z]+)=(.+)$/.exec(part);
    if (m === null) throw usage(`${where}: '${part}' is not key=bits`, `keys: ${BIT_KEYS.join(', ')}; e.g. w=4,th=8`);
    const key = m[1] as string;
    if (!(BIT_KEYS as readonly string[]).includes(key))
      throw usage(`${where}: unknown key '${key}'`, `keys: w (weights), th (thresholds), b (biases), v (membrane), in (input)`);
    const raw = m[2] as string;
    const v = raw === 'auto' ? 'auto' : /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    checkBits(key, v, where);
    out[key] = v;
  }
  if (Object.keys(out).length === 0) throw usage(`${where}: no bit widths given`, 'e.g. --bits w=4,th=8');
  return out as Partial<BitWidths>;
}

/** "conv1:w=6,th=10" → ['conv1', { w: 6, th: 10 }]. */
export function parseLayerOverride(s: string, where = '--layer'): readonly [string, Partial<BitWidths>] {
  const i = s.indexOf(':');
  if (i <= 0) throw usage(`${where} '${s}' is not layer:key=bits`, 'e.g. --layer conv1:w=6');
  const name = s.slice(0, i);
  return [name, parseBits(s.slice(i + 1), `${where} ${name}`)];
}

export function parseRounding(s: string, where?: string): Rounding {
  if ((ROUNDINGS as readonly string[]).includes(s)) return s as Rounding;
  const near = ROUNDINGS.find((r) => r.startsWith(s.slice(0, 2).toLowerCase()));
  throw usage(
    `${where !== undefined ? `${where}: ` : ''}unknown rounding '${s}'`,
    `use trunc, nearest or stochastic${near !== undefined ? ` (did you mean '${near}'?)` : ''}`,
  );
}

/** Validates settings given through the API (the CLI parsers already did). */
export function checkSettings(s: QuantizeSettings): void {
  for (const [k, v] of Object.entries(s.bits ?? {})) checkBits(k, v as number | 'auto', 'bits');
  for (const [name, b] of Object.entries(s.layers ?? {})) for (const [k, v] of Object.entries(b)) checkBits(k, v as number | 'auto', `layer ${name}`);
  if (s.rounding !== undefined) parseRounding(s.rounding);
  if (s.seed !== undefined && !Number.isInteger(s.seed)) throw usage(`seed ${s.seed} is not an integer`, 'pass an integer seed');
  if (s.inputMax !== undefined && !(s.inputMax > 0 && Number.isFinite(s.inputMax)))
    throw usage(`inputMax ${s.inputMax} must be a positive number`, 'the largest |input| value, e.g. 1 for images in [0, 1]');
}

/** A rounding function; stochastic draws from a stream seeded by (seed, tensor name). */
export type Rounder = (x: number) => number;

export function rounder(mode: Rounding, seed: number, stream: string): Rounder {
  if (mode === 'trunc') return (x) => Math.trunc(x) + 0; // + 0 turns −0 into 0
  if (mode === 'nearest') return (x) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5) + 0;
  let h = mix32(seed ^ 0x2545f491);
  for (let i = 0; i < stream.length; i++) h = mix32(h ^ Math.imul(stream.charCodeAt(i), 0x9e3779b1));
  let s = h;
  return (x) => {
    s = (s + 0x9e3779b9) >>> 0;
    const u = mix32(s) / 4294967296; // [0, 1)
    return Math.floor(x + u) + 0;
  };
}

/** Power of two ≥ s (scales rounded up so no value clips). */
export function pow2Up(s: number): number {
  return 2 ** Math.ceil(Math.log2(s));
}

export interface Quantized {
  readonly q: Int32Array;
  /** One scale per channel (axis 0 groups of `data.length / channels`), or one. */
  readonly scale: number[];
}

/**
 * Symmetric quantization of `data` in `channels` equal consecutive groups (1 = per tensor):
 * s = max|x| / qMax(bits) (rounded up to a power of two with pow2), q = clamp(round(x / s)).
 * `minScale` (per group) lets a caller coarsen the grid (e.g. so a threshold fits its width).
 * 1 bit: q = sign(x) ∈ {−1, +1}, s = mean|x|.
 */
export function quantizeSymmetric(
  data: ArrayLike<number>,
  channels: number,
  bits: number,
  round: Rounder,
  pow2: boolean,
  minScale?: readonly number[],
): Quantized {
  const per = data.length / channels;
  const q = new Int32Array(data.length);
  const scale: number[] = [];
  const m = qMax(bits);
  for (let c = 0; c < channels; c++) {
    let mx = 0;
    let sum = 0;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const a = Math.abs(data[i] as number);
      if (a > mx) mx = a;
      sum += a;
    }
    let s = bits === 1 ? sum / per : mx / m;
    if (!(s > 0)) s = 1;
    const floor = minScale?.[minScale.length === 1 ? 0 : c];
    if (floor !== undefined && floor > s) s = floor;
    if (pow2) s = pow2Up(s);
    scale.push(s);
    for (let i = c * per; i < (c + 1) * per; i++) {
      const x = data[i] as number;
      const r = bits === 1 ? (x >= 0 ? 1 : -1) : round(x / s);
      q[i] = r > m ? m : r < -m ? -m : r;
    }
  }
  return { q, scale };
}

/** Merged widths for one layer: defaults ← --bits ← --layer overrides (neuron or affine name). */
export function bitsFor(s: QuantizeSettings, names: readonly string[]): BitWidths {
  let b: BitWidths = { ...DEFAULT_BITS, ...(s.bits ?? {}) };
  for (const n of names) {
    const o = s.layers?.[n];
    if (o !== undefined) b = { ...b, ...o };
  }
  return b;
}
