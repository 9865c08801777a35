// Whole-graph shape inference: sorts the nodes, recomputes every node output from
// the op table, checks declared infos (ONNX value_info) against the result, and
// rejects any static shape over the element limit before anything allocates.
import { fail } from '../errors.js';
import { DEFAULT_MAX_ELEMENTS, isStatic, shapeSize } from './dtype.js';
import { inferNode } from './ops.js';
import { fmtShape } from './shape-utils.js';
import { topoSort } from './topo.js';
import type { Dim, Graph, Node, ValueInfo } from './types.js';

export interface InferOptions {
  /** Largest static tensor accepted (elements); default DEFAULT_MAX_ELEMENTS. */
  readonly maxElements?: number;
}

/**
 * Returns a new graph whose nodes are topologically sorted and whose `values` hold
 * every graph input, initializer and node output (in that order). `g.values` needs
 * only the graph inputs; initializer infos are derived from the tensors.
 */
export function inferShapes(g: Graph, opts: InferOptions = {}): Graph {
  const limit = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  checkUniqueNodeNames(g.nodes);

  const values = new Map<string, ValueInfo>();
  for (const name of g.inputs) {
    if (values.has(name)) throw dup(`graph input '${name}' is listed twice`);
    if (g.initializers.has(name)) {
      throw dup(`'${name}' is both a graph input and an initializer`, 'list initializers only in initializers (IR v4+ form)');
    }
    const info = g.values.get(name);
    if (info === undefined) {
      throw fail({
        code: 'SNNC_E_UNDEFINED_VALUE',
        message: `graph input '${name}' has no dtype/shape information`,
        hint: 'declare the input with its type and shape',
      });
    }
    checkDims(info.shape, `graph input '${name}'`);
    if (isStatic(info.shape)) shapeSize(info.shape, limit);
    values.set(name, { name, dtype: info.dtype, shape: [...info.shape] });
  }
  for (const [name, t] of g.initializers) {
    const derived: ValueInfo = { name, dtype: t.dtype, shape: [...t.shape] };
    const declared = g.values.get(name);
    if (declared !== undefined) checkCompatible(declared, derived, undefined);
    values.set(name, derived);
  }

  const nodes = topoSort(g.nodes, new Set(values.keys()));
  const lookup = (v: string): ValueInfo => {
    const info = values.get(v);
    // topoSort guarantees every input is defined before use; this is a bug guard.
    if (info === undefined) throw fail({ code: 'SNNC_E_UNDEFINED_VALUE', message: `value '${v}' is used before it is defined` });
    return info;
  };
  const constOf = (v: string) => g.initializers.get(v);
  for (const node of nodes) {
    for (const out of inferNode(node, lookup, constOf)) {
      if (isStatic(out.shape)) shapeSize(out.shape, limit, { node: node.name });
      const declared = g.values.get(out.name);
      if (declared !== undefined) checkCompatible(declared, out, node);
      values.set(out.name, out);
    }
  }

  const seenOut = new Set<string>();
  for (const name of g.outputs) {
    if (seenOut.has(name)) throw dup(`graph output '${name}' is listed twice`);
    seenOut.add(name);
    if (!values.has(name)) {
      throw fail({
        code: 'SNNC_E_UNDEFINED_VALUE',
        message: `graph output '${name}' is not produced by any node, input or initializer`,
        hint: 'check the output name, or remove it from the graph outputs',
      });
    }
  }
  return { ...g, nodes, values };
}

function dup(message: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_DUPLICATE_NAME', message, ...(hint !== undefined ? { hint } : {}) });
}

export function checkUniqueNodeNames(nodes: readonly Node[]): void {
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name))
      throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: `two nodes are named '${n.name}'`, node: n.name, hint: 'node names must be unique' });
    seen.add(n.name);
  }
}

/** Dims are non-negative integers or non-empty symbols. */
export function checkDims(shape: readonly Dim[], what: string): void {
  for (const d of shape) {
    const ok = typeof d === 'number' ? Number.isSafeInteger(d) && d >= 0 : d.length > 0;
    if (!ok) throw fail({ code: 'SNNC_E_BAD_SHAPE', message: `${what} has invalid dimension ${JSON.stringify(d)} in shape ${fmtShape(shape)}` });
  }
}

/**
 * A declared info agrees with an inferred one when dtypes and ranks match and each
 * pair of numeric dims is equal (a symbol on either side matches anything).
 */
function checkCompatible(declared: ValueInfo, inferred: ValueInfo, node: Node | undefined): void {
  const where = node !== undefined ? { node: node.name } : {};
  const by = node !== undefined ? `${node.op} '${node.name}'` : 'its initializer';
  if (declared.dtype !== inferred.dtype) {
    throw fail({
      code: 'SNNC_E_BAD_DTYPE',
      message: `value '${inferred.name}' is declared ${declared.dtype} but ${by} gives ${inferred.dtype}`,
      ...where,
      hint: "the model's value_info disagrees with its operators; re-export or strip value_info",
    });
  }
  const mismatch =
    declared.shape.length !== inferred.shape.length ||
    declared.shape.some((d, i) => {
      const e = inferred.shape[i];
      return typeof d === 'number' && typeof e === 'number' && d !== e;
    });
  if (mismatch) {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `value '${inferred.name}' is declared with shape ${fmtShape(declared.shape)} but ${by} gives ${fmtShape(inferred.shape)}`,
      ...where,
      hint: "the model's value_info disagrees with its operators; re-export or strip value_info",
    });
  }
}
