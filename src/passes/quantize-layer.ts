// One synaptic layer of a converted graph → integers. The weights seen by the integer layer
// are the float weights times the unit of each input channel (W_eff = W·u_in), so whatever
// scaled the input — the 1/(2^b−1) of the analog input, the 1/k² of a summed pool, a
// residual rescale — is folded in before rounding. The layer's current unit u[o] is the
// weight scale times 2^k, where k (the right shift of the synaptic sum) is the smallest that
// fits θ in th bits:
//   s[o] = max|W_eff[o,:]| / qMax(w)  (pow2: rounded up to 2^j),  W_q = round(W_eff / s)
//   u[o] = s[o]·2^k,  θ_q = round(θ / u) ≥ 1,  b_q = round(b / u),  vInit_q = round(vInit·θ / u)
import { fail } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { resolveWindow } from '../ir/window.js';
import type { ConvGeometry } from '../sim/int/program.js';
import type { BitWidths, Rounder } from './quantize-config.js';
import { quantizeSymmetric } from './quantize-config.js';

export interface FloatAffine {
  readonly node: Node;
  readonly kind: 'dense' | 'conv';
  /** [O, fanIn] row-major (conv: fanIn = C/g·KH·KW). */
  readonly W: Float64Array;
  readonly O: number;
  readonly fanIn: number;
  readonly wShape: readonly number[];
  readonly bias: Float64Array | null;
  readonly geometry?: ConvGeometry;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
}

export function qerr(node: string, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_QUANTIZE', message: `'${node}': ${message}`, node, hint });
}

function floats(t: Tensor | undefined, node: string, what: string): Float64Array {
  if (t === undefined || (t.dtype !== 'float32' && t.dtype !== 'float64'))
    throw qerr(node, `${what} must be a constant float tensor`, 'quantize a graph produced by snnc convert');
  return Float64Array.from(t.data as Float32Array);
}

function perSample(g: Graph, v: string): number[] {
  const s = g.values.get(v)?.shape.slice(1) ?? [];
  if (s.some((d) => typeof d !== 'number')) throw qerr(v, 'has a symbolic per-sample shape', 'export the model with fixed sizes except the batch');
  return s as number[];
}

export function affineOf(g: Graph, n: Node): FloatAffine {
  const inShape = perSample(g, n.inputs[0] as string);
  const outShape = perSample(g, n.outputs[0] as string);
  const wt = g.initializers.get(n.inputs[1] as string);
  const w = floats(wt, n.name, 'the weight');
  const bt = n.inputs[2] !== undefined && n.inputs[2] !== '' ? g.initializers.get(n.inputs[2]) : undefined;
  const bias = bt !== undefined ? floats(bt, n.name, 'the bias') : null;
  const shape = (wt as Tensor).shape;
  if (n.op === 'Conv') {
    const [O, Cg, KH, KW] = shape as [number, number, number, number];
    if (shape.length !== 4 || inShape.length !== 3) throw qerr(n.name, 'only 2-D convolutions are supported', 'use Conv2d layers');
    const r = resolveWindow(inShape.slice(1), n.attrs, false, n.name);
    const geometry: ConvGeometry = {
      kernel: [KH, KW],
      strides: [n.attrs.strides[0] ?? 1, n.attrs.strides[1] ?? 1],
      pads: [r.padsBegin[0] ?? 0, r.padsBegin[1] ?? 0, r.padsEnd[0] ?? 0, r.padsEnd[1] ?? 0],
      dilations: [n.attrs.dilations[0] ?? 1, n.attrs.dilations[1] ?? 1],
      group: n.attrs.group,
    };
    return { node: n, kind: 'conv', W: w, O, fanIn: Cg * KH * KW, wShape: shape, bias, geometry, inShape, outShape };
  }
  if (n.op !== 'Gemm' && n.op !== 'MatMul') throw qerr(n.name, `${n.op} is not a synaptic layer`, 'internal');
  if (shape.length !== 2) throw qerr(n.name, 'the weight must be a matrix', 'flatten before the dense layer');
  let transB = false;
  let alpha = 1;
  if (n.op === 'Gemm') {
    if (n.attrs.transA) throw qerr(n.name, 'Gemm with transA is not supported', 'canonicalize the model first');
    transB = n.attrs.transB;
    alpha = n.attrs.alpha;
    if (bias !== null)
      bias.forEach((v, i) => {
        bias[i] = v * n.attrs.beta;
      });
  }
  const [r0, r1] = shape as [number, number];
  const O = transB ? r0 : r1;
  const I = transB ? r1 : r0;
  const W = new Float64Array(O * I);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) W[o * I + i] = alpha * ((transB ? w[o * I + i] : w[i * O + o]) as number);
  if (bias !== null && bias.length !== O) throw qerr(n.name, `the bias has ${bias.length} values for ${O} outputs`, 'use a per-output bias');
  return { node: n, kind: 'dense', W, O, fanIn: I, wShape: [O, I], bias, inShape: [inShape.reduce((a, b) => a * b, 1)], outShape };
}

/** Unit of the input element feeding weight (o, j). */
export function inputUnitIndex(a: FloatAffine, o: number, j: number, unitLen: number): number {
  if (unitLen === 1) return 0;
  if (a.kind === 'dense') return unitLen === a.fanIn ? j : Math.floor(j / (a.fanIn / unitLen));
  const g = a.geometry as ConvGeometry;
  const Cg = a.fanIn / (g.kernel[0] * g.kernel[1]);
  const grp = Math.floor(o / (a.O / g.group));
  return grp * Cg + Math.floor(j / (g.kernel[0] * g.kernel[1]));
}

export function effectiveWeights(a: FloatAffine, uIn: readonly number[]): Float64Array {
  const out = new Float64Array(a.W.length);
  for (let o = 0; o < a.O; o++) {
    for (let j = 0; j < a.fanIn; j++) {
      const k = o * a.fanIn + j;
      out[k] = (a.W[k] as number) * (uIn[inputUnitIndex(a, o, j, uIn.length)] as number);
    }
  }
  return out;
}

export interface AffineQuant {
  readonly q: Int32Array;
  /** Weight scale per output channel (length O, or 1 when per tensor). */
  readonly wScale: number[];
  /** Right shift of the synaptic sum. */
  readonly shift: number;
  /** Current (and membrane) unit: wScale·2^shift. */
  readonly unit: number[];
  readonly bias: Int32Array;
  readonly biasClipped: number;
  readonly neuron?: NeuronInts;
}

export interface NeuronFloat {
  /** Per output channel (length O) or one. */
  readonly theta: Float64Array;
  readonly vInit: number;
}

export interface NeuronInts {
  readonly theta: Int32Array;
  readonly vInit: Int32Array;
}

/** Smallest k with every θ/(s·2^k) within 2^th − 1 (after rounding). */
export function shiftFor(theta: Float64Array, wScale: readonly number[], thBits: number): number {
  const thMax = 2 ** thBits - 1;
  let k = 0;
  const n = Math.max(theta.length, wScale.length);
  for (let o = 0; o < n; o++) {
    const t = (theta.length === 1 ? theta[0] : theta[o]) as number;
    const u = (wScale.length === 1 ? wScale[0] : wScale[o]) as number;
    while (t / (u * 2 ** k) > thMax + 0.5 && k < 31) k++;
  }
  return k;
}

/** θ and vInit in current units. */
export function neuronInts(nf: NeuronFloat, unit: readonly number[], O: number, thBits: number, rp: Rounder): NeuronInts {
  const thMax = 2 ** thBits - 1;
  const n = nf.theta.length === 1 && unit.length === 1 ? 1 : O;
  const th = (o: number): number => (nf.theta.length === 1 ? nf.theta[0] : nf.theta[o]) as number;
  const u = (o: number): number => (unit.length === 1 ? unit[0] : unit[o]) as number;
  const theta = new Int32Array(n);
  const vInit = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    const r = rp(th(o) / u(o));
    theta[o] = r < 1 ? 1 : r > thMax ? thMax : r;
    vInit[o] = rp((nf.vInit * th(o)) / u(o));
  }
  return { theta, vInit };
}

/** Round `x / u` with `round`, clamped to [lo, hi]; counts clamped values. */
function toInt(x: number, u: number, round: Rounder, lo: number, hi: number, clipped: { n: number }): number {
  const r = round(x / u);
  if (r < lo || r > hi) {
    clipped.n++;
    return r < lo ? lo : hi;
  }
  return r;
}

export function quantizeAffine(
  a: FloatAffine,
  wEff: Float64Array,
  bits: BitWidths,
  perChannel: boolean,
  pow2: boolean,
  rw: Rounder,
  rp: Rounder,
  neuron: NeuronFloat | null,
  minUnit?: readonly number[],
  forceShift?: number,
): AffineQuant {
  const channels = perChannel ? a.O : 1;
  const { q, scale } = quantizeSymmetric(wEff, channels, bits.w, rw, pow2, minUnit);
  const shift = forceShift ?? (neuron !== null ? shiftFor(neuron.theta, scale, bits.th) : 0);
  const unit = scale.map((x) => x * 2 ** shift);
  const uAt = (o: number): number => unit[perChannel ? o : 0] as number;
  const clipped = { n: 0 };
  const bmax = 2 ** (bits.b - 1) - 1;
  const bias = new Int32Array(a.bias === null ? 0 : a.O);
  for (let o = 0; o < bias.length; o++) bias[o] = toInt((a.bias as Float64Array)[o] as number, uAt(o), rp, -bmax - 1, bmax, clipped);
  const base = { q, wScale: scale, shift, unit, bias, biasClipped: clipped.n };
  return neuron === null ? base : { ...base, neuron: neuronInts(neuron, unit, a.O, bits.th, rp) };
}
