// Integer synaptic kernels of the IntProgram simulator. They scatter only the nonzero inputs
// (spikes are sparse), so a step costs synaptic events, not MACs. Sums are exact: quantize
// proves every partial sum fits accBits ≤ 32, so plain JS number arithmetic on int32 values
// is exact and the Int32Array stores never wrap.
import type { IntNeuronState } from './neuron.js';
import type { ConvGeometry, IntLayer } from './program.js';
import { hasChannelGains } from './program.js';

/** Per input position: the (output position, kernel offset) pairs it reaches. */
export interface Taps {
  readonly start: Int32Array;
  readonly outPos: Int32Array;
  readonly kOff: Int32Array;
}

/** Windows of a 2-D geometry over an [H,W] map giving [OH,OW]: input position → taps. */
export function buildTaps(g: ConvGeometry, H: number, W: number, OH: number, OW: number): Taps {
  const [KH, KW] = g.kernel;
  const [sh, sw] = g.strides;
  const [pt, pl] = g.pads;
  const [dh, dw] = g.dilations;
  const lists: number[][] = Array.from({ length: H * W }, () => []);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let u = 0; u < KH; u++) {
        const iy = oy * sh + u * dh - pt;
        if (iy < 0 || iy >= H) continue;
        for (let v = 0; v < KW; v++) {
          const ix = ox * sw + v * dw - pl;
          if (ix < 0 || ix >= W) continue;
          (lists[iy * W + ix] as number[]).push(oy * OW + ox, u * KW + v);
        }
      }
    }
  }
  const start = new Int32Array(H * W + 1);
  let n = 0;
  lists.forEach((l, i) => {
    start[i] = n;
    n += l.length / 2;
  });
  start[H * W] = n;
  const outPos = new Int32Array(n);
  const kOff = new Int32Array(n);
  let k = 0;
  for (const l of lists)
    for (let j = 0; j < l.length; j += 2) {
      outPos[k] = l[j] as number;
      kOff[k] = l[j + 1] as number;
      k++;
    }
  return { start, outPos, kOff };
}

/** What a layer needs precomputed to run: transposed dense weights, conv taps. */
export interface Prepared {
  readonly layer: IntLayer;
  /** dense: W transposed to [I, O]. */
  readonly wT?: Int32Array;
  readonly taps?: Taps;
  /** conv, dense, sum-pool: a faster kernel for the same sums (fast-conv.ts); false when it does not apply to this input. */
  readonly fast?: ConvKernel;
  /** Layers with a neuron: a faster step with the same bits (fast-conv.ts), else neuron.ts's stepNeuron runs. */
  readonly step?: NeuronKernel;
  /**
   * conv, dense without shift: the current before the sums — the bias per element — so that
   * finishCurrent has nothing left to do (int32 addition wraps the same in any order).
   */
  readonly start?: Int32Array;
}

/**
 * I += the conv's sums for `count` inputs x (samples back to back, as their currents in I),
 * exactly; false (nothing done) when it cannot guarantee that.
 */
export type ConvKernel = (x: Int32Array, I: Int32Array, count: number) => boolean;

/**
 * One step of a layer's neurons (stepNeuron's contract) for `count` samples back to back:
 * currents I → spikes out; returns the spike count of all of them.
 */
export type NeuronKernel = (s: IntNeuronState, I: Int32Array, out: Int32Array, count: number) => number;

/**
 * Faster kernels with the same bits. Layers of the runtime (no WebAssembly) take the integer
 * loops; simulate.ts passes fast-conv.ts's kernels (conv and dense sums, neuron steps).
 */
export interface Accelerator {
  readonly affine: (layer: IntLayer) => ConvKernel | undefined;
  readonly neuron: (layer: IntLayer) => NeuronKernel | undefined;
}

export function prepare(layer: IntLayer, accel?: Accelerator): Prepared {
  const step = layer.neuron !== null ? accel?.neuron(layer) : undefined;
  const start = (layer.kind === 'conv' || layer.kind === 'dense') && layer.shift === 0 ? biasPerElement(layer) : undefined;
  const base = { layer, ...(step !== undefined ? { step } : {}), ...(start !== undefined ? { start } : {}) };
  if (layer.kind === 'dense') {
    const [O, I] = layer.weightShape as [number, number];
    const wT = new Int32Array(O * I);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wT[i * O + o] = layer.weights[o * I + i] as number;
    const fast = accel?.affine(layer);
    return fast === undefined ? { ...base, wT } : { ...base, wT, fast };
  }
  if ((layer.kind === 'conv' || layer.kind === 'sum-pool' || layer.kind === 'max-pool') && layer.geometry !== undefined) {
    const [, H, W] = layer.inShape as [number, number, number];
    const [, OH, OW] = layer.outShape as [number, number, number];
    const taps = buildTaps(layer.geometry, H, W, OH, OW);
    const fast = layer.kind !== 'max-pool' ? accel?.affine(layer) : undefined;
    return fast === undefined ? { ...base, taps } : { ...base, taps, fast };
  }
  return base;
}

function biasPerElement(layer: IntLayer): Int32Array {
  const out = new Int32Array(layer.outShape.reduce((a, b) => a * b, 1));
  const C = layer.outShape[0] as number;
  const per = out.length / C;
  if (layer.bias.length > 0) for (let c = 0; c < C; c++) out.fill(layer.bias[c] as number, c * per, (c + 1) * per);
  return out;
}

/** I ← bias + ((S + 2^(k−1)) >> k) (bias per output channel, broadcast over positions). */
export function finishCurrent(layer: IntLayer, I: Int32Array): void {
  const k = layer.shift;
  if (k > 0) {
    const div = 2 ** k;
    const half = 2 ** (k - 1);
    for (let i = 0; i < I.length; i++) I[i] = Math.floor(((I[i] as number) + half) / div);
  }
  if (layer.bias.length === 0) return;
  const C = layer.outShape[0] as number;
  const per = I.length / C;
  for (let c = 0; c < C; c++) {
    const b = layer.bias[c] as number;
    for (let i = c * per; i < (c + 1) * per; i++) I[i] = (I[i] as number) + b;
  }
}

export function denseAdd(p: Prepared, x: Int32Array, I: Int32Array): void {
  if (p.fast?.(x, I, 1) === true) return;
  const wT = p.wT as Int32Array;
  const O = I.length;
  for (let i = 0; i < x.length; i++) {
    const xv = x[i] as number;
    if (xv === 0) continue;
    const base = i * O;
    if (xv === 1) for (let o = 0; o < O; o++) I[o] = (I[o] as number) + (wT[base + o] as number);
    else for (let o = 0; o < O; o++) I[o] = (I[o] as number) + xv * (wT[base + o] as number);
  }
}

export function convAdd(p: Prepared, x: Int32Array, I: Int32Array): void {
  if (p.fast?.(x, I, 1) === true) return;
  const L = p.layer;
  const taps = p.taps as Taps;
  const [C, H, W] = L.inShape as [number, number, number];
  const [O, OH, OW] = L.outShape as [number, number, number];
  const g = L.geometry as ConvGeometry;
  const Cg = C / g.group;
  const Og = O / g.group;
  const KK = g.kernel[0] * g.kernel[1];
  const HW = H * W;
  const OHW = OH * OW;
  const w = L.weights;
  const { start, outPos, kOff } = taps;
  for (let c = 0; c < C; c++) {
    const grp = Math.floor(c / Cg);
    const cl = c - grp * Cg;
    const o0 = grp * Og;
    for (let pIn = 0; pIn < HW; pIn++) {
      const xv = x[c * HW + pIn] as number;
      if (xv === 0) continue;
      const s = start[pIn] as number;
      const e = start[pIn + 1] as number;
      for (let o = o0; o < o0 + Og; o++) {
        const wb = (o * Cg + cl) * KK;
        const ob = o * OHW;
        for (let k = s; k < e; k++) {
          const at = ob + (outPos[k] as number);
          I[at] = (I[at] as number) + xv * (w[wb + (kOff[k] as number)] as number);
        }
      }
    }
  }
}

/** Whole windows that tile the input without overlap or padding (stride = kernel, dilation 1): each input reaches at most one output. */
function tiles(g: ConvGeometry, H: number, W: number, OH: number, OW: number): boolean {
  const [KH, KW] = g.kernel;
  return (
    g.strides[0] === KH && g.strides[1] === KW && g.pads.every((q) => q === 0) && g.dilations[0] === 1 && g.dilations[1] === 1 && OH * KH <= H && OW * KW <= W
  );
}

export function sumPool(p: Prepared, x: Int32Array, out: Int32Array): void {
  const taps = p.taps as Taps;
  const [C, H, W] = p.layer.inShape as [number, number, number];
  const [, OH, OW] = p.layer.outShape as [number, number, number];
  const g = p.layer.geometry as ConvGeometry;
  if (p.fast !== undefined) {
    out.fill(0);
    if (p.fast(x, out, 1)) return;
  }
  if (tiles(g, H, W, OH, OW)) {
    // Each output sums its KH × KW block (the same terms as the tap loop below, whose order
    // does not matter for integers); no per-input branch, and spikes are not that sparse here.
    const [KH, KW] = g.kernel;
    let o = 0;
    for (let c = 0; c < C; c++) {
      for (let oy = 0; oy < OH; oy++) {
        const row0 = (c * H + oy * KH) * W;
        for (let ox = 0; ox < OW; ox++, o++) {
          let sum = 0;
          for (let u = 0, r = row0 + ox * KW; u < KH; u++, r += W) for (let v = 0; v < KW; v++) sum += x[r + v] as number;
          out[o] = sum;
        }
      }
    }
    return;
  }
  out.fill(0);
  const HW = H * W;
  const OHW = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let pIn = 0; pIn < HW; pIn++) {
      const xv = x[c * HW + pIn] as number;
      if (xv === 0) continue;
      for (let k = taps.start[pIn] as number; k < (taps.start[pIn + 1] as number); k++) {
        const o = c * OHW + (taps.outPos[k] as number);
        out[o] = (out[o] as number) + xv;
      }
    }
  }
}

/**
 * Spike max pool: counts (accumulated spikes per input, including this step) are updated
 * first; each window then forwards the spike of its first element with the largest count.
 */
export function maxPoolStep(p: Prepared, x: Int32Array, counts: Int32Array, out: Int32Array): void {
  const L = p.layer;
  const g = L.geometry as ConvGeometry;
  const [C, H, W] = L.inShape as [number, number, number];
  const [, OH, OW] = L.outShape as [number, number, number];
  for (let i = 0; i < x.length; i++) counts[i] = (counts[i] as number) + (x[i] as number);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best = -1;
        let spike = 0;
        for (let u = 0; u < g.kernel[0]; u++) {
          const iy = oy * g.strides[0] + u * g.dilations[0] - g.pads[0];
          if (iy < 0 || iy >= H) continue;
          for (let v = 0; v < g.kernel[1]; v++) {
            const ix = ox * g.strides[1] + v * g.dilations[1] - g.pads[1];
            if (ix < 0 || ix >= W) continue;
            const k = (c * H + iy) * W + ix;
            if ((counts[k] as number) > best) {
              best = counts[k] as number;
              spike = x[k] as number;
            }
          }
        }
        out[(c * OH + oy) * OW + ox] = spike;
      }
    }
  }
}

export function addStep(L: IntLayer, ins: readonly Int32Array[], I: Int32Array): void {
  I.fill(0);
  // One gain per input (C = 1) or per input and channel: gains[k·C + c] either way.
  const C = hasChannelGains(L) ? L.gains.length / ins.length : 1;
  const per = I.length / C;
  ins.forEach((x, k) => {
    for (let c = 0; c < C; c++) {
      const gk = L.gains?.[k * C + c] ?? 1;
      for (let i = c * per; i < (c + 1) * per; i++) I[i] = (I[i] as number) + gk * (x[i] as number);
    }
  });
  finishCurrent(L, I);
}
