// Shared pieces of the benchmarks: a seeded PRNG for weights and inputs, a timing loop,
// and the JSON writer. Results are compared as ratios between runs (never asserted in
// tests); the files hold no timestamps, so only the measured numbers change between runs.
import { mulberry32 } from '../src/sim/snn/rng.js';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared seeded generator (mulberry32), under this module's old name. */
export const prng = mulberry32;

export interface Timing {
  readonly iterations: number;
  readonly meanMs: number;
}

/**
 * Warm up (JIT tiers, caches, allocator) for `warmupMs`, then run until at least
 * `minMs` have passed and report the mean time per call.
 */
export async function timeIt(fn: () => unknown, minMs = 1000, warmupMs = 250): Promise<Timing> {
  const now = (): number => performance.now();
  let t0 = now();
  do await fn();
  while (now() - t0 < warmupMs);
  let iterations = 0;
  t0 = now();
  let elapsed = 0;
  do {
    await fn();
    iterations++;
    elapsed = now() - t0;
  } while (elapsed < minMs);
  return { iterations, meanMs: elapsed / iterations };
}

/** Round to `digits` significant digits: timings carry no more information than that. */
export function sig(x: number, digits = 4): number {
  return Number(x.toPrecision(digits));
}

export function machine(): { readonly cpu: string; readonly node: string } {
  return { cpu: cpus()[0]?.model.trim() ?? 'unknown', node: process.version };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** bench/results/ of the source tree, whether run from bench/ (tsx) or dist/bench/ (tsc). */
export function resultsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.split(/[\\/]/).includes('dist') ? join(here, '..', '..') : join(here, '..');
  return join(root, 'bench', 'results');
}

/** Write `<name>.json` with sorted keys, through a temp file and a rename. */
export function writeResult(name: string, data: unknown): string {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const tmp = join(dir, `${name}.tmp.json`);
  writeFileSync(tmp, JSON.stringify(sortKeys(data), null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}

/** The package root (works from bench/ under tsx and from dist/bench/). */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}
