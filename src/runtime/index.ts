// snnc/runtime: runs a compiled spiking network (its integer program) in any JavaScript
// environment — browsers, web workers, Node — with no `node:` imports and no WebAssembly,
// bit-exact with `snnc simulate --int`. The build plugin inlines the packed program and
// imports this module; it can also be used directly with a program from `packProgram`.
import { fail } from '../errors.js';
import type { IntProgram } from '../sim/int/program.js';
import { elements } from '../sim/int/program.js';
import { quantizeInput, runSample } from '../sim/int/sample.js';
import type { PackedProgram } from './pack.js';
import { unpackProgram } from './pack.js';

export { packProgram, unpackProgram, PACKED_FORMAT } from './pack.js';
export type { PackedProgram, PackedArray, PackedLayer, PackedNeuron } from './pack.js';

export interface RunOptions {
  /** Time steps (default: the T the model was compiled for). */
  readonly T?: number;
  /** Seed of Poisson input coding (ignored for direct coding; default 0). */
  readonly seed?: number;
  /** Also return which neurons fired at each step (for spike rasters). */
  readonly raster?: boolean;
}

export interface LayerSpikes {
  readonly layer: string;
  /** Neurons in the layer ([C,H,W] or [F] flattened). */
  readonly neurons: number;
  /** Spikes of the whole layer at each step. */
  readonly perStep: readonly number[];
  /** With `raster`: per step, the indices of the neurons that fired. */
  readonly raster?: readonly Int32Array[];
}

export interface RunResult {
  /** Index of the largest readout sum (ties → the lowest index), as `simulate --int` predicts. */
  readonly prediction: number;
  /** The readout layer's integer outputs summed over all steps (exact). */
  readonly readout: readonly number[];
  /** The prediction after every step (from the sums up to that step). */
  readonly predictionPerStep: readonly number[];
  readonly spikes: readonly LayerSpikes[];
  readonly T: number;
}

export interface SnnNet {
  readonly name: string;
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly T: number;
  /** One sample: `x` holds the input's values in the model's units (row-major). */
  run(x: ArrayLike<number>, opts?: RunOptions): RunResult;
}

function argmaxFirst(a: Float64Array): number {
  let best = 0;
  for (let c = 1; c < a.length; c++) if ((a[c] as number) > (a[best] as number)) best = c;
  return best;
}

function runOne(p: IntProgram, x: ArrayLike<number>, T: number, seed: number, raster: boolean): RunResult {
  const F = elements(p.input.shape);
  if (x.length !== F) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `run() got ${x.length} input values; the network '${p.name}' takes ${F} (shape ${p.input.shape.join('×')})`,
      node: p.input.name,
      hint: 'pass one sample, flattened row-major',
    });
  }
  if (!Number.isInteger(T) || T < 1 || T > 100000)
    throw fail({ code: 'SNNC_E_USAGE', message: `T = ${String(T)} is not a number of time steps in 1..100000`, hint: 'pass e.g. { T: 32 }' });
  const neuronLayers = p.layers.map((l, i) => ({ l, i })).filter(({ l }) => l.neuron !== null);
  const fired: Int32Array[][] = neuronLayers.map(() => []);
  const onStep = raster
    ? (_t: number, outs: readonly Int32Array[]) => {
        neuronLayers.forEach(({ i }, k) => {
          const o = outs[i] as Int32Array;
          const idx: number[] = [];
          for (let j = 0; j < o.length; j++) if (o[j] !== 0) idx.push(j);
          (fired[k] as Int32Array[]).push(Int32Array.from(idx));
        });
      }
    : undefined;
  const run = runSample(p, quantizeInput(p.input, Float32Array.from(x), 0), T, 0, seed, onStep);
  const C = run.readout[0]?.length ?? 0;
  const sums = new Float64Array(C);
  const predictionPerStep: number[] = [];
  for (const ro of run.readout) {
    for (let c = 0; c < C; c++) sums[c] = (sums[c] as number) + (ro[c] as number);
    predictionPerStep.push(argmaxFirst(sums));
  }
  const spikes = neuronLayers.map(({ l }, k) => ({
    layer: l.name,
    neurons: elements(l.outShape),
    perStep: run.spikes.map((s) => s[k] as number),
    ...(raster ? { raster: fired[k] as Int32Array[] } : {}),
  }));
  return { prediction: predictionPerStep[T - 1] ?? 0, readout: Array.from(sums), predictionPerStep, spikes, T };
}

/** A runnable network from a packed program (what `import net from './m.onnx?snn'` holds). */
export function createNet(packed: PackedProgram, defaults: { readonly T?: number } = {}): SnnNet {
  const p = unpackProgram(packed);
  const out = p.layers.find((l) => l.name === p.output);
  const T0 = defaults.T ?? 32;
  return {
    name: p.name,
    inputShape: [...p.input.shape],
    classes: out === undefined ? 0 : elements(out.outShape),
    T: T0,
    run: (x, opts = {}) => runOne(p, x, opts.T ?? T0, opts.seed ?? 0, opts.raster === true),
  };
}
