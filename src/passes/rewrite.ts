// The local-rewrite engine: a pattern table applied in ONE pass over the nodes in their
// order (no fixed-point loop, so the order of rewrites is explicit and predictable).
// Patterns look backward from the node they match (at its producers), so a chain is
// handled in one pass: by the time a node is visited, everything before it is final.
// After each applied rewrite the working graph is re-inferred, so later matches see
// the new shapes, and dead nodes and unused initializers are dropped.
import { fail } from '../errors.js';
import type { Graph, Node, Tensor, ValueInfo } from '../ir/types.js';
import type { PassContext } from './context.js';
import { consumersOf, nameAllocator, producersOf, rebuildGraph, renameValue, replaceUses, useCount } from './graph-edit.js';

/** What a pattern sees: the current graph plus indexes over it. Read-only. */
export interface GraphView {
  readonly graph: Graph;
  readonly ctx: PassContext;
  readonly pass: string;
  readonly consumers: ReadonlyMap<string, readonly Node[]>;
  readonly producers: ReadonlyMap<string, Node>;
  /** Fresh node/value names (unique across the whole pass). */
  readonly fresh: (base: string) => string;
}

export interface Rewrite {
  /** Names of nodes to delete. */
  readonly remove: readonly string[];
  /** Nodes to insert (may reuse a removed node's name and output names). */
  readonly add: readonly Node[];
  /** Initializers to define (new names, or the output names of removed nodes). */
  readonly initializers?: Readonly<Record<string, Tensor>>;
  /**
   * value → value: readers of the first now read the second (the first's producer was
   * removed). A graph output keeps its name: the second value's producer is renamed
   * instead (check `canReplace` in `match`).
   */
  readonly replace?: Readonly<Record<string, string>>;
}

export interface Pattern<M> {
  readonly name: string;
  readonly match: (node: Node, view: GraphView) => M | undefined;
  readonly rewrite: (match: M, view: GraphView) => Rewrite;
}

/** Erases a pattern's match type so tables can hold patterns of different matches. */
export interface AnyPattern {
  readonly name: string;
  readonly apply: (node: Node, view: GraphView) => Rewrite | undefined;
}

export function pattern<M>(p: Pattern<M>): AnyPattern {
  return {
    name: p.name,
    apply: (node, view) => {
      const m = p.match(node, view);
      return m === undefined ? undefined : p.rewrite(m, view);
    },
  };
}

// --- queries patterns share ---------------------------------------------------

export function infoOf(view: GraphView, value: string): ValueInfo | undefined {
  return view.graph.values.get(value);
}

export function constOf(view: GraphView, value: string | undefined): Tensor | undefined {
  return value === undefined || value === '' ? undefined : view.graph.initializers.get(value);
}

/** The values of an integer tensor (pads, axes, indices) as numbers. */
export function intValues(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Readers of `value` including the graph outputs (counted once). */
export function usesOf(view: GraphView, value: string): number {
  return useCount(view.graph, view.consumers, value);
}

/** The node producing `value` when `value` has `reader` as its only use. */
export function soleProducer(view: GraphView, value: string | undefined): Node | undefined {
  if (value === undefined || value === '') return undefined;
  return usesOf(view, value) === 1 ? view.producers.get(value) : undefined;
}

/** The node reading `value` when that is its only use (and it is no graph output). */
export function soleConsumer(view: GraphView, value: string): Node | undefined {
  const c = view.consumers.get(value);
  return c !== undefined && c.length === 1 && usesOf(view, value) === 1 ? c[0] : undefined;
}

/**
 * Whether readers of `from` can be pointed at `to` when `from`'s producer goes away:
 * always when `from` is no graph output; otherwise `to` must be a node output that is
 * neither a graph output nor a graph input, so it can be renamed to `from`.
 */
export function canReplace(view: GraphView, from: string, to: string): boolean {
  if (!view.graph.outputs.includes(from)) return true;
  return view.producers.has(to) && !view.graph.outputs.includes(to) && !view.graph.inputs.includes(to);
}

// --- the engine ---------------------------------------------------------------

function viewOf(graph: Graph, ctx: PassContext, pass: string, fresh: (b: string) => string): GraphView {
  return { graph, ctx, pass, consumers: consumersOf(graph), producers: producersOf(graph), fresh };
}

function applyRewrite(g: Graph, at: Node, r: Rewrite, pass: string, pat: string, maxElements: number | undefined): Graph {
  const removed = new Set(r.remove);
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    // New nodes go where the matched node was; rebuildGraph re-sorts if needed.
    if (n === at) nodes.push(...r.add);
    if (!removed.has(n.name)) nodes.push(n);
  }
  const initializers = new Map(g.initializers);
  for (const [k, t] of Object.entries(r.initializers ?? {})) initializers.set(k, t);
  let next: Graph = { ...g, nodes, initializers };
  for (const [from, to] of Object.entries(r.replace ?? {})) {
    if (!next.outputs.includes(from)) {
      next = { ...next, nodes: replaceUses(next.nodes, from, to) };
      continue;
    }
    const producedByNode = next.nodes.some((n) => n.outputs.includes(to));
    if (!producedByNode || next.outputs.includes(to) || next.inputs.includes(to)) {
      throw fail({
        code: 'SNNC_E_VERIFY',
        message: `${pass}: pattern '${pat}' at node '${at.name}' would rename graph output '${from}'`,
        node: at.name,
        hint: 'a pattern must check canReplace() before removing the producer of a graph output',
      });
    }
    next = renameValue(next, to, from);
  }
  // Dead nodes go at once: a value read only by a now-dead node must count as single-use.
  return rebuildGraph(g, next, maxElements !== undefined ? { maxElements } : {});
}

/**
 * Runs `patterns` once over the nodes of `g` in order: at each node the first pattern
 * that matches is applied. Returns the rewritten graph with dead code removed and
 * shapes re-inferred. Never mutates `g`.
 */
export function runPatterns(g: Graph, patterns: readonly AnyPattern[], ctx: PassContext, pass: string): Graph {
  const fresh = nameAllocator(g);
  let cur = g;
  let view = viewOf(cur, ctx, pass, fresh);
  for (const name of g.nodes.map((n) => n.name)) {
    const node = cur.nodes.find((n) => n.name === name);
    if (node === undefined) continue; // removed by an earlier rewrite
    for (const p of patterns) {
      const r = p.apply(node, view);
      if (r === undefined) continue;
      cur = applyRewrite(cur, node, r, pass, p.name, ctx.maxElements);
      view = viewOf(cur, ctx, pass, fresh);
      break;
    }
  }
  return rebuildGraph(cur, {}, ctx.maxElements !== undefined ? { maxElements: ctx.maxElements } : {});
}
