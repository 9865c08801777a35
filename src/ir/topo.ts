// Topological order of graph nodes. Stable: Kahn's algorithm that always takes the
// ready node with the smallest original index, so an already sorted list comes back
// unchanged and any other list comes back in the order closest to how it was written.
import { fail } from '../errors.js';

interface NodeLike {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Sort `nodes` so every node comes after the producers of its inputs.
 * `available` holds values defined outside the nodes (graph inputs, initializers).
 * Empty-string inputs/outputs are absent optionals and are ignored.
 */
export function topoSort<N extends NodeLike>(nodes: readonly N[], available: ReadonlySet<string>): N[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      if (v === '') continue;
      const prev = producer.get(v);
      if (prev !== undefined || available.has(v)) {
        const other = prev !== undefined ? `node '${nodes[prev]?.name}'` : 'a graph input or initializer';
        throw fail({
          code: 'SNNC_E_DUPLICATE_NAME',
          message: `value '${v}' is produced by node '${n.name}' and also by ${other}`,
          node: n.name,
          hint: 'every value must have exactly one producer (SSA form)',
        });
      }
      producer.set(v, i);
    }
  });

  // deps[i] = producers node i waits for; users[j] = nodes that wait for j.
  const pending = new Array<number>(nodes.length).fill(0);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const seen = new Set<number>();
    for (const v of n.inputs) {
      if (v === '' || available.has(v)) continue;
      const p = producer.get(v);
      if (p === undefined) {
        throw fail({
          code: 'SNNC_E_UNDEFINED_VALUE',
          message: `node '${n.name}' reads value '${v}', which no node, graph input or initializer defines`,
          node: n.name,
          hint: 'check the value name for typos, or declare it as a graph input or initializer',
        });
      }
      if (seen.has(p)) continue;
      seen.add(p);
      pending[i] = (pending[i] ?? 0) + 1;
      users[p]?.push(i);
    }
  });

  const heap: number[] = [];
  pending.forEach((c, i) => {
    if (c === 0) heapPush(heap, i);
  });
  const order: N[] = [];
  for (let i = heapPop(heap); i !== undefined; i = heapPop(heap)) {
    order.push(nodes[i] as N);
    for (const u of users[i] ?? []) {
      const c = (pending[u] ?? 0) - 1;
      pending[u] = c;
      if (c === 0) heapPush(heap, u);
    }
  }
  if (order.length < nodes.length) throw cycleError(nodes, pending, producer, available);
  return order;
}

/** Walk producer links among the unsorted nodes until one repeats: that loop is a cycle. */
function cycleError(nodes: readonly NodeLike[], pending: readonly number[], producer: ReadonlyMap<string, number>, available: ReadonlySet<string>): Error {
  const stuck = (i: number): boolean => (pending[i] ?? 0) > 0;
  let cur = pending.findIndex((c) => c > 0);
  const pathPos = new Map<number, number>();
  const path: number[] = [];
  while (!pathPos.has(cur)) {
    pathPos.set(cur, path.length);
    path.push(cur);
    const n = nodes[cur];
    let next = -1;
    for (const v of n?.inputs ?? []) {
      if (v === '' || available.has(v)) continue;
      const p = producer.get(v);
      if (p !== undefined && stuck(p)) {
        next = p;
        break;
      }
    }
    // Every stuck node waits on at least one stuck producer, so next is always found.
    if (next < 0) break;
    cur = next;
  }
  const loop = path
    .slice(pathPos.get(cur) ?? 0)
    .reverse()
    .map((i) => nodes[i]?.name ?? '?');
  const first = loop[0] ?? '?';
  return fail({
    code: 'SNNC_E_CYCLE',
    message: `the graph has a cycle through nodes ${[...loop, first].map((s) => `'${s}'`).join(' -> ')}`,
    node: first,
    hint: 'ONNX graphs must be acyclic; a node cannot (indirectly) read its own output',
  });
}

/** Binary min-heap of node indices, kept in a plain array. */
function heapPush(a: number[], x: number): void {
  a.push(x);
  let i = a.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if ((a[p] as number) <= x) break;
    a[i] = a[p] as number;
    i = p;
  }
  a[i] = x;
}

function heapPop(a: number[]): number | undefined {
  const top = a[0];
  const last = a.pop();
  if (a.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= a.length) break;
    const r = l + 1;
    const c = r < a.length && (a[r] as number) < (a[l] as number) ? r : l;
    if ((a[c] as number) >= last) break;
    a[i] = a[c] as number;
    i = c;
  }
  a[i] = last;
  return top;
}
