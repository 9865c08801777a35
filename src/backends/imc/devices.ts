// Device non-idealities, all optional and seeded. They turn a layer's programmed integer
// cell levels into the *effective* levels a read sees: the column current of one active
// row, minus what the periphery subtracts as the zero-level baseline, in units of one
// level step ΔG = (G_max − G_min) / (2^cellBits − 1). Ideal devices: effective = programmed.
//   stuck-at faults: a fraction of cells at G_min or G_max whatever was programmed;
//   programming noise: g += N(0, σ(g)), σ from the aihwkit PCM model (IBM aihwkit,
//     PCMLikeNoiseModel): σ = (0.26348 + 1.9650·u − 1.1731·u²) µS of a 25 µS device,
//     u = g / G_max, i.e. σ/G_max = that / 25, times programNoise (1 = as published);
//   drift: g(t) = g · ((t + t0) / t0)^(−ν), ν ~ N(driftNu, driftNuStd) per cell;
//   finite on/off ratio: the periphery assumes G_off = 0 and subtracts no baseline, so
//     every active row adds G_min/ΔG to each column (ratio = G_max/G_min);
//   read noise (applied per read in functional.ts): N(0, readNoise·G_max) per active cell,
//     i.e. σ = readNoise·(G_max/ΔG)·sqrt(Σ x²) on a column partial sum.
import { fail } from '../../errors.js';
import { mix32, splitmix32 } from '../../sim/snn/rng.js';

export interface DeviceEffects {
  /** Multiplier of the aihwkit PCM programming-noise σ(g); 0 or absent: none. */
  readonly programNoise?: number;
  /** σ of one cell read relative to G_max; 0 or absent: none. */
  readonly readNoise?: number;
  /** Seconds since programming; absent: no drift. */
  readonly driftTime?: number;
  /** Drift exponent ν (default 0.06) and its spread over cells (default 0). */
  readonly driftNu?: number;
  readonly driftNuStd?: number;
  /** Drift reference time t0 in seconds (default 20, as in aihwkit). */
  readonly driftT0?: number;
  /** Fraction of stuck cells (0..1). */
  readonly stuckAt?: number;
  /** Share of stuck cells stuck at G_max (default 0.5; the rest at G_min). */
  readonly stuckOnShare?: number;
  /** G_max/G_min left uncompensated; absent: the baseline is subtracted exactly. */
  readonly onOffRatio?: number;
  /** Seed of every random draw (default 0). */
  readonly seed?: number;
}

/** Uniform [0, 1) stream and standard normals from it (Box–Muller). */
export interface Rng {
  readonly uniform: () => number;
  readonly normal: () => number;
}

export function makeRng(seed: number, ...keys: number[]): Rng {
  let h = mix32(seed ^ 0x3c6ef372);
  for (const k of keys) h = mix32(h ^ mix32(k + 0x6a09e667));
  const uniform = splitmix32(h);
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u <= 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

export function hasDeviceEffects(e: DeviceEffects): boolean {
  return (e.programNoise ?? 0) > 0 || e.driftTime !== undefined || (e.stuckAt ?? 0) > 0 || e.onOffRatio !== undefined;
}

/**
 * Effective levels of programmed cells (`levels`, 0..lmax), drawing from `rng` in index
 * order. gMinOverStep = G_min/ΔG of the target, gMaxOverStep = G_max/ΔG.
 */
export function effectiveLevels(levels: Uint8Array, lmax: number, gMinOverStep: number, e: DeviceEffects, rng: Rng): Float64Array {
  const out = new Float64Array(levels.length);
  const stuck = e.stuckAt ?? 0;
  const onShare = e.stuckOnShare ?? 0.5;
  const pn = e.programNoise ?? 0;
  const gMaxOverStep = gMinOverStep + lmax;
  const t0 = e.driftT0 ?? 20;
  const drift = e.driftTime !== undefined ? (t: number, nu: number): number => ((t + t0) / t0) ** -nu : undefined;
  const nu0 = e.driftNu ?? 0.06;
  const nuStd = e.driftNuStd ?? 0;
  // The zero-level baseline the periphery subtracts: G_min, or nothing when the design
  // assumes an infinite on/off ratio (the non-ideality).
  const ratio = e.onOffRatio;
  const gMinPhys = ratio !== undefined ? gMaxOverStep / ratio : gMinOverStep;
  const baseline = ratio !== undefined ? 0 : gMinOverStep;
  for (let i = 0; i < levels.length; i++) {
    // Conductance in units of ΔG; G_max is fixed, G_min follows the assumed ratio.
    let g = gMinPhys + ((levels[i] as number) / lmax) * (gMaxOverStep - gMinPhys);
    let isStuck = false;
    if (stuck > 0 && rng.uniform() < stuck) {
      isStuck = true;
      g = rng.uniform() < onShare ? gMaxOverStep : gMinPhys;
    }
    if (pn > 0 && !isStuck) {
      const u = g / gMaxOverStep;
      const sigma = (pn * (0.26348 + 1.965 * u - 1.1731 * u * u)) / 25;
      g = Math.max(0, g + sigma * gMaxOverStep * rng.normal());
    }
    if (drift !== undefined) g *= drift(e.driftTime as number, nuStd > 0 ? Math.max(0, nu0 + nuStd * rng.normal()) : nu0);
    out[i] = g - baseline;
  }
  return out;
}

/** `--noise` keys → DeviceEffects fields. */
export const NOISE_KEYS = {
  program: 'programNoise',
  read: 'readNoise',
  drift: 'driftTime',
  nu: 'driftNu',
  stuck: 'stuckAt',
  onoff: 'onOffRatio',
} as const;

/** "program=1,read=0.01,drift=3600,stuck=0.001,onoff=17" → DeviceEffects. */
export function parseNoise(spec: string): DeviceEffects {
  const out: Record<string, number> = {};
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [k, v] = part.split('=');
    const key = NOISE_KEYS[(k ?? '') as keyof typeof NOISE_KEYS];
    const n = Number(v);
    if (key === undefined || v === undefined || !Number.isFinite(n) || n < 0) {
      throw fail({
        code: 'SNNC_E_USAGE',
        message: `bad --noise entry '${part}'`,
        hint: `use ${Object.keys(NOISE_KEYS).join('=, ')}= with non-negative numbers, e.g. program=1,read=0.01`,
      });
    }
    out[key] = n;
  }
  return out as DeviceEffects;
}
