// Samples of an IntProgram (the contract is in program.ts) through T steps — one (runSample) or
// several side by side (runSamples, each computed exactly as alone) — the integer input coding,
// and the prepared layers. Every register is an Int32Array; nothing reads a
// clock or Math.random: the same program and input give the same bits on every platform.
// This module is what snnc/runtime runs, so it needs no WebAssembly; simulate.ts runs
// datasets through it with the WebAssembly conv kernels of fast-conv.ts.
import { checkMemory } from '../../ir/memory.js';
import { mix32 } from '../snn/rng.js';
import type { Accelerator, Prepared } from './kernels.js';
import { addStep, convAdd, denseAdd, finishCurrent, maxPoolStep, prepare, sumPool } from './kernels.js';
import type { IntNeuronState } from './neuron.js';
import { initState, stepNeuron } from './neuron.js';
import type { IntInput, IntProgram } from './program.js';
import { elements } from './program.js';

/** The integer input of one sample: x_q = clamp(round(x/scale)), half away from zero. */
export function quantizeInput(input: IntInput, x: Float32Array, offset: number): Int32Array {
  const F = elements(input.shape);
  const hi = 2 ** input.bits - 1;
  const lo = input.coding === 'poisson' ? 0 : -hi;
  const out = new Int32Array(F);
  for (let i = 0; i < F; i++) {
    const v = (x[offset + i] as number) / input.scale;
    const r = Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
    out[i] = r > hi ? hi : r < lo ? lo : r;
  }
  return out;
}

/** The 32-bit word that decides input element i of (sample, step) under Poisson coding. */
export function poissonWords(seed: number, sample: number, step: number, F: number): Uint32Array {
  let s = mix32(mix32(seed ^ 0x5bd1e995) ^ mix32(sample + 0x27d4eb2f) ^ Math.imul(step + 1, 0x165667b1));
  const out = new Uint32Array(F);
  for (let i = 0; i < F; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    out[i] = mix32(s);
  }
  return out;
}

export interface Runner {
  readonly prep: readonly Prepared[];
  /** Index in `prep` of each layer's inputs (−1 = the program input). */
  readonly srcs: readonly (readonly number[])[];
  /** The layer's current (output for layers without neuron) does not change over steps. */
  readonly constant: readonly boolean[];
  readonly outIndex: number;
}

// Prepared layers are kept per program (and accelerator): the FPGA testbench's golden samples
// and the accuracy run of one compile share them (programs are never changed once built).
const runners = new WeakMap<IntProgram, Map<Accelerator | undefined, Runner>>();

/** The program's prepared layers; `accel` supplies faster kernels (fast-conv.ts). */
export function makeRunner(p: IntProgram, accel?: Accelerator): Runner {
  const known = runners.get(p)?.get(accel);
  if (known !== undefined) return known;
  const index = new Map<string, number>(p.layers.map((l, i) => [l.name, i]));
  const prep = p.layers.map((l) => prepare(l, accel));
  const srcs = p.layers.map((l) => l.inputs.map((n) => (n === p.input.name ? -1 : (index.get(n) as number))));
  const constant: boolean[] = [];
  p.layers.forEach((l, i) => {
    const inConst = (srcs[i] as number[]).every((s) => (s < 0 ? p.input.coding === 'direct' : constant[s] === true && p.layers[s]?.neuron === null));
    constant.push(inConst && l.kind !== 'max-pool');
  });
  const r = { prep, srcs, constant, outIndex: index.get(p.output) as number };
  const forProgram = runners.get(p) ?? new Map<Accelerator | undefined, Runner>();
  forProgram.set(accel, r);
  runners.set(p, forProgram);
  return r;
}

export interface SampleRun {
  /** Readout current at every step, [T][samples × classes] (sample by sample). */
  readonly readout: Int32Array[];
  /** Spikes per neuron layer (in program order of neuron layers) per step, summed over the samples. */
  readonly spikes: Int32Array[];
}

/**
 * What runSample calls after every step: every layer's output, the step's program input, and
 * the spikes of each neuron layer this step (program order of neuron layers). runSamples
 * passes the outputs and inputs of all its samples back to back, and their spikes summed.
 */
export type OnStep = (t: number, outputs: readonly Int32Array[], input: Int32Array, spikes: Int32Array) => void;

/** Run one sample for T steps from its integer input; `onStep` sees every step (testbench golden vectors, activity). */
export function runSample(p: IntProgram, xq: Int32Array, T: number, sample = 0, seed = 0, onStep?: OnStep, accel?: Accelerator): SampleRun {
  return runSamples(makeRunner(p, accel), p, xq, 1, T, sample, seed, onStep);
}

/** Sample b of `count` laid back to back in a. */
function part(a: Int32Array, b: number, count: number): Int32Array {
  const n = a.length / count;
  return count === 1 ? a : a.subarray(b * n, (b + 1) * n);
}

/** `count` copies of a, back to back. */
function tiled(a: Int32Array, count: number): Int32Array {
  const out = new Int32Array(a.length * count);
  for (let b = 0; b < count; b++) out.set(a, b * a.length);
  return out;
}

/**
 * Run `count` samples together (xq: their integer inputs back to back; sample indices
 * sample0 … sample0 + count − 1 for the Poisson words) for T steps. The samples never mix: every
 * kernel computes each one's integers exactly as for one sample alone, so results do not depend
 * on `count`; running several at once only spreads each kernel call's fixed cost over them.
 */
export function runSamples(r: Runner, p: IntProgram, xq: Int32Array, count: number, T: number, sample0: number, seed: number, onStep?: OnStep): SampleRun {
  const L = p.layers;
  const size = (shape: readonly number[]): number => elements(shape) * count;
  const outs = L.map((l) => new Int32Array(size(l.outShape)));
  const cur = L.map((l) => (l.neuron !== null ? new Int32Array(size(l.outShape)) : undefined));
  const states: (IntNeuronState | undefined)[] = L.map((l) =>
    l.neuron !== null ? initState(l.neuron, elements(l.outShape), l.outShape[0] as number, count) : undefined,
  );
  const counts = L.map((l) => (l.kind === 'max-pool' ? new Int32Array(size(l.inShape)) : undefined));
  const starts = r.prep.map((pr) => (pr.start !== undefined ? tiled(pr.start, count) : undefined));
  const neuronLayers = L.map((l, i) => (l.neuron !== null ? i : -1)).filter((i) => i >= 0);
  const readout: Int32Array[] = [];
  const spikes: Int32Array[] = [];
  let x = xq;
  const F = xq.length / count;
  for (let t = 0; t < T; t++) {
    checkMemory(`simulating time step ${t} of the integer program`);
    if (p.input.coding === 'poisson') {
      const sh = 32 - p.input.bits;
      x = new Int32Array(F * count);
      for (let b = 0; b < count; b++) {
        const u = poissonWords(seed, sample0 + b, t, F);
        for (let i = 0, j = b * F; i < F; i++, j++) x[j] = (u[i] as number) >>> sh < (xq[j] as number) ? 1 : 0;
      }
    }
    const stepSpikes = new Int32Array(neuronLayers.length);
    let k = 0;
    for (let i = 0; i < L.length; i++) {
      const l = L[i] as (typeof L)[number];
      const ins = (r.srcs[i] as number[]).map((s) => (s < 0 ? x : (outs[s] as Int32Array)));
      const x0 = ins[0] as Int32Array;
      const I = cur[i] ?? (outs[i] as Int32Array);
      const pr = r.prep[i] as Prepared;
      if (!(t > 0 && r.constant[i] === true))
        switch (l.kind) {
          case 'dense':
          case 'conv': {
            // Without a shift the bias goes in first (prepare's `start`), and nothing is left to finish.
            const start = starts[i];
            if (start !== undefined) I.set(start);
            else I.fill(0);
            if (pr.fast?.(x0, I, count) !== true)
              for (let b = 0; b < count; b++) (l.kind === 'dense' ? denseAdd : convAdd)(pr, part(x0, b, count), part(I, b, count));
            if (start === undefined) for (let b = 0; b < count; b++) finishCurrent(l, part(I, b, count));
            break;
          }
          case 'sum-pool':
            I.fill(0);
            if (pr.fast?.(x0, I, count) !== true) for (let b = 0; b < count; b++) sumPool(pr, part(x0, b, count), part(I, b, count));
            break;
          case 'add':
            for (let b = 0; b < count; b++)
              addStep(
                l,
                ins.map((a) => part(a, b, count)),
                part(I, b, count),
              );
            break;
          case 'max-pool':
            for (let b = 0; b < count; b++) maxPoolStep(pr, part(x0, b, count), part(counts[i] as Int32Array, b, count), part(I, b, count));
            break;
        }
      const st = states[i];
      if (st !== undefined) stepSpikes[k++] = pr.step !== undefined ? pr.step(st, I, outs[i] as Int32Array, count) : stepNeuron(st, I, outs[i] as Int32Array);
    }
    readout.push(Int32Array.from(outs[r.outIndex] as Int32Array));
    spikes.push(stepSpikes);
    onStep?.(t, outs, x, stepSpikes);
  }
  return { readout, spikes };
}
