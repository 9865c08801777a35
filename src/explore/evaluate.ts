// One unit of `snnc explore`: quantize the converted network with one configuration, run
// the integer-exact simulation to the largest T (which gives every smaller T), and measure
// accuracy, memory, spikes, synaptic operations and — through the target's cost model —
// energy and latency. Runs in the main thread or in a worker (worker.ts); it reads
// nothing but its arguments, so a unit gives the same numbers wherever it runs.
import { isNeuron } from '../ir/types.js';
import { isSnncError } from '../errors.js';
import { backendFor } from '../backends/registry.js';
import type { BackendMapping, BackendTarget } from '../backends/registry.js';
import type { Activity, LayerActivity, LayerKind } from '../costmodel/types.js';
import type { Graph } from '../ir/types.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import { elements } from '../sim/int/program.js';
import type { IntSimResult } from '../sim/int/simulate.js';
import { simulateInt } from '../sim/int/simulate.js';
import type { SimData } from '../sim/snn/types.js';
import { stretchSteps } from '../backends/common/activity.js';
import type { ExploreUnit } from './space.js';
import { configName } from './space.js';
import { memoryReport } from '../sim/int/memory.js';

export interface UnitPoint {
  readonly T: number;
  readonly accuracy: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
  readonly energyJ: number | null;
  readonly latencyS: number | null;
}

export type UnitResult =
  | {
      readonly index: number;
      readonly config: string;
      readonly ok: true;
      readonly memoryBits: number;
      readonly float32Bits: number;
      readonly points: readonly UnitPoint[];
    }
  | { readonly index: number; readonly config: string; readonly ok: false; readonly reason: string };

export interface EvalContext {
  readonly snn: Graph;
  readonly data: SimData;
  /** Ascending. */
  readonly Ts: readonly number[];
  readonly seed: number;
  /** The target whose backend record maps and costs each configuration. */
  readonly target: BackendTarget;
  /** The target cannot run the network (then energy and latency are null). */
  readonly targetUnavailable: boolean;
  /** Steps the target runs beyond T (Loihi: one synaptic delay per layer), costed too. */
  readonly extraSteps: number;
  /** Quantizer settings every configuration shares. */
  readonly quant: { readonly perChannel: boolean; readonly pow2: boolean; readonly overflow: 'saturate' | 'wrap' };
}

const KIND: Readonly<Record<string, LayerKind>> = { dense: 'dense', conv: 'conv', 'sum-pool': 'pool' };

/**
 * Other names of program layers: the integer program names a layer with a neuron after the
 * neuron (`fc1`), while the graph's affine node (`fc1/linear`) is what IMC mappings use.
 */
function affineNames(g: Graph): Map<string, string> {
  const neuronOf = new Map<string, string>();
  for (const n of g.nodes) if (isNeuron(n)) neuronOf.set(n.inputs[0] ?? '', n.name);
  const out = new Map<string, string>();
  for (const n of g.nodes) {
    const neuron = neuronOf.get(n.outputs[0] ?? '');
    if (neuron !== undefined && neuron !== n.name) out.set(neuron, n.name);
  }
  return out;
}

/** MACs of one step when the inputs are not binary (each output × its fan-in), as the float simulator counts them. */
function macsPerStep(l: IntProgram['layers'][number]): number {
  const g = l.geometry;
  const kk = g === undefined ? 1 : g.kernel[0] * g.kernel[1];
  switch (l.kind) {
    case 'dense':
      return l.weights.length;
    case 'conv':
      return elements(l.outShape) * ((l.inShape[0] ?? 1) / (g?.group ?? 1)) * kk;
    case 'sum-pool':
      return elements(l.outShape) * kk;
    case 'add':
    case 'max-pool':
      return 0;
  }
}

/**
 * Activity over the first T steps from the integer simulation's per-step counts (simulateInt
 * with `activity`); a layer is also listed under its other name (`aliases`: program → graph).
 */
export function activityFromInt(p: IntProgram, r: IntSimResult, T: number, aliases: ReadonlyMap<string, string>): Activity {
  const N = Math.max(1, r.samples);
  const upTo = (xs: readonly number[]): number => xs.slice(0, T).reduce((a, x) => a + x, 0) / N;
  const steps = new Map((r.activity ?? []).map((a) => [a.layer, a]));
  const events = (name: string): number => {
    const a = steps.get(name);
    return a === undefined ? 0 : upTo(a.nonzeroPerStep);
  };
  const isSpikes = (name: string): boolean => (name === p.input.name ? p.input.coding === 'poisson' : p.layers.find((l) => l.name === name)?.outBits === 1);
  const layers: LayerActivity[] = [];
  for (const l of p.layers) {
    const src = l.inputs[0] ?? '';
    const spikeInput = isSpikes(src);
    const a = steps.get(l.name);
    const rec: LayerActivity = {
      name: l.name,
      kind: KIND[l.kind] ?? 'other',
      inputSpikes: spikeInput && src !== p.input.name ? events(src) : 0,
      synops: a === undefined ? 0 : upTo(a.synopsPerStep),
      macs: spikeInput ? 0 : macsPerStep(l) * T,
      neurons: elements(l.outShape),
      neuronUpdates: elements(l.outShape) * T,
      outputSpikes: l.outBits === 1 ? events(l.name) : 0,
    };
    layers.push(rec);
    const alias = aliases.get(l.name);
    if (alias !== undefined) layers.push({ ...rec, name: alias });
  }
  return { T, layers };
}

/** Energy and latency of one configuration at T through the target's backend record (its mapping may depend on the widths). */
function costOf(ctx: EvalContext, p: IntProgram, u: ExploreUnit, T: number, act: Activity): { energyJ: number | null; latencyS: number | null } {
  const record = backendFor(ctx.target.kind);
  if (ctx.targetUnavailable || record?.map === undefined) return { energyJ: null, latencyS: null };
  const mapping: BackendMapping = record.map(ctx.snn, ctx.target, { T, program: () => p, weightBits: u.weightBits });
  const cost = record.cost(ctx.target, mapping, act);
  return { energyJ: cost.energyJ, latencyS: cost.latencyS };
}

export function evaluateUnit(ctx: EvalContext, u: ExploreUnit, onProgress?: (done: number, total: number) => void): UnitResult {
  const config = configName(u);
  let program: IntProgram;
  try {
    program = quantizeGraph(ctx.snn, {
      bits: { w: u.weightBits, th: u.neuronBits, b: u.neuronBits },
      rounding: u.rounding,
      seed: ctx.seed,
      ...ctx.quant,
    }).program;
  } catch (e) {
    // A configuration the quantizer cannot map (or a program its check refuses) is a result
    // of the sweep, listed with the reason, not the end of it.
    if (!isSnncError(e) || (e.code !== 'SNNC_E_QUANTIZE' && e.code !== 'SNNC_E_INT_PROGRAM')) throw e;
    return { index: u.index, config, ok: false, reason: e.message };
  }
  const Tmax = ctx.Ts[ctx.Ts.length - 1] ?? 1;
  const r = simulateInt(program, ctx.data, { T: Tmax, seed: ctx.seed, activity: true, ...(onProgress !== undefined ? { onProgress } : {}) });
  const mem = memoryReport(program);
  const aliases = affineNames(ctx.snn);
  const own = new Set(program.layers.map((l) => l.name));
  const neurons = new Set(program.layers.filter((l) => l.neuron !== null).map((l) => l.name));
  const points = ctx.Ts.map((T): UnitPoint => {
    const int = activityFromInt(program, r, T, aliases);
    // Loihi runs extra steps after the input (one synaptic delay per layer), as compile costs it.
    const act = ctx.extraSteps > 0 ? stretchSteps(int, T + ctx.extraSteps) : int;
    const { energyJ, latencyS } = costOf(ctx, program, u, T, act);
    const mine = act.layers.filter((l) => own.has(l.name));
    return {
      T,
      accuracy: r.accuracyPerStep[T - 1] ?? 0,
      spikesPerSample: mine.filter((l) => neurons.has(l.name)).reduce((s, l) => s + l.outputSpikes, 0),
      synopsPerSample: mine.reduce((s, l) => s + l.synops, 0),
      energyJ,
      latencyS,
    };
  });
  return { index: u.index, config, ok: true, memoryBits: mem.total.totalBits, float32Bits: mem.total.float32Bits, points };
}
