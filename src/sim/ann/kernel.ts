// What every interpreter kernel shares: its signature, the run context (element
// limit, node for messages), output allocation through the limit, and small readers
// for parameter inputs (axes, pads, shapes) that arrive as tensors at run time.
import { fail } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import { allocData, roundToHalf, shapeSize } from '../../ir/dtype.js';
import type { DType, Node, OpName, Tensor, TensorData } from '../../ir/types.js';

export interface RunCtx {
  readonly limit: number;
  /**
   * Sum every float32 matrix product in one fixed order — float32, ascending reduction index,
   * s ← fl32(s + fl32(a·b)) — on every path (the nn kernel, or gemm-kernel.ts's exactLoops
   * without WebAssembly; the nt kernel's folded lanes are avoided). The SNN simulator sets it:
   * its event-driven mode accumulates spikes in that same order, which is what makes both
   * modes bit-identical.
   */
  readonly exactSums?: boolean;
  /**
   * Apply Relu (x < 0 ? 0 : x) to the result: runGraph sets it on a Conv or Gemm whose one
   * reader is a Relu it folds in, so the unrectified tensor is never stored or read again.
   */
  readonly relu?: boolean;
  /** Where `alloc` takes output buffers from instead of allocating (see StepBuffers). */
  readonly outputs?: StepBuffers;
}

/**
 * Output buffers handed back to the same node every step. The SNN simulator's event-driven
 * loop computes the same nodes on same-shaped values every step, and no value outlives its
 * step (consumers copy or reduce what they keep), so a node's output can go into the buffer
 * it had the step before, zeroed, instead of a fresh allocation — whose allocation and
 * collection cost as much as a residual add itself. `step()` starts a step: within one, the
 * n-th buffer a node takes is always the same one, so a kernel that allocates twice gets two.
 */
export class StepBuffers {
  private readonly held = new Map<Node, { step: number; used: number; readonly bufs: { dtype: DType; data: TensorData }[] }>();
  private current = 0;

  step(): void {
    this.current++;
  }

  /** `zeroed` false: the caller writes every element, so a recycled buffer is handed back as it is. */
  take(node: Node, dtype: DType, n: number, limit: number, zeroed = true): TensorData {
    let h = this.held.get(node);
    if (h === undefined) this.held.set(node, (h = { step: this.current, used: 0, bufs: [] }));
    if (h.step !== this.current) {
      h.step = this.current;
      h.used = 0;
    }
    const i = h.used++;
    const old = h.bufs[i];
    if (old !== undefined && old.dtype === dtype && old.data.length === n) {
      if (!zeroed) return old.data;
      if (isBigData(old.data)) old.data.fill(0n);
      else old.data.fill(0);
      return old.data;
    }
    const data = allocData(dtype, n, limit);
    h.bufs[i] = { dtype, data };
    return data;
  }
}

/** Inputs per position; undefined for an absent optional input (''). Outputs likewise. */
export type Kernel<O extends OpName = OpName> = (
  node: Extract<Node, { op: O }>,
  inputs: readonly (Tensor | undefined)[],
  ctx: RunCtx,
) => readonly (Tensor | undefined)[];

export type KernelTable = { readonly [O in OpName]: Kernel<O> };

/** Typed arrays holding plain numbers (every dtype except the 64-bit integers). */
export type NumData = Exclude<TensorData, BigInt64Array | BigUint64Array>;
export type BigData = BigInt64Array | BigUint64Array;
export type FloatData = Float32Array | Float64Array;

/**
 * Element access that ignores the element type. Only structural kernels use it, to
 * move an element between two arrays of the same dtype (so number stays number and
 * bigint stays bigint); typed arrays have no common writable signature in TypeScript.
 */
export interface Elems {
  readonly length: number;
  [i: number]: number | bigint;
}
export function elems(d: TensorData): Elems {
  return d as unknown as Elems;
}

/** Copy src[start, end) into dst at dstOff; both arrays hold the same dtype. */
export function copyRange(dst: TensorData, dstOff: number, src: TensorData, start: number, end: number): void {
  // Same-dtype arrays: the cast only silences the union; `set` copies bytes of one type.
  (dst as Float64Array).set((src as Float64Array).subarray(start, end), dstOff);
}

export function nodeError(node: Node, code: ErrorCode, message: string, hint?: string): Error {
  return fail({ code, message: `${node.op} '${node.name}': ${message}`, node: node.name, ...(hint !== undefined ? { hint } : {}) });
}

export function shapeErr(node: Node, message: string, hint?: string): Error {
  return nodeError(node, 'SNNC_E_BAD_SHAPE', message, hint);
}

export function dtypeErr(node: Node, t: Tensor, what: string): Error {
  return nodeError(node, 'SNNC_E_BAD_DTYPE', `${what} has dtype ${t.dtype}, which this operator does not accept`, 'insert a Cast to a supported dtype');
}

/** The required input at position i. */
export function req(node: Node, inputs: readonly (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) {
    throw nodeError(node, 'SNNC_E_UNDEFINED_VALUE', `required input ${i} is absent`, 'the graph is malformed; re-export the model');
  }
  return t;
}

/** Allocate an output of `shape` after checking its size against the limit. */
export function alloc(node: Node, dtype: DType, shape: readonly number[], ctx: RunCtx): Tensor {
  const n = shapeSize(shape, ctx.limit, { node: node.name });
  return { dtype, shape: [...shape], data: ctx.outputs !== undefined ? ctx.outputs.take(node, dtype, n, ctx.limit) : allocData(dtype, n, ctx.limit) };
}

/** Scratch storage (im2col, transposed operands): counted against the same limit. */
export function scratch(node: Node, n: number, ctx: RunCtx): Float32Array {
  shapeSize([n], ctx.limit, { node: node.name });
  return new Float32Array(n);
}

export function scratch64(node: Node, n: number, ctx: RunCtx): Float64Array {
  shapeSize([n], ctx.limit, { node: node.name });
  return new Float64Array(n);
}

/** A tensor with the same data seen under another shape (no copy; kernels never write inputs). */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/** Integer values of a 0-D/1-D parameter input (axes, pads, shape). */
export function readInts(node: Node, t: Tensor, what: string): number[] {
  if (t.shape.length > 1) throw shapeErr(node, `${what} must be 1-D, got shape [${t.shape.join(', ')}]`);
  const out: number[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    if (!Number.isSafeInteger(v)) throw shapeErr(node, `${what} holds ${String(t.data[i])}, not an integer`);
    out.push(v);
  }
  return out;
}

/** The single element of a scalar (or one-element) parameter input, as number or bigint. */
export function readScalar(node: Node, t: Tensor, what: string): number | bigint {
  if (t.data.length !== 1) throw shapeErr(node, `${what} must hold exactly one element, got shape [${t.shape.join(', ')}]`);
  return t.data[0] as number | bigint;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] ?? 1;
  }
  return s;
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isBigData(d: TensorData): d is BigData {
  return d instanceof BigInt64Array || d instanceof BigUint64Array;
}

/** x < 0 ? 0 : x in place (keeps NaN and -0, like the Relu kernel): the epilogue of a folded Relu. */
export function reluInPlace(d: TensorData): void {
  if (isBigData(d)) {
    for (let i = 0; i < d.length; i++) if ((d[i] as bigint) < 0n) d[i] = 0n;
    return;
  }
  for (let i = 0; i < d.length; i++) if ((d[i] as number) < 0) d[i] = 0;
}

/** float16 results are computed in float32 storage, then rounded to half precision in place. */
export function roundHalfInPlace(d: Float32Array, start = 0, end = d.length): void {
  for (let i = start; i < end; i++) d[i] = roundToHalf(d[i] as number);
}
