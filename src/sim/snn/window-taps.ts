// Per-dimension window arithmetic shared by the spike max-pool, the event-driven scatter
// kernels and the fan-out counts: which kernel taps of an output position land inside the
// input, and how many (output, tap) pairs read each input position.
import type { Geom3 } from '../ann/conv.js';

/** Taps t in [from[o], to[o]) of output o satisfy lo ≤ o·s − pb + t·d < hi. */
export interface DimTaps {
  readonly from: Int32Array;
  readonly to: Int32Array;
}

export function dimTaps(outN: number, k: number, s: number, d: number, pb: number, lo: number, hi: number): DimTaps {
  const from = new Int32Array(outN);
  const to = new Int32Array(outN);
  for (let o = 0; o < outN; o++) {
    const start = o * s - pb;
    const f = Math.max(0, Math.ceil((lo - start) / d));
    const t = Math.min(k, Math.floor((hi - 1 - start) / d) + 1);
    from[o] = f;
    to[o] = Math.max(f, t);
  }
  return { from, to };
}

/** Input taps of each lifted dim (D, H, W). */
export function geomTaps(g: Geom3): [DimTaps, DimTaps, DimTaps] {
  return [0, 1, 2].map((i) => dimTaps(g.outS[i] as number, g.k[i] as number, g.s[i] as number, g.d[i] as number, g.pb[i] as number, 0, g.inS[i] as number)) as [DimTaps, DimTaps, DimTaps];
}

/**
 * Along one dim: for each input position, how many (output, tap) pairs read it — the
 * structural fan-out of that coordinate, border effects and strides included.
 */
export function dimCover(t: DimTaps, inN: number, s: number, d: number, pb: number): Int32Array {
  const c = new Int32Array(inN);
  for (let o = 0; o < t.from.length; o++) {
    for (let k = t.from[o] as number; k < (t.to[o] as number); k++) {
      const i = o * s - pb + k * d;
      c[i] = (c[i] as number) + 1;
    }
  }
  return c;
}

/** Fan-out per input element of one (D·H·W) plane: product of the per-dim covers. */
export function planeCover(g: Geom3): Float64Array {
  const taps = geomTaps(g);
  const cov = [0, 1, 2].map((i) => dimCover(taps[i] as DimTaps, g.inS[i] as number, g.s[i] as number, g.d[i] as number, g.pb[i] as number));
  const [D, H, W] = g.inS;
  const out = new Float64Array(D * H * W);
  let e = 0;
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < H; b++) {
      for (let c = 0; c < W; c++, e++) out[e] = (cov[0]?.[a] as number) * (cov[1]?.[b] as number) * (cov[2]?.[c] as number);
    }
  }
  return out;
}
