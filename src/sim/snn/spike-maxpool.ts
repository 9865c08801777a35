// SpikeMaxPool: a stateful max-pool for spike trains. Each input keeps its accumulated
// spike count (this step's spike included); per window, the output forwards this step's
// spike of the input with the largest count (ties: the first in row-major order), so a
// window settles on its most active input, as a max-pool of rates would. Windows reaching
// only padding emit nothing. Shared by both simulation modes.
import type { Node } from '../../ir/types.js';
import { geometry } from '../ann/conv.js';
import type { Geom3 } from '../ann/conv.js';
import { geomTaps } from '../ann/pool.js';

export interface MaxPoolPlan {
  readonly node: string;
  /** Channels, input plane size, output plane size. */
  readonly C: number;
  readonly inPlane: number;
  readonly outPlane: number;
  readonly outShape: readonly number[];
  /** CSR lists of in-plane input offsets per output position, row-major. */
  readonly start: Int32Array;
  readonly idx: Int32Array;
}

export interface MaxPoolState {
  readonly p: MaxPoolPlan;
  /** Accumulated spike count per input element (B·C·inPlane). */
  readonly count: Float64Array;
}

/** perSample: [C, ...spatial] of the input. */
export function maxPoolPlan(node: Extract<Node, { op: 'SpikeMaxPool' }>, perSample: readonly number[]): MaxPoolPlan {
  const a = node.attrs;
  const g: Geom3 = geometry(node, perSample.slice(1), a, a.kernelShape, a.ceilMode);
  const [tD, tH, tW] = geomTaps(g);
  const [, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const start = new Int32Array(OD * OH * OW + 1);
  const list: number[] = [];
  let o = 0;
  for (let od = 0; od < OD; od++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        start[o] = list.length;
        for (let kd = tD.from[od] as number; kd < (tD.to[od] as number); kd++) {
          const id = od * g.s[0] - g.pb[0] + kd * g.d[0];
          for (let kh = tH.from[oh] as number; kh < (tH.to[oh] as number); kh++) {
            const ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
            for (let kw = tW.from[ow] as number; kw < (tW.to[ow] as number); kw++) {
              list.push((id * H + ih) * W + ow * g.s[2] - g.pb[2] + kw * g.d[2]);
            }
          }
        }
      }
    }
  }
  start[o] = list.length;
  const C = perSample[0] as number;
  const spatialRank = perSample.length - 1;
  return {
    node: node.name,
    C,
    inPlane: g.inS[0] * g.inS[1] * g.inS[2],
    outPlane: OD * OH * OW,
    outShape: [C, ...g.outS.slice(3 - spatialRank)],
    start,
    idx: Int32Array.from(list),
  };
}

export function initMaxPool(p: MaxPoolPlan, B: number): MaxPoolState {
  return { p, count: new Float64Array(B * p.C * p.inPlane) };
}

/** One step for B samples; per-sample output spike counts are added to counts[cOff + b]. */
export function stepMaxPool(
  s: MaxPoolState,
  B: number,
  x: Float32Array,
  xOff: number,
  out: Float32Array,
  outOff: number,
  counts: Float64Array,
  cOff: number,
): void {
  const { C, inPlane, outPlane, start, idx } = s.p;
  const cnt = s.count;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const ib = (b * C + c) * inPlane;
      for (let i = 0; i < inPlane; i++) cnt[ib + i] = (cnt[ib + i] as number) + (x[xOff + ib + i] as number);
      const ob = (b * C + c) * outPlane;
      for (let o = 0; o < outPlane; o++) {
        let best = -1;
        let bestCount = -1;
        for (let q = start[o] as number; q < (start[o + 1] as number); q++) {
          const e = ib + (idx[q] as number);
          // Strict > keeps the first input in row-major order on ties.
          if ((cnt[e] as number) > bestCount) {
            bestCount = cnt[e] as number;
            best = e;
          }
        }
        const spike = best < 0 ? 0 : (x[xOff + best] as number);
        out[outOff + ob + o] = spike;
        n += spike;
      }
    }
    counts[cOff + b] = (counts[cOff + b] as number) + n;
  }
}
