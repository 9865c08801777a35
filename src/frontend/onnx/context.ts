// What an op importer may ask of the model being imported. The reader (read.ts)
// implements it; importers stay pure functions of (node, ctx).
import { fail } from '../../errors.js';
import { allocData } from '../../ir/dtype.js';
import type { DType, Node, Tensor, ValueInfo } from '../../ir/types.js';
import type { OnnxNode } from './attrs.js';

export interface ImportContext {
  /** Opset version of the default ONNX domain. */
  readonly opset: number;
  readonly maxElements: number;
  readonly file?: string;
  readonly baseDir?: string;
  /** Type and shape of a value if known (input, initializer, declared, or inferred so far). */
  info(name: string): ValueInfo | undefined;
  /** The initializer of that name, if it is one. */
  constant(name: string): Tensor | undefined;
  /** Adds an initializer under a fresh name derived from `base`; returns that name. */
  addInitializer(base: string, t: Tensor): string;
  /** Defines a node output as a constant (ONNX Constant nodes). */
  defineConstant(name: string, t: Tensor): void;
  /** A value name not used anywhere in the model, derived from `base`. */
  freshValue(base: string): string;
  /** A node name not used anywhere in the model, derived from `base`. */
  freshNode(base: string): string;
}

/** One row of the import table; `attrs` are the ONNX attribute names the op accepts (any opset). */
export interface Importer {
  readonly attrs: readonly string[];
  readonly run: (n: OnnxNode, ctx: ImportContext) => Node[];
}

export function int64Tensor(values: readonly number[], scalar = false): Tensor {
  return { dtype: 'int64', shape: scalar ? [] : [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

export function scalarTensor(dtype: DType, value: number): Tensor {
  const data = allocData(dtype, 1);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[0] = BigInt(Math.trunc(value));
  else data[0] = value;
  return { dtype, shape: [], data };
}

/** Fails with SNNC_E_DYNAMIC when an older-opset rewrite needs a shape we cannot know. */
export function needStatic(n: OnnxNode, what: string): never {
  throw fail({
    code: 'SNNC_E_DYNAMIC',
    message: `${n.opType} node '${n.name}': ${what} is not known at import time`,
    node: n.name,
    ...(n.file !== undefined ? { file: n.file } : {}),
    hint: 'declare the input shapes in the model (or re-export it with a newer opset)',
  });
}

/**
 * A scalar operand with value `v` of the same dtype as `like`: an initializer of that dtype
 * when the dtype is known, else a float32 initializer passed through CastLike.
 */
export function scalarLike(n: OnnxNode, ctx: ImportContext, base: string, v: number, like: string): { name: string; nodes: Node[] } {
  const d = ctx.info(like)?.dtype;
  if (d !== undefined) return { name: ctx.addInitializer(`${n.name}_${base}`, scalarTensor(d, v)), nodes: [] };
  const raw = ctx.addInitializer(`${n.name}_${base}_f32`, scalarTensor('float32', v));
  const out = ctx.freshValue(`${n.name}_${base}`);
  return {
    name: out,
    nodes: [{ name: ctx.freshNode(`${n.name}/cast_${base}`), op: 'CastLike', attrs: {}, inputs: [raw, like], outputs: [out] }],
  };
}
