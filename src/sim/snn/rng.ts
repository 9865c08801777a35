// Seeded randomness for Poisson input coding. Every (seed, sample index, step) triple
// gets its own stream, so a sample's spike train does not depend on the batch size,
// the batch it lands in or the simulation mode.

/** A 32-bit finalizer (murmur3 fmix32): spreads every input bit over the output. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** splitmix32: a Weyl sequence through the finalizer; uniform floats in [0, 1). */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    return mix32(s) / 4294967296;
  };
}

/** The stream of one sample at one step (step counted from 0). */
function streamFor(seed: number, sample: number, step: number): () => number {
  return splitmix32(mix32(mix32(seed ^ 0x5bd1e995) ^ mix32(sample + 0x27d4eb2f) ^ Math.imul(step + 1, 0x165667b1)));
}

/**
 * Poisson (Bernoulli-per-step) rate coding of `count` samples at step `step`: pixel value p
 * spikes with probability clamp(p, 0, 1). Reads x[(first+b)·F + i], writes out[outOff + b·F + i].
 */
export function poissonStep(x: Float32Array, first: number, count: number, F: number, seed: number, step: number, out: Float32Array, outOff: number): void {
  for (let b = 0; b < count; b++) {
    const rnd = streamFor(seed, first + b, step);
    const xo = (first + b) * F;
    const oo = outOff + b * F;
    for (let i = 0; i < F; i++) out[oo + i] = rnd() < (x[xo + i] as number) ? 1 : 0;
  }
}

/**
 * mulberry32: the seeded generator of test data, benchmarks and the example-training script
 * (one copy, so every fixture made from a seed stays the same wherever it is built).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
