// Event-driven affine kernels: only nonzero inputs propagate (a spike adds its weight row
// or kernel into the outputs it reaches; a binary input multiplies by 1, which is exact).
//
// Why the results equal the dense kernels bit for bit: with exactSums (the SNN simulator's
// setting) the ANN kernels (gemm-kernel.ts, conv.ts) compute every output as ONE float32
// running sum s ← fl32(s + fl32(a·b)) over the reduction index in ascending order, then
// fl32(bias + fl32(alpha·s)); pooling sums its taps in float64 in ascending input order.
// Here each output also gets one accumulator of that width (float32; float64 for pools),
// and inputs are visited in ascending index order — for a conv, ascending (c, ih, iw) is
// ascending (c, kh, kw) for any fixed output pixel — so each accumulator sees the same
// nonzero terms in the same order; the zero terms the dense kernel adds leave a sum
// unchanged (a float32 running sum from +0 is never −0) — for finite weights: 0·±∞ and 0·NaN
// are NaN in the dense kernel, and a scatter never forms them. Hence currents, spikes and
// predictions agree exactly between the two modes (tested, including a guard test on the
// dense kernels' summation order). The TypeScript loops round as float32 arithmetic does:
// a product through Math.fround, a sum on its store into a Float32Array (the sum of two
// float32 values rounded via float64 is the correctly rounded float32 sum).
import type { Node, Tensor } from '../../ir/types.js';
import { geometry } from '../ann/conv.js';
import { dimTaps } from '../ann/pool.js';
import type { DimTaps } from '../ann/pool.js';
import { avg4Wasm, gapWasm, scatterWasm } from './wasm/scatter.js';
import type { WasmAvg4 } from './wasm/scatter.js';

export interface RowsPlan {
  readonly kind: 'rows';
  readonly K: number;
  readonly N: number;
  /** Weights as [K][N]: row k is what input k adds. */
  readonly wt: Float32Array;
  readonly alpha: number;
  /** fround(beta·C) per output column, when C is given. */
  readonly bias: Float32Array | undefined;
  readonly acc: Float32Array;
}

export interface ConvPlan {
  readonly kind: 'conv' | 'avg' | 'gap';
  readonly C: number;
  readonly OC: number;
  readonly OCg: number;
  readonly Cg: number;
  readonly KH: number;
  readonly KW: number;
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  /** Conv: weights as [C][KH][KW][OCg]. */
  readonly wr: Float32Array;
  readonly bias: Float32Array | undefined;
  /** Per input row / column: (output index, tap) pairs reaching it, CSR. */
  readonly hStart: Int32Array;
  readonly hPairs: Int32Array;
  readonly wStart: Int32Array;
  readonly wPairs: Int32Array;
  /** AveragePool divisor per output pixel. */
  readonly count: Float64Array;
  /** Conv: one group and every column's taps are one run (see wasm/scatter.ts). */
  readonly span: boolean;
  readonly outShape: readonly number[];
  /** One sample's accumulators: float32 (conv), float64 (avg: the pool kernel's sums). */
  readonly acc: Float32Array | Float64Array;
}

/**
 * An average pool of four taps whose windows all lie inside the input (the common 2×2 pool):
 * not a scatter — every input is read once anyway — but the dense kernel's own sums, run where
 * the spikes before it and the conv after it are (wasm/scatter.ts avg4Wasm).
 */
export interface Avg4Plan extends WasmAvg4 {
  readonly kind: 'avg4';
  readonly outShape: readonly number[];
}

export type ScatterPlan = RowsPlan | ConvPlan | Avg4Plan;

function f32(t: Tensor | undefined): t is Tensor & { data: Float32Array } {
  return t !== undefined && t.dtype === 'float32';
}

/** Pairs (o, k) with o·s − pb + k·d = i, grouped by input position i. */
function inverse(t: DimTaps, inN: number, s: number, d: number, pb: number): { start: Int32Array; pairs: Int32Array } {
  const lists: number[][] = Array.from({ length: inN }, () => []);
  for (let o = 0; o < t.from.length; o++) {
    for (let k = t.from[o] as number; k < (t.to[o] as number); k++) lists[o * s - pb + k * d]?.push(o, k);
  }
  const start = new Int32Array(inN + 1);
  const flat: number[] = [];
  lists.forEach((l, i) => {
    start[i] = flat.length / 2;
    flat.push(...l);
  });
  start[inN] = flat.length / 2;
  return { start, pairs: Int32Array.from(flat) };
}

/** The four-tap pool's plan when every window of `win` (no dilation) is four taps inside the input; else undefined. */
function avg4Plan(C: number, win: Window, outShape: readonly number[]): Avg4Plan | undefined {
  const { H, W, OH, OW, KH, KW, s, pb } = win;
  const inside = pb[0] === 0 && pb[1] === 0 && (OH - 1) * s[0] + KH <= H && (OW - 1) * s[1] + KW <= W;
  if (KH * KW !== 4 || !inside) return undefined;
  const offs = [0, 1, 2, 3].map((i) => Math.floor(i / KW) * W + (i % KW));
  return { kind: 'avg4', C, H, W, OH, OW, sH: s[0], sW: s[1], o1: offs[1] as number, o2: offs[2] as number, o3: offs[3] as number, outShape };
}

/** B samples of a four-tap pool: ((x0 + x1) + x2) + x3 in float64, times 1/4, rounded — the dense kernel's arithmetic. */
function avg4(p: Avg4Plan, x: Float32Array, B: number, out: Float32Array): void {
  const { C, H, W, OH, OW, sH, sW, o1, o2, o3 } = p;
  for (let nc = 0, o = 0; nc < B * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0, a = nc * H * W + oh * sH * W; ow < OW; ow++, o++, a += sW) {
        out[o] = ((x[a] as number) + (x[a + o1] as number) + (x[a + o2] as number) + (x[a + o3] as number)) * 0.25;
      }
    }
  }
}

/** A scatter plan for this node and these shapes, or undefined (then the dense kernel runs). */
export function scatterPlan(node: Node, ins: readonly (Tensor | undefined)[]): ScatterPlan | undefined {
  const x = ins[0];
  if (!f32(x)) return undefined;
  if (node.op === 'Gemm') {
    const b = ins[1];
    const c = ins[2];
    const a = node.attrs;
    if (a.transA || !f32(b) || b.shape.length !== 2 || x.shape.length !== 2) return undefined;
    const K = x.shape[1] as number;
    const N = (a.transB ? b.shape[0] : b.shape[1]) as number;
    let bias: Float32Array | undefined;
    if (c !== undefined) {
      if (!f32(c) || !(c.data.length === N || c.data.length === 1) || (c.shape.length === 2 && c.shape[0] !== 1)) return undefined;
      bias = new Float32Array(N);
      for (let j = 0; j < N; j++) bias[j] = a.beta * (c.data[c.data.length === 1 ? 0 : j] as number);
    }
    const wt = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) wt[k * N + j] = b.data[a.transB ? j * K + k : k * N + j] as number;
    return { kind: 'rows', K, N, wt, alpha: a.alpha, bias, acc: new Float32Array(N) };
  }
  if (node.op === 'MatMul') {
    const b = ins[1];
    if (!f32(b) || b.shape.length !== 2 || x.shape.length < 2) return undefined;
    if (x.shape[x.shape.length - 1] !== b.shape[0]) return undefined;
    return {
      kind: 'rows',
      K: b.shape[0] as number,
      N: b.shape[1] as number,
      wt: b.data,
      alpha: 1,
      bias: undefined,
      acc: new Float32Array(b.shape[1] as number),
    };
  }
  if (node.op !== 'Conv' && node.op !== 'AveragePool' && node.op !== 'GlobalAveragePool') return undefined;
  if (x.shape.length !== 3 && x.shape.length !== 4) return undefined;
  const C = x.shape[1] as number;
  const H = x.shape.length === 4 ? (x.shape[2] as number) : 1;
  const W = x.shape[x.shape.length - 1] as number;
  const none = new Int32Array(0);
  if (node.op === 'GlobalAveragePool') {
    return {
      kind: 'gap',
      C,
      OC: C,
      OCg: 1,
      Cg: 1,
      KH: 1,
      KW: 1,
      H,
      W,
      OH: 1,
      OW: 1,
      wr: new Float32Array(0),
      bias: undefined,
      hStart: none,
      hPairs: none,
      wStart: none,
      wPairs: none,
      count: new Float64Array(0),
      span: false,
      outShape: [C, ...x.shape.slice(2).map(() => 1)],
      acc: new Float64Array(0),
    };
  }
  const w = ins[1];
  if (node.op === 'Conv' && (!f32(w) || w.shape.length !== x.shape.length)) return undefined;
  const kernel = node.op === 'Conv' ? (w as Tensor).shape.slice(2) : node.attrs.kernelShape;
  const g = geometry(node, x.shape.slice(2), node.attrs, kernel, node.op === 'AveragePool' ? node.attrs.ceilMode : false);
  const [, OH, OW] = g.outS;
  const [, KH, KW] = g.k;
  const win: Window = {
    H,
    W,
    OH: OH as number,
    OW: OW as number,
    KH: KH as number,
    KW: KW as number,
    s: [g.s[1], g.s[2]],
    d: [g.d[1], g.d[2]],
    pb: [g.pb[1], g.pb[2]],
  };
  const spatial = x.shape.length === 4 ? [OH, OW] : [OW];
  if (node.op === 'AveragePool') {
    // Windows that do not overlap read each input once: the dense kernel (a few loads and adds per
    // output, the reference's own bits) beats a scatter's per-spike bookkeeping unless spikes are
    // very sparse (LeNet's 2×2 pool: 15.6 → ~5 µs per sample and step).
    if (win.s[0] >= win.KH && win.s[1] >= win.KW && win.d[0] === 1 && win.d[1] === 1) return avg4Plan(C, win, [C, ...spatial]);
    const common = { C, ...windowPairs(win), outShape: [C, ...spatial] };
    // The divisor exactly as the dense kernel computes it (taps inside the input, or inside
    // the explicitly padded input with count_include_pad).
    const inc = node.attrs.countIncludePad;
    const th = dimTaps(win.OH, win.KH, win.s[0], win.d[0], win.pb[0], inc ? -win.pb[0] : 0, inc ? H + (g.pe[1] as number) : H);
    const tw = dimTaps(win.OW, win.KW, win.s[1], win.d[1], win.pb[1], inc ? -win.pb[1] : 0, inc ? W + (g.pe[2] as number) : W);
    const count = new Float64Array(win.OH * win.OW);
    for (let oh = 0; oh < win.OH; oh++) {
      for (let ow = 0; ow < win.OW; ow++) {
        count[oh * win.OW + ow] = ((th.to[oh] as number) - (th.from[oh] as number)) * ((tw.to[ow] as number) - (tw.from[ow] as number));
      }
    }
    return {
      kind: 'avg',
      ...common,
      OC: C,
      OCg: 1,
      Cg: 1,
      wr: new Float32Array(0),
      bias: undefined,
      count,
      span: false,
      acc: new Float64Array(C * win.OH * win.OW),
    };
  }
  const bias = ins[2];
  if (bias !== undefined && !f32(bias)) return undefined;
  const wt = w as Tensor & { data: Float32Array };
  const plan = convPlan(C, win, wt.shape[0] as number, node.attrs.group, wt.data, bias?.data);
  return { ...plan, outShape: [plan.OC, ...spatial] };
}

/** A dense layer's plan: input k adds row k of `wt` ([K][N]) to the N outputs. */
export function rowsPlan(K: number, N: number, wt: Float32Array): RowsPlan {
  return { kind: 'rows', K, N, wt, alpha: 1, bias: undefined, acc: new Float32Array(N) };
}

/** A 2-D window: input and output sizes, kernel, and per axis (H, W) stride, dilation, begin pad. */
export interface Window {
  readonly H: number;
  readonly W: number;
  readonly OH: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly s: readonly [number, number];
  readonly d: readonly [number, number];
  readonly pb: readonly [number, number];
}

function windowPairs(w: Window): Pick<ConvPlan, 'H' | 'W' | 'OH' | 'OW' | 'KH' | 'KW' | 'hStart' | 'hPairs' | 'wStart' | 'wPairs'> {
  const hi = inverse(dimTaps(w.OH, w.KH, w.s[0], w.d[0], w.pb[0], 0, w.H), w.H, w.s[0], w.d[0], w.pb[0]);
  const wi = inverse(dimTaps(w.OW, w.KW, w.s[1], w.d[1], w.pb[1], 0, w.W), w.W, w.s[1], w.d[1], w.pb[1]);
  return { H: w.H, W: w.W, OH: w.OH, OW: w.OW, KH: w.KH, KW: w.KW, hStart: hi.start, hPairs: hi.pairs, wStart: wi.start, wPairs: wi.pairs };
}

/**
 * The scatter plan of a 2-D conv over C input channels: weights [OC][C/group][KH][KW] (any
 * numbers float32 holds), optional bias per output channel. Output shape [OC, OH, OW].
 */
export function convPlan(
  C: number,
  win: Window,
  OC: number,
  group: number,
  weights: ArrayLike<number>,
  bias?: Float32Array,
): ConvPlan & { readonly kind: 'conv' } {
  const { KH, KW } = win;
  const Cg = C / group;
  const OCg = OC / group;
  // Reorder W[oc][cl][kh][kw] to [c][kh][kw][ocl] so a spike's adds run over contiguous memory.
  const wr = new Float32Array(C * KH * KW * OCg);
  for (let oc = 0; oc < OC; oc++) {
    const gi = Math.floor(oc / OCg);
    for (let cl = 0; cl < Cg; cl++) {
      for (let k = 0; k < KH * KW; k++) wr[((gi * Cg + cl) * KH * KW + k) * OCg + (oc - gi * OCg)] = weights[(oc * Cg + cl) * KH * KW + k] as number;
    }
  }
  const pairs = windowPairs(win);
  return {
    kind: 'conv',
    C,
    ...pairs,
    OC,
    OCg,
    Cg,
    wr,
    bias,
    count: new Float64Array(0),
    acc: new Float32Array(OC * win.OH * win.OW),
    span: group === 1 && spans(pairs.wStart, pairs.wPairs),
    outShape: [OC, win.OH, win.OW],
  };
}

/** Whether every column's (ow, kw) pairs run ow ascending by 1 with kw descending by 1. */
function spans(start: Int32Array, pairs: Int32Array): boolean {
  for (let i = 0; i + 1 < start.length; i++) {
    for (let r = (start[i] as number) + 1; r < (start[i + 1] as number); r++) {
      if (pairs[2 * r] !== (pairs[2 * r - 2] as number) + 1 || pairs[2 * r + 1] !== (pairs[2 * r - 1] as number) - 1) return false;
    }
  }
  return true;
}

/**
 * Run the plan on a batch (the leading dim of xt); returns a float32 tensor. `take(n)`, when
 * given, supplies the output array (n elements, any contents: every path below writes each
 * one; see StepBuffers) instead of a new one.
 */
export function scatterRun(p: ScatterPlan, xt: Tensor, take: (n: number) => Float32Array = (n) => new Float32Array(n)): Tensor {
  const x = xt.data as Float32Array;
  if (p.kind === 'rows') {
    const R = x.length / p.K;
    const data = take(R * p.N);
    if (!scatterWasm(p, x, R, data)) rows(p, x, R, data);
    return { dtype: 'float32', shape: [...xt.shape.slice(0, -1), p.N], data };
  }
  const B = xt.shape[0] as number;
  if (p.kind === 'avg4') {
    const data = take(B * p.C * p.OH * p.OW);
    if (!avg4Wasm(p, x, B, data)) avg4(p, x, B, data);
    return { dtype: 'float32', shape: [B, ...p.outShape], data };
  }
  const { C, H, W, OH, OW, OC, OCg, Cg, KH, KW, wr, hStart, hPairs, wStart, wPairs } = p;
  const outPer = OC * OH * OW;
  const out = take(B * outPer);
  if (p.kind === 'gap' ? gapWasm(x, B, C, H * W, out) : scatterWasm(p as ConvPlan & { readonly kind: 'conv' | 'avg' }, x, B, out)) {
    return { dtype: 'float32', shape: [B, ...p.outShape], data: out };
  }
  const acc = p.acc;
  const plane = H * W;
  for (let b = 0; b < B; b++) {
    const xb = b * C * plane;
    if (p.kind === 'gap') {
      // Every term, zeros included (adding ±0 leaves a sum of the others unchanged): no branch.
      // Four channels at a time: four independent chains of adds instead of one waiting on the
      // last, each still in ascending order (the same sums).
      let c = 0;
      for (; c + 3 < C; c += 4) {
        const x0 = xb + c * plane;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let i = 0; i < plane; i++) {
          s0 += x[x0 + i] as number;
          s1 += x[x0 + plane + i] as number;
          s2 += x[x0 + 2 * plane + i] as number;
          s3 += x[x0 + 3 * plane + i] as number;
        }
        out[b * C + c] = s0 / plane;
        out[b * C + c + 1] = s1 / plane;
        out[b * C + c + 2] = s2 / plane;
        out[b * C + c + 3] = s3 / plane;
      }
      for (; c < C; c++) {
        let s = 0;
        for (let i = xb + c * plane; i < xb + (c + 1) * plane; i++) s += x[i] as number;
        out[b * C + c] = s / plane;
      }
      continue;
    }
    acc.fill(0, 0, outPer);
    for (let c = 0; c < C; c++) {
      const oc0 = p.kind === 'conv' ? Math.floor(c / Cg) * OCg : c;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          const v = x[xb + c * plane + ih * W + iw] as number;
          if (v === 0) continue;
          for (let q = hStart[ih] as number; q < (hStart[ih + 1] as number); q++) {
            const oh = hPairs[2 * q] as number;
            const kh = hPairs[2 * q + 1] as number;
            const r0 = wStart[iw] as number;
            const r1 = wStart[iw + 1] as number;
            if (p.kind === 'avg') {
              for (let r = r0; r < r1; r++) {
                const a = (c * OH + oh) * OW + (wPairs[2 * r] as number);
                acc[a] = (acc[a] as number) + v;
              }
              continue;
            }
            for (let r = r0; r < r1; r++) {
              // Channel-last accumulator: the OCg outputs of this tap are contiguous.
              const ab = (oh * OW + (wPairs[2 * r] as number)) * OC + oc0;
              const wb = ((c * KH + kh) * KW + (wPairs[2 * r + 1] as number)) * OCg;
              if (v === 1) for (let o = 0; o < OCg; o++) acc[ab + o] = (acc[ab + o] as number) + (wr[wb + o] as number);
              else for (let o = 0; o < OCg; o++) acc[ab + o] = (acc[ab + o] as number) + Math.fround(v * (wr[wb + o] as number));
            }
          }
        }
      }
    }
    const ob = b * outPer;
    if (p.kind === 'avg') {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < OH * OW; i++) {
          const cnt = p.count[i] as number;
          out[ob + c * OH * OW + i] = cnt > 0 ? (acc[c * OH * OW + i] as number) / cnt : NaN;
        }
      }
      continue;
    }
    const bias = p.bias;
    for (let oc = 0; oc < OC; oc++) {
      for (let i = 0; i < OH * OW; i++) {
        const s = acc[i * OC + oc] as number;
        out[ob + oc * OH * OW + i] = bias !== undefined ? (bias[oc] as number) + s : s;
      }
    }
  }
  return { dtype: 'float32', shape: [B, ...p.outShape], data: out };
}

function rows(p: RowsPlan, x: Float32Array, R: number, out: Float32Array): void {
  const { K, N, wt, bias, acc } = p;
  const alpha = Math.fround(p.alpha);
  for (let r = 0; r < R; r++) {
    acc.fill(0, 0, N);
    const xb = r * K;
    for (let k = 0; k < K; k++) {
      const v = x[xb + k] as number;
      if (v === 0) continue;
      const wb = k * N;
      if (v === 1) for (let j = 0; j < N; j++) acc[j] = (acc[j] as number) + (wt[wb + j] as number);
      else for (let j = 0; j < N; j++) acc[j] = (acc[j] as number) + Math.fround(v * (wt[wb + j] as number));
    }
    const ob = r * N;
    for (let j = 0; j < N; j++) out[ob + j] = bias !== undefined ? (bias[j] as number) + Math.fround(alpha * (acc[j] as number)) : alpha * (acc[j] as number);
  }
}
