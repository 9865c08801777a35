// Validation of an IntProgram against its contract (program.ts): names resolve to earlier
// layers, shapes agree, every integer lies in its declared width. Backends and the simulator
// call it first, so a bad program fails with the layer's name instead of a wrong number.
import { fail } from '../../errors.js';
import type { IntLayer, IntProgram } from './program.js';
import { elements, INT_PROGRAM_VERSION, programVersion, qMax, signedBitsFor } from './program.js';

function bad(layer: string, message: string): Error {
  return fail({ code: 'SNNC_E_INT_PROGRAM', message: `layer '${layer}': ${message}`, node: layer, hint: 'regenerate the program with snnc quantize' });
}

function inRange(a: Int32Array, lo: number, hi: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v < lo || v > hi) return false;
  }
  return true;
}

function checkWidth(name: string, what: string, bits: number, lo: number, hi: number): void {
  if (!Number.isInteger(bits) || bits < lo || bits > hi) throw bad(name, `${what} ${bits} is outside ${lo}..${hi}`);
}

function checkLayer(l: IntLayer, shapes: Map<string, readonly number[]>): void {
  if (l.inputs.length === 0) throw bad(l.name, 'has no inputs');
  for (const i of l.inputs) if (!shapes.has(i)) throw bad(l.name, `reads '${i}', which is not the input or an earlier layer`);
  const inShape = shapes.get(l.inputs[0] as string) as readonly number[];
  if (elements(inShape) !== elements(l.inShape)) throw bad(l.name, `inShape [${l.inShape.join(', ')}] does not match its input [${inShape.join(', ')}]`);
  checkWidth(l.name, 'accBits', l.accBits, 1, 32);
  if (!Number.isInteger(l.shift) || l.shift < 0 || l.shift > 31 || (l.shift > 0 && l.kind !== 'dense' && l.kind !== 'conv'))
    throw bad(l.name, `shift ${l.shift} is outside 0..31 or on a ${l.kind} layer`);
  const O = l.outShape[0] ?? 1;
  if (l.kind === 'dense' || l.kind === 'conv') {
    checkWidth(l.name, 'weightBits', l.weightBits, 1, 16);
    if (elements(l.weightShape) !== l.weights.length) throw bad(l.name, 'weights do not match weightShape');
    if (l.weightShape[0] !== O) throw bad(l.name, `weightShape [${l.weightShape.join(', ')}] does not start with the ${O} outputs`);
    if (l.kind === 'dense' && l.weightShape[1] !== elements(l.inShape)) throw bad(l.name, 'dense weights do not match the input size');
    const m = qMax(l.weightBits);
    if (!inRange(l.weights, -m, m) || (l.weightBits === 1 && l.weights.includes(0))) throw bad(l.name, `a weight lies outside the ${l.weightBits}-bit range`);
  }
  if (l.kind === 'conv' || l.kind === 'sum-pool' || l.kind === 'max-pool') {
    if (l.geometry === undefined || l.inShape.length !== 3 || l.outShape.length !== 3) throw bad(l.name, `${l.kind} needs geometry and [C,H,W] shapes`);
    if (l.kind === 'conv' && ((l.inShape[0] as number) % l.geometry.group !== 0 || O % l.geometry.group !== 0))
      throw bad(l.name, 'channels are not divisible by the group');
  }
  if (l.bias.length !== 0) {
    if (l.bias.length !== O) throw bad(l.name, `has ${l.bias.length} biases for ${O} output channels`);
    checkWidth(l.name, 'biasBits', l.biasBits, 1, 32);
    const m = 2 ** (l.biasBits - 1) - 1;
    if (!inRange(l.bias, -m - 1, m)) throw bad(l.name, `a bias lies outside the ${l.biasBits}-bit range`);
  }
  if (l.kind === 'add') {
    for (const i of l.inputs)
      if (elements(shapes.get(i) as readonly number[]) !== elements(l.outShape)) throw bad(l.name, `add input '${i}' differs in size from the output`);
    if (l.gains !== undefined && l.gains.length !== l.inputs.length && l.gains.length !== l.inputs.length * O)
      throw bad(l.name, 'needs one gain per input, or per input and channel');
  }
  const n = l.neuron;
  if (n === null) return;
  if (l.kind !== 'dense' && l.kind !== 'conv' && l.kind !== 'add') throw bad(l.name, `a ${l.kind} layer cannot have a neuron`);
  checkWidth(l.name, 'membraneBits', n.membraneBits, 2, 32);
  checkWidth(l.name, 'thresholdBits', n.thresholdBits, 1, 31);
  if (n.threshold.length !== 1 && n.threshold.length !== O) throw bad(l.name, `has ${n.threshold.length} thresholds for ${O} channels`);
  if (n.vInit.length !== n.threshold.length) throw bad(l.name, 'vInit and threshold differ in length');
  if (!inRange(n.threshold, 1, 2 ** n.thresholdBits - 1)) throw bad(l.name, `a threshold lies outside 1..2^${n.thresholdBits}−1`);
  const vm = 2 ** (n.membraneBits - 1);
  if (!inRange(n.vInit, -vm, vm - 1) || n.vReset < -vm || n.vReset > vm - 1) throw bad(l.name, 'vInit or vReset does not fit the membrane');
  if (!inRange(n.threshold, 1, vm - 1)) throw bad(l.name, `a threshold does not fit the ${n.membraneBits}-bit membrane`);
  if (n.leakShift !== null && (!Number.isInteger(n.leakShift) || n.leakShift < 1 || n.leakShift > 31))
    throw bad(l.name, `leakShift ${n.leakShift} is outside 1..31`);
  if (!Number.isInteger(n.refractory) || n.refractory < 0) throw bad(l.name, 'refractory must be a non-negative integer');
  const d = n.currentDecay;
  if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > 4096)) throw bad(l.name, `currentDecay ${d} is outside 1..4096`);
}

/**
 * The largest |value| a layer can output, after checking that its accBits hold every sum
 * it can form (the bound quantize proves: Σ|w|·max|x| before the shift, that shifted plus
 * |b| after it; sum-pool k·max|x|; add Σ gain·max|x|). An understated accBits would make the
 * simulator and a backend's accumulators disagree, so it is refused here.
 */
function checkAccumulator(l: IntLayer, maxAbs: ReadonlyMap<string, number>): number {
  const src = maxAbs.get(l.inputs[0] as string) ?? 0;
  let need = 0; // the largest sum formed (before and after the shift)
  let out = 0; // the largest current I, what a layer without neuron outputs
  if (l.kind === 'dense' || l.kind === 'conv') {
    const O = l.weightShape[0] ?? 1;
    const per = l.weights.length / Math.max(1, O);
    for (let o = 0; o < O; o++) {
      let S = 0;
      for (let j = o * per; j < (o + 1) * per; j++) S += Math.abs(l.weights[j] as number) * src;
      const I = Math.ceil(S / 2 ** l.shift) + Math.abs(l.bias[o] ?? 0);
      need = Math.max(need, S, I);
      out = Math.max(out, I);
    }
  } else if (l.kind === 'sum-pool') {
    out = need = (l.geometry === undefined ? 1 : l.geometry.kernel[0] * l.geometry.kernel[1]) * src;
  } else if (l.kind === 'add') {
    const bias = l.bias.reduce((m, b) => Math.max(m, Math.abs(b)), 0);
    // One gain per input (C = 1) or per input and channel: an input's largest |gain| bounds it.
    const g = l.gains;
    const C = g === undefined ? 1 : g.length / l.inputs.length;
    const gainOf = (k: number): number => {
      if (g === undefined) return 1;
      let m = 0;
      for (let c = 0; c < C; c++) m = Math.max(m, Math.abs(g[k * C + c] as number));
      return m;
    };
    out = need = l.inputs.reduce((a, name, k) => a + gainOf(k) * (maxAbs.get(name) ?? 0), 0) + bias;
  } else {
    return src; // max-pool forwards spikes
  }
  if (signedBitsFor(need) > l.accBits) throw bad(l.name, `accBits ${l.accBits} cannot hold its largest sum ${need}, which needs ${signedBitsFor(need)} bits`);
  return l.neuron !== null ? 1 : out;
}

export function checkProgram(p: IntProgram): void {
  if (!Number.isInteger(p.version) || p.version < 1 || p.version > INT_PROGRAM_VERSION)
    throw bad(p.name, `version ${String(p.version)} is not an integer program version this snnc reads (1–${INT_PROGRAM_VERSION})`);
  const needs = programVersion(p.layers);
  if (p.version < needs) {
    throw bad(
      p.name,
      needs === 3
        ? `uses per-channel add gains, which version ${p.version} programs do not have`
        : `uses current-based neurons (currentDecay), which version ${p.version} programs do not have`,
    );
  }
  const shapes = new Map<string, readonly number[]>([[p.input.name, p.input.shape]]);
  if (!Number.isInteger(p.input.bits) || p.input.bits < 1 || p.input.bits > 16) throw bad(p.input.name, `input bits ${p.input.bits} outside 1..16`);
  const maxAbs = new Map<string, number>([[p.input.name, p.input.coding === 'poisson' ? 1 : 2 ** p.input.bits - 1]]);
  for (const l of p.layers) {
    if (shapes.has(l.name)) throw bad(l.name, 'the name is used twice');
    checkLayer(l, shapes);
    maxAbs.set(l.name, checkAccumulator(l, maxAbs));
    shapes.set(l.name, l.outShape);
  }
  const out = p.layers.find((l) => l.name === p.output);
  if (out === undefined) throw bad(p.output, 'the readout layer does not exist');
  if (out.neuron !== null) throw bad(p.output, 'the readout layer must not have a neuron');
}
