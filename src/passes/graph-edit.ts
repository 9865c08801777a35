// Small helpers every pass shares for editing a graph without mutating it: who reads
// a value, rewiring uses, dropping dead nodes and unused initializers, fresh names,
// and rebuilding a Graph (re-running shape inference so `values` is never stale).
import { inferShapes } from '../ir/infer.js';
import type { Graph, Node, Tensor, ValueInfo } from '../ir/types.js';

/** value name → the nodes reading it (in node order; a node reading twice appears once). */
export function consumersOf(g: Pick<Graph, 'nodes'>): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const v of new Set(n.inputs)) {
      if (v === '') continue;
      const list = m.get(v);
      if (list === undefined) m.set(v, [n]);
      else list.push(n);
    }
  }
  return m;
}

/** value name → the node producing it. */
export function producersOf(g: Pick<Graph, 'nodes'>): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const v of n.outputs) if (v !== '') m.set(v, n);
  return m;
}

/**
 * How many places read `value`: consuming nodes plus one if it is a graph output.
 * A value used exactly once by a given node may be rewritten in place of that node.
 */
export function useCount(g: Pick<Graph, 'outputs'>, consumers: ReadonlyMap<string, readonly Node[]>, value: string): number {
  return (consumers.get(value)?.length ?? 0) + (g.outputs.includes(value) ? 1 : 0);
}

/** Nodes with every input `from` replaced by `to` (graph outputs are not touched). */
export function replaceUses(nodes: readonly Node[], from: string, to: string): Node[] {
  return nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((v) => (v === from ? to : v)) } : n));
}

/**
 * Renames a value everywhere: producer output, node inputs, graph outputs. Used to keep
 * graph output names stable when the node that produced an output is removed.
 */
export function renameValue(g: Graph, from: string, to: string): Graph {
  const r = (v: string): string => (v === from ? to : v);
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) })),
    outputs: g.outputs.map(r),
  };
}

/**
 * Drops nodes none of whose outputs reach a graph output, then initializers no node
 * reads (an initializer that is itself a graph output is kept).
 */
function removeDead(g: Graph): Graph {
  // Worklist from the outputs, so the nodes need not be sorted yet (passes may append).
  const producers = producersOf(g);
  const live = new Set<string>();
  const liveNodes = new Set<Node>();
  const work = [...g.outputs];
  for (let v = work.pop(); v !== undefined; v = work.pop()) {
    if (v === '' || live.has(v)) continue;
    live.add(v);
    const n = producers.get(v);
    if (n === undefined || liveNodes.has(n)) continue;
    liveNodes.add(n);
    work.push(...n.inputs);
  }
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of g.initializers) if (live.has(name)) initializers.set(name, t);
  return { ...g, nodes: g.nodes.filter((n) => liveNodes.has(n)), initializers };
}

/**
 * A name generator that avoids every node name and value name already in `g` (and
 * every name it handed out before): `fresh('conv1_w')` → 'conv1_w', then 'conv1_w_1', ...
 */
export function nameAllocator(g: Pick<Graph, 'nodes' | 'values' | 'initializers' | 'inputs' | 'outputs'>): (base: string) => string {
  const taken = new Set<string>([...g.values.keys(), ...g.initializers.keys(), ...g.inputs, ...g.outputs]);
  for (const n of g.nodes) {
    taken.add(n.name);
    for (const v of [...n.inputs, ...n.outputs]) taken.add(v);
  }
  return (base) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

export interface GraphEdit {
  readonly nodes?: readonly Node[];
  readonly initializers?: ReadonlyMap<string, Tensor>;
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
}

/**
 * A new graph from `g` with the given parts replaced, dead nodes and unused
 * initializers removed, nodes re-sorted and every ValueInfo re-inferred. Only the
 * graph inputs' infos are carried over; stale infos of rewritten values never survive.
 */
export function rebuildGraph(g: Graph, edit: GraphEdit = {}, opts: { readonly maxElements?: number; readonly keepDead?: boolean } = {}): Graph {
  const inputs = edit.inputs ?? g.inputs;
  const values = new Map<string, ValueInfo>();
  for (const name of inputs) {
    const info = g.values.get(name);
    if (info !== undefined) values.set(name, info);
  }
  let next: Graph = {
    ...g,
    nodes: edit.nodes ?? g.nodes,
    initializers: edit.initializers ?? g.initializers,
    inputs,
    outputs: edit.outputs ?? g.outputs,
    values,
  };
  if (opts.keepDead !== true) next = removeDead(next);
  return inferShapes(next, opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {});
}
