// The sweep of `snnc explore`: which configurations exist, in which (canonical) order, and
// which of them a shard runs. A unit is one quantization (weight bits, neuron-parameter
// bits, rounding); one integer simulation to the largest T gives every smaller T, so T is
// not part of a unit. Shard i/n takes units i−1, i−1+n, … of the canonical order, so any
// job runner can spread a sweep and `explore merge` can check that the pieces fit.
import { fail } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import { MAX_UNITS } from '../options/declarations.js';
import type { Shard } from '../options/declarations.js';

export interface ExploreUnit {
  readonly index: number;
  readonly weightBits: number;
  readonly neuronBits: number;
  readonly rounding: Rounding;
}

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

export function enumerateUnits(weightBits: readonly number[], neuronBits: readonly number[], rounding: readonly Rounding[]): ExploreUnit[] {
  const total = weightBits.length * neuronBits.length * rounding.length;
  if (total === 0) throw usage('the sweep is empty', 'give at least one value for --bits, --neuron-bits and --rounding');
  if (total > MAX_UNITS)
    throw usage(`the sweep has ${total} configurations (limit ${MAX_UNITS})`, 'narrow --bits, --neuron-bits or --rounding, or split the sweep with --shard');
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
