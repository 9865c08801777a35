// Small hand-built IntPrograms for the FPGA backend tests, with accumulator widths computed
// the way the contract defines them (Σ|W|·max|x| + |bias| per output).
import type { ConvGeometry, IntInput, IntLayer, IntNeuron, IntProgram } from '../../src/sim/int/program.js';
import { signedBitsFor } from '../../src/sim/int/program.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { FpgaTarget } from '../../src/costmodel/target.js';

export function fpgaTarget(): FpgaTarget {
  return loadTarget('fpga') as FpgaTarget;
}

/** Deterministic integers in [lo, hi] (an LCG; test data only). */
export function ints(n: number, seed: number, lo: number, hi: number): Int32Array {
  let s = seed >>> 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + Math.floor(((hi - lo + 1) * s) / 4294967296);
  }
  return out;
}

export function neuron(o: Partial<Omit<IntNeuron, 'threshold' | 'vInit'>> & { threshold: number[]; vInit?: number[] }): IntNeuron {
  return {
    thresholdBits: 12,
    reset: 'subtract',
    vReset: 0,
    fire: 'ge',
    leakShift: null,
    refractory: 0,
    membraneBits: 16,
    overflow: 'saturate',
    ...o,
    threshold: Int32Array.from(o.threshold),
    vInit: Int32Array.from(o.vInit ?? o.threshold.map(() => 0)),
  };
}

export function input(shape: number[], bits: number, coding: 'direct' | 'poisson' = 'direct'): IntInput {
  return { name: 'in', shape, coding, bits, scale: 1 / (2 ** bits - 1) };
}

function base(name: string, kind: IntLayer['kind'], inputs: string[], inShape: number[], outShape: number[], accBits: number, nrn: IntNeuron | null): IntLayer {
  return {
    name,
    kind,
    inputs,
    inShape,
    outShape,
    weights: new Int32Array(0),
    weightShape: [],
    weightBits: 8,
    bias: new Int32Array(0),
    biasBits: 16,
    shift: 0,
    accBits,
    neuron: nrn,
    unit: [1],
    outBits: nrn === null ? accBits : 1,
  };
}

/** Σ|W|·max|x| + |bias| of the worst output: a bound on every partial sum and current. */
function worstSum(w: Int32Array, per: number, bias: Int32Array, maxIn: number): number {
  let worst = 0;
  for (let o = 0; o < w.length / per; o++) {
    let s = Math.abs(bias[o] ?? 0);
    for (let i = 0; i < per; i++) s += Math.abs(w[o * per + i] as number) * maxIn;
    worst = Math.max(worst, s);
  }
  return worst;
}

export function dense(
  name: string,
  src: string,
  nIn: number,
  w: Int32Array,
  bias: Int32Array,
  maxIn: number,
  nrn: IntNeuron | null,
  weightBits = 8,
  shift = 0,
): IntLayer {
  const O = w.length / nIn;
  const acc = signedBitsFor(worstSum(w, nIn, bias, maxIn) + 2 ** shift);
  return { ...base(name, 'dense', [src], [nIn], [O], acc, nrn), weights: w, weightShape: [O, nIn], weightBits, bias, shift };
}

function outSize(H: number, k: number, s: number, p0: number, p1: number, d: number): number {
  return Math.floor((H + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
}

export function geom(k: number, s: number, pads: [number, number, number, number], d = 1, group = 1): ConvGeometry {
  return { kernel: [k, k], strides: [s, s], pads, dilations: [d, d], group };
}

export function conv(
  name: string,
  src: string,
  inShape: [number, number, number],
  O: number,
  g: ConvGeometry,
  w: Int32Array,
  bias: Int32Array,
  maxIn: number,
  nrn: IntNeuron | null,
  shift = 0,
): IntLayer {
  const [C, H, W] = inShape;
  const OH = outSize(H, g.kernel[0], g.strides[0], g.pads[0], g.pads[2], g.dilations[0]);
  const OW = outSize(W, g.kernel[1], g.strides[1], g.pads[1], g.pads[3], g.dilations[1]);
  const per = (C / g.group) * g.kernel[0] * g.kernel[1];
  const acc = signedBitsFor(worstSum(w, per, bias, maxIn) + 2 ** shift);
  return {
    ...base(name, 'conv', [src], [...inShape], [O, OH, OW], acc, nrn),
    weights: w,
    weightShape: [O, C / g.group, g.kernel[0], g.kernel[1]],
    geometry: g,
    bias,
    shift,
  };
}

export function pool(name: string, kind: 'sum-pool' | 'max-pool', src: string, inShape: [number, number, number], g: ConvGeometry, maxIn: number): IntLayer {
  const [C, H, W] = inShape;
  const OH = outSize(H, g.kernel[0], g.strides[0], g.pads[0], g.pads[2], g.dilations[0]);
  const OW = outSize(W, g.kernel[1], g.strides[1], g.pads[1], g.pads[3], g.dilations[1]);
  const acc = kind === 'sum-pool' ? signedBitsFor(maxIn * g.kernel[0] * g.kernel[1]) : signedBitsFor(maxIn);
  return { ...base(name, kind, [src], [...inShape], [C, OH, OW], acc, null), geometry: g };
}

export function addLayer(name: string, srcs: string[], shape: number[], gains: number[], bias: Int32Array, maxIns: number[], nrn: IntNeuron | null): IntLayer {
  const worst = maxIns.reduce((s, m, k) => s + Math.abs(gains[k] as number) * m, 0) + bias.reduce((m, b) => Math.max(m, Math.abs(b)), 0);
  return { ...base(name, 'add', srcs, [...shape], [...shape], signedBitsFor(worst), nrn), gains: Int32Array.from(gains), bias };
}

export function program(name: string, inp: IntInput, layers: IntLayer[]): IntProgram {
  return { version: 1, name, input: inp, layers, output: (layers[layers.length - 1] as IntLayer).name };
}

/** 2-layer MLP: 12 direct inputs (4 bits) → 8 IF (subtract, ge) → 4 readout. */
export function mlp(names: [string, string] = ['fc1', 'fc2'], netName = 'mlp'): IntProgram {
  const l1 = dense(names[0], 'in', 12, ints(96, 1, -7, 7), ints(8, 2, -20, 20), 15, neuron({ threshold: [40], vInit: [10] }));
  const l2 = dense(names[1], names[0], 8, ints(32, 3, -7, 7), ints(4, 4, -3, 3), 1, null);
  return program(netName, input([12], 4), [l1, l2]);
}
