// Shared helpers for the IR tests: run one node's shape rule on given input infos.
import assert from 'node:assert/strict';
import { inferNode } from '../../src/ir/ops.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { DType, Dim, Node, Tensor, ValueInfo } from '../../src/ir/types.js';

export type InfoSpec = readonly [DType, readonly Dim[]];

/** Output infos of `node`, with inputs described by `infos` and constants by `consts`. */
export function run(node: NodeSpec, infos: Readonly<Record<string, InfoSpec>>, consts: Readonly<Record<string, Tensor>> = {}): ValueInfo[] {
  const n = { ...node, name: node.name ?? 'n', attrs: node.attrs ?? {} } as Node;
  const lookup = (v: string): ValueInfo => {
    const t = consts[v];
    if (t !== undefined) return { name: v, dtype: t.dtype, shape: t.shape };
    const i = infos[v];
    if (i === undefined) throw new Error(`test forgot input ${v}`);
    return { name: v, dtype: i[0], shape: i[1] };
  };
  return inferNode(n, lookup, (v) => consts[v]);
}

/** Shape of the first output. */
export function shapeOf(node: NodeSpec, infos: Readonly<Record<string, InfoSpec>>, consts: Readonly<Record<string, Tensor>> = {}): Dim[] {
  const out = run(node, infos, consts)[0];
  assert.ok(out !== undefined);
  return [...out.shape];
}

/** Assert `fn` throws an SnncError with `code` (and `node` when given). */
export function throwsCode(fn: () => unknown, code: string, node?: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const err = e as { code?: string; node?: string; message?: string };
    assert.equal(err.code, code, `expected ${code}, got ${String(err.code)}: ${String(err.message)}`);
    if (node !== undefined) assert.equal(err.node, node);
    if (msg !== undefined) assert.match(String(err.message), msg);
    return true;
  });
}
