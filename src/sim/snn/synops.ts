// Synaptic-operation accounting for affine ops (Conv, Gemm, MatMul, AveragePool,
// GlobalAveragePool).
//
// Definition. For an affine op whose data input is binary (spikes), each input spike costs
// one synaptic operation (an add) per output element it reaches structurally, whatever the
// weight's value — its exact fan-out, border effects included:
//   Gemm / MatMul (spikes as A):  out_features (N)
//   Conv:                         (C_out / group) × #(kernel positions covering that pixel)
//   AveragePool:                  #(windows covering that pixel)
//   GlobalAveragePool:            1
// synops per sample = Σ over the sample's input spikes of their fan-out, attributed to the
// spiking layer that emitted them. An analog (non-binary) data input costs the MACs of the
// dense computation instead (out elements × reduction length), counted once per step.
// Both simulation modes call these same functions on the same values, so they agree.
import type { Node, Tensor } from '../../ir/types.js';
import { geometry } from '../ann/conv.js';
import type { Owner } from './plan.js';
import { planeCover } from './window-taps.js';

export interface SpikeInputCount {
  /** Elements per sample of the spike input. */
  readonly F: number;
  /** Fan-out of each element (or one value for all). */
  readonly fanout: Float64Array | number;
  /** The largest fan-out, and the elements below it (a conv's borders) with their shortfall. */
  readonly max: number;
  readonly short: Int32Array;
  readonly shortBy: Float64Array;
}

function withShortfall(F: number, fanout: Float64Array | number): SpikeInputCount {
  if (typeof fanout === 'number') return { F, fanout, max: fanout, short: new Int32Array(0), shortBy: new Float64Array(0) };
  let max = 0;
  for (let i = 0; i < fanout.length; i++) max = Math.max(max, fanout[i] as number);
  const short: number[] = [];
  for (let i = 0; i < fanout.length; i++) if ((fanout[i] as number) < max) short.push(i);
  return { F, fanout, max, short: Int32Array.from(short), shortBy: Float64Array.from(short, (i) => max - (fanout[i] as number)) };
}

/** Structural fan-out of the data input (input 0) of an affine node; shapes include the batch dim. */
export function fanoutOf(node: Node, x: Tensor, y: Tensor, w: Tensor | undefined): SpikeInputCount {
  const rows = x.shape[0] as number;
  const F = x.data.length / rows;
  switch (node.op) {
    case 'Gemm': {
      const n = y.shape[1] as number;
      return withShortfall(F, n);
    }
    case 'MatMul':
      return withShortfall(F, y.shape[y.shape.length - 1] as number);
    case 'GlobalAveragePool':
      return withShortfall(F, 1);
    case 'Conv':
    case 'AveragePool': {
      const kernel = node.op === 'Conv' ? (w as Tensor).shape.slice(2) : node.attrs.kernelShape;
      const g = geometry(node, x.shape.slice(2), node.attrs, kernel, node.op === 'AveragePool' ? node.attrs.ceilMode : false);
      const cover = planeCover(g);
      const per = node.op === 'Conv' ? (y.shape[1] as number) / node.attrs.group : 1;
      const C = x.shape[1] as number;
      const plane = cover.length;
      const fan = new Float64Array(C * plane);
      for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) fan[c * plane + p] = per * (cover[p] as number);
      return withShortfall(F, fan);
    }
    default:
      throw new Error(`internal: ${node.op} is not an affine op`);
  }
}

/** Dense MACs per sample of an affine node with an analog data input. */
export function macsOf(node: Node, x: Tensor, y: Tensor, w: Tensor | undefined): number {
  const rows = x.shape[0] as number;
  const outPer = y.data.length / rows;
  switch (node.op) {
    case 'Gemm': {
      const k = node.attrs.transA ? (x.shape[0] as number) : (x.shape[1] as number);
      return outPer * k;
    }
    case 'MatMul':
      return outPer * (x.shape[x.shape.length - 1] as number);
    case 'Conv': {
      const ws = (w as Tensor).shape;
      return outPer * ws.slice(1).reduce((a, b) => a * b, 1);
    }
    case 'AveragePool':
      return outPer * node.attrs.kernelShape.reduce((a, b) => a * b, 1);
    case 'GlobalAveragePool':
      return x.data.length / rows;
    default:
      return 0;
  }
}

/**
 * Add the synops of B samples' spikes at step t: x[xOff + b·F + i] ∈ {0, 1}.
 * syn and spikes are [layers][T][B]; index (owner·T + t)·B + b. When x holds all of one layer's
 * spikes (its owner is a number: the plan's binary values pass only through ops that keep every
 * element), a sample's synops are the largest fan-out × the layer's spike count this step, less
 * the shortfall of the spikes at the borders — integers, so the same sum as element by element,
 * without reading the interior. A Concat of layers is counted element by element.
 */
export function countSynops(
  x: Float32Array,
  xOff: number,
  B: number,
  c: SpikeInputCount,
  owner: Owner,
  syn: Float64Array,
  t: number,
  T: number,
  spikes: Float64Array,
): number {
  const { F, fanout, short, shortBy } = c;
  let total = 0;
  for (let b = 0; b < B; b++) {
    const base = xOff + b * F;
    if (typeof owner === 'number') {
      const k = (owner * T + t) * B + b;
      let s = c.max * (spikes[k] as number);
      for (let j = 0; j < short.length; j++) s -= (x[base + (short[j] as number)] as number) * (shortBy[j] as number);
      syn[k] = (syn[k] as number) + s;
      total += s;
      continue;
    }
    for (let i = 0; i < F; i++) {
      if ((x[base + i] as number) === 0) continue;
      const k = ((owner[i] as number) * T + t) * B + b;
      const f = typeof fanout === 'number' ? fanout : (fanout[i] as number);
      syn[k] = (syn[k] as number) + f;
      total += f;
    }
  }
  return total;
}
