// One unit of `snnc explore`: quantize the converted network with one configuration, run
// the integer-exact simulation to the largest T (which gives every smaller T), and measure
// accuracy, memory, spikes, synaptic operations and — through the target's cost model —
// energy and latency. Runs in the main thread or in a worker (explore-worker.ts); it reads
// nothing but its arguments, so a unit gives the same numbers wherever it runs.
import { isSnncError } from '../errors.js';
import { emit as emitImc } from '../backends/imc/index.js';
import { estimate as estimateFpga, makePlan } from '../backends/fpga/index.js';
import { estimateCost } from '../costmodel/index.js';
import type { Target } from '../costmodel/target.js';
import type { Activity, LayerActivity, LayerKind, Mapping } from '../costmodel/types.js';
import type { Graph } from '../ir/types.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import { elements } from '../sim/int/program.js';
import type { IntSimResult } from '../sim/int/simulate.js';
import { quantizeInput, simulateInt } from '../sim/int/simulate.js';
import type { SimData } from '../sim/snn/types.js';
import type { ExploreUnit } from './explore-space.js';
import { configName } from './explore-space.js';
import { memoryReport } from './memory.js';
import { stretchSteps } from './activity.js';
import { loihiLatency } from './simulate-loihi.js';

export interface UnitPoint {
  readonly T: number;
  readonly accuracy: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
  readonly energyJ: number | null;
  readonly latencyS: number | null;
}

export type UnitResult =
  | { readonly index: number; readonly config: string; readonly ok: true; readonly memoryBits: number; readonly float32Bits: number; readonly points: readonly UnitPoint[] }
  | { readonly index: number; readonly config: string; readonly ok: false; readonly reason: string };

export interface EvalContext {
  readonly snn: Graph;
  readonly data: SimData;
  /** Ascending. */
  readonly Ts: readonly number[];
  readonly seed: number;
  readonly target: Target;
  /** A mapping that does not depend on the configuration (Loihi: netx's own fixed point), or null. */
  readonly fixedMapping: Mapping | null;
  /** The target cannot run the network (then energy and latency are null). */
  readonly targetUnavailable: boolean;
}

const KIND: Readonly<Record<string, LayerKind>> = { dense: 'dense', conv: 'conv', 'sum-pool': 'pool' };

/** Neuron node fed by each affine node, so activity is found under either name. */
function neuronNames(g: Graph): Map<string, string> {
  const byValue = new Map<string, string>();
  for (const n of g.nodes) if (n.op === 'IF' || n.op === 'LIF') byValue.set(n.inputs[0] ?? '', n.name);
  const out = new Map<string, string>();
  for (const n of g.nodes) {
    const neuron = byValue.get(n.outputs[0] ?? '');
    if (neuron !== undefined && neuron !== n.name) out.set(n.name, neuron);
  }
  return out;
}

/** Outputs one input event reaches: the cost models' synop convention (docs/costmodel.md). */
function fanOut(l: IntProgram['layers'][number]): number {
  const g = l.geometry;
  switch (l.kind) {
    case 'dense': return l.outShape[0] ?? 0;
    case 'conv': return g === undefined ? 0 : ((l.outShape[0] ?? 0) * g.kernel[0] * g.kernel[1]) / g.group;
    case 'sum-pool':
    case 'max-pool': return g === undefined ? 1 : Math.ceil(g.kernel[0] / g.strides[0]) * Math.ceil(g.kernel[1] / g.strides[1]);
    case 'add': return 1;
  }
}

/** MACs of one step when the inputs are not binary (each output × its fan-in). */
function macsPerStep(l: IntProgram['layers'][number]): number {
  const g = l.geometry;
  const kk = g === undefined ? 1 : g.kernel[0] * g.kernel[1];
  switch (l.kind) {
    case 'dense': return l.weights.length;
    case 'conv': return elements(l.outShape) * ((l.inShape[0] ?? 1) / (g?.group ?? 1)) * kk;
    case 'sum-pool':
    case 'max-pool': return elements(l.outShape) * kk;
    case 'add': return elements(l.outShape) * l.inputs.length;
  }
}

/**
 * Activity over the first T steps from the integer simulation's per-step counts.
 * `inputEventsPerStep`: mean input spikes per step under Poisson coding (0 for direct).
 */
export function activityFromInt(p: IntProgram, r: IntSimResult, T: number, neurons: ReadonlyMap<string, string>, inputEventsPerStep = 0): Activity {
  const N = Math.max(1, r.samples);
  const events = new Map((r.activity ?? []).map((a) => [a.layer, a.nonzeroPerStep.slice(0, T).reduce((s, x) => s + x, 0) / N]));
  events.set(p.input.name, inputEventsPerStep * T);
  const binary = new Map(p.layers.map((l) => [l.name, l.outBits === 1]));
  binary.set(p.input.name, p.input.coding === 'poisson');
  const layers: LayerActivity[] = [];
  for (const l of p.layers) {
    const spikeInput = l.inputs.every((i) => binary.get(i) === true);
    const inputSpikes = spikeInput ? l.inputs.reduce((s, i) => s + (events.get(i) ?? 0), 0) : 0;
    const rec: LayerActivity = {
      name: l.name,
      kind: KIND[l.kind] ?? 'other',
      inputSpikes,
      synops: inputSpikes * fanOut(l),
      macs: spikeInput ? 0 : macsPerStep(l) * T,
      neurons: elements(l.outShape),
      neuronUpdates: elements(l.outShape) * T,
      outputSpikes: l.outBits === 1 ? (events.get(l.name) ?? 0) : 0,
    };
    layers.push(rec);
    const neuron = neurons.get(l.name);
    if (neuron !== undefined) layers.push({ ...rec, name: neuron });
  }
  return { T, layers };
}

/** Mean input spikes per step under Poisson coding: Σ P(spike) = Σ x_q / (2^bits − 1). */
function poissonRate(p: IntProgram, data: SimData): number {
  if (p.input.coding !== 'poisson') return 0;
  const x = data.x.data as Float32Array;
  const N = Math.max(1, data.y.length);
  const F = x.length / N;
  const hi = 2 ** p.input.bits - 1;
  let sum = 0;
  for (let s = 0; s < N; s++) for (const v of quantizeInput(p.input, x, s * F)) sum += v / hi;
  return sum / N;
}

/** The target's mapping for this configuration (FPGA and IMC depend on the bit widths). */
function mappingFor(ctx: EvalContext, p: IntProgram, u: ExploreUnit, T: number): Mapping | null {
  if (ctx.targetUnavailable) return null;
  const t = ctx.target;
  if (t.kind === 'fpga') return estimateFpga(makePlan(p, T, 1, 'array'), t).mapping;
  if (t.kind === 'imc') return emitImc(ctx.snn, t, { weightBits: u.weightBits }).mapping;
  return ctx.fixedMapping;
}

export function evaluateUnit(ctx: EvalContext, u: ExploreUnit, onProgress?: (done: number, total: number) => void): UnitResult {
  const config = configName(u);
  let program: IntProgram;
  try {
    program = quantizeGraph(ctx.snn, { bits: { w: u.weightBits, th: u.neuronBits, b: u.neuronBits }, rounding: u.rounding, seed: ctx.seed }).program;
  } catch (e) {
    if (!isSnncError(e) || e.code !== 'SNNC_E_QUANTIZE') throw e;
    return { index: u.index, config, ok: false, reason: e.message };
  }
  const Tmax = ctx.Ts[ctx.Ts.length - 1] ?? 1;
  const r = simulateInt(program, ctx.data, { T: Tmax, seed: ctx.seed, activity: true, ...(onProgress !== undefined ? { onProgress } : {}) });
  const mem = memoryReport(program);
  const neurons = neuronNames(ctx.snn);
  const rate = poissonRate(program, ctx.data);
  const points = ctx.Ts.map((T): UnitPoint => {
    const int = activityFromInt(program, r, T, neurons, rate);
    // Loihi runs L more steps than the input is shown (one synaptic delay per layer), as compile costs it.
    const act = ctx.target.kind === 'loihi' ? stretchSteps(int, T + loihiLatency(ctx.snn)) : int;
    const own = act.layers.filter((l) => program.layers.some((pl) => pl.name === l.name));
    const spiking = act.layers.filter((l) => program.layers.some((pl) => pl.name === l.name && pl.neuron !== null));
    let energyJ: number | null = null;
    let latencyS: number | null = null;
    const mapping = mappingFor(ctx, program, u, T);
    if (mapping !== null) {
      const cost = estimateCost(ctx.target, mapping, act);
      energyJ = cost.energyJ;
      latencyS = cost.latencyS;
    }
    return {
      T,
      accuracy: r.accuracyPerStep[T - 1] ?? 0,
      spikesPerSample: spiking.reduce((s, l) => s + l.outputSpikes, 0),
      synopsPerSample: own.reduce((s, l) => s + l.synops, 0),
      energyJ,
      latencyS,
    };
  });
  return { index: u.index, config, ok: true, memoryBits: mem.total.totalBits, float32Bits: mem.total.float32Bits, points };
}
