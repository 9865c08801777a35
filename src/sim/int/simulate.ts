// Integer-exact simulation of an IntProgram over a labelled dataset (the contract is in
// program.ts). Samples run in batches (sample.ts's runSamples), which cannot change a result:
// each sample's integers are computed exactly as alone; readout sums are exact integers
// (< 2^53) in a Float64Array. Convolutions run on the
// WebAssembly scatter kernels where they are provably exact (fast-conv.ts).
import { fail } from '../../errors.js';
import type { SimData } from '../snn/types.js';
import { checkProgram } from './check.js';
import { wasmKernels } from './fast-conv.js';
import { elements } from './program.js';
import type { IntProgram } from './program.js';
import { makeRunner, quantizeInput, runSamples } from './sample.js';
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
  /** Called after each batch of samples (up to 64) with the samples done so far. */
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

/**
 * Samples per runSamples call: enough that each kernel call's fixed cost (a WebAssembly call,
 * copies in and out: ~0.5 µs) is spread over many samples (at most 64), few enough that all the
 * batch's registers — per layer its outputs, and for a neuron layer its currents, membranes,
 * refractory and synaptic counters, for a max pool its spike counts — stay within 2^22 int32
 * values (16 MB): a deep net (ResNet-56: 57 neuron layers of 16 × 32 × 32) runs one at a time.
 */
export function batchSize(p: IntProgram, N: number): number {
  let words = 2 * elements(p.input.shape);
  for (const l of p.layers) {
    const out = elements(l.outShape);
    words += out + (l.neuron !== null ? 4 * out : 0) + (l.kind === 'max-pool' ? elements(l.inShape) : 0);
  }
  return Math.max(1, Math.min(64, N, Math.floor(2 ** 22 / words)));
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
  const r = makeRunner(p, wasmKernels);
  const neuronLayers = p.layers.filter((l) => l.neuron !== null);
  const correct = new Float64Array(T);
  const predictions = new Int32Array(N);
  const spikeTot = new Float64Array(neuronLayers.length);
  const trace = neuronLayers.map(() => new Array<number>(T).fill(0));
  const C = elements((p.layers[r.outIndex] as (typeof p.layers)[number]).outShape);
  const sums = new Float64Array(C);
  const rec = opts.activity === true ? activityRecorder(p, r.prep, T) : null;
  const B = batchSize(p, N);
  for (let s0 = 0; s0 < N; s0 += B) {
    const count = Math.min(B, N - s0);
    const xq = new Int32Array(count * F);
    for (let b = 0; b < count; b++) xq.set(quantizeInput(p.input, xs, (s0 + b) * F), b * F);
    const run = runSamples(r, p, xq, count, T, s0, opts.seed ?? 0, rec?.onStep);
    for (let t = 0; t < T; t++) {
      const sp = run.spikes[t] as Int32Array;
      for (let k = 0; k < sp.length; k++) {
        spikeTot[k] = (spikeTot[k] as number) + (sp[k] as number);
        (trace[k] as number[])[t] = ((trace[k] as number[])[t] as number) + (sp[k] as number);
      }
    }
    for (let b = 0; b < count; b++) {
      const s = s0 + b;
      sums.fill(0);
      let pred = 0;
      for (let t = 0; t < T; t++) {
        const ro = run.readout[t] as Int32Array;
        pred = 0;
        for (let c = 0; c < C; c++) {
          sums[c] = (sums[c] as number) + (ro[b * C + c] as number);
          if ((sums[c] as number) > (sums[pred] as number)) pred = c;
        }
        if (pred === data.y[s]) correct[t] = (correct[t] as number) + 1;
      }
      predictions[s] = pred;
    }
    opts.onProgress?.(s0 + count, N);
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
