// Building blocks for the shape rules in ops.ts: the context a rule sees, dtype
// classes and checks, reading constant (initializer) inputs, and window geometry
// over possibly symbolic spatial dims.
import { fail } from '../errors.js';
import type { DType, Dim, Node, OpName, Tensor, ValueInfo, WindowAttrs } from './types.js';
import { resolveWindow } from './window.js';
import { fmtShape } from './shape-utils.js';

/** Type and shape of one node output, before it is given its value name. */
export interface OutInfo {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** What a shape rule sees about one node (the helpers below take any op's context). */
export interface InferCtxBase {
  readonly node: Node;
  /** Info per input position; undefined for an absent optional input (''). */
  readonly inputs: readonly (ValueInfo | undefined)[];
  /** The value of an input when it is an initializer (a compile-time constant). */
  readonly consts: readonly (Tensor | undefined)[];
  /** A fresh symbol for a dim known only at run time: `<node>:<output>:<axis>`. */
  readonly fresh: (output: number, axis: number) => string;
  /** Input names from the op table, for messages. */
  readonly inputNames: readonly string[];
}

/** The context of a rule for op `O`, with the node's attrs typed. */
export interface InferCtx<O extends OpName = OpName> extends InferCtxBase {
  readonly node: Extract<Node, { op: O }>;
}

export const FLOATS: readonly DType[] = ['float32', 'float64', 'float16'];
export const SIGNED_INTS: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
const INTS: readonly DType[] = [...SIGNED_INTS, 'uint8', 'uint16', 'uint32', 'uint64'];
export const NUMERIC: readonly DType[] = [...FLOATS, ...INTS];
export const ANY: readonly DType[] = [...NUMERIC, 'bool'];
export const INDEX: readonly DType[] = ['int32', 'int64'];

export function shapeError(c: InferCtxBase, message: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_BAD_SHAPE', message: `${c.node.op} '${c.node.name}': ${message}`, node: c.node.name, ...(hint !== undefined ? { hint } : {}) });
}

function inputLabel(c: InferCtxBase, i: number): string {
  const n = c.inputNames[Math.min(i, c.inputNames.length - 1)] ?? `#${i}`;
  return `input ${i} (${n.replace(/[?.]+$/, '')})`;
}

/** The info of input `i`, which must be present. */
export function need(c: InferCtxBase, i: number): ValueInfo {
  const v = c.inputs[i];
  if (v === undefined) throw shapeError(c, `${inputLabel(c, i)} is required but absent`);
  return v;
}

/** Check input `i` (if present) has one of the `allowed` dtypes. */
export function checkDtype(c: InferCtxBase, i: number, allowed: readonly DType[]): void {
  const v = c.inputs[i];
  if (v === undefined || allowed.includes(v.dtype)) return;
  throw fail({
    code: 'SNNC_E_BAD_DTYPE',
    message: `${c.node.op} '${c.node.name}': ${inputLabel(c, i)} '${v.name}' has dtype ${v.dtype}; accepted: ${allowed.join(', ')}`,
    node: c.node.name,
    hint: 'insert a Cast, or export the model with the accepted type',
  });
}

/** Check all present inputs at `idx` share one dtype; returns it. */
export function sameDtype(c: InferCtxBase, idx: readonly number[]): DType {
  let first: ValueInfo | undefined;
  for (const i of idx) {
    const v = c.inputs[i];
    if (v === undefined) continue;
    if (first === undefined) first = v;
    else if (v.dtype !== first.dtype) {
      throw fail({
        code: 'SNNC_E_BAD_DTYPE',
        message: `${c.node.op} '${c.node.name}': inputs '${first.name}' (${first.dtype}) and '${v.name}' (${v.dtype}) must have the same dtype`,
        node: c.node.name,
        hint: 'insert a Cast so both operands have one dtype',
      });
    }
  }
  return (first ?? need(c, idx[0] ?? 0)).dtype;
}

/** Check input `i` has rank `r` (or one of a list). */
export function checkRank(c: InferCtxBase, i: number, ranks: readonly number[]): ValueInfo {
  const v = need(c, i);
  if (!ranks.includes(v.shape.length)) {
    throw shapeError(c, `${inputLabel(c, i)} '${v.name}' must have rank ${ranks.join(' or ')}, got shape ${fmtShape(v.shape)}`);
  }
  return v;
}

/** Check input `i` (if present) is a scalar or a one-element 1-D tensor. */
export function checkScalar(c: InferCtxBase, i: number): void {
  const v = c.inputs[i];
  if (v === undefined) return;
  const ok = v.shape.length === 0 || (v.shape.length === 1 && (v.shape[0] === 1 || typeof v.shape[0] === 'string'));
  if (!ok) throw shapeError(c, `${inputLabel(c, i)} '${v.name}' must be a scalar, got shape ${fmtShape(v.shape)}`);
}

/** Two dims that must be equal: returns the more specific one (a number over a symbol). */
export function unifyDim(c: InferCtxBase, a: Dim, b: Dim, what: string): Dim {
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') throw shapeError(c, `${what}: ${a} vs ${b}`);
  return typeof a === 'number' ? a : b;
}

/**
 * Integer values of a constant 1-D input, or undefined when the input is computed at
 * run time. Absent optional inputs also give undefined; callers tell the two apart.
 */
export function constInts(c: InferCtxBase, i: number): number[] | undefined {
  const t = c.consts[i];
  if (t === undefined) return undefined;
  if (t.shape.length > 1) throw shapeError(c, `${inputLabel(c, i)} must be 1-D, got shape ${fmtShape(t.shape)}`);
  const out: number[] = [];
  for (const x of t.data) {
    const n = Number(x);
    if (!Number.isSafeInteger(n)) throw shapeError(c, `${inputLabel(c, i)} holds ${String(x)}, not a representable integer`);
    out.push(n);
  }
  return out;
}

/** The static length of 1-D input `i`, or a SNNC_E_DYNAMIC error when not even that is known. */
export function staticLength(c: InferCtxBase, i: number, why: string): number {
  const v = checkRank(c, i, [1]);
  const n = v.shape[0];
  if (typeof n !== 'number') {
    throw fail({
      code: 'SNNC_E_DYNAMIC',
      message: `${c.node.op} '${c.node.name}': the length of ${inputLabel(c, i)} '${v.name}' is only known at run time, so ${why}`,
      node: c.node.name,
      hint: 'export the model with this input as a constant (e.g. onnxsim / constant folding)',
    });
  }
  return n;
}

/**
 * Output spatial dims of a sliding window. Each static dim goes through resolveWindow
 * (one dim at a time, so a symbolic neighbour does not block it); a symbolic dim gives
 * a fresh symbol.
 */
export function windowOut(c: InferCtxBase, spatial: readonly Dim[], w: WindowAttrs, ceilMode: boolean, firstAxis: number): Dim[] {
  const n = spatial.length;
  const checkLen = (name: string, arr: readonly number[], len: number): void => {
    if (arr.length !== 0 && arr.length !== len) {
      throw shapeError(c, `attribute ${name} has ${arr.length} entries, the input has ${n} spatial dims (expected ${len})`);
    }
  };
  checkLen('kernel_shape', w.kernelShape, n);
  checkLen('strides', w.strides, n);
  checkLen('dilations', w.dilations, n);
  checkLen('pads', w.pads, 2 * n);
  return spatial.map((d, i) => {
    if (typeof d === 'string') return c.fresh(0, firstAxis + i);
    const one: WindowAttrs = {
      kernelShape: [w.kernelShape[i] ?? 1],
      strides: [w.strides[i] ?? 1],
      dilations: [w.dilations[i] ?? 1],
      pads: [w.pads[i] ?? 0, w.pads[i + n] ?? 0],
      autoPad: w.autoPad,
    };
    return resolveWindow([d], one, ceilMode, c.node.name).outSpatial[0] as number;
  });
}
