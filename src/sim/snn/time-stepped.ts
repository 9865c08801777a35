// Time-stepped ("multi-step") simulation of one batch: layer by layer over all T steps.
// A dynamic value is stacked t-major as [T·B, ...], so every affine op runs once per layer
// on one big batch — through the ANN kernels, or, when under 10 % of its inputs are
// nonzero, by propagating only the nonzeros (bit-identical, see scatter.ts) — and each
// spiking op then scans its state over t.
// Static values (direct coding: the input and all that precedes the first spiking op) are
// computed once per sample ([B, ...]) and either read with a zero step stride (neurons)
// or tiled where an op mixes them with dynamic values.
import { checkMemory } from '../../ir/memory.js';
import type { Tensor } from '../../ir/types.js';
import { poissonStep } from './rng.js';
import type { BatchTrace, Runtime } from './runtime.js';
import { accumulate, bind, evalStatic, initSpiking, layerIndex, lookup, newTrace, noteAffine, runAffine, runKernel, tile } from './runtime.js';
import { AFFINE_OPS, isSpikingOp } from './plan.js';
import { stepNeurons } from './neurons.js';
import { stepMaxPool } from './spike-maxpool.js';

/** x: the whole dataset's float32 data; samples [first, first + B). */
export function runTimeStepped(rt: Runtime, x: Tensor, first: number, B: number, classes: number): BatchTrace {
  const { plan, T } = rt;
  const trace = newTrace(rt, B, classes);
  const perSample = x.shape.slice(1);
  const F = perSample.reduce((a, b) => a * b, 1);
  const xd = x.data as Float32Array;
  const env = new Map<string, Tensor>(plan.g.initializers);
  if (plan.coding === 'direct') {
    env.set(plan.input, { dtype: 'float32', shape: [B, ...perSample], data: xd.subarray(first * F, (first + B) * F) });
  } else {
    const data = new Float32Array(T * B * F);
    for (let t = 0; t < T; t++) poissonStep(xd, first, B, F, rt.seed, t, data, t * B * F);
    env.set(plan.input, { dtype: 'float32', shape: [T * B, ...perSample], data });
    for (let t = 0; t < T; t++) countInput(data, t * B * F, B, F, t, trace);
  }
  rt.shapes.set(plan.input, perSample);
  if (plan.coding === 'poisson') rt.layerSize[0] = F;
  evalStatic(rt, env, B);
  const keep = new Set(plan.g.outputs);
  plan.g.nodes.forEach((node, i) => {
    if (plan.nodeKinds[i] !== 'dynamic') return;
    const ins = node.inputs.map((v) => lookup(env, v, node));
    if (isSpikingOp(node.op)) {
      const cur = ins[0] as Tensor;
      const isStatic = plan.kinds.get(node.inputs[0] as string) === 'static';
      const layer = layerIndex(rt, node);
      const st = initSpiking(rt, node, layer, cur.shape.slice(1), ins[1], B);
      const out = new Float32Array(T * B * st.F);
      const inF = cur.data.length / (isStatic ? B : T * B);
      const cd = cur.data as Float32Array;
      for (let t = 0; t < T; t++) {
        const inOff = isStatic ? 0 : t * B * inF;
        if (st.kind === 'neuron') stepNeurons(st.s, B, cd, inOff, out, t * B * st.F, trace.spikes, (layer * T + t) * B);
        else stepMaxPool(st.s, B, cd, inOff, out, t * B * st.F, trace.spikes, (layer * T + t) * B);
      }
      bind(rt, env, node, [{ dtype: 'float32', shape: [T * B, ...st.outShape], data: out }]);
    } else {
      const stacked = ins.map((t, j) => (t !== undefined && plan.kinds.get(node.inputs[j] as string) === 'static' ? tile(t, T) : t));
      const dynamicX = plan.kinds.get(node.inputs[0] ?? '') === 'dynamic';
      const outs = AFFINE_OPS.has(node.op) && dynamicX ? runAffine(rt, node, stacked, false) : runKernel(rt, node, stacked);
      bind(rt, env, node, outs);
      if (AFFINE_OPS.has(node.op)) noteAffine(rt, node, stacked, outs[0], B, { t0: 0, n: T, trace });
    }
    for (const v of [...node.inputs, ...node.outputs]) {
      if (v !== '' && plan.lastUse.get(v) === i && !keep.has(v) && plan.kinds.get(v) === 'dynamic') env.delete(v);
    }
    checkMemory(`simulating ${node.op} '${node.name}'`);
  });
  const y = env.get(plan.readout) as Tensor;
  const yd = y.data as Float32Array;
  const dynamicOut = plan.kinds.get(plan.readout) === 'dynamic';
  for (let t = 0; t < T; t++) accumulate(trace, yd, dynamicOut ? t * B * classes : 0, t);
  return trace;
}

/** Input spikes (Poisson coding) of B samples at step t, counted as layer 0. */
export function countInput(data: Float32Array, off: number, B: number, F: number, t: number, trace: BatchTrace): void {
  for (let b = 0; b < B; b++) {
    let n = 0;
    const o = off + b * F;
    for (let i = 0; i < F; i++) n += data[o + i] as number;
    trace.spikes[t * B + b] = (trace.spikes[t * B + b] as number) + n;
  }
}
