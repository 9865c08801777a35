// What both simulation modes share for one simulate() call: the plan, caches keyed by
// node (fan-outs, MACs, neuron parameters, scatter plans), the per-batch trace they
// fill, and the steps common to both (static pre-pass, spiking-op state, counting).
import { fail } from '../../errors.js';
import type { Node, Tensor } from '../../ir/types.js';
import type { Kernel, RunCtx } from '../ann/kernel.js';
import { StepBuffers } from '../ann/kernel.js';
import { KERNELS } from '../ann/table.js';
import type { NeuronParams, NeuronState } from './neurons.js';
import { initNeurons, neuronParams } from './neurons.js';
import type { Owner, SimPlan } from './plan.js';
import { AFFINE_OPS, ownerOf } from './plan.js';
import type { ScatterPlan } from './scatter.js';
import { scatterPlan, scatterRun } from './scatter.js';
import type { MaxPoolPlan, MaxPoolState } from './spike-maxpool.js';
import { initMaxPool, maxPoolPlan } from './spike-maxpool.js';
import type { SpikeInputCount } from './synops.js';
import { countSynops, fanoutOf, macsOf } from './synops.js';

export interface Runtime {
  readonly plan: SimPlan;
  readonly T: number;
  readonly ctx: RunCtx;
  /** rt.ctx with output buffers recycled from step to step (the event-driven loop's; see StepBuffers). */
  readonly stepCtx: RunCtx & { readonly outputs: StepBuffers };
  readonly seed: number;
  /** Per-sample shapes of values as seen at run time. */
  readonly shapes: Map<string, readonly number[]>;
  readonly owners: Map<string, Owner>;
  readonly fanouts: Map<string, SpikeInputCount>;
  /** Dense MACs per sample and step, per affine node with an analog input. */
  readonly macs: Map<string, number>;
  /** Synops per affine node, summed over every sample and step run (for per-layer costs). */
  readonly nodeSynops: Map<string, number>;
  readonly neurons: Map<string, NeuronParams>;
  readonly pools: Map<string, MaxPoolPlan>;
  readonly scatter: Map<string, ScatterPlan | undefined>;
  /** Elements per sample of each layer (filled when first run). */
  readonly layerSize: number[];
  /** 'dense': time-stepped affine ops always run the ANN kernels. */
  readonly affine: 'auto' | 'dense';
}

/** What one batch produced. Arrays are indexed [layer][t][b] and [t][b][class]. */
export interface BatchTrace {
  readonly B: number;
  readonly classes: number;
  /** Readout summed over steps 0..t. */
  readonly readout: Float64Array;
  readonly spikes: Float64Array;
  readonly synops: Float64Array;
  /** Steps computed (event-driven stops once every sample has exited). */
  stepsRun: number;
}

export function newRuntime(plan: SimPlan, T: number, limit: number, seed: number, affine: 'auto' | 'dense' = 'auto'): Runtime {
  return {
    plan,
    T,
    ctx: { limit, exactSums: true },
    stepCtx: { limit, exactSums: true, outputs: new StepBuffers() },
    seed,
    shapes: new Map(),
    owners: new Map(),
    fanouts: new Map(),
    macs: new Map(),
    nodeSynops: new Map(),
    neurons: new Map(),
    pools: new Map(),
    scatter: new Map(),
    layerSize: plan.layers.map(() => 0),
    affine,
  };
}

/** Below this share of nonzero inputs, propagating only the nonzeros beats the (blocked, tuned) dense kernels (measured on LeNet). */
const SPARSE_SHARE = 0.1;

/**
 * Scatter plans kept across simulations: by node, for the same weight tensors and per-sample
 * input shape. A plan's re-laid weights, and their placement in WebAssembly memory (keyed by
 * the plan), are then made once per graph instead of on every simulate() call — compile,
 * explore and the retraining loop simulate one graph many times, and a 2-image LeNet call
 * spent most of its time (and the arena most of its space) making and placing them again.
 * This relies on a graph's tensors never being written in place (the IR is values: a change
 * is a new tensor — what every pass does); simulate()'s documentation says so to callers.
 */
const plans = new WeakMap<
  Node,
  { readonly x: string; readonly w: Tensor | undefined; readonly b: Tensor | undefined; readonly plan: ScatterPlan | undefined }
>();

function planOf(node: Node, ins: readonly (Tensor | undefined)[]): ScatterPlan | undefined {
  const x = ins[0];
  const key = x === undefined ? '' : `${x.dtype}:${x.shape.slice(1).join(',')}`;
  const known = plans.get(node);
  if (known !== undefined && known.x === key && known.w === ins[1] && known.b === ins[2]) return known.plan;
  const plan = scatterPlan(node, ins);
  plans.set(node, { x: key, w: ins[1], b: ins[2], plan });
  return plan;
}

/**
 * An affine op on a dynamic input: scatter of the nonzero inputs (scatter.ts) when a plan
 * exists and, unless `always`, the input is sparse enough; otherwise the dense ANN kernel.
 * Both give bit-identical results (see scatter.ts), so this is purely a speed choice.
 */
export function runAffine(
  rt: Runtime,
  node: Node,
  ins: readonly (Tensor | undefined)[],
  always: boolean,
  ctx: RunCtx = rt.ctx,
): readonly (Tensor | undefined)[] {
  if (!rt.scatter.has(node.name)) rt.scatter.set(node.name, planOf(node, ins));
  const sp = rt.scatter.get(node.name);
  const x = ins[0];
  if (sp === undefined || x === undefined) return runKernel(rt, node, ins, ctx);
  if (!always) {
    if (rt.affine === 'dense') return runKernel(rt, node, ins, ctx);
    const d = x.data as Float32Array;
    let nz = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) nz++;
    if (nz > SPARSE_SHARE * d.length) return runKernel(rt, node, ins, ctx);
  }
  const outputs = ctx.outputs;
  return [outputs === undefined ? scatterRun(sp, x) : scatterRun(sp, x, (n) => outputs.take(node, 'float32', n, ctx.limit, false) as Float32Array)];
}

export function newTrace(rt: Runtime, B: number, classes: number): BatchTrace {
  const L = rt.plan.layers.length;
  return {
    B,
    classes,
    readout: new Float64Array(rt.T * B * classes),
    spikes: new Float64Array(L * rt.T * B),
    synops: new Float64Array(L * rt.T * B),
    stepsRun: rt.T,
  };
}

export function runKernel(rt: Runtime, node: Node, ins: readonly (Tensor | undefined)[], ctx: RunCtx = rt.ctx): readonly (Tensor | undefined)[] {
  return (KERNELS[node.op] as Kernel)(node, ins, ctx);
}

export function lookup(env: ReadonlyMap<string, Tensor>, name: string, node: Node): Tensor | undefined {
  if (name === '') return undefined;
  const t = env.get(name);
  if (t === undefined) {
    throw fail({ code: 'SNNC_E_UNDEFINED_VALUE', message: `${node.op} '${node.name}' reads '${name}', which nothing defines`, node: node.name });
  }
  return t;
}

/** Bind outputs, recording their per-sample shapes (leading dim = rows of the batch). */
export function bind(rt: Runtime, env: Map<string, Tensor>, node: Node, outs: readonly (Tensor | undefined)[]): void {
  node.outputs.forEach((name, j) => {
    if (name === '') return;
    const t = outs[j];
    if (t === undefined) throw fail({ code: 'SNNC_E_UNSUPPORTED_ATTR', message: `${node.op} '${node.name}' does not produce output ${j}`, node: node.name });
    env.set(name, t);
    if (!rt.shapes.has(name)) rt.shapes.set(name, t.shape.slice(1));
  });
}

/** Compute every const/static node once (for direct coding: everything before the first spike). */
export function evalStatic(rt: Runtime, env: Map<string, Tensor>, B: number): void {
  rt.plan.g.nodes.forEach((node, i) => {
    if (rt.plan.nodeKinds[i] === 'dynamic') return;
    const ins = node.inputs.map((v) => lookup(env, v, node));
    const outs = runKernel(rt, node, ins);
    bind(rt, env, node, outs);
    if (AFFINE_OPS.has(node.op)) noteAffine(rt, node, ins, outs[0], B, undefined);
  });
}

/**
 * Count an affine node's work: synops for a binary data input (per step), MACs for an
 * analog one (once per node; the same every step). `steps` maps the stacked rows:
 * undefined for static inputs, else { first step, count } of t-major blocks of B samples.
 */
export function noteAffine(
  rt: Runtime,
  node: Node,
  ins: readonly (Tensor | undefined)[],
  y: Tensor | undefined,
  B: number,
  steps: { readonly t0: number; readonly n: number; readonly trace: BatchTrace } | undefined,
): void {
  const xName = node.inputs[0] ?? '';
  const x = ins[0];
  if (x === undefined || y === undefined || (rt.plan.kinds.get(xName) ?? 'const') === 'const') return;
  if (!rt.plan.binary.has(xName)) {
    if (!rt.macs.has(node.name)) rt.macs.set(node.name, macsOf(node, x, y, ins[1]));
    return;
  }
  if (steps === undefined) return;
  let fo = rt.fanouts.get(node.name);
  if (fo === undefined) {
    fo = fanoutOf(node, x, y, ins[1]);
    rt.fanouts.set(node.name, fo);
  }
  const owner = ownerOf(rt.plan, xName, rt.shapes, rt.owners);
  const data = x.data as Float32Array;
  let total = 0;
  for (let s = 0; s < steps.n; s++) total += countSynops(data, s * B * fo.F, B, fo, owner, steps.trace.synops, steps.t0 + s, rt.T, steps.trace.spikes);
  rt.nodeSynops.set(node.name, (rt.nodeSynops.get(node.name) ?? 0) + total);
}

export type SpikingState =
  | { readonly kind: 'neuron'; readonly s: NeuronState; readonly F: number; readonly outShape: readonly number[] }
  | { readonly kind: 'pool'; readonly s: MaxPoolState; readonly F: number; readonly outShape: readonly number[] };

/**
 * Neuron parameters kept across simulations like scatter plans (by node, threshold tensor and
 * per-sample shape): the broadcast θ is placed in WebAssembly memory once, keyed by its array,
 * and the membranes' arena slots are keyed by the parameters.
 */
const neuronPlans = new WeakMap<Node, { readonly th: Tensor | undefined; readonly shape: string; readonly p: NeuronParams }>();

function neuronParamsOf(node: Extract<Node, { op: 'IF' | 'LIF' }>, threshold: Tensor | undefined, inShape: readonly number[]): NeuronParams {
  const shape = inShape.join(',');
  const known = neuronPlans.get(node);
  if (known !== undefined && known.th === threshold && known.shape === shape) return known.p;
  const p = neuronParams(node, threshold, inShape);
  neuronPlans.set(node, { th: threshold, shape, p });
  return p;
}

/** Fresh state of a spiking node for B samples; inShape is the per-sample input shape. */
export function initSpiking(rt: Runtime, node: Node, layer: number, inShape: readonly number[], threshold: Tensor | undefined, B: number): SpikingState {
  if (node.op === 'SpikeMaxPool') {
    let p = rt.pools.get(node.name);
    if (p === undefined) {
      p = maxPoolPlan(node, inShape);
      rt.pools.set(node.name, p);
    }
    const F = p.outShape.reduce((a, b) => a * b, 1);
    rt.layerSize[layer] = F;
    return { kind: 'pool', s: initMaxPool(p, B), F, outShape: p.outShape };
  }
  if (node.op !== 'IF' && node.op !== 'LIF') throw new Error(`internal: ${node.op} is not spiking`);
  let p = rt.neurons.get(node.name);
  if (p === undefined) {
    p = neuronParamsOf(node, threshold, inShape);
    rt.neurons.set(node.name, p);
  }
  rt.layerSize[layer] = p.F;
  return { kind: 'neuron', s: initNeurons(p, B), F: p.F, outShape: inShape };
}

export function layerIndex(rt: Runtime, node: Node): number {
  const l = rt.plan.binary.get(node.outputs[0] as string);
  if (typeof l !== 'number') throw new Error(`internal: no layer for ${node.name}`);
  return l;
}

/** Add B samples' readout at step t (y per sample contiguous at yOff) to the running sum. */
export function accumulate(trace: BatchTrace, y: Float32Array, yOff: number, t: number): void {
  const { B, classes } = trace;
  const cur = t * B * classes;
  const prev = (t - 1) * B * classes;
  const r = trace.readout;
  for (let i = 0; i < B * classes; i++) r[cur + i] = (t > 0 ? (r[prev + i] as number) : 0) + (y[yOff + i] as number);
}

/** Tile a static [B, ...] value to the stacked [T·B, ...] layout (t-major). */
export function tile(t: Tensor, T: number): Tensor {
  const n = t.data.length;
  const data = new Float32Array(T * n);
  for (let s = 0; s < T; s++) data.set(t.data as Float32Array, s * n);
  return { dtype: t.dtype, shape: [T * (t.shape[0] as number), ...t.shape.slice(1)], data };
}
