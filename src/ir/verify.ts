// The graph verifier: the invariants every pass must keep. Run between passes (always
// in tests). It only reads the graph; inference and sorting are never re-done here,
// so a pass that leaves the graph unsorted or stale is caught rather than repaired.
import { fail } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { shapeSize } from './dtype.js';
import { checkDims, checkUniqueNodeNames } from './infer.js';
import { inferNode } from './ops.js';
import { fmtShape } from './shape-utils.js';
import type { Dim, Graph, ValueInfo } from './types.js';

function bad(message: string, node?: string, code: ErrorCode = 'SNNC_E_VERIFY'): Error {
  return fail({
    code,
    message,
    ...(node !== undefined ? { node } : {}),
    hint: 'the graph broke an IR invariant; this usually indicates a bug in the pass that produced it',
  });
}

const sameShape = (a: readonly Dim[], b: readonly Dim[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

function describe(v: ValueInfo): string {
  return `${v.dtype}${fmtShape(v.shape)}`;
}

/** Throws SNNC_E_VERIFY (or a more specific code) naming the first broken invariant. */
export function verifyGraph(g: Graph): void {
  checkUniqueNodeNames(g.nodes);
  for (const [key, info] of g.values) {
    if (info.name !== key) throw bad(`values entry '${key}' holds the info of '${info.name}'`);
    checkDims(info.shape, `value '${key}'`);
  }

  const defined = new Set<string>();
  for (const name of g.inputs) {
    if (defined.has(name)) throw bad(`graph input '${name}' is listed twice`, undefined, 'SNNC_E_DUPLICATE_NAME');
    if (g.initializers.has(name)) throw bad(`'${name}' is both a graph input and an initializer`, undefined, 'SNNC_E_DUPLICATE_NAME');
    if (!g.values.has(name)) throw bad(`graph input '${name}' has no entry in values`);
    defined.add(name);
  }
  for (const [name, t] of g.initializers) {
    const info = g.values.get(name);
    if (info === undefined) throw bad(`initializer '${name}' has no entry in values`);
    if (info.dtype !== t.dtype || !sameShape(info.shape, t.shape)) {
      throw bad(`initializer '${name}' is ${t.dtype}${fmtShape(t.shape)} but values says ${describe(info)}`);
    }
    if (shapeSize(t.shape, Infinity) !== t.data.length) {
      throw bad(`initializer '${name}' has ${t.data.length} elements for shape ${fmtShape(t.shape)}`, undefined, 'SNNC_E_TENSOR_DATA');
    }
    defined.add(name);
  }

  // Every node output, in node order; a later producer is an unsorted graph.
  const producer = new Map<string, string>();
  for (const n of g.nodes) {
    for (const v of n.outputs) {
      if (v === '') continue;
      if (defined.has(v) || producer.has(v)) {
        throw bad(`value '${v}' is produced by node '${n.name}' and also defined elsewhere`, n.name, 'SNNC_E_DUPLICATE_NAME');
      }
      producer.set(v, n.name);
    }
  }
  for (const n of g.nodes) {
    for (const v of n.inputs) {
      if (v === '' || defined.has(v)) continue;
      const p = producer.get(v);
      if (p === undefined) throw bad(`node '${n.name}' reads '${v}', which nothing defines`, n.name, 'SNNC_E_UNDEFINED_VALUE');
      throw bad(`nodes are not topologically sorted: '${n.name}' reads '${v}' before its producer '${p}'`, n.name);
    }
    const fresh = inferNode(
      n,
      (v) => g.values.get(v) ?? missing(v, n.name),
      (v) => g.initializers.get(v),
    );
    for (const out of fresh) {
      const stored = g.values.get(out.name);
      if (stored === undefined) throw bad(`output '${out.name}' of node '${n.name}' has no entry in values`, n.name);
      if (stored.dtype !== out.dtype || !sameShape(stored.shape, out.shape)) {
        throw bad(`output '${out.name}' of ${n.op} '${n.name}' is stored as ${describe(stored)} but infers to ${describe(out)}`, n.name);
      }
    }
    for (const v of n.outputs) if (v !== '') defined.add(v);
  }

  for (const key of g.values.keys()) {
    if (!defined.has(key)) throw bad(`values has an entry for '${key}', which no input, initializer or node defines`);
  }
  const seenOut = new Set<string>();
  for (const name of g.outputs) {
    if (!defined.has(name)) throw bad(`graph output '${name}' is not defined`, undefined, 'SNNC_E_UNDEFINED_VALUE');
    if (seenOut.has(name)) throw bad(`graph output '${name}' is listed twice`, undefined, 'SNNC_E_DUPLICATE_NAME');
    seenOut.add(name);
  }
}

function missing(v: string, node: string): never {
  throw bad(`node '${node}' reads '${v}', which has no entry in values`, node);
}
