// runGraph: validates the feeds against the graph inputs, then executes the nodes in
// order through the kernel table. Shapes come from the actual tensors at run time
// (static ValueInfo shapes may be symbolic). Each intermediate is dropped after its
// last reader, so a deep network holds only the live tensors.
import { checkMemory } from '../../ir/memory.js';
import { fail } from '../../errors.js';
import { allocData, DEFAULT_MAX_ELEMENTS, shapeSize } from '../../ir/dtype.js';
import type { Graph, Node, Tensor, TensorData } from '../../ir/types.js';
import type { Kernel, RunCtx } from './kernel.js';
import { KERNELS } from './table.js';

export interface RunOptions {
  readonly maxElements?: number;
  /**
   * Called with every value as soon as its node has run. A caller that only needs statistics
   * (calibration) reads each activation here instead of asking for it as a graph output, so
   * each one is freed after its last consumer instead of living until the run ends.
   */
  readonly onValue?: (name: string, t: Tensor) => void;
}

function mismatch(input: string, message: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_INPUT_MISMATCH', message: `input '${input}': ${message}`, ...(hint !== undefined ? { hint } : {}) });
}

const fmt = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;

/** Every input present, with the declared dtype and a shape that fits (symbols bind consistently). */
function checkFeeds(g: Graph, feeds: ReadonlyMap<string, Tensor>, limit: number): void {
  for (const name of feeds.keys()) {
    if (!g.inputs.includes(name)) {
      throw mismatch(name, 'the graph has no input of this name', `inputs are: ${g.inputs.join(', ')}`);
    }
  }
  const bound = new Map<string, { size: number; by: string }>();
  for (const name of g.inputs) {
    const t = feeds.get(name);
    if (t === undefined) {
      throw fail({
        code: 'SNNC_E_INPUT_MISSING',
        message: `no value given for graph input '${name}'`,
        hint: `give one tensor per input: ${g.inputs.join(', ')}`,
      });
    }
    const n = shapeSize(t.shape, limit);
    if (t.data.length !== n || t.data.constructor !== allocData(t.dtype, 0).constructor) {
      throw mismatch(name, `data (${t.data.constructor.name} of ${t.data.length}) does not fit dtype ${t.dtype} and shape ${fmt(t.shape)}`);
    }
    const info = g.values.get(name);
    if (info === undefined) continue;
    if (t.dtype !== info.dtype) throw mismatch(name, `expected dtype ${info.dtype}, got ${t.dtype}`, 'convert the input file to the dtype the model declares');
    const want = `expected ${info.dtype}${fmt(info.shape)}, got ${t.dtype}${fmt(t.shape)}`;
    if (t.shape.length !== info.shape.length) throw mismatch(name, `rank differs: ${want}`);
    info.shape.forEach((d, i) => {
      const got = t.shape[i] as number;
      if (typeof d === 'number') {
        if (d !== got) throw mismatch(name, `dim ${i} differs: ${want}`);
        return;
      }
      const b = bound.get(d);
      if (b === undefined) bound.set(d, { size: got, by: name });
      else if (b.size !== got) {
        throw mismatch(
          name,
          `symbolic dim '${d}' is ${b.size} in input '${b.by}' but ${got} here: ${want}`,
          'inputs sharing a symbol (e.g. the batch size) must agree on it',
        );
      }
    });
  }
}

/** Index of the last node reading each value (values never read map to their producer). */
function lastUses(g: Graph): Map<string, number> {
  const last = new Map<string, number>();
  g.nodes.forEach((node, i) => {
    for (const o of node.outputs) if (o !== '') last.set(o, i);
    for (const v of node.inputs) if (v !== '') last.set(v, i);
  });
  return last;
}

function lookup(env: ReadonlyMap<string, Tensor>, name: string, node: Node): Tensor {
  const t = env.get(name);
  if (t === undefined) {
    throw fail({
      code: 'SNNC_E_UNDEFINED_VALUE',
      message: `${node.op} '${node.name}' reads '${name}', which no earlier node, input or initializer defines`,
      node: node.name,
      hint: 'the graph is not topologically sorted or is missing a value; run the verifier',
    });
  }
  return t;
}

/**
 * Relu nodes folded into the Conv or Gemm computing their input: producer index → Relu
 * index. Only where nobody else can see the unrectified tensor — the Relu is its one
 * reader, it is not a graph output, and no onValue observer is asking for every value —
 * so the result is the same tensors, one pass and one allocation fewer (the Relu runs as
 * the product's epilogue; in WebAssembly for float32 Conv).
 */
export function foldedRelus(g: Graph, keep: ReadonlySet<string>): Map<number, number> {
  const readers = new Map<string, number[]>();
  g.nodes.forEach((node, i) => {
    for (const v of node.inputs) if (v !== '') readers.set(v, [...(readers.get(v) ?? []), i]);
  });
  const folded = new Map<number, number>();
  g.nodes.forEach((node, i) => {
    if (node.op !== 'Conv' && node.op !== 'Gemm') return;
    const y = node.outputs[0];
    if (y === undefined || y === '' || keep.has(y)) return;
    const r = readers.get(y);
    if (r?.length !== 1) return;
    const j = r[0] as number;
    const relu = g.nodes[j] as Node;
    if (relu.op === 'Relu' && relu.inputs[0] === y && j > i) folded.set(i, j);
  });
  return folded;
}

export function runGraph(g: Graph, feeds: ReadonlyMap<string, Tensor>, opts: RunOptions = {}): Map<string, Tensor> {
  const limit = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  checkFeeds(g, feeds, limit);
  const env = new Map<string, Tensor>(g.initializers);
  for (const name of g.inputs) env.set(name, feeds.get(name) as Tensor);
  const last = lastUses(g);
  const keep = new Set(g.outputs);
  const ctx: RunCtx = { limit };
  const reluCtx: RunCtx = { limit, relu: true };
  const folded = opts.onValue === undefined ? foldedRelus(g, keep) : new Map<number, number>();
  const skip = new Set(folded.values());
  g.nodes.forEach((node, i) => {
    if (skip.has(i)) {
      // Ran as its producer's epilogue; an output nobody reads still leaves the env here.
      for (const name of node.outputs) if (name !== '' && last.get(name) === i && !keep.has(name)) env.delete(name);
      return;
    }
    const ins = node.inputs.map((name) => (name === '' ? undefined : lookup(env, name, node)));
    // The table is total over OpName; the cast only widens the node parameter.
    const kernel = KERNELS[node.op] as Kernel;
    const relu = folded.get(i);
    const outs = kernel(node, ins, relu === undefined ? ctx : reluCtx);
    const names = relu === undefined ? node.outputs : (g.nodes[relu] as Node).outputs;
    names.forEach((name, j) => {
      if (name === '') return;
      const t = outs[j];
      if (t === undefined) {
        throw fail({ code: 'SNNC_E_UNSUPPORTED_ATTR', message: `${node.op} '${node.name}' does not produce its output ${j} ('${name}')`, node: node.name });
      }
      env.set(name, t);
      opts.onValue?.(name, t);
    });
    checkMemory(`running ${node.op} '${node.name}'`);
    for (const name of [...node.inputs, ...node.outputs]) {
      if (name !== '' && last.get(name) === i && !keep.has(name)) env.delete(name);
    }
  });
  // Outputs never alias caller-owned storage: a feed or an initializer passed through
  // (Identity, Reshape) is copied so the caller may mutate results freely.
  const owned = new Set<TensorData>([...feeds.values(), ...g.initializers.values()].map((t) => t.data));
  const result = new Map<string, Tensor>();
  for (const name of g.outputs) {
    const t = env.get(name);
    if (t === undefined) {
      throw fail({ code: 'SNNC_E_UNDEFINED_VALUE', message: `graph output '${name}' is not produced by any node, input or initializer` });
    }
    result.set(name, owned.has(t.data) ? { ...t, data: t.data.slice() } : t);
  }
  return result;
}
