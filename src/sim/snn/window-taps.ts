// Fan-out counts of a window geometry: how many (output, tap) pairs read each input
// position. Which taps of an output land inside the input (dimTaps, geomTaps) is the
// ANN pooling kernels' arithmetic (src/sim/ann/pool.ts), shared by the spiking kernels.
import type { Geom3 } from '../ann/conv.js';
import type { DimTaps } from '../ann/pool.js';
import { geomTaps } from '../ann/pool.js';

/**
 * Along one dim: for each input position, how many (output, tap) pairs read it — the
 * structural fan-out of that coordinate, border effects and strides included.
 */
function dimCover(t: DimTaps, inN: number, s: number, d: number, pb: number): Int32Array {
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
