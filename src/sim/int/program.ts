// The integer network (IntProgram): what `snnc quantize` produces and what every backend
// testbench must reproduce bit for bit. Plain data; no floats take part in a step.
//
// ── Contract (version 1) ─────────────────────────────────────────────────────────────────
// Notation: per sample, per time step t = 0 … T−1. All arithmetic is on mathematical
// integers unless a width is named; `sat_m(x)` clamps x to [−2^(m−1), 2^(m−1)−1]; `wrap_m(x)`
// keeps the low m bits as a two's-complement value; `x >> s` is the ARITHMETIC right shift
// (floor division by 2^s, rounding toward −∞, also for negative x).
//
// Input (layer name `program.input.name`):
//   direct  : every step the layer outputs x_q = clamp(round(x / scale), −(2^bits−1), 2^bits−1),
//             computed once per sample by the host (the testbench receives x_q, not x);
//             for images in [0,1], scale = 1/(2^bits−1). Rounding: half away from zero.
//   poisson : every step each element i outputs a spike (1) or 0: with x_q as above (clamped to
//             [0, 2^bits−1]), spike ⇔ (u_i >>> (32 − bits)) < x_q[i], where (all mod 2^32,
//             mix = murmur3 fmix32): s = mix(mix(seed ^ 0x5bd1e995) ^ mix(sample + 0x27d4eb2f) ^
//             ((step + 1)·0x165667b1)), then per element s ← s + 0x9e3779b9, u_i = mix(s)
//             (`poissonWords` in simulate.ts; sample = index in the dataset, step from 0).
//
// Layers run in array order (a topological order); each reads the outputs of its `inputs` at
// the SAME step (no delays), so one step is one pass over the array.
//   dense   : S[o] = Σ_i W[o,i]·x[i], x = the input flattened row-major (C,H,W).
//   conv    : S[o,y,x] = Σ_{c,u,v} W[o,c,u,v]·in[g·Cg + c, y·sh + u·dh − pt, x·sw + v·dw − pl]
//             (zero outside the map; g = the group of o; pads = [top, left, bottom, right]).
//             Then I = bias[o] + ((S + 2^(k−1)) >> k) for k = shift > 0, I = bias[o] + S for k = 0:
//             the synaptic sum rounded (half up) to the layer's current unit, so θ and the bias
//             fit few bits while the weights keep their precision.
//   sum-pool: out[c,y,x] = Σ_{u,v} in[c, y·sh + u − pt, x·sw + v − pl] (zero padding, no division;
//             the 1/k² of the average pool it replaces is folded into the next layer's weights).
//   add     : I = bias + Σ_k gains[k]·in_k (elementwise; all inputs have the outShape). The
//             operands are in one current unit; `gains` are integers, one per input, or (v3)
//             one per input and output channel, input-major: I[c,…] = bias + Σ_k gains[k·C + c]·in_k[c,…]
//             (a per-channel conversion's operands aligned at the add; 1 when the producers were
//             quantized to that unit directly).
//   max-pool: the spike max pool (ai.snnc.SpikeMaxPool): per window, out = the input spike of the
//             element with the largest accumulated spike count including this step; ties → the
//             first element in row-major window order. Counters are exact (≤ T).
// The synaptic sums are exact: `accBits` (≤ 32) is a width proven by quantize to hold every
// partial and final sum S and current I that the weights, biases and input ranges allow,
// so a backend with accBits-wide two's-complement accumulators never overflows, in any order.
//
// Neuron (layers with `neuron` ≠ null; dense/conv/add only), per element with channel c
// (per-channel arrays have one entry per output channel, axis 0 of outShape; length-1 arrays
// apply to all):
//   start (t = 0):  v = vInit[c], r = 0, i = 0
//   current-based (currentDecay = d present, 1 ≤ d ≤ 4096; Loihi's CUBA current): every step,
//                   also while refractory, i ← sat_32(trunc(i·(4096 − d) / 2^12) + I), trunc
//                   toward zero (lava's sign(x)·(|x| >> 12)); below, i takes I's place.
//   if r > 0:       r ← r − 1, output 0, v unchanged (no leak, no integration)
//   else:           v ← v − (v >> leakShift)          (LIF only; IF: leakShift = null, skipped)
//                   v ← OV(v + I)                       OV = sat_m or wrap_m, m = membraneBits
//                   spike ⇔ v ≥ θ[c] ('ge') or v > θ[c] ('gt')
//                   on spike: v ← OV(v − θ[c]) ('subtract') or v ← vReset ('zero'); r ← refractory
//                   output 1 on spike, else 0.
// Layers without a neuron output I itself (a current). The readout is `program.output`: a layer
// without neuron whose outputs are summed over steps exactly (accBits + ⌈log2 T⌉ bits); the
// prediction after step t is the index of the largest sum, ties → the lowest index.
// Widths: accBits ≤ 32 and membraneBits ≤ 32, so every register fits an int32; intermediate
// v + I is formed exactly (33 bits) before OV.
//
// Units: a layer's integer current I (and the membrane, θ, bias) means I·unit[c] in the float
// network's units (the value the float IF compared with θ); one step of the synaptic sum S is
// unit[c]/2^shift. `unit` is documentation for reports and dequantization; it never enters
// the integer arithmetic.
// ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * Newest contract version. Version 2 added `currentDecay`, version 3 per-channel add gains; a
 * program that uses one says so (an older reader then refuses it instead of misreading it),
 * any other says 1.
 */
export const INT_PROGRAM_VERSION = 3;

/** Whether an add layer carries one gain per input and channel (v3) rather than one per input. */
export function hasChannelGains(l: IntLayer): l is IntLayer & { readonly gains: Int32Array } {
  return l.kind === 'add' && l.gains !== undefined && l.gains.length !== l.inputs.length;
}

/** The version a program must declare: the oldest that has every feature it uses. */
export function programVersion(layers: readonly IntLayer[]): number {
  if (layers.some(hasChannelGains)) return 3;
  return layers.some((l) => l.neuron?.currentDecay !== undefined) ? 2 : 1;
}

export type Overflow = 'saturate' | 'wrap';

export interface IntNeuron {
  /** Positive integers; one per output channel or a single one. */
  readonly threshold: Int32Array;
  /** Unsigned width the thresholds were quantized to (θ ≤ 2^thresholdBits − 1). */
  readonly thresholdBits: number;
  readonly reset: 'subtract' | 'zero';
  /** Membrane value after a spike with reset 'zero'. */
  readonly vReset: number;
  readonly fire: 'ge' | 'gt';
  /** Initial membrane, same length as threshold. */
  readonly vInit: Int32Array;
  /** LIF: v ← v − (v >> leakShift) before integrating; null for IF (no leak). */
  readonly leakShift: number | null;
  readonly refractory: number;
  /** Current-based neuron: the synaptic current decays by currentDecay/4096 per step (absent: no current register). */
  readonly currentDecay?: number;
  /** Width of the membrane register (2–32). */
  readonly membraneBits: number;
  readonly overflow: Overflow;
}

export interface ConvGeometry {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
  readonly group: number;
}

export type IntLayerKind = 'dense' | 'conv' | 'sum-pool' | 'add' | 'max-pool';

export interface IntLayer {
  readonly name: string;
  readonly kind: IntLayerKind;
  /** Names of producer layers (or the program input's name). */
  readonly inputs: readonly string[];
  /** Per-sample shapes: [C,H,W] for maps, [F] for vectors (inShape of inputs[0]). */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /** dense: [O, I] row-major; conv: [O, C/group, KH, KW]; empty for other kinds. */
  readonly weights: Int32Array;
  readonly weightShape: readonly number[];
  /** Signed width of the weights: |W| ≤ 2^(weightBits−1) − 1 (1 bit: W ∈ {−1, +1}). */
  readonly weightBits: number;
  /** dense/conv: right shift (rounded half up) of the synaptic sum; 0 = none. */
  readonly shift: number;
  /** Added to I every step (after the shift); one per output channel (or empty = none). */
  readonly bias: Int32Array;
  readonly biasBits: number;
  /** add: one integer gain per input. */
  readonly gains?: Int32Array;
  /** conv, sum-pool, max-pool. */
  readonly geometry?: ConvGeometry;
  /** Signed width that holds every synaptic sum I (see the contract). */
  readonly accBits: number;
  readonly neuron: IntNeuron | null;
  /** Float units of one integer step of I (per output channel or one); informational. */
  readonly unit: readonly number[];
  /** Width of the values this layer outputs (1 for spikes, unsigned). */
  readonly outBits: number;
}

export interface IntInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly coding: 'direct' | 'poisson';
  /** Magnitude bits of x_q (direct: sign allowed; poisson: unsigned). */
  readonly bits: number;
  /** x ≈ x_q · scale. */
  readonly scale: number;
}

export interface IntProgram {
  readonly version: number;
  readonly name: string;
  readonly input: IntInput;
  readonly layers: readonly IntLayer[];
  /** Name of the readout layer (no neuron); its sums over steps give the prediction. */
  readonly output: string;
}

/** Largest magnitude of a signed `bits`-wide symmetric quantizer (1 bit: ±1). */
export function qMax(bits: number): number {
  return bits === 1 ? 1 : 2 ** (bits - 1) - 1;
}

/** Signed bits needed for integers in [−m, m] (m ≥ 0): 1 for m = 0. */
export function signedBitsFor(m: number): number {
  let b = 1;
  while (2 ** (b - 1) - 1 < m) b++;
  return b;
}

/** Unsigned bits needed for integers in [0, m]. */
export function unsignedBitsFor(m: number): number {
  let b = 1;
  while (2 ** b - 1 < m) b++;
  return b;
}

export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
