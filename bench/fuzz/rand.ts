// A seeded source of choices for the mutators: every case is a pure function of (seed, index),
// so a failing case is reproduced by its number alone (`npm run fuzz -- --only <i>`).
import { mulberry32 } from '../../src/sim/snn/rng.js';

export interface Rand {
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  float(): number;
}

export function rand(seed: number): Rand {
  const next = mulberry32(seed >>> 0);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
    chance: (p: number) => next() < p,
    float: next,
  };
}

/** Values that break careless code: sizes at type limits, signs, non-finite, huge. */
export const NASTY_INTS = [0, -1, 1, 2, 3, 7, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, -(2 ** 31)] as const;
export const NASTY_FLOATS = [0, -0, 1e-45, 1e-7, 0.5, -1, 1e30, 3.4e38, 1e308, -1e308] as const;
/** Names that must never reach C++, HTML or a path unescaped. */
export const NASTY_NAMES = [
  '',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '"; system("id"); //',
  'a/b\\c',
  'x'.repeat(5000),
  'ünïcødé ∑',
  '\u0000nul',
  '*/ #include <x>',
  '${process.exit()}',
] as const;
