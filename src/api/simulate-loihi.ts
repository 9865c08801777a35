// `snnc simulate --target loihi1|loihi2`: the converted network run as the emitted netx file
// runs on Loihi — lowered and quantized with the emitter's own options, then simulated
// bit-accurately (lava's CUBA neuron, 24-bit state, one step of synaptic delay per layer).
//
// Timing: with lava's delay, synaptic layer k sees the input k steps late, so the readout
// (layer L) sees input step t at step t + L. "Loihi at T" therefore presents the input for
// T steps and reads the readout L steps later (T + L steps run; the input keeps being
// presented during those L steps, which cannot reach the readout in time, so one run gives
// the accuracy for every T ≤ T_max). What remains of the delay is real chip behaviour:
// layer k integrates its bias alone for its first k steps.
//
// Loihi semantics: netx's CUBA neuron resets to zero and fires on v > θ, so for a Loihi
// target snnc converts with reset 'zero', fire 'gt' unless the user chose --reset, and
// reports the float SNN of the default conversion next to it (loihiConvertOptions).
import { simulateLoihi } from '../backends/loihi/simulate.js';
import type { LoihiSimResult } from '../backends/loihi/simulate.js';
import type { BackendDiagnostic } from '../backends/common/types.js';
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { SimData } from '../sim/snn/types.js';
import { simulate } from '../sim/snn/simulate.js';
import { simulateInt } from '../sim/int/simulate.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { QuantizeSettings } from '../passes/quantize-config.js';
import { loadTarget } from '../costmodel/target.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';

export { simulateLoihi, loihiLatency, loihiQuantizeOptions } from '../backends/loihi/simulate.js';
export type { LoihiSimOptions, LoihiSimResult } from '../backends/loihi/simulate.js';

/**
 * Conversion options for a Loihi target: netx's CUBA semantics (reset to zero, fire on
 * v > θ, membranes start at 0) unless the user chose a reset explicitly.
 */
export function loihiConvertOptions<O extends ConvertOptions>(opts: O): O {
  if (opts.reset !== undefined) return opts;
  return { ...opts, reset: 'zero', fire: 'gt' };
}

/**
 * The integer SNN a Loihi run is compared with: the default integer program restricted to
 * what netx can hold — 8-bit weights with one scale per layer (netx has one threshold,
 * vThMant, per neuron group, so per-channel weight scales have nothing to map to), 13-bit
 * biases (bias mantissa) and a 24-bit saturating membrane.
 */
export const LOIHI_INT_SETTINGS: QuantizeSettings = { perChannel: false, bits: { w: 8, b: 13, v: 24 } };

export interface LoihiRow {
  readonly T: number;
  /** Float SNN of the default conversion (reset by subtraction), when it was replaced. */
  readonly snnDefault?: number;
  /** Float SNN of the graph that runs on Loihi. */
  readonly snn: number;
  /** Integer SNN of that graph at Loihi's precisions (LOIHI_INT_SETTINGS). */
  readonly int: number;
  /** Bit-accurate netx simulation. */
  readonly loihi: number;
}

export interface LoihiComparison {
  readonly target: string;
  readonly samples: number;
  readonly rows: readonly LoihiRow[];
  readonly conversion: { readonly reset: string; readonly fire: string; readonly loihiSemantics: boolean };
  readonly latency: number;
  /** Steps run for the largest T (T + latency). */
  readonly steps: number;
  readonly synapticDelay: boolean;
  readonly inputScale: number;
  readonly readout: string;
  readonly aInOver16: number;
  readonly spikesPerSample: number;
  readonly layers: LoihiSimResult['layers'];
  readonly diagnostics: readonly BackendDiagnostic[];
  readonly note: string;
}

function neuronAttr(g: Graph, key: 'reset' | 'fire'): string {
  const n = g.nodes.find((x) => x.op === 'IF' || x.op === 'LIF');
  return n !== undefined && (n.op === 'IF' || n.op === 'LIF') ? n.attrs[key] : 'unknown';
}

/**
 * Loihi next to the float and integer SNN of the same graph, on the same samples, for every
 * T. `model` is what the user gave: an ANN is also converted with the user's own options
 * (`convert`, before loihiConvertOptions) when Loihi semantics replaced them, so the
 * accuracy the change costs is reported rather than hidden.
 */
export function simulateOnLoihi(model: Graph, snn: Graph, targetName: string, data: SimData, opts: { T: readonly number[]; convert?: ConvertOptions; onProgress?: (stage: string, done: number, total: number) => void }): LoihiComparison {
  const target = loadTarget(targetName);
  if (target.kind !== 'loihi') {
    throw fail({ code: 'SNNC_E_USAGE', message: `--target ${targetName} is a ${target.kind} target, not a Loihi target`, hint: 'use loihi1 or loihi2' });
  }
  const Ts = [...new Set(opts.T)].sort((a, b) => a - b);
  const Tmax = Ts[Ts.length - 1] ?? 1;
  const progress = (stage: string) => (done: number, total: number): void => opts.onProgress?.(stage, done, total);
  const loihiSemantics = !isConverted(model) && opts.convert?.reset === undefined;
  let snnDefault: number[] | undefined;
  if (loihiSemantics) {
    const g = convertModel(model, opts.convert ?? {}).graph;
    snnDefault = simulate(g, data, { T: Tmax, onProgress: progress(`float SNN (default conversion) T=${Tmax}`) }).accuracyPerStep;
  }
  const snnAcc = simulate(snn, data, { T: Tmax, onProgress: progress(`float SNN T=${Tmax}`) }).accuracyPerStep;
  const intAcc = simulateInt(quantizeGraph(snn, LOIHI_INT_SETTINGS).program, data, { T: Tmax, onProgress: progress(`integer SNN T=${Tmax}`) }).accuracyPerStep;
  const lo = simulateLoihi(snn, data, { T: Tmax, onProgress: progress(`${target.name} (netx, bit-accurate) T=${Tmax}`) });
  const rows = Ts.map((T) => ({
    T,
    ...(snnDefault !== undefined ? { snnDefault: snnDefault[T - 1] ?? 0 } : {}),
    snn: snnAcc[T - 1] ?? 0,
    int: intAcc[T - 1] ?? 0,
    loihi: lo.accuracyPerStep[T - 1] ?? 0,
  }));
  return {
    target: target.name,
    samples: data.y.length,
    rows,
    conversion: { reset: neuronAttr(snn, 'reset'), fire: neuronAttr(snn, 'fire'), loihiSemantics },
    latency: lo.latency,
    steps: lo.steps,
    synapticDelay: lo.synapticDelay,
    inputScale: lo.inputScale,
    readout: lo.readout,
    aInOver16: lo.aInOver16,
    spikesPerSample: lo.spikesPerSample,
    layers: lo.layers,
    diagnostics: lo.diagnostics,
    note: `bit-accurate simulation of the emitted netx network (lava CUBA fixed point, one-step synaptic delay per layer: input presented for T steps, read ${lo.latency} steps later); no Lava runtime or chip was run`,
  };
}
