// The sweep of `snnc explore`: which configurations exist, in which (canonical) order, and
// which of them a shard runs. A unit is one quantization (weight bits, neuron-parameter
// bits, rounding); one integer simulation to the largest T gives every smaller T, so T is
// not part of a unit. Shard i/n takes units i−1, i−1+n, … of the canonical order, so any
// job runner can spread a sweep and `explore merge` can check that the pieces fit.
import { fail } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import { checkBits, parseRounding } from '../passes/quantize-config.js';

export interface ExploreUnit {
  readonly index: number;
  readonly weightBits: number;
  readonly neuronBits: number;
  readonly rounding: Rounding;
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export const MAX_UNITS = 4096;

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

/** "2..8" → [2, …, 8]; "2,4,8" → [2, 4, 8]; each a width in 1–16 (via checkBits). */
export function parseBitList(s: string, option: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',').map((x) => x.trim())) {
    const m = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    if (m !== null) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      checkBits('w', a, option);
      checkBits('w', b, option);
      if (a > b) throw usage(`${option}: range '${part}' is empty`, 'write the smaller width first, e.g. 2..8');
      for (let k = a; k <= b; k++) out.push(k);
      continue;
    }
    if (!/^\d+$/.test(part)) throw usage(`${option}: '${part}' is not a bit width or a range`, 'e.g. 2..8 or 2,4,8 (widths 1–16)');
    const v = Number(part);
    checkBits('w', v, option);
    out.push(v);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** "trunc,nearest" → ['trunc', 'nearest']; 'all' = every rounding; a typo names the closest. */
export function parseRoundingList(s: string, where = '--rounding'): Rounding[] {
  if (s.trim() === 'all') return ['trunc', 'nearest', 'stochastic'];
  const out = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map((x) => parseRounding(x, where));
  if (out.length === 0) throw usage(`${where}: no rounding given`, 'e.g. --rounding nearest,stochastic');
  return [...new Set(out)];
}

/** "2/4" → { index: 2, count: 4 }. */
export function parseShard(s: string, where = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || !(count >= 1) || !(index >= 1) || index > count || count > MAX_UNITS) {
    throw usage(`${where} '${s}' is not i/n with 1 ≤ i ≤ n`, 'e.g. --shard 1/2 on one machine and --shard 2/2 on another, then snnc explore merge');
  }
  return { index, count };
}

export function enumerateUnits(weightBits: readonly number[], neuronBits: readonly number[], rounding: readonly Rounding[]): ExploreUnit[] {
  const total = weightBits.length * neuronBits.length * rounding.length;
  if (total === 0) throw usage('the sweep is empty', 'give at least one value for --bits, --neuron-bits and --rounding');
  if (total > MAX_UNITS) throw usage(`the sweep has ${total} configurations (limit ${MAX_UNITS})`, 'narrow --bits, --neuron-bits or --rounding, or split the sweep with --shard');
  const out: ExploreUnit[] = [];
  for (const w of weightBits) for (const p of neuronBits) for (const r of rounding) out.push({ index: out.length, weightBits: w, neuronBits: p, rounding: r });
  return out;
}

export function unitsOfShard(units: readonly ExploreUnit[], shard: Shard | undefined): ExploreUnit[] {
  return shard === undefined ? [...units] : units.filter((u) => u.index % shard.count === shard.index - 1);
}

export function configName(u: Pick<ExploreUnit, 'weightBits' | 'neuronBits' | 'rounding'>): string {
  return `w${u.weightBits}-p${u.neuronBits}-${u.rounding}`;
}
