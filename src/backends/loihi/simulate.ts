// The bit-accurate simulation of the netx network the Loihi backend emits: the converted
// graph lowered and quantized with the emitter's own options, then run as lava runs it
// (CUBA neuron, 24-bit state, one step of synaptic delay per layer).
//
// Timing: with lava's delay, synaptic layer k sees the input k steps late, so the readout
// (layer L) sees input step t at step t + L. "Loihi at T" therefore presents the input for
// T steps and reads the readout L steps later (T + L steps run; the input keeps being
// presented during those L steps, which cannot reach the readout in time, so one run gives
// the accuracy for every T ≤ T_max). What remains of the delay is real chip behaviour:
// layer k integrates its bias alone for its first k steps.
import type { BackendDiagnostic } from '../common/types.js';
import { fail } from '../../errors.js';
import type { Graph } from '../../ir/types.js';
import { poissonWords } from '../../sim/int/sample.js';
import type { SimData } from '../../sim/snn/types.js';
import type { QuantizeSettings } from '../../ir/types.js';
import { lowerGraph } from './lower.js';
import { quantizeLayers } from './quantize.js';
import type { LayerQuant, QuantizeOptions } from './quantize.js';
import type { FloatLayer, NetxLayer } from './types.js';
import { prepareNetx, simulateNetx } from './cuba.js';
import { quantizeOptionsFor } from './index.js';

/**
 * The integer SNN a Loihi run is compared with: the default integer program restricted to
 * what netx can hold — 8-bit weights with one scale per layer (netx has one threshold,
 * vThMant, per neuron group, so per-channel weight scales have nothing to map to), 13-bit
 * biases (bias mantissa) and a 24-bit saturating membrane.
 */
export const LOIHI_INT_SETTINGS: QuantizeSettings = { perChannel: false, bits: { w: 8, b: 13, v: 24 } };

export interface LoihiSimOptions {
  /** Input steps (the largest T; every smaller T is read from the same run). */
  readonly T: number;
  /** lava's one-step delay per synaptic layer (default true, as on the chip). */
  readonly synapticDelay?: boolean;
  /** Integer input for 1.0 of the graph input (default: the emitter's, 255 for direct coding). */
  readonly inputScale?: number;
  /** Readout the netx file uses (default: the emitter's, 'integrator'). */
  readonly readout?: QuantizeOptions['readout'];
  /** Seed of the Poisson input coding (default 0; the integer simulator's spike generator). */
  readonly seed?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface LoihiSimResult {
  readonly samples: number;
  readonly T: number;
  /** Steps from an input step to the readout (synaptic layers with delay, else 0). */
  readonly latency: number;
  /** Steps run per sample: T + latency. */
  readonly steps: number;
  readonly synapticDelay: boolean;
  readonly inputScale: number;
  readonly readout: 'integrator' | 'accumulate';
  /** Index t−1: accuracy with the input presented for t steps (read `latency` steps later). */
  readonly accuracyPerStep: number[];
  readonly predictions: Int32Array;
  readonly spikesPerSample: number;
  /** Spiking netx layers (pooling included), spikes per sample over `steps`. */
  readonly layers: { readonly name: string; readonly neurons: number; readonly spikes: number; readonly firingRate: number }[];
  /** Neuron-steps per sample with |a_in| > 32767 (lava's int16 a_in port would wrap them). */
  readonly aInOver16: number;
  /** The options the netx file must be emitted with to be the network simulated here. */
  readonly emitOptions: QuantizeOptions;
  readonly quant: readonly LayerQuant[];
  readonly diagnostics: readonly BackendDiagnostic[];
}

/** Synaptic layers of a lowered chain (pools included): the readout's delay in steps. */
function synapticLayers(float: readonly FloatLayer[]): number {
  return float.filter((l) => l.kind === 'dense' || l.kind === 'conv' || l.kind === 'pool').length;
}

/** The readout's delay in steps: one per synaptic layer between the input and the readout. */
export function loihiLatency(snn: Graph): number {
  return synapticLayers(lowerGraph(snn, []));
}

/**
 * The quantization options for a Loihi run of T input steps: the emitter's defaults, and
 * timesteps = T + latency so the readout cannot overflow. compile emits with these too.
 */
export function loihiQuantizeOptions(snn: Graph, T: number, opts: Pick<LoihiSimOptions, 'synapticDelay' | 'inputScale' | 'readout'> = {}): QuantizeOptions {
  const latency = (opts.synapticDelay ?? true) ? loihiLatency(snn) : 0;
  return quantizeOptionsFor(snn, {
    timesteps: T + latency,
    ...(opts.inputScale !== undefined ? { inputScale: opts.inputScale } : {}),
    ...(opts.readout !== undefined ? { readout: opts.readout } : {}),
  });
}

function roundAway(x: number): number {
  return Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
}

export function simulateLoihi(snn: Graph, data: SimData, opts: LoihiSimOptions): LoihiSimResult {
  const T = opts.T;
  if (!Number.isInteger(T) || T <= 0 || T > 100000)
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `T = ${String(T)} is not a number of time steps in 1..100000`,
      hint: 'pass a positive integer such as --T 32',
    });
  const diagnostics: BackendDiagnostic[] = [];
  const float = lowerGraph(snn, diagnostics);
  const delay = opts.synapticDelay ?? true;
  const latency = delay ? synapticLayers(float) : 0;
  const steps = T + latency;
  const qopts = loihiQuantizeOptions(snn, T, opts);
  const q = quantizeLayers(float, qopts, diagnostics);
  const net = prepareNetx(q.layers);
  const inputScale = qopts.inputScale ?? 1;
  const poisson = snn.meta['snnc.coding'] === 'poisson';
  const N = data.y.length;
  const F = net.inSize;
  const xs = data.x.data as Float32Array;
  if (xs.length !== N * F) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `the dataset has ${xs.length / Math.max(1, N)} values per sample, the Loihi network's input takes ${F}`,
      hint: 'pass data shaped like the model input',
    });
  }
  const correct = new Float64Array(T);
  const predictions = new Int32Array(N);
  const spikeTot = new Float64Array(q.layers.length);
  let over = 0;
  const xInt = new Int32Array(F);
  const hi = poisson ? 255 : inputScale;
  const lo = poisson ? 0 : -inputScale;
  for (let s = 0; s < N; s++) {
    // x·inputScale, clamped to the ±inputScale the quantizer sized the first layer for.
    for (let i = 0; i < F; i++) xInt[i] = Math.max(lo, Math.min(hi, roundAway((xs[s * F + i] as number) * hi)));
    let input: ArrayLike<number> = xInt;
    if (poisson) {
      // Binary spikes with probability x, drawn exactly as the integer simulator's 8-bit
      // Poisson input (the same seed gives the same spikes).
      const sp = new Uint8Array(steps * F);
      for (let t = 0; t < steps; t++) {
        const u = poissonWords(opts.seed ?? 0, s, t, F);
        for (let i = 0; i < F; i++) sp[t * F + i] = (u[i] as number) >>> 24 < (xInt[i] as number) ? 1 : 0;
      }
      input = sp;
    }
    const r = simulateNetx(net, input, steps, { synapticDelay: delay });
    const C = r.outputSize;
    let pred = 0;
    for (let t = 1; t <= T; t++) {
      const base = (t - 1 + latency) * C;
      pred = 0;
      for (let c = 1; c < C; c++) if ((r.readout[base + c] as number) > (r.readout[base + pred] as number)) pred = c;
      if (pred === data.y[s]) correct[t - 1] = (correct[t - 1] as number) + 1;
    }
    predictions[s] = pred;
    r.spikes.forEach((k, i) => {
      spikeTot[i] = (spikeTot[i] as number) + k;
    });
    over += r.aInOver16;
    opts.onProgress?.(s + 1, N);
  }
  const layers = q.layers.flatMap((l: NetxLayer, i) => {
    if (l.type !== 'dense' && l.type !== 'conv') return [];
    if (l.neuron === undefined) return [];
    const info = q.info[i];
    const neurons = l.shape.reduce((p, d) => p * d, 1);
    const spikes = (spikeTot[i] as number) / Math.max(1, N);
    return [{ name: info?.neuron ?? info?.node ?? `layer${i}`, neurons, spikes, firingRate: spikes / (neurons * steps) }];
  });
  return {
    samples: N,
    T,
    latency,
    steps,
    synapticDelay: delay,
    inputScale,
    readout: qopts.readout ?? 'integrator',
    accuracyPerStep: Array.from(correct, (c) => c / Math.max(1, N)),
    predictions,
    spikesPerSample: layers.reduce((a, l) => a + l.spikes, 0),
    layers,
    aInOver16: over / Math.max(1, N),
    emitOptions: qopts,
    quant: q.info,
    diagnostics,
  };
}
