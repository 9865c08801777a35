// Loihi quantization: float layers (thresholds θ per layer or channel) → netx integers.
//
// Per layer with a neuron:
//   1. fold θ into the rows: W'[c,·] = W[c,·]/θ_c, b'_c = b_c/θ_c, threshold 1 (exact);
//      the first layer also divides W' by `inputScale` (integer input x_int = x·inputScale).
//   2. pick s = floor(s_max), s_max = the largest scale with W'·s in [−256, 254],
//      b'·s in [−4096, 4095], s ≤ 131071 (vThMant has 17 bits) and one step's largest
//      input s·max_row Σ|W'|·x_max ≤ 32767 (lava's a_in port is int16; x_max is
//      inputScale for the first layer, 1 for spikes). s is an integer so the threshold
//      is exact: θ_int = s.
//   3. w_int = 2·round(W'·s/2) (8-bit mantissa ×2: even, [−256, 254]), b_int = round(b'·s).
//      Rounding is half away from zero. Error per weight ≤ 1/s of the threshold.
//   4. vThMant = θ_int, or θ_int − 1 when the graph fires on v ≥ θ: the chip tests
//      v > vThMant·64 and an IF membrane is always a multiple of 64, so v > (θ_int−1)·64
//      ⇔ v ≥ θ_int·64 — exact for IF; for LIF the decay makes v arbitrary, and it fires
//      from θ_int·64 − 63 on (1/64 of a weight unit early).
//   5. IF → iDecay 4096, vDecay 0; LIF → iDecay 4096, vDecay = round(4096·(1 − leak)).
// s_max < 1 (a weight above 254 thresholds) leaves s = 1 and clips, with a warning.
// Average pooling (k_h×k_w): depthwise conv, every weight 2, vThMant 2·k_h·k_w − 1:
// the neuron fires when the window's spike sum reaches k_h·k_w, i.e. the average reaches
// its threshold of 1 — the sum is exact in integers.
// The readout (dense, no neuron) keeps netx's integrator; its scale s = s_max (real), so
// its membrane v ≈ 64·s·(float readout). With `timesteps`, s is lowered so that T steps
// of the worst-case input cannot overflow the 24-bit current.
import { fail } from '../../errors.js';
import type { BackendDiagnostic } from '../common/types.js';
import type { FloatLayer, FloatNeuron, NetxLayer, NetxNeuron } from './types.js';

export const W_MIN = -256;
export const W_MAX = 254;
export const BIAS_MIN = -4096;
export const BIAS_MAX = 4095;
export const VTH_MAX = 131071;
/** |u| and |v| stay below 2^23 in state units = 2^17 in weight units. */
const STATE_LIMIT_WEIGHT_UNITS = 2 ** 17;
/** lava's fixed-point neurons take a_in as int16 (precision 16): one step's input ≤ 32767. */
const A_IN_MAX = 2 ** 15 - 1;

export interface QuantizeOptions {
  /** Integer input value that stands for 1.0 of the graph input (1 = binary spikes). */
  readonly inputScale?: number;
  /**
   * The graph input can be negative (default true); false halves the worst-case synaptic
   * sum bound of the first layer when the data is known to be ≥ 0 (pixels, spike counts).
   */
  readonly signedInput?: boolean;
  /** Time steps per sample, to keep the readout from overflowing (optional). */
  readonly timesteps?: number;
  /** 'integrator' (netx default, bias added once) or 'accumulate' (v += W·s + b each step). */
  readonly readout?: 'integrator' | 'accumulate';
}

export interface LayerQuant {
  readonly index: number;
  readonly type: NetxLayer['type'];
  readonly node?: string;
  readonly neuron?: string;
  /** Integer units per threshold unit (neuron layers) or per float readout unit. */
  readonly scale?: number;
  readonly vThMant?: number;
  /** Largest |w_int/s − W'| over the layer, in threshold units. */
  readonly maxWeightError?: number;
  readonly clipped?: number;
}

export interface Quantized {
  readonly layers: NetxLayer[];
  readonly info: LayerQuant[];
}

function roundAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Largest s with every w·s in [W_MIN, W_MAX] and b·s in [BIAS_MIN, BIAS_MAX]. */
function maxScale(w: Float64Array, b: Float64Array | null): number {
  let s = VTH_MAX;
  const lim = (x: number, lo: number, hi: number): void => {
    if (x > 0) s = Math.min(s, hi / x);
    else if (x < 0) s = Math.min(s, lo / x);
  };
  for (const x of w) lim(x, W_MIN, W_MAX);
  if (b !== null) for (const x of b) lim(x, BIAS_MIN, BIAS_MAX);
  return s;
}

interface IntWeights {
  readonly weight: Int32Array;
  readonly bias?: Int32Array;
  readonly maxErr: number;
  readonly clipped: number;
}

function toInts(w: Float64Array, b: Float64Array | null, s: number): IntWeights {
  const weight = new Int32Array(w.length);
  let maxErr = 0;
  let clipped = 0;
  w.forEach((x, i) => {
    const raw = 2 * roundAway((x * s) / 2);
    const q = clamp(raw, W_MIN, W_MAX);
    if (q !== raw) clipped++;
    weight[i] = q;
    maxErr = Math.max(maxErr, Math.abs(q / s - x));
  });
  if (b === null) return { weight, maxErr, clipped };
  const bias = new Int32Array(b.length);
  b.forEach((x, i) => {
    const raw = roundAway(x * s);
    const q = clamp(raw, BIAS_MIN, BIAS_MAX);
    if (q !== raw) clipped++;
    bias[i] = q;
  });
  return { weight, bias, maxErr, clipped };
}

/**
 * Largest |Σ_i w_i·x_i| of row `r` over inputs |x_i| ≤ xMax: Σ|w|·xMax for signed inputs,
 * max(Σw⁺, Σ|w⁻|)·xMax for inputs ≥ 0 (spikes, or a non-negative graph input).
 */
function rowBound(w: Float64Array, r: number, rowLen: number, xMax: number, signedInput: boolean): number {
  let pos = 0;
  let neg = 0;
  for (let i = r; i < r + rowLen; i++) {
    const x = w[i] as number;
    if (x > 0) pos += x;
    else neg -= x;
  }
  return (signedInput ? pos + neg : Math.max(pos, neg)) * xMax;
}

/**
 * Largest s with s·(one step's largest synaptic sum) ≤ 32767: lava's fixed-point neurons
 * declare a_in as int16 (precision 16), so one step's input must fit in 16 signed bits.
 * This also keeps u = a_in << 6 far from the 24-bit wrap.
 */
function stepScale(w: Float64Array, rowLen: number, xMax: number, signedInput: boolean): number {
  let worst = 0;
  for (let r = 0; r < w.length; r += rowLen) worst = Math.max(worst, rowBound(w, r, rowLen, xMax, signedInput));
  return worst > 0 ? A_IN_MAX / worst : VTH_MAX;
}

/**
 * The integer input value that stands for 1.0 of a direct-coded graph input. One step's
 * synaptic sum must fit lava's 16-bit a_in whatever the input scale, which fixes s·max|W'|
 * (W' = W/θ); the weights are W'·s/inputScale, so a large input scale (fine pixels) can leave
 * a wide first layer (an MLP's 784 inputs) with weights that round to 0. Choose the largest
 * scale ≤ 255 (8-bit pixels) that still gives the largest first-layer weight ≥ 127 of its
 * ±254 range: 255 for LeNet's 25-input conv1, a coarser input for a wide dense layer.
 */
export function autoInputScale(float: readonly FloatLayer[], signedInput: boolean): number {
  const l = float.find((x) => x.kind === 'dense' || x.kind === 'conv');
  if (l === undefined || (l.kind !== 'dense' && l.kind !== 'conv')) return 255;
  const rowLen = l.kind === 'dense' ? l.inF : l.weight.length / l.outShape[0];
  const w = l.neuron === null ? l.weight : l.weight.map((x, i) => x / (l.neuron?.theta[Math.floor(i / rowLen)] as number));
  let mx = 0;
  for (const x of w) mx = Math.max(mx, Math.abs(x));
  const s = stepScale(w, rowLen, 1, signedInput);
  if (!(mx > 0) || !Number.isFinite(s)) return 255;
  return clamp(Math.floor((mx * s) / 127), 1, 255);
}

/** Divide row c (size rowLen) of w and b[c] by θ_c (and w by inputScale). */
function fold(
  w: Float64Array,
  b: Float64Array | null,
  theta: Float64Array,
  rowLen: number,
  inputScale: number,
  n: FloatNeuron,
): { w: Float64Array; b: Float64Array | null } {
  theta.forEach((t) => {
    if (!(t > 0) || !Number.isFinite(t)) {
      throw fail({
        code: 'SNNC_E_BACKEND',
        message: `loihi: ${n.op} '${n.node}' has a threshold of ${t}; Loihi thresholds are positive`,
        node: n.node,
        hint: 're-run the converter; a non-positive threshold means a dead layer',
      });
    }
  });
  const fw = w.map((x, i) => x / (theta[Math.floor(i / rowLen)] as number) / inputScale);
  const fb = b === null ? null : b.map((x, c) => x / (theta[c] as number));
  return { w: fw, b: fb };
}

/**
 * Loihi adds a bias to the membrane, not to the synaptic current. For a current-based neuron
 * snnc's bias is part of the current (it decays with it), which settles at b/(1 − a): that is
 * the bias netx gets. The first steps differ (the current ramps up on the chip's reference, not
 * on Loihi), so it is said.
 */
function cubaBias(b: Float64Array | null, n: FloatNeuron, diagnostics: BackendDiagnostic[]): Float64Array | null {
  if (b === null || n.synDecay <= 0 || b.every((x) => x === 0)) return b;
  diagnostics.push({
    severity: 'warning',
    code: 'SNNC_W_LOIHI_CUBA_BIAS',
    node: n.node,
    message: `${n.op} '${n.node}' is current-based (synaptic decay ${n.synDecay}) and has a bias: Loihi adds biases to the membrane, so it gets the settled value b/(1 − ${n.synDecay}); the first steps differ from snnc's float simulation`,
    hint: 'the bit-accurate Loihi simulation (snnc simulate --target loihi2) measures the effect',
  });
  return b.map((x) => x / (1 - n.synDecay));
}

function neuronBlock(n: FloatNeuron, thetaInt: number): NetxNeuron {
  const vDecay = n.op === 'LIF' ? Math.round(4096 * (1 - n.leak)) : 0;
  // netx: u ← u·(4096 − iDecay)/4096 + input, so a synaptic decay a is iDecay = 4096·(1 − a).
  const iDecay = clamp(Math.round(4096 * (1 - n.synDecay)), 0, 4096);
  return { iDecay, vDecay: clamp(vDecay, 0, 4096), vThMant: n.fire === 'ge' ? thetaInt - 1 : thetaInt, refDelay: 1, gradedSpike: false };
}

export function quantizeLayers(float: readonly FloatLayer[], opts: QuantizeOptions, diagnostics: BackendDiagnostic[]): Quantized {
  const layers: NetxLayer[] = [];
  const info: LayerQuant[] = [];
  let first = true;
  for (const l of float) {
    const index = layers.length;
    if (l.kind === 'input') {
      layers.push({ type: 'input', shape: l.shape });
      info.push({ index, type: 'input' });
      continue;
    }
    if (l.kind === 'flatten') {
      const size = l.inShape.reduce((p, d) => p * d, 1);
      layers.push({ type: 'flatten', shape: [size, 1, 1] });
      info.push({ index, type: 'flatten', node: l.node });
      continue;
    }
    // Only the graph input can be negative; every later layer reads spikes (0/1).
    const signedInput = first && (opts.signedInput ?? true);
    const inputScale = first ? (opts.inputScale ?? 1) : 1;
    first = false;
    if (l.kind === 'pool') {
      const [kh, kw] = l.kernel;
      const C = l.outShape[0];
      layers.push({
        type: 'conv',
        shape: l.outShape,
        weight: new Int32Array(C * kh * kw).fill(2),
        kernel: l.kernel,
        inChannels: C,
        stride: l.stride,
        padding: l.padding,
        dilation: [1, 1],
        groups: C,
        neuron: { iDecay: 4096, vDecay: 0, vThMant: 2 * kh * kw * inputScale - 1, refDelay: 1, gradedSpike: false },
      });
      info.push({
        index,
        type: 'conv',
        node: l.origin.node,
        scale: 2 * kh * kw * inputScale,
        vThMant: 2 * kh * kw * inputScale - 1,
        maxWeightError: 0,
        clipped: 0,
      });
      continue;
    }
    const rowLen = l.kind === 'dense' ? l.inF : l.weight.length / l.outShape[0];
    if (l.neuron === null) {
      // Readout: no threshold, so no fold; only the ratio between rows matters for argmax,
      // but the scale is kept and reported so v can be read back in float units.
      const w = inputScale === 1 ? l.weight : l.weight.map((x) => x / inputScale);
      let s = Math.min(maxScale(w, l.bias), stepScale(w, rowLen, inputScale, signedInput));
      if (opts.timesteps !== undefined) {
        // integrator: u sums T steps of input, v adds the bias once; accumulate: v sums
        // T steps of input and bias. Either must stay below 2^17 weight units.
        const biasSteps = opts.readout === 'accumulate' ? opts.timesteps : 1;
        let worst = 0;
        for (let o = 0; o < (l.kind === 'dense' ? l.outF : 0); o++) {
          const row = rowBound(w, o * rowLen, rowLen, inputScale, signedInput) * opts.timesteps + Math.abs(l.bias?.[o] ?? 0) * biasSteps;
          worst = Math.max(worst, row);
        }
        if (worst > 0) s = Math.min(s, (STATE_LIMIT_WEIGHT_UNITS - 1) / worst);
      }
      if (!(s > 0) || !Number.isFinite(s)) s = 1;
      const q = toInts(w, l.bias, s);
      if (l.kind !== 'dense') throw new Error('readout must be dense (lower.ts refuses conv readouts)');
      const accumulate = opts.readout === 'accumulate';
      layers.push({
        type: 'dense',
        shape: [l.outF],
        inFeatures: l.inF,
        weight: q.weight,
        ...(q.bias !== undefined ? { bias: q.bias } : {}),
        ...(accumulate ? { neuron: { iDecay: 4096, vDecay: 0, vThMant: VTH_MAX, refDelay: 1, gradedSpike: false } } : {}),
      });
      info.push({ index, type: 'dense', node: l.origin.node, scale: s, maxWeightError: q.maxErr, clipped: q.clipped });
      if (!accumulate && q.bias !== undefined && q.bias.some((x) => x !== 0)) {
        diagnostics.push({
          severity: 'warning',
          code: 'SNNC_W_LOIHI_READOUT_BIAS',
          node: l.origin.node,
          message: `readout '${l.origin.node}' has a bias: netx's integrator adds it once (v_t = 64·(Σ W·s + b)) while snnc's membrane readout adds it every step (Σ_t (W·s_t + b))`,
          hint: 'emit with readout: "accumulate" to add the bias every step, or train without a classifier bias',
        });
      }
      continue;
    }
    const n = l.neuron;
    const { w, b } = fold(l.weight, cubaBias(l.bias, n, diagnostics), n.theta, rowLen, inputScale, n);
    const sMax = Math.min(maxScale(w, b), stepScale(w, rowLen, inputScale, signedInput));
    const s = sMax >= 1 ? Math.floor(sMax) : 1;
    const q = toInts(w, b, s);
    if (q.clipped > 0) {
      diagnostics.push({
        severity: 'warning',
        code: 'SNNC_W_LOIHI_CLIP',
        node: n.node,
        message: `layer '${l.origin.node}': ${q.clipped} weights/biases exceed Loihi's range at the smallest threshold (1 weight unit) and were clipped`,
        hint: 'a single input already outweighs the threshold hundreds of times; re-calibrate the layer',
      });
    }
    zeroWeightWarning(l.origin.node, w, q.weight, diagnostics);
    const neuron = neuronBlock(n, s);
    if (l.kind === 'dense') {
      layers.push({ type: 'dense', shape: [l.outF], inFeatures: l.inF, weight: q.weight, ...(q.bias !== undefined ? { bias: q.bias } : {}), neuron });
    } else {
      layers.push({
        type: 'conv',
        shape: l.outShape,
        weight: q.weight,
        kernel: l.kernel,
        inChannels: l.inShape[0],
        stride: l.stride,
        padding: l.padding,
        dilation: l.dilation,
        groups: l.groups,
        ...(q.bias !== undefined ? { bias: q.bias } : {}),
        neuron,
      });
    }
    info.push({ index, type: l.kind, node: l.origin.node, neuron: n.node, scale: s, vThMant: neuron.vThMant, maxWeightError: q.maxErr, clipped: q.clipped });
  }
  neuronDiagnostics(float, diagnostics);
  return { layers, info };
}

/**
 * Nearly all of a layer's weights rounding to 0 leaves it deaf; say so instead of emitting it
 * silently. (Many small weights of a wide layer round to 0 in a healthy net: the MLP's fc2
 * loses 70 % and keeps its accuracy, so only ≥ 95 % counts.)
 */
function zeroWeightWarning(node: string, w: Float64Array, q: Int32Array, diagnostics: BackendDiagnostic[]): void {
  let nonzero = 0;
  let lost = 0;
  w.forEach((x, i) => {
    if (x !== 0) {
      nonzero++;
      if (q[i] === 0) lost++;
    }
  });
  if (nonzero > 0 && lost >= 0.95 * nonzero) {
    diagnostics.push({
      severity: 'warning',
      code: 'SNNC_W_LOIHI_ZERO_WEIGHTS',
      node,
      message: `layer '${node}': ${lost} of ${nonzero} nonzero weights round to 0 in Loihi's 8-bit mantissa (its threshold and 16-bit input leave too few levels)`,
      hint: 'use a smaller input scale for graded inputs (inputScale), or re-calibrate with a per-channel method',
    });
  }
}

function neuronDiagnostics(float: readonly FloatLayer[], diagnostics: BackendDiagnostic[]): void {
  const neurons = float.flatMap((l) => ((l.kind === 'dense' || l.kind === 'conv') && l.neuron !== null ? [l.neuron] : []));
  const subtract = neurons.filter((n) => n.reset === 'subtract').map((n) => n.node);
  const geLif = neurons.filter((n) => n.fire === 'ge' && n.op === 'LIF').map((n) => n.node);
  if (subtract.length > 0 || geLif.length > 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'SNNC_W_LOIHI_RESET',
      message: `netx CUBA neurons reset to zero after a spike${subtract.length > 0 ? `; ${subtract.join(', ')} were converted with reset by subtraction, so the residue above threshold is lost on Loihi` : ''}${geLif.length > 0 ? `; LIF ${geLif.join(', ')} fire on v ≥ θ, emulated as v > θ − 1/64 weight unit` : ''}`,
      hint: 'measure the accuracy difference with snnc simulate --target loihi2, or convert with --reset zero',
    });
  }
  const vInit = neurons.filter((n) => n.vInit !== 0).map((n) => n.node);
  if (vInit.length > 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'SNNC_W_LOIHI_VINIT',
      message: `netx starts every membrane at 0; ${vInit.join(', ')} start at a fraction of θ`,
      hint: 'convert with vInit 0 for Loihi',
    });
  }
  const refr = neurons.filter((n) => n.refractory > 0).map((n) => n.node);
  if (refr.length > 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'SNNC_W_LOIHI_REFRACTORY',
      message: `lava's CUBA model has no refractory period; ${refr.join(', ')} use one`,
      hint: 'convert with refractory 0 for Loihi',
    });
  }
}
