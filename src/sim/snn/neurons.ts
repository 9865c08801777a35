// IF / LIF neuron state and its per-step update (shared by both simulation modes, so
// their spike trains cannot differ). Semantics, per neuron and step (src/ir/types.ts):
//   current-based LIF only:    i ← synDecay·i + I, and i takes I's place below
//   refractory counter r > 0:  r ← r − 1, no spike, v held (no integration, no leak)
//   otherwise:                 v ← leak·v + I            (IF: leak = 1)
//                              spike ⇔ v ≥ θ ('ge') or v > θ ('gt')
//                              on spike: v ← v − θ ('subtract') or 0 ('zero'); r ← refractory
// v starts at vInit·θ. The membrane is kept in float64 (currents arrive as float32): the
// extra precision costs nothing in JS, and the rate-coding error of a long run does not
// drift with accumulated float32 rounding.
import { fail } from '../../errors.js';
import type { Node, Tensor } from '../../ir/types.js';
import { stepNeuronsWasm } from './wasm/scatter.js';

export interface NeuronParams {
  readonly node: string;
  /** Elements per sample. */
  readonly F: number;
  /** θ broadcast to the per-sample shape. */
  readonly theta: Float64Array;
  readonly leak: number;
  /** Decay of the synaptic current per step; 0 = no synaptic state (IF, plain LIF). */
  readonly synDecay: number;
  readonly subtract: boolean;
  readonly ge: boolean;
  readonly refractory: number;
  readonly vInit: number;
}

export interface NeuronState {
  readonly p: NeuronParams;
  readonly v: Float64Array;
  readonly ref: Int32Array;
  /** Synaptic current of a current-based neuron (length 0 otherwise). */
  readonly i: Float64Array;
}

/**
 * θ broadcast (numpy rules, trailing alignment) to `perSample`; a θ with the full rank
 * (batch included) must have batch dim 1.
 */
function broadcastThreshold(node: Node, th: Tensor, perSample: readonly number[]): Float64Array {
  let ts = th.shape;
  if (ts.length === perSample.length + 1) {
    if (ts[0] !== 1) throw badTheta(node, th, perSample);
    ts = ts.slice(1);
  }
  if (ts.length > perSample.length) throw badTheta(node, th, perSample);
  const R = perSample.length;
  const full = new Array<number>(R).fill(1);
  ts.forEach((d, i) => {
    full[R - ts.length + i] = d;
  });
  // Strides of θ in the aligned full rank (0 where θ broadcasts).
  const strides = new Array<number>(R).fill(0);
  let acc = 1;
  for (let i = R - 1; i >= 0; i--) {
    const d = full[i] as number;
    const want = perSample[i] as number;
    if (d !== 1 && d !== want) throw badTheta(node, th, perSample);
    strides[i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  const F = perSample.reduce((a, b) => a * b, 1);
  const out = new Float64Array(F);
  const src = th.data as Float32Array;
  const idx = new Array<number>(R).fill(0);
  for (let e = 0; e < F; e++) {
    let o = 0;
    for (let i = 0; i < R; i++) o += (idx[i] as number) * (strides[i] as number);
    out[e] = src[o] as number;
    for (let i = R - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (perSample[i] as number)) break;
      idx[i] = 0;
    }
  }
  return out;
}

function badTheta(node: Node, th: Tensor, perSample: readonly number[]): Error {
  return fail({
    code: 'SNNC_E_BAD_SHAPE',
    message: `${node.op} '${node.name}': threshold [${th.shape.join(', ')}] does not broadcast to the per-sample shape [${perSample.join(', ')}]`,
    node: node.name,
    hint: 'use a scalar, [C,1,1] (per channel of a feature map) or [F] (per feature) threshold',
  });
}

export function neuronParams(node: Extract<Node, { op: 'IF' | 'LIF' }>, th: Tensor | undefined, perSample: readonly number[]): NeuronParams {
  if (th === undefined || (th.dtype !== 'float32' && th.dtype !== 'float64')) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_ATTR',
      message: `${node.op} '${node.name}': the threshold must be a constant float tensor (an initializer)`,
      node: node.name,
      hint: 'reconvert the model; snnc convert stores thresholds as initializers',
    });
  }
  const theta =
    th.dtype === 'float32'
      ? broadcastThreshold(node, th, perSample)
      : broadcastThreshold(node, { ...th, data: Float32Array.from(th.data as Float64Array) }, perSample);
  const a = node.attrs;
  return {
    node: node.name,
    F: theta.length,
    theta,
    leak: node.op === 'LIF' ? node.attrs.leak : 1,
    synDecay: node.op === 'LIF' ? (node.attrs.synDecay ?? 0) : 0,
    subtract: a.reset === 'subtract',
    ge: a.fire === 'ge',
    refractory: a.refractory,
    vInit: a.vInit,
  };
}

export function initNeurons(p: NeuronParams, B: number): NeuronState {
  const v = new Float64Array(B * p.F);
  // One sample's start, copied to the others (a fresh batch of a large layer every call).
  for (let i = 0; i < p.F && B > 0; i++) v[i] = p.vInit * (p.theta[i] as number);
  for (let b = 1; b < B; b++) v.copyWithin(b * p.F, 0, p.F);
  return { p, v, ref: new Int32Array(B * p.F), i: new Float64Array(p.synDecay > 0 ? B * p.F : 0) };
}

/**
 * One step for B samples: currents cur[curOff + b·F + i], spikes to out[outOff + b·F + i],
 * per-sample spike counts added to counts[cOff + b].
 */
export function stepNeurons(
  s: NeuronState,
  B: number,
  cur: Float32Array,
  curOff: number,
  out: Float32Array,
  outOff: number,
  counts: Float64Array,
  cOff: number,
): void {
  const { F, theta, leak, subtract, ge, refractory, synDecay } = s.p;
  const v = s.v;
  const ref = s.ref;
  const syn = s.i;
  const cuba = synDecay > 0;
  if (!cuba && refractory === 0 && stepNeuronsWasm(s.p, v, theta, leak, ge, subtract, B, cur, curOff, out, outOff, counts, cOff)) return;
  for (let b = 0; b < B; b++) {
    const base = b * F;
    let n = 0;
    for (let i = 0; i < F; i++) {
      const k = base + i;
      let I = cur[curOff + k] as number;
      if (cuba) {
        I += synDecay * (syn[k] as number);
        syn[k] = I;
      }
      if (refractory > 0 && (ref[k] as number) > 0) {
        ref[k] = (ref[k] as number) - 1;
        out[outOff + k] = 0;
        continue;
      }
      const th = theta[i] as number;
      const vv = leak * (v[k] as number) + I;
      if (ge ? vv >= th : vv > th) {
        v[k] = subtract ? vv - th : 0;
        if (refractory > 0) ref[k] = refractory;
        out[outOff + k] = 1;
        n++;
      } else {
        v[k] = vv;
        out[outOff + k] = 0;
      }
    }
    counts[cOff + b] = (counts[cOff + b] as number) + n;
  }
}
