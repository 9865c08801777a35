// Event-driven simulation of one batch: step by step, B samples at a time. Affine ops fed
// by a dynamic value propagate only its nonzero elements (scatter.ts: spikes turn MACs into
// adds); other ops run densely on [B, ...]. Static values (direct coding) are computed once.
// With early exit, the batch stops as soon as every sample in it has exited.
import { checkMemory } from '../../ir/memory.js';
import type { Tensor } from '../../ir/types.js';
import { hasExited } from './metrics.js';
import { AFFINE_OPS, isSpikingOp } from './plan.js';
import { stepNeurons } from './neurons.js';
import { poissonStep } from './rng.js';
import type { BatchTrace, Runtime, SpikingState } from './runtime.js';
import { accumulate, bind, evalStatic, initSpiking, layerIndex, lookup, newTrace, noteAffine, runAffine, runKernel } from './runtime.js';
import { stepMaxPool } from './spike-maxpool.js';
import { countInput } from './time-stepped.js';

export function runEventDriven(rt: Runtime, x: Tensor, first: number, B: number, classes: number, earlyExit: number | undefined): BatchTrace {
  const { plan, T } = rt;
  const trace = newTrace(rt, B, classes);
  const perSample = x.shape.slice(1);
  const F = perSample.reduce((a, b) => a * b, 1);
  const xd = x.data as Float32Array;
  const env = new Map<string, Tensor>(plan.g.initializers);
  const inputBuf = plan.coding === 'poisson' ? new Float32Array(B * F) : undefined;
  env.set(plan.input, { dtype: 'float32', shape: [B, ...perSample], data: inputBuf ?? xd.subarray(first * F, (first + B) * F) });
  rt.shapes.set(plan.input, perSample);
  if (plan.coding === 'poisson') rt.layerSize[0] = F;
  evalStatic(rt, env, B);
  const states = new Map<string, SpikingState>();
  // A neuron layer's spikes are read only within their step (consumers copy or reduce them), so
  // each layer writes every step into one buffer: no allocation (and collection) per step.
  const spikeBufs = new Map<string, Float32Array>();
  const exited = new Uint8Array(B);
  let active = B;
  for (let t = 0; t < T && active > 0; t++) {
    checkMemory(`simulating time step ${t}`);
    rt.stepCtx.outputs.step();
    if (inputBuf !== undefined) {
      poissonStep(xd, first, B, F, rt.seed, t, inputBuf, 0);
      countInput(inputBuf, 0, B, F, t, trace);
    }
    plan.g.nodes.forEach((node, i) => {
      if (plan.nodeKinds[i] !== 'dynamic') return;
      const ins = node.inputs.map((v) => lookup(env, v, node));
      if (isSpikingOp(node.op)) {
        const cur = ins[0] as Tensor;
        const layer = layerIndex(rt, node);
        let st = states.get(node.name);
        if (st === undefined) {
          st = initSpiking(rt, node, layer, cur.shape.slice(1), ins[1], B);
          states.set(node.name, st);
        }
        let out = st.kind === 'neuron' ? spikeBufs.get(node.name) : undefined;
        if (out === undefined) {
          out = new Float32Array(B * st.F);
          if (st.kind === 'neuron') spikeBufs.set(node.name, out);
        }
        const cd = cur.data as Float32Array;
        if (st.kind === 'neuron') stepNeurons(st.s, B, cd, 0, out, 0, trace.spikes, (layer * T + t) * B);
        else stepMaxPool(st.s, B, cd, 0, out, 0, trace.spikes, (layer * T + t) * B);
        bind(rt, env, node, [{ dtype: 'float32', shape: [B, ...st.outShape], data: out }]);
        return;
      }
      let outs: readonly (Tensor | undefined)[];
      if (AFFINE_OPS.has(node.op) && plan.kinds.get(node.inputs[0] as string) === 'dynamic') {
        outs = runAffine(rt, node, ins, true, rt.stepCtx);
        noteAffine(rt, node, ins, outs[0], B, { t0: t, n: 1, trace });
      } else {
        outs = runKernel(rt, node, ins, rt.stepCtx);
      }
      bind(rt, env, node, outs);
    });
    const y = env.get(plan.readout) as Tensor;
    accumulate(trace, y.data as Float32Array, 0, t);
    trace.stepsRun = t + 1;
    if (earlyExit !== undefined) {
      for (let b = 0; b < B; b++) {
        if (exited[b] === 0 && hasExited(trace.readout, (t * B + b) * classes, classes, t + 1, earlyExit)) {
          exited[b] = 1;
          active--;
        }
      }
    }
  }
  return trace;
}
