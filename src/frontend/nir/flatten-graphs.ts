// Nested NIRGraphs → one flat graph. NIR lets a node be a whole graph; an edge to it enters
// its (single) Input, an edge from it leaves its (single) Output, and `sub.node` names a
// node inside it. Flattening names inner nodes `sub.node`, rewires the parent's edges, and
// drops the inner Input/Output nodes, which only pass values through (every edge into one
// is connected to every edge out of it, so sums at inputs are kept).
import { nirError } from './convention.js';
import type { NirBody, NirNode } from './types.js';

type Edge = readonly [string, string];

/** Connect every edge into a pass-through node with every edge out of it, then drop it. */
function bypass(edges: readonly Edge[], p: string): Edge[] {
  const into = edges.filter(([, b]) => b === p).map(([a]) => a);
  const from = edges.filter(([a]) => a === p).map(([, b]) => b);
  return [...edges.filter(([a, b]) => a !== p && b !== p), ...into.flatMap((a) => from.map((b): Edge => [a, b]))];
}

/**
 * The body with every nested NIRGraph spliced in; its own Input/Output nodes stay (the parent
 * bypasses them). A body without nested graphs comes back unchanged.
 */
export function flattenNested(body: NirBody, where: string): NirBody {
  if (!body.nodes.some((n) => n.type === 'NIRGraph')) return body;
  const nodes: NirNode[] = [];
  const inner: Edge[] = [];
  const ports = new Map<string, { inputs: string[]; outputs: string[] }>();
  const passThrough: string[] = [];
  for (const n of body.nodes) {
    if (n.type !== 'NIRGraph') {
      nodes.push(n);
      continue;
    }
    if (n.graph === undefined) throw nirError(`${where}/${n.name}: NIRGraph node without nodes and edges`, `${where}/${n.name}`);
    const sub = flattenNested(n.graph, `${where}/${n.name}/nodes`);
    const q = (x: string): string => `${n.name}.${x}`;
    const io = { inputs: [] as string[], outputs: [] as string[] };
    for (const x of sub.nodes) {
      if (x.type === 'Input') io.inputs.push(q(x.name));
      else if (x.type === 'Output') io.outputs.push(q(x.name));
      else nodes.push({ ...x, name: q(x.name) });
    }
    passThrough.push(...io.inputs, ...io.outputs);
    inner.push(...sub.edges.map(([a, b]): Edge => [q(a), q(b)]));
    ports.set(n.name, io);
  }
  const port = (x: string, dir: 'inputs' | 'outputs'): string => {
    const p = ports.get(x);
    if (p === undefined) return x;
    const list = p[dir];
    if (list.length !== 1) {
      const kind = dir === 'inputs' ? 'Input' : 'Output';
      throw nirError(
        `${where}: an edge names the nested graph '${x}', which has ${list.length} ${kind} nodes`,
        `${where}/${x}`,
        `name one of them as '${x}.<${kind} node>'`,
      );
    }
    return list[0] as string;
  };
  let edges: Edge[] = [...body.edges.map(([a, b]): Edge => [port(a, 'outputs'), port(b, 'inputs')]), ...inner];
  for (const p of passThrough) edges = bypass(edges, p);
  return { nodes, edges };
}
