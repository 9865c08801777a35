// Bit-accurate Loihi CUBA neuron (lava PyLifModelBitAcc, as netx configures it) and an
// end-to-end integer simulation of a netx layer list.
//
// Per neuron and step (all integers, 24-bit state):
//   u ← trunc(u·(4096 − iDecay) / 2^12) + (a_in << 6)     then wrapped once into 24 bits:
//        u > 2^23 → u − 2^24; (u ≤ −2^23) → u + 2^24          (lava's exact rule)
//   v ← trunc(v·(4096 − vDecay) / 2^12) + u + (bias << 6)  clipped to ±(2^23 − 1)
//   spike ⇔ v > vThMant << 6;  on spike v ← 0
// trunc(x / 2^12) is lava's sign(x)·(|x| >> 12). netx passes du = iDecay − 1 and lava adds
// ds_offset = 1, so the current decays by exactly iDecay/4096 (dv: dm_offset = 0).
// A dense layer without a neuron group gets netx's integrator: iDecay 0, vDecay 4096,
// vThMant = 1 << 18 − 1, which Python parses as 1 << 17 = 131072 (never reached).
//
// Timing: lava's Dense and Conv models send the activation computed from the previous
// step's spikes (a one-step buffer per synapse layer), so with `synapticDelay` (default)
// layer k sees layer k−1's spikes one step late, as on netx + Lava. Inputs x are integers
// (binary spikes, or graded values presented at every step); the synaptic sum a_in is kept
// exact: lava's a_in port is int16, so the quantizer keeps sums within 16 bits and
// `aInOver16` counts the neuron-steps that would not fit.
// Synaptic sums are computed by a scatter over the nonzero inputs (tables built once per
// network by prepareNetx): in the integer program's WebAssembly kernels (int32) when no sum
// can leave int32 (Σ|w| · max|x| < 2^31, which 8-bit weights and spikes or 8-bit inputs keep
// by far), else in TypeScript in float64 (exact to 2^53).
import { checkElementCount } from '../../ir/dtype.js';
import { buildTaps } from '../../sim/int/kernels.js';
import type { ConvKernel } from '../../sim/int/kernels.js';
import { convKernel, denseKernel } from '../../sim/int/fast-conv.js';
import type { ConvGeometry } from '../../sim/int/program.js';
import type { NetxLayer, NetxNeuron } from './types.js';

const STATE_MAX = 2 ** 23;
const V_LIMIT = STATE_MAX - 1;
/** lava's a_in ports are int16 (PyLifModelBitAcc). */
const A_IN_MAX = 2 ** 15 - 1;

/** netx's default for a dense layer without a neuron group (hdf5.py create_dense). */
const NETX_INTEGRATOR: NetxNeuron = { iDecay: 0, vDecay: 4096, vThMant: 1 << 17, refDelay: 1, gradedSpike: false };

export interface CubaParams {
  readonly iDecay: number;
  readonly vDecay: number;
  readonly vThMant: number;
  /** Bias mantissa per neuron (added << 6 every step), or null. */
  readonly bias: Int32Array | null;
}

export interface CubaState {
  readonly u: Int32Array;
  readonly v: Int32Array;
}

export function cubaState(n: number): CubaState {
  return { u: new Int32Array(n), v: new Int32Array(n) };
}

function decay(x: number, d: number): number {
  return Math.trunc((x * (4096 - d)) / 4096);
}

/**
 * One time step for every neuron of a layer: `aIn` is the synaptic input in integer
 * weight units, `spikes` receives 0/1. Returns the number of spikes.
 */
export function cubaStep(p: CubaParams, s: CubaState, aIn: ArrayLike<number>, spikes: Uint8Array | Int32Array): number {
  const th = p.vThMant * 64;
  // The neuron snnc lowers IF layers, spiking pools and its readout to keeps no current from
  // the step before (iDecay 4096: trunc(u·0/4096) = 0) and does not leak (vDecay 0:
  // trunc(v·4096/4096) = v for |v| < 2^23): the same integers without the decays' multiply,
  // divide and truncation per neuron and step.
  const fresh = p.iDecay === 4096;
  const keep = p.vDecay === 0;
  let count = 0;
  if (fresh && keep) {
    // The same integers as the loop below, written out for this case: most of a Loihi
    // simulation's time is this loop (one pass per neuron and step).
    const { u: U, v: V } = s;
    const bias = p.bias;
    for (let n = 0; n < U.length; n++) {
      let u = (aIn[n] as number) * 64;
      if (u > STATE_MAX) u -= 2 * STATE_MAX;
      else if (u <= -STATE_MAX) u += 2 * STATE_MAX;
      U[n] = u;
      let v = (V[n] as number) + u;
      if (bias !== null) v += (bias[n] as number) * 64;
      v = v > V_LIMIT ? V_LIMIT : v < -V_LIMIT ? -V_LIMIT : v;
      if (v > th) {
        spikes[n] = 1;
        count++;
        V[n] = 0;
      } else {
        spikes[n] = 0;
        V[n] = v;
      }
    }
    return count;
  }
  for (let n = 0; n < s.u.length; n++) {
    let u = (fresh ? 0 : decay(s.u[n] as number, p.iDecay)) + (aIn[n] as number) * 64;
    if (u > STATE_MAX) u -= 2 * STATE_MAX;
    else if (u <= -STATE_MAX) u += 2 * STATE_MAX;
    s.u[n] = u;
    let v = (keep ? (s.v[n] as number) : decay(s.v[n] as number, p.vDecay)) + u + (p.bias === null ? 0 : (p.bias[n] as number) * 64);
    v = Math.min(V_LIMIT, Math.max(-V_LIMIT, v));
    if (v > th) {
      spikes[n] = 1;
      count++;
      v = 0;
    } else {
      spikes[n] = 0;
    }
    s.v[n] = v;
  }
  return count;
}

type Synaptic = Extract<NetxLayer, { type: 'dense' | 'conv' }>;

/**
 * a = W·x for a dense or conv layer, x in (C, H, W) / flat order, driven by the inputs
 * (spike-driven scatter): only nonzero inputs cost work, which is what makes sparse spike
 * layers cheap. Tables are built once per layer. Conv is a correlation with the stored
 * kernel: netx flips it on load and lava convolves, so the two flips cancel
 * (docs/targets/loihi.md); the window taps are the integer simulator's (buildTaps).
 */
interface Scatter {
  readonly run: (x: ArrayLike<number>, a: Float64Array | Int32Array) => void;
  /** The same sums in WebAssembly (int32: exact while every sum fits, see `rowAbs`); false when it declined. */
  readonly fast: ConvKernel;
  /** The largest Σ|w| over the layer's outputs: no sum exceeds rowAbs · max|x|. */
  readonly rowAbs: number;
}

/**
 * a ← the layer's sums for x: in WebAssembly when both are int32 (simulateNetx makes a stage's
 * sums int32 only where no sum can leave int32), else — or when the kernel declines — the loops.
 */
function synapticSums(sc: Scatter, x: ArrayLike<number>, a: Float64Array | Int32Array): void {
  if (a instanceof Int32Array && x instanceof Int32Array) {
    a.fill(0);
    if (sc.fast(x, a, 1)) return;
  }
  sc.run(x, a);
}

/** max over outputs o of Σ_i |w[o, i]| for `rows` rows of `per` weights. */
function largestRow(w: ArrayLike<number>, rows: number, per: number): number {
  let best = 0;
  for (let o = 0; o < rows; o++) {
    let sum = 0;
    for (let i = o * per; i < (o + 1) * per; i++) sum += Math.abs(w[i] as number);
    best = Math.max(best, sum);
  }
  return best;
}

function denseScatter(l: Extract<Synaptic, { type: 'dense' }>): Scatter {
  const nIn = l.inFeatures;
  const nOut = l.shape[0];
  const wT = new Int32Array(nIn * nOut); // (in, out): one contiguous row per input
  for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) wT[i * nOut + o] = l.weight[o * nIn + i] as number;
  return {
    fast: denseKernel(nOut, nIn, l.weight),
    rowAbs: largestRow(l.weight, nOut, nIn),
    run(x, a) {
      a.fill(0);
      for (let i = 0; i < nIn; i++) {
        const xi = x[i] as number;
        if (xi === 0) continue;
        const base = i * nOut;
        for (let o = 0; o < nOut; o++) a[o] = (a[o] as number) + (wT[base + o] as number) * xi;
      }
    },
  };
}

function convScatter(l: Extract<Synaptic, { type: 'conv' }>, inShape: readonly number[]): Scatter {
  const [cIn, hIn, wIn] = inShape as [number, number, number];
  const [cOut, hOut, wOut] = l.shape;
  const [kh, kw] = l.kernel;
  const KK = kh * kw;
  const HW = hIn * wIn;
  const OHW = hOut * wOut;
  const cg = cIn / l.groups;
  const og = cOut / l.groups;
  const geometry: ConvGeometry = {
    kernel: l.kernel,
    strides: l.stride,
    pads: [l.padding[0], l.padding[1], l.padding[0], l.padding[1]],
    dilations: l.dilation,
    group: l.groups,
  };
  const { start, outPos, kOff } = buildTaps(geometry, hIn, wIn, hOut, wOut);
  const w = l.weight;
  return {
    fast: convKernel(inShape, l.shape, geometry, w),
    rowAbs: largestRow(w, cOut, cg * KK),
    run(x, a) {
      a.fill(0);
      for (let c = 0; c < cIn; c++) {
        const g = Math.floor(c / cg);
        const ci = c - g * cg;
        for (let p = 0; p < HW; p++) {
          const xv = x[c * HW + p] as number;
          if (xv === 0) continue;
          const s = start[p] as number;
          const e = start[p + 1] as number;
          for (let co = g * og; co < (g + 1) * og; co++) {
            const wb = (co * cg + ci) * KK;
            const ob = co * OHW;
            for (let k = s; k < e; k++) {
              const at = ob + (outPos[k] as number);
              a[at] = (a[at] as number) + (w[wb + (kOff[k] as number)] as number) * xv;
            }
          }
        }
      }
    },
  };
}

/** Bias per neuron: a conv layer's bias is per output channel, shared over positions. */
function neuronBias(l: Synaptic, n: number): Int32Array | null {
  if (l.bias === undefined) return null;
  if (l.type === 'dense') return l.bias;
  const per = n / l.shape[0];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = l.bias[Math.floor(i / per)] as number;
  return out;
}

export interface NetxSimOptions {
  /** One-step delay per synapse layer, as lava runs netx (default true). */
  readonly synapticDelay?: boolean;
}

export interface NetxSimResult {
  readonly T: number;
  /** Size of the last layer. */
  readonly outputSize: number;
  /** Last layer's membrane v after each step: T × outputSize (state units, = 64 × weight units). */
  readonly readout: Int32Array;
  /** Spikes per netx layer index over all steps (0 for input/flatten). */
  readonly spikes: number[];
  /**
   * Neuron-steps whose synaptic input a_in left lava's 16-bit a_in port range (|a_in| >
   * 32767). The simulation keeps the exact sum; a nonzero count means lava's Python model
   * (and possibly the chip) would have wrapped it.
   */
  readonly aInOver16: number;
}

interface Stage {
  readonly index: number;
  readonly scatter: Scatter;
  readonly p: CubaParams;
  readonly n: number;
}

/** A netx layer list prepared for simulation (scatter tables built once, reused per sample). */
export interface PreparedNetx {
  readonly inSize: number;
  readonly stages: readonly Stage[];
  readonly layers: number;
}

export function prepareNetx(layers: readonly NetxLayer[]): PreparedNetx {
  const first = layers[0];
  if (first?.type !== 'input') throw new Error('simulateNetx: layer 0 must be the input layer');
  const inSize = first.shape.reduce((p, d) => p * d, 1);
  const stages: Stage[] = [];
  let shape: number[] = [...first.shape];
  layers.forEach((l, index) => {
    if (l.type !== 'dense' && l.type !== 'conv') return;
    const n = l.shape.reduce((p, d) => p * d, 1);
    checkElementCount(n);
    const neuron = l.neuron ?? NETX_INTEGRATOR;
    const p: CubaParams = { iDecay: neuron.iDecay, vDecay: neuron.vDecay, vThMant: neuron.vThMant, bias: neuronBias(l, n) };
    stages.push({ index, scatter: l.type === 'dense' ? denseScatter(l) : convScatter(l, shape), p, n });
    shape = [...l.shape];
  });
  if (stages.length === 0) throw new Error('simulateNetx: no dense or conv layer');
  return { inSize, stages, layers: layers.length };
}

/**
 * Run a netx layer list for T steps on one sample. `input` holds T × inputSize integers
 * (step-major), e.g. binary spikes, or inputSize integers presented at every step (graded
 * direct input; the first layer's synaptic sums are then computed once).
 */
export function simulateNetx(layers: readonly NetxLayer[] | PreparedNetx, input: ArrayLike<number>, T: number, opts: NetxSimOptions = {}): NetxSimResult {
  const net = 'stages' in layers ? layers : prepareNetx(layers);
  const { inSize, stages } = net;
  checkElementCount(T * inSize);
  const constant = input.length === inSize;
  if (!constant && input.length !== T * inSize)
    throw new Error(`simulateNetx: input has ${input.length} values, expected ${inSize} or T·${inSize} = ${T * inSize}`);
  const delay = opts.synapticDelay ?? true;
  // Sums in int32 (and in WebAssembly) where no sum can leave it: the first stage's inputs are
  // the given integers, every later stage's are spikes (0/1); else float64, exact to 2^53.
  // `integral`: every input is an integer int32 holds (so it can be copied into an Int32Array).
  let xMax = 0;
  let integral = true;
  for (let i = 0; i < input.length; i++) {
    const v = input[i] as number;
    if (!Number.isInteger(v)) integral = false;
    xMax = Math.max(xMax, Math.abs(v));
  }
  if (xMax >= 2 ** 31) integral = false;
  const run = stages.map((st, k) => {
    const bound = st.scatter.rowAbs * (k === 0 ? (integral ? xMax : Infinity) : 1);
    const acc = (): Float64Array | Int32Array => (bound < 2 ** 31 ? new Int32Array(st.n) : new Float64Array(st.n));
    // `over16`: whether any a_in can leave int16 (else there is nothing to count).
    return { st, over16: bound > A_IN_MAX, s: cubaState(st.n), a: acc(), buf: acc(), out: new Int32Array(st.n) };
  });
  const last = run[run.length - 1] as (typeof run)[number];
  const outputSize = last.st.n;
  const readout = new Int32Array(T * outputSize);
  const spikes = new Array<number>(net.layers).fill(0);
  const step = integral ? new Int32Array(inSize) : new Float64Array(inSize);
  // A constant input as int32 too, for the WebAssembly kernel (input values, not steps).
  const first: ArrayLike<number> = constant && integral && !(input instanceof Int32Array) ? Int32Array.from(input) : input;
  let over = 0;
  for (let t = 0; t < T; t++) {
    let x: ArrayLike<number> = first;
    if (!constant) {
      for (let i = 0; i < inSize; i++) step[i] = input[t * inSize + i] as number;
      x = step;
    }
    run.forEach((r, k) => {
      // A constant input gives the first layer the same sums every step.
      if (!(k === 0 && constant && t > 0)) synapticSums(r.st.scatter, x, r.a);
      let aIn = r.a;
      if (delay) {
        // lava sends last step's activation and keeps this one: swap the two buffers.
        const prev = r.buf;
        if (k === 0 && constant) {
          aIn = t === 0 ? prev : r.a;
        } else {
          r.buf = r.a;
          r.a = prev;
          aIn = prev;
        }
      }
      if (r.over16)
        for (let i = 0; i < aIn.length; i++) {
          const v = aIn[i] as number;
          if (v > A_IN_MAX || v < -A_IN_MAX) over++;
        }
      spikes[r.st.index] = (spikes[r.st.index] as number) + cubaStep(r.st.p, r.s, aIn, r.out);
      x = r.out;
    });
    readout.set(last.s.v, t * outputSize);
  }
  return { T, outputSize, readout, spikes, aInOver16: over };
}
