// Static analysis of a spiking graph, shared by both simulation modes:
// - kind of every value: 'const' (initializers and what is computed from them only),
//   'static' (depends on the sample but not on time: with direct coding, the input and
//   everything computed from it before the first spiking op) or 'dynamic' (changes per step);
// - which values are binary spike tensors, and which spiking layer emitted each element
//   (the layer its synaptic operations are attributed to);
// - the list of spiking layers, in node order (the Poisson-coded input first).
import { SPIKING_OPS, SHAPE_ONLY_OPS } from '../../ir/types.js';
import { fail } from '../../errors.js';
import type { Graph, Node } from '../../ir/types.js';
import type { SpikingOpName } from './types.js';

export type Kind = 'const' | 'static' | 'dynamic';

export interface LayerInfo {
  readonly name: string;
  readonly op: SpikingOpName;
}

/** Owner of a binary value: one layer index, or per-element indices (a Concat of layers). */
export type Owner = number | Int32Array;

export interface SimPlan {
  readonly g: Graph;
  readonly input: string;
  readonly coding: 'direct' | 'poisson';
  readonly kinds: ReadonlyMap<string, Kind>;
  /** Kind of each node's outputs, by node index. */
  readonly nodeKinds: readonly Kind[];
  readonly layers: readonly LayerInfo[];
  /** Binary values: the owning layer, or 'concat' (resolved once shapes are known). */
  readonly binary: ReadonlyMap<string, number | 'concat'>;
  readonly producer: ReadonlyMap<string, Node>;
  /** Index of the last node reading each value. */
  readonly lastUse: ReadonlyMap<string, number>;
  readonly readout: string;
}

/** Linear ops whose synaptic work is counted (synops for spike inputs, MACs otherwise). */
export const AFFINE_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'AveragePool', 'GlobalAveragePool']);

export function isSpikingOp(op: string): op is 'IF' | 'LIF' | 'SpikeMaxPool' {
  return (SPIKING_OPS as readonly string[]).includes(op);
}

export function planGraph(g: Graph): SimPlan {
  if (g.inputs.length !== 1) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `the SNN simulator feeds one dataset tensor, but graph '${g.name}' has ${g.inputs.length} inputs (${g.inputs.join(', ')})`,
      hint: 'simulate a model with a single image input',
    });
  }
  const input = g.inputs[0] as string;
  const codingMeta = g.meta['snnc.coding'] ?? 'direct';
  if (codingMeta !== 'direct' && codingMeta !== 'poisson') {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_ATTR',
      message: `graph meta snnc.coding is '${codingMeta}'; the simulator knows 'direct' and 'poisson'`,
      hint: 'reconvert with --coding direct|poisson',
    });
  }
  const coding = codingMeta;
  const readout = g.outputs[0];
  if (readout === undefined) throw fail({ code: 'SNNC_E_ONNX_INVALID', message: `graph '${g.name}' has no outputs to read out` });
  const kinds = new Map<string, Kind>();
  for (const name of g.initializers.keys()) kinds.set(name, 'const');
  kinds.set(input, coding === 'direct' ? 'static' : 'dynamic');
  const layers: LayerInfo[] = [];
  const binary = new Map<string, number | 'concat'>();
  if (coding === 'poisson') {
    binary.set(input, layers.length);
    layers.push({ name: input, op: 'input' });
  }
  const producer = new Map<string, Node>();
  const nodeKinds: Kind[] = [];
  const lastUse = new Map<string, number>();
  g.nodes.forEach((node, i) => {
    const ins = node.inputs.filter((v) => v !== '');
    for (const v of ins) lastUse.set(v, i);
    for (const o of node.outputs) if (o !== '') lastUse.set(o, i);
    let kind: Kind = 'const';
    for (const v of ins) {
      const k = kinds.get(v) ?? 'const';
      if (k === 'dynamic') kind = 'dynamic';
      else if (k === 'static' && kind === 'const') kind = 'static';
    }
    if (isSpikingOp(node.op)) {
      kind = 'dynamic';
      binary.set(node.outputs[0] as string, layers.length);
      layers.push({ name: node.name, op: node.op });
    } else {
      const first = node.outputs[0];
      const src = binary.get(node.inputs[0] ?? '');
      if (first !== undefined && first !== '' && src !== undefined) {
        if (SHAPE_ONLY_OPS.has(node.op)) binary.set(first, src);
        else if (node.op === 'Transpose' && src !== 'concat') binary.set(first, src);
      }
      if (first !== undefined && node.op === 'Concat' && ins.length > 0 && ins.every((v) => binary.has(v))) binary.set(first, 'concat');
    }
    nodeKinds.push(kind);
    for (const o of node.outputs) {
      if (o === '') continue;
      kinds.set(o, kind);
      producer.set(o, node);
    }
  });
  return { g, input, coding, kinds, nodeKinds, layers, binary, producer, lastUse, readout };
}

/**
 * Owner of each element of a binary value, given the per-sample shapes seen at run time
 * (both modes record them). Cached per value.
 */
export function ownerOf(plan: SimPlan, value: string, shapes: ReadonlyMap<string, readonly number[]>, cache: Map<string, Owner>): Owner {
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const b = plan.binary.get(value);
  if (b === undefined) throw new Error(`internal: '${value}' is not a binary value`);
  if (b !== 'concat') return b;
  // Walk back through order-keeping ops to the Concat that built this value.
  let node = plan.producer.get(value);
  while (node !== undefined && node.op !== 'Concat') node = plan.producer.get(node.inputs[0] ?? '');
  if (node === undefined || node.op !== 'Concat') throw new Error(`internal: no Concat behind '${value}'`);
  const outShape = shapes.get(node.outputs[0] as string) as readonly number[];
  const rank = outShape.length + 1; // with the batch dim
  const axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
  const F = outShape.reduce((a, c) => a * c, 1);
  const out = new Int32Array(F);
  // Elements per sample = outer · (Σ parts' axis·inner), parts interleaved per outer index.
  const outer = outShape.slice(0, axis - 1).reduce((a, c) => a * c, 1);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const v of node.inputs) {
      const shape = shapes.get(v) as readonly number[];
      const chunk = shape.slice(axis - 1).reduce((a, c) => a * c, 1);
      const own = ownerOf(plan, v, shapes, cache);
      for (let i = 0; i < chunk; i++, pos++) out[pos] = typeof own === 'number' ? own : (own[o * chunk + i] as number);
    }
  }
  cache.set(value, out);
  return out;
}
