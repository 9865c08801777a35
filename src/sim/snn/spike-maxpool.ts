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
  /**
   * The input plane's width when the windows are 2 × 2 with stride 2 and tile a 2-D input
   * exactly (no padding, even sizes: every input in one window) — stepMaxPool's direct path.
   */
  readonly tile2: number | undefined;
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
  const tiles =
    spatialRank === 2 &&
    [g.k[1], g.k[2], g.s[1], g.s[2]].every((v) => v === 2) &&
    g.d[1] === 1 &&
    g.d[2] === 1 &&
    [g.pb[1], g.pb[2], g.pe[1], g.pe[2]].every((v) => v === 0) &&
    H === 2 * OH &&
    W === 2 * OW;
  return {
    node: node.name,
    C,
    inPlane: g.inS[0] * g.inS[1] * g.inS[2],
    outPlane: OD * OH * OW,
    outShape: [C, ...g.outS.slice(3 - spatialRank)],
    start,
    idx: Int32Array.from(list),
    tile2: tiles ? W : undefined,
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
  const { C, inPlane, outPlane, tile2 } = s.p;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const ib = (b * C + c) * inPlane;
      const ob = outOff + (b * C + c) * outPlane;
      n += tile2 !== undefined ? tilePlane(s, tile2, x, xOff, ib, out, ob) : listPlane(s, x, xOff, ib, out, ob);
    }
    counts[cOff + b] = (counts[cOff + b] as number) + n;
  }
}

/**
 * One channel plane by the window lists: counts of inputs ib … ib + inPlane − 1 updated, then
 * outputs ob … written; returns the spikes forwarded. A window without a spike this step
 * forwards none, whichever input leads: the common case (spikes are sparse), decided without
 * the search for the leader.
 */
function listPlane(s: MaxPoolState, x: Float32Array, xOff: number, ib: number, out: Float32Array, ob: number): number {
  const { inPlane, outPlane, start, idx } = s.p;
  const cnt = s.count;
  for (let i = 0; i < inPlane; i++) cnt[ib + i] = (cnt[ib + i] as number) + (x[xOff + ib + i] as number);
  let n = 0;
  for (let o = 0; o < outPlane; o++) {
    const q0 = start[o] as number;
    const q1 = start[o + 1] as number;
    let q = q0;
    while (q < q1 && (x[xOff + ib + (idx[q] as number)] as number) === 0) q++;
    if (q === q1) {
      out[ob + o] = 0;
      continue;
    }
    let best = -1;
    let bestCount = -1;
    for (let q = q0; q < q1; q++) {
      const e = ib + (idx[q] as number);
      // Strict > keeps the first input in row-major order on ties.
      if ((cnt[e] as number) > bestCount) {
        bestCount = cnt[e] as number;
        best = e;
      }
    }
    const spike = best < 0 ? 0 : (x[xOff + best] as number);
    out[ob + o] = spike;
    n += spike;
  }
  return n;
}

/**
 * One channel plane of 2 × 2 windows of stride 2 that tile the input (W: its width): each
 * window's four counts are updated and compared in one pass, taps in row-major order (ties
 * keep the first), and skipped when none of them spikes this step; returns the spikes forwarded.
 */
function tilePlane(s: MaxPoolState, W: number, x: Float32Array, xOff: number, ib: number, out: Float32Array, ob: number): number {
  const cnt = s.count;
  const OW = W / 2;
  const OH = s.p.outPlane / OW;
  let n = 0;
  let o = ob;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0, e = ib + 2 * oh * W; ow < OW; ow++, o++, e += 2) {
      const x0 = x[xOff + e] as number;
      const x1 = x[xOff + e + 1] as number;
      const x2 = x[xOff + e + W] as number;
      const x3 = x[xOff + e + W + 1] as number;
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) {
        out[o] = 0;
        continue;
      }
      const c0 = (cnt[e] as number) + x0;
      const c1 = (cnt[e + 1] as number) + x1;
      const c2 = (cnt[e + W] as number) + x2;
      const c3 = (cnt[e + W + 1] as number) + x3;
      cnt[e] = c0;
      cnt[e + 1] = c1;
      cnt[e + W] = c2;
      cnt[e + W + 1] = c3;
      let best = c0;
      let spike = x0;
      if (c1 > best) {
        best = c1;
        spike = x1;
      }
      if (c2 > best) {
        best = c2;
        spike = x2;
      }
      if (c3 > best) spike = x3;
      out[o] = spike;
      n += spike;
    }
  }
  return n;
}
