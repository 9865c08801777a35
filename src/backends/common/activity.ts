// From a simulation run to what cost models read: one activity record per synaptic layer
// (Conv, Gemm, MatMul, pooling), keyed by the affine node's name and, where a neuron layer
// follows it, by the neuron's name too (backends name mapped layers either way).
import { isNeuron, SHAPE_ONLY_OPS } from '../../ir/types.js';
import type { Activity, AnnLayerMapping, LayerActivity, LayerKind, MappingOf } from '../../costmodel/types.js';
import { graphStats, perSampleElements } from '../../ir/stats.js';
import type { Graph, Node } from '../../ir/types.js';
import type { SimulateResult } from '../../sim/snn/types.js';

// Spike counts pass through shape-only ops and through a Transpose (it moves them, adds none).
const PASS_THROUGH = new Set([...SHAPE_ONLY_OPS, 'Transpose']);
const SPIKING = new Set(['IF', 'LIF', 'SpikeMaxPool']);

function kindOf(op: string): LayerKind {
  if (op === 'Conv') return 'conv';
  if (op === 'Gemm' || op === 'MatMul') return 'dense';
  if (op === 'AveragePool' || op === 'GlobalAveragePool') return 'pool';
  return 'other';
}

function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** The spiking node whose spikes reach `value` through shape-only ops, if any. */
function spikeSource(value: string, prod: ReadonlyMap<string, Node>): Node | undefined {
  let n = prod.get(value);
  while (n !== undefined && PASS_THROUGH.has(n.op)) n = prod.get(n.inputs[0] ?? '');
  return n !== undefined && SPIKING.has(n.op) ? n : undefined;
}

export function activityFromSimulation(g: Graph, r: SimulateResult): Activity {
  const prod = producers(g);
  const spikes = new Map(r.layers.map((l) => [l.name, l.spikes]));
  const work = new Map(r.affine.map((a) => [a.name, a]));
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const steps = r.meanSteps ?? r.T;
  const layers: LayerActivity[] = [];
  for (const n of g.nodes) {
    if (n.op === 'SpikeMaxPool') {
      // A spike max pool forwards spikes (no synapses, no MACs); backends that map it as a
      // layer of their own (the FPGA's max-pool) still need its record.
      const src = spikeSource(n.inputs[0] ?? '', prod);
      layers.push({
        name: n.name,
        kind: 'pool',
        inputSpikes: src !== undefined ? (spikes.get(src.name) ?? 0) : 0,
        synops: 0,
        macs: 0,
        neurons: perSampleElements(g.values.get(n.outputs[0] ?? '')?.shape ?? []) ?? 0,
        neuronUpdates: 0,
        outputSpikes: spikes.get(n.name) ?? 0,
      });
      continue;
    }
    if (n.op === 'Add') {
      // A residual (or fan-in) sum is a layer of its own on the FPGA; it has no synapses. Its
      // record carries the spikes it reads and, when a neuron follows, the spikes it causes.
      const out = n.outputs[0] ?? '';
      const next = (consumers.get(out) ?? []).find((c) => SPIKING.has(c.op));
      const inputSpikes = n.inputs.reduce((s, v) => {
        const src = spikeSource(v, prod);
        return s + (src !== undefined ? (spikes.get(src.name) ?? 0) : 0);
      }, 0);
      const rec: LayerActivity = {
        name: n.name,
        kind: 'other',
        inputSpikes,
        synops: 0,
        macs: 0,
        neurons: perSampleElements(g.values.get(out)?.shape ?? []) ?? 0,
        neuronUpdates: 0,
        outputSpikes: next !== undefined ? (spikes.get(next.name) ?? 0) : 0,
      };
      layers.push(rec);
      // Backends name the sum layer after the neuron it feeds (as they do affine layers).
      if (next !== undefined && !layers.some((l) => l.name === next.name)) layers.push({ ...rec, name: next.name });
      continue;
    }
    const w = work.get(n.name);
    if (w === undefined) continue;
    const out = n.outputs[0] ?? '';
    const neurons = perSampleElements(g.values.get(out)?.shape ?? []) ?? 0;
    const src = spikeSource(n.inputs[0] ?? '', prod);
    const next = (consumers.get(out) ?? []).find(isNeuron);
    const rec: LayerActivity = {
      name: n.name,
      kind: kindOf(n.op),
      inputSpikes: src !== undefined ? (spikes.get(src.name) ?? 0) : 0,
      synops: w.synops,
      macs: w.macs,
      neurons,
      neuronUpdates: neurons * steps,
      outputSpikes: next !== undefined ? (spikes.get(next.name) ?? 0) : 0,
    };
    layers.push(rec);
    if (next !== undefined && next.name !== n.name) layers.push({ ...rec, name: next.name });
  }
  return { T: steps, layers };
}

/** The ANN forward pass as the baseline cost models see it. */
export function annMapping(g: Graph): MappingOf<'ann'> {
  const st = graphStats(g);
  const layers: AnnLayerMapping[] = [];
  g.nodes.forEach((n, i) => {
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') return;
    const s = st.nodes[i];
    const size = (v: string | undefined): number => perSampleElements(g.values.get(v ?? '')?.shape ?? []) ?? 0;
    layers.push({ name: n.name, macs: s?.macs ?? 0, params: s?.params ?? 0, inputs: size(n.inputs[0]), outputs: size(n.outputs[0]) });
  });
  return {
    kind: 'ann',
    layers,
    totals: { macs: layers.reduce((a, l) => a + l.macs, 0), params: layers.reduce((a, l) => a + l.params, 0) },
  };
}

/** Activity of one ANN inference: every layer's MACs once (T = 1). */
export function annActivity(m: MappingOf<'ann'>): Activity {
  return {
    T: 1,
    layers: m.layers.map((l) => ({
      name: l.name,
      kind: 'other',
      inputSpikes: 0,
      synops: 0,
      macs: l.macs,
      neurons: l.outputs,
      neuronUpdates: 0,
      outputSpikes: 0,
    })),
  };
}

/** The same activity over more steps: every neuron is updated in each of them. */
export function stretchSteps(a: Activity, steps: number): Activity {
  if (steps === a.T || a.T <= 0) return a;
  return { T: steps, layers: a.layers.map((l) => ({ ...l, neuronUpdates: (l.neuronUpdates * steps) / a.T })) };
}
