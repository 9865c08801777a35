// Loihi backend: converted graph → lava-dl netx HDF5 (`loihi/network.net`) + core
// allocation (`loihi/mapping.json`). Pipeline: lower (refuse what netx cannot express) →
// quantize (Loihi fixed point) → write → read back and verify → allocate cores.
// See docs/targets/loihi.md.
import type { LoihiTarget } from '../../costmodel/target.js';
import type { MappingOf } from '../../costmodel/types.js';
import type { Graph } from '../../ir/types.js';
import { stableJson } from '../common/json.js';
import type { BackendDiagnostic, EmitResult } from '../common/types.js';
import { allocate } from './allocate.js';
import type { AllocLayer, AllocateOptions } from './allocate.js';
import { lowerGraph } from './lower.js';
import { writeNetx } from './netx-write.js';
import { autoInputScale, quantizeLayers } from './quantize.js';
import type { LayerQuant, QuantizeOptions } from './quantize.js';
import type { NetxLayer } from './types.js';
import { verifyNetx } from './verify.js';

export type LoihiEmitOptions = QuantizeOptions & AllocateOptions;

/**
 * The options `emit` quantizes with, the defaults filled in so a simulator can use the same:
 * the input scale (the integer that stands for 1.0 of the graph input) is 1 for Poisson
 * coding (binary spikes) and for direct coding the largest ≤ 255 (8-bit pixels) that keeps
 * the first layer's weights meaningful (quantize.ts autoInputScale).
 */
/** Throws SNNC_E_BACKEND where netx cannot express the network's structure (the lowering alone). */
export function checkStructure(g: Graph): void {
  lowerGraph(g, []);
}

export function quantizeOptionsFor(graph: Graph, opts: QuantizeOptions = {}): QuantizeOptions {
  const poisson = graph.meta['snnc.coding'] === 'poisson';
  const signedInput = opts.signedInput ?? !poisson;
  return { ...opts, inputScale: opts.inputScale ?? (poisson ? 1 : autoInputScale(lowerGraph(graph, []), signedInput)), signedInput };
}

const NETX_PATH = 'loihi/network.net';
const MAPPING_PATH = 'loihi/mapping.json';

/** Layers that occupy cores, with the name the mapping (and the simulator's activity) uses. */
function allocLayers(layers: readonly NetxLayer[], info: readonly LayerQuant[]): AllocLayer[] {
  const out: AllocLayer[] = [];
  let sources = 0;
  layers.forEach((l, i) => {
    if (l.type === 'input') sources = l.shape.reduce((p, d) => p * d, 1);
    if (l.type !== 'dense' && l.type !== 'conv') return;
    const q = info[i];
    const name = q?.neuron ?? q?.node ?? `layer${i}`;
    const neurons = l.shape.reduce((p, d) => p * d, 1);
    const fanIn = l.type === 'dense' ? l.inFeatures : (l.inChannels / l.groups) * l.kernel[0] * l.kernel[1];
    out.push({ name, kind: l.type, neurons, fanIn, sources });
    sources = neurons;
  });
  return out;
}

/** Lowered, quantized and allocated: everything the files and the mapping are made of. */
function plan(
  graph: Graph,
  target: LoihiTarget,
  opts: LoihiEmitOptions,
  diagnostics: BackendDiagnostic[],
): { qopts: ReturnType<typeof quantizeOptionsFor>; q: ReturnType<typeof quantizeLayers>; alloc: ReturnType<typeof allocate> } {
  const float = lowerGraph(graph, diagnostics);
  const qopts = quantizeOptionsFor(graph, opts);
  const q = quantizeLayers(float, qopts, diagnostics);
  return { qopts, q, alloc: allocate(allocLayers(q.layers, q.info), target, opts) };
}

/** The cores the network takes (what the cost model reads), without writing the netx file. */
export function mapping(graph: Graph, target: LoihiTarget, opts: LoihiEmitOptions = {}): MappingOf<'loihi'> {
  return plan(graph, target, opts, []).alloc.mapping;
}

export async function emit(graph: Graph, target: LoihiTarget, opts: LoihiEmitOptions = {}): Promise<EmitResult<MappingOf<'loihi'>>> {
  const diagnostics: BackendDiagnostic[] = [];
  const { qopts, q, alloc } = plan(graph, target, opts, diagnostics);
  const bytes = await writeNetx(q.layers);
  await verifyNetx(bytes, NETX_PATH);
  const netx = q.layers.map((l, i) => ({
    ...q.info[i],
    shape: [...l.shape],
    ...('neuron' in l && l.neuron !== undefined ? { neuron: { ...l.neuron, node: q.info[i]?.neuron } } : {}),
  }));
  const doc = {
    format: 'snnc-loihi-mapping',
    version: 1,
    target: target.name,
    chips: alloc.chips,
    coresPerChip: alloc.coresPerChip,
    bitsPerSynapse: alloc.bitsPerSynapse,
    inputScale: qopts.inputScale,
    ...(opts.timesteps !== undefined ? { timesteps: opts.timesteps } : {}),
    readout: opts.readout ?? 'integrator',
    layers: alloc.mapping.layers,
    totals: alloc.mapping.totals,
    netx,
  };
  return {
    files: [
      { path: NETX_PATH, data: bytes },
      { path: MAPPING_PATH, data: stableJson(doc) },
    ],
    mapping: alloc.mapping,
    diagnostics,
  };
}

export { verifyNetx } from './verify.js';
export type { NetxSimResult, NetxSimOptions, PreparedNetx } from './cuba.js';
export type { LayerQuant, QuantizeOptions } from './quantize.js';
export type { FloatLayer, NetxLayer, NetxNeuron } from './types.js';
