// Integer-exact simulation of an IntProgram (the contract is in program.ts). Every register
// is an Int32Array; readout sums are exact integers (< 2^53) in a Float64Array. Samples run
// one at a time, so results cannot depend on batching, and nothing reads a clock or
// Math.random: the same program and data give the same bits on every platform.
import { checkMemory } from '../../ir/memory.js';
import { fail } from '../../errors.js';
import type { SimData } from '../snn/types.js';
import { mix32 } from '../snn/rng.js';
import { checkProgram } from './check.js';
import type { Prepared } from './kernels.js';
import { addStep, convAdd, denseAdd, finishCurrent, maxPoolStep, prepare, sumPool } from './kernels.js';
import type { IntNeuronState } from './neuron.js';
import { initState, stepNeuron } from './neuron.js';
import type { IntInput, IntProgram } from './program.js';
import { elements } from './program.js';
import type { IntLayerSteps } from './activity.js';
import { activityRecorder } from './activity.js';

export interface IntSimOptions {
  readonly T: number;
  /** Seed of the Poisson input coding (default 0). */
  readonly seed?: number;
  /** Record spikes per layer per step (summed over samples) for golden hashes. */
  readonly trace?: boolean;
  /** Record every layer's nonzero outputs per step (summed over samples): the activity cost models read. */
  readonly activity?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface IntLayerActivity {
  readonly name: string;
  readonly kind: string;
  readonly neurons: number;
  /** Spikes per sample (neuron layers only; 0 otherwise). */
  readonly spikes: number;
  readonly firingRate: number;
}

export interface IntSimResult {
  readonly samples: number;
  readonly T: number;
  /** Index t−1: accuracy of the predictions from the readout summed over steps 1..t. */
  readonly accuracyPerStep: number[];
  readonly predictions: Int32Array;
  readonly spikesPerSample: number;
  readonly layers: IntLayerActivity[];
  /** With `trace`: per neuron layer, spikes at each step summed over all samples. */
  readonly trace?: { readonly layer: string; readonly spikesPerStep: number[] }[];
  /** With `activity`: per layer (program order), nonzero outputs and synaptic operations per step (activity.ts). */
  readonly activity?: IntLayerSteps[];
}

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

interface Runner {
  readonly prep: readonly Prepared[];
  /** Index in `prep` of each layer's inputs (−1 = the program input). */
  readonly srcs: readonly (readonly number[])[];
  /** The layer's current (output for layers without neuron) does not change over steps. */
  readonly constant: readonly boolean[];
  readonly outIndex: number;
}

// Prepared layers are kept per program: the FPGA testbench's golden samples and the
// accuracy run of one compile share them (programs are never changed once built).
const runners = new WeakMap<IntProgram, Runner>();

function makeRunner(p: IntProgram): Runner {
  const known = runners.get(p);
  if (known !== undefined) return known;
  const index = new Map<string, number>(p.layers.map((l, i) => [l.name, i]));
  const prep = p.layers.map(prepare);
  const srcs = p.layers.map((l) => l.inputs.map((n) => (n === p.input.name ? -1 : (index.get(n) as number))));
  const constant: boolean[] = [];
  p.layers.forEach((l, i) => {
    const inConst = (srcs[i] as number[]).every((s) => (s < 0 ? p.input.coding === 'direct' : constant[s] === true && p.layers[s]?.neuron === null));
    constant.push(inConst && l.kind !== 'max-pool');
  });
  const r = { prep, srcs, constant, outIndex: index.get(p.output) as number };
  runners.set(p, r);
  return r;
}

export interface SampleRun {
  /** Readout current at every step, [T][classes]. */
  readonly readout: Int32Array[];
  /** Spikes per neuron layer (in program order of neuron layers) per step. */
  readonly spikes: Int32Array[];
}

/**
 * Run one sample for T steps from its integer input; calls `onStep(t, outputs)` after every
 * step with every layer's output (for testbench golden vectors).
 */
export function runSample(
  p: IntProgram,
  xq: Int32Array,
  T: number,
  sample = 0,
  seed = 0,
  onStep?: (t: number, outputs: readonly Int32Array[], input: Int32Array) => void,
): SampleRun {
  return runWith(makeRunner(p), p, xq, T, sample, seed, onStep);
}

function runWith(
  r: Runner,
  p: IntProgram,
  xq: Int32Array,
  T: number,
  sample: number,
  seed: number,
  onStep?: (t: number, outputs: readonly Int32Array[], input: Int32Array) => void,
): SampleRun {
  const L = p.layers;
  const outs = L.map((l) => new Int32Array(elements(l.outShape)));
  const cur = L.map((l) => (l.neuron !== null ? new Int32Array(elements(l.outShape)) : undefined));
  const states: (IntNeuronState | undefined)[] = L.map((l) =>
    l.neuron !== null ? initState(l.neuron, elements(l.outShape), l.outShape[0] as number) : undefined,
  );
  const counts = L.map((l) => (l.kind === 'max-pool' ? new Int32Array(elements(l.inShape)) : undefined));
  const neuronLayers = L.map((l, i) => (l.neuron !== null ? i : -1)).filter((i) => i >= 0);
  const readout: Int32Array[] = [];
  const spikes: Int32Array[] = [];
  let x = xq;
  const F = xq.length;
  for (let t = 0; t < T; t++) {
    checkMemory(`simulating time step ${t} of the integer program`);
    if (p.input.coding === 'poisson') {
      const u = poissonWords(seed, sample, t, F);
      const sh = 32 - p.input.bits;
      x = new Int32Array(F);
      for (let i = 0; i < F; i++) x[i] = (u[i] as number) >>> sh < (xq[i] as number) ? 1 : 0;
    }
    const stepSpikes = new Int32Array(neuronLayers.length);
    let k = 0;
    for (let i = 0; i < L.length; i++) {
      const l = L[i] as (typeof L)[number];
      const ins = (r.srcs[i] as number[]).map((s) => (s < 0 ? x : (outs[s] as Int32Array)));
      const I = cur[i] ?? (outs[i] as Int32Array);
      const pr = r.prep[i] as Prepared;
      if (!(t > 0 && r.constant[i] === true))
        switch (l.kind) {
          case 'dense':
            I.fill(0);
            denseAdd(pr, ins[0] as Int32Array, I);
            finishCurrent(l, I);
            break;
          case 'conv':
            I.fill(0);
            convAdd(pr, ins[0] as Int32Array, I);
            finishCurrent(l, I);
            break;
          case 'sum-pool':
            sumPool(pr, ins[0] as Int32Array, I);
            break;
          case 'add':
            addStep(l, ins, I);
            break;
          case 'max-pool':
            maxPoolStep(pr, ins[0] as Int32Array, counts[i] as Int32Array, I);
            break;
        }
      const st = states[i];
      if (st !== undefined) stepSpikes[k++] = stepNeuron(st, I, outs[i] as Int32Array);
    }
    readout.push(Int32Array.from(outs[r.outIndex] as Int32Array));
    spikes.push(stepSpikes);
    onStep?.(t, outs, x);
  }
  return { readout, spikes };
}

/** Simulate a labelled dataset; accuracy after every step, spikes per layer. */
export function simulateInt(p: IntProgram, data: SimData, opts: IntSimOptions): IntSimResult {
  checkProgram(p);
  const T = opts.T;
  if (!Number.isInteger(T) || T <= 0 || T > 100000)
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `T = ${String(T)} is not a number of time steps in 1..100000`,
      hint: 'pass a positive integer such as --T 32',
    });
  const N = data.y.length;
  const F = elements(p.input.shape);
  const xs = data.x.data as Float32Array;
  if (xs.length !== N * F) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `the dataset has ${xs.length / Math.max(1, N)} values per sample, the integer program's input '${p.input.name}' takes ${F}`,
      hint: 'pass data shaped like the model input',
    });
  }
  const r = makeRunner(p);
  const neuronLayers = p.layers.filter((l) => l.neuron !== null);
  const correct = new Float64Array(T);
  const predictions = new Int32Array(N);
  const spikeTot = new Float64Array(neuronLayers.length);
  const trace = neuronLayers.map(() => new Array<number>(T).fill(0));
  const C = elements((p.layers[r.outIndex] as (typeof p.layers)[number]).outShape);
  const sums = new Float64Array(C);
  const rec = opts.activity === true ? activityRecorder(p, r.prep, T) : null;
  for (let s = 0; s < N; s++) {
    const run = runWith(r, p, quantizeInput(p.input, xs, s * F), T, s, opts.seed ?? 0, rec?.onStep);
    sums.fill(0);
    let pred = 0;
    for (let t = 0; t < T; t++) {
      const ro = run.readout[t] as Int32Array;
      pred = 0;
      for (let c = 0; c < C; c++) {
        sums[c] = (sums[c] as number) + (ro[c] as number);
        if ((sums[c] as number) > (sums[pred] as number)) pred = c;
      }
      if (pred === data.y[s]) correct[t] = (correct[t] as number) + 1;
      const sp = run.spikes[t] as Int32Array;
      for (let k = 0; k < sp.length; k++) {
        spikeTot[k] = (spikeTot[k] as number) + (sp[k] as number);
        (trace[k] as number[])[t] = ((trace[k] as number[])[t] as number) + (sp[k] as number);
      }
    }
    predictions[s] = pred;
    opts.onProgress?.(s + 1, N);
  }
  const layers = p.layers.map((l) => {
    const k = neuronLayers.indexOf(l);
    const spikes = k >= 0 ? (spikeTot[k] as number) / N : 0;
    const neurons = elements(l.outShape);
    return { name: l.name, kind: l.kind, neurons, spikes, firingRate: spikes / (neurons * T) };
  });
  return {
    samples: N,
    T,
    accuracyPerStep: Array.from(correct, (c) => c / N),
    predictions,
    spikesPerSample: layers.reduce((a, l) => a + l.spikes, 0),
    layers,
    ...(opts.trace === true ? { trace: neuronLayers.map((l, k) => ({ layer: l.name, spikesPerStep: trace[k] as number[] })) } : {}),
    ...(rec !== null ? { activity: rec.result() } : {}),
  };
}
