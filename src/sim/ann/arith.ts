// Broadcasting binary ops (Add, Sub, Mul, Div, Max, Less) and Where, for every dtype.
// Floats compute in doubles and round on store (float16 rounds afterwards); 8-32-bit
// integers compute as numbers and wrap on store like numpy (Mul via Math.imul so the
// product never loses low bits; Div truncates first); 64-bit integers compute as
// bigint and wrap on store (BigInt64Array/BigUint64Array stores are modulo 2^64).
import type { DType, Node, OpName, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import type { BigData, Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, dtypeErr, elems, isBigData, nodeError, req, roundHalfInPlace } from './kernel.js';
import { planBroadcast } from './broadcast.js';
import type { RowPlan } from './broadcast.js';
import { MAX_WASM_BYTES, align16, growMemory, residentGemm } from './wasm/sgemm.js';

const enum Op {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Less,
}

function sameDtype(node: Node, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw nodeError(node, 'SNNC_E_BAD_DTYPE', `operands have dtypes ${a.dtype} and ${b.dtype}; they must match`, 'insert a Cast');
  }
}

/**
 * numRows for float32 Add/Sub/Mul/Div (the SNN's residual adds and rescales, every step): the
 * same double operation rounded on store, in loops that see only Float32Arrays (numRows's take
 * every numeric array type, which keeps V8 from specializing them).
 */
function f32Rows(op: Op, p: RowPlan, a: Float32Array, b: Float32Array, o: Float32Array): void {
  if (p.size >= EW_WASM_MIN && ewWasm(op, p, a, b, o)) return;
  const sa = p.starts[0] as Float64Array;
  const sb = p.starts[1] as Float64Array;
  const da = p.inner[0] as number;
  const db = p.inner[1] as number;
  const n = p.rowLen;
  for (let r = 0; r < p.rows; r++) {
    let ia = sa[r] as number;
    let ib = sb[r] as number;
    const o0 = r * n;
    if (op === Op.Add) for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) + (b[ib] as number);
    else if (op === Op.Sub) for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) - (b[ib] as number);
    else if (op === Op.Mul) for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) * (b[ib] as number);
    else for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) / (b[ib] as number);
  }
}

/**
 * Below this many outputs the copies in and out of WebAssembly memory cost more than the loop
 * saves. Above it the f32x4 kernel (sgemm-module.ts `ew`) runs the SNN's residual rescales and
 * adds several times faster than the scalar loop (the same bits: see there).
 */
const EW_WASM_MIN = 1024;

/** f32Rows in WebAssembly: operands and row starts copied in, the result copied out. False when unavailable. */
function ewWasm(op: Op, p: RowPlan, a: Float32Array, b: Float32Array, o: Float32Array): boolean {
  const e = residentGemm();
  const da = p.inner[0] as number;
  const db = p.inner[1] as number;
  if (e === null || da > 1 || db > 1) return false;
  const bp = align16(4 * a.length);
  const sp = align16(bp + 4 * b.length);
  const yp = align16(sp + 8 * p.rows);
  const end = yp + 4 * p.size;
  if (end > MAX_WASM_BYTES || !growMemory(e.mem, end)) return false;
  const buf = e.mem.buffer;
  new Float32Array(buf, 0, a.length).set(a);
  new Float32Array(buf, bp, b.length).set(b);
  const starts = new Int32Array(buf, sp, 2 * p.rows);
  starts.set(p.starts[0] as Float64Array);
  starts.set(p.starts[1] as Float64Array, p.rows);
  e.ew(op, p.rows, p.rowLen, 0, sp, da, bp, sp + 4 * p.rows, db, yp);
  o.set(new Float32Array(buf, yp, p.size));
  return true;
}

function numRows(op: Op, dt: DType, p: RowPlan, a: NumData, b: NumData, o: NumData): void {
  const sa = p.starts[0] as Float64Array;
  const sb = p.starts[1] as Float64Array;
  const da = p.inner[0] as number;
  const db = p.inner[1] as number;
  const n = p.rowLen;
  const int = !isFloat(dt);
  for (let r = 0; r < p.rows; r++) {
    let ia = sa[r] as number;
    let ib = sb[r] as number;
    const o0 = r * n;
    switch (op) {
      case Op.Add:
        for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) + (b[ib] as number);
        break;
      case Op.Sub:
        for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) - (b[ib] as number);
        break;
      case Op.Mul:
        if (int) for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = Math.imul(a[ia] as number, b[ib] as number);
        else for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) * (b[ib] as number);
        break;
      case Op.Div:
        if (int) {
          for (let t = 0; t < n; t++, ia += da, ib += db) {
            const y = b[ib] as number;
            // numpy gives 0 for integer division by zero; ONNX leaves it undefined.
            o[o0 + t] = y === 0 ? 0 : Math.trunc((a[ia] as number) / y);
          }
        } else for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) / (b[ib] as number);
        break;
      case Op.Max:
        for (let t = 0; t < n; t++, ia += da, ib += db) {
          const x = a[ia] as number;
          const y = b[ib] as number;
          // NaN propagates (numpy maximum).
          o[o0 + t] = x > y || x !== x ? x : y;
        }
        break;
      case Op.Less:
        for (let t = 0; t < n; t++, ia += da, ib += db) o[o0 + t] = (a[ia] as number) < (b[ib] as number) ? 1 : 0;
        break;
    }
  }
}

function bigRows(op: Op, p: RowPlan, a: BigData, b: BigData, o: BigData | Uint8Array): void {
  const sa = p.starts[0] as Float64Array;
  const sb = p.starts[1] as Float64Array;
  const da = p.inner[0] as number;
  const db = p.inner[1] as number;
  const n = p.rowLen;
  const ob = o as BigData;
  for (let r = 0; r < p.rows; r++) {
    let ia = sa[r] as number;
    let ib = sb[r] as number;
    const o0 = r * n;
    for (let t = 0; t < n; t++, ia += da, ib += db) {
      const x = a[ia] as bigint;
      const y = b[ib] as bigint;
      switch (op) {
        case Op.Add:
          ob[o0 + t] = x + y;
          break;
        case Op.Sub:
          ob[o0 + t] = x - y;
          break;
        case Op.Mul:
          ob[o0 + t] = x * y;
          break;
        case Op.Div:
          ob[o0 + t] = y === 0n ? 0n : x / y;
          break;
        case Op.Max:
          ob[o0 + t] = x > y ? x : y;
          break;
        case Op.Less:
          (o as Uint8Array)[o0 + t] = x < y ? 1 : 0;
          break;
      }
    }
  }
}

function binary(node: Node, op: Op, a: Tensor, b: Tensor, ctx: RunCtx): Tensor {
  sameDtype(node, a, b);
  if (a.dtype === 'bool' && op !== Op.Less) throw dtypeErr(node, a, 'input');
  const p = planBroadcast(node, [a.shape, b.shape], ctx);
  const out = alloc(node, op === Op.Less ? 'bool' : a.dtype, p.outShape, ctx);
  if (isBigData(a.data)) bigRows(op, p, a.data, b.data as BigData, out.data as BigData | Uint8Array);
  else if (op <= Op.Div && a.data instanceof Float32Array && b.data instanceof Float32Array && out.data instanceof Float32Array)
    f32Rows(op, p, a.data, b.data, out.data);
  else numRows(op, a.dtype, p, a.data, b.data as NumData, out.data as NumData);
  if (out.dtype === 'float16') roundHalfInPlace(out.data as Float32Array);
  return out;
}

function binaryKernel<O extends OpName>(op: Op): Kernel<O> {
  return (node, inputs, ctx) => [binary(node, op, req(node, inputs, 0), req(node, inputs, 1), ctx)];
}

export const add: Kernel<'Add'> = binaryKernel(Op.Add);
export const sub: Kernel<'Sub'> = binaryKernel(Op.Sub);
export const mul: Kernel<'Mul'> = binaryKernel(Op.Mul);
export const div: Kernel<'Div'> = binaryKernel(Op.Div);
export const less: Kernel<'Less'> = binaryKernel(Op.Less);

export const max: Kernel<'Max'> = (node, inputs, ctx) => {
  let acc = req(node, inputs, 0);
  if (acc.dtype === 'bool') throw dtypeErr(node, acc, 'input 0');
  for (let i = 1; i < inputs.length; i++) acc = binary(node, Op.Max, acc, req(node, inputs, i), ctx);
  return [acc];
};

export const where: Kernel<'Where'> = (node, inputs, ctx) => {
  const c = req(node, inputs, 0);
  const x = req(node, inputs, 1);
  const y = req(node, inputs, 2);
  if (c.dtype !== 'bool') throw dtypeErr(node, c, 'condition');
  sameDtype(node, x, y);
  const p = planBroadcast(node, [c.shape, x.shape, y.shape], ctx);
  const out = alloc(node, x.dtype, p.outShape, ctx);
  const cd = c.data as Uint8Array;
  const xd = elems(x.data);
  const yd = elems(y.data);
  const od = elems(out.data);
  const [sc, sx, sy] = p.starts as [Float64Array, Float64Array, Float64Array];
  const [dc, dx, dy] = p.inner as [number, number, number];
  const n = p.rowLen;
  for (let r = 0; r < p.rows; r++) {
    let ic = sc[r] as number;
    let ix = sx[r] as number;
    let iy = sy[r] as number;
    const o0 = r * n;
    for (let t = 0; t < n; t++, ic += dc, ix += dx, iy += dy) {
      od[o0 + t] = cd[ic] !== 0 ? (xd[ix] as number) : (yd[iy] as number);
    }
  }
  return [out];
};
