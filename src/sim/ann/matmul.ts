// Gemm and MatMul. Float dtypes go through the shared GEMM kernels, NN or NT form as
// B is stored (only a transposed A is copied); integer dtypes use a direct loop
// that wraps like the fixed-width arithmetic of onnxruntime/numpy.
import type { Node, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import { matmulShape } from '../../ir/shape-utils.js';
import type { BigData, Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, isBigData, nodeError, reluInPlace, req, roundHalfInPlace, scratch, scratch64, shapeErr } from './kernel.js';
import type { FArr } from './gemm-kernel.js';
import { gemmNN, gemmNT, transposeInto } from './gemm-kernel.js';
import { planBroadcast } from './broadcast.js';

/** Matrix operand in strided form: element (i, p) is at off + i*rs + p*cs. */
interface Strided {
  readonly data: Tensor['data'];
  readonly off: number;
  readonly rs: number;
  readonly cs: number;
}

/** out[oOff + i*n + j] = alpha * sum_p A(i,p) B(p,j) + (accumulate ? out : 0), wrapping integers. */
function intMatmul(m: number, n: number, k: number, a: Strided, b: Strided, out: Tensor['data'], oOff: number, alpha: number, accumulate: boolean): void {
  if (isBigData(out)) {
    const ad = a.data as BigData;
    const bd = b.data as BigData;
    const al = BigInt(alpha);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0n;
        for (let p = 0; p < k; p++) s += (ad[a.off + i * a.rs + p * a.cs] as bigint) * (bd[b.off + p * b.rs + j * b.cs] as bigint);
        const o = oOff + i * n + j;
        out[o] = al * s + (accumulate ? (out[o] as bigint) : 0n);
      }
    }
    return;
  }
  const ad = a.data as NumData;
  const bd = b.data as NumData;
  const od = out as NumData;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      // Sum modulo 2^32: exact low bits for every integer type of 32 bits or fewer.
      for (let p = 0; p < k; p++) s = (s + Math.imul(ad[a.off + i * a.rs + p * a.cs] as number, bd[b.off + p * b.rs + j * b.cs] as number)) | 0;
      const o = oOff + i * n + j;
      od[o] = (alpha === 1 ? s : Math.imul(alpha, s)) + (accumulate ? (od[o] as number) : 0);
    }
  }
}

function checkSame(node: Node, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw nodeError(node, 'SNNC_E_BAD_DTYPE', `operands have dtypes ${a.dtype} and ${b.dtype}; they must match`, 'insert a Cast');
  }
  if (a.dtype === 'bool') throw nodeError(node, 'SNNC_E_BAD_DTYPE', 'bool operands are not accepted', 'insert a Cast');
}

function floatScratch(node: Node, like: Tensor, n: number, ctx: RunCtx): FArr {
  return like.dtype === 'float64' ? scratch64(node, n, ctx) : scratch(node, n, ctx);
}

/** Fill out[M, N] with beta * C, C broadcast unidirectionally (scalar, [N], [M,1], [1,N], [M,N]). */
function fillBias(node: Node, out: Tensor, c: Tensor, m: number, n: number, beta: number): void {
  const s = c.shape;
  const okDim = (d: number | undefined, want: number): boolean => d === 1 || d === want;
  let rs = 0;
  let cs = 0;
  if (s.length === 1 && okDim(s[0], n)) cs = s[0] === 1 ? 0 : 1;
  else if (s.length === 2 && okDim(s[0], m) && okDim(s[1], n)) {
    cs = s[1] === 1 ? 0 : 1;
    rs = s[0] === 1 ? 0 : (s[1] as number);
  } else if (s.length !== 0) {
    throw shapeErr(node, `C of shape [${s.join(', ')}] cannot be broadcast to [${m}, ${n}]`);
  }
  if (isBigData(out.data)) {
    const cd = c.data as BigData;
    const bb = BigInt(beta);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = bb * (cd[i * rs + j * cs] as bigint);
    return;
  }
  const cd = c.data as NumData;
  const od = out.data as NumData;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) od[i * n + j] = beta * (cd[i * rs + j * cs] as number);
}

export const gemm: Kernel<'Gemm'> = (node, inputs, ctx) => {
  const a = req(node, inputs, 0);
  const b = req(node, inputs, 1);
  const c = inputs[2];
  checkSame(node, a, b);
  if (c !== undefined && c.dtype !== a.dtype) checkSame(node, a, c);
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw shapeErr(node, `A and B must be 2-D, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const { alpha, beta, transA, transB } = node.attrs;
  const [a0, a1] = a.shape as [number, number];
  const [b0, b1] = b.shape as [number, number];
  const m = transA ? a1 : a0;
  const k = transA ? a0 : a1;
  const n = transB ? b0 : b1;
  if ((transB ? b1 : b0) !== k) {
    throw shapeErr(
      node,
      `inner dims differ: A is [${a.shape.join(', ')}]${transA ? ' (transposed)' : ''}, B is [${b.shape.join(', ')}]${transB ? ' (transposed)' : ''}`,
    );
  }
  const out = alloc(node, a.dtype, [m, n], ctx);
  if (c !== undefined) fillBias(node, out, c, m, n, beta);
  if (isFloat(a.dtype)) {
    let ad = a.data as FArr;
    if (transA) {
      ad = floatScratch(node, a, m * k, ctx);
      transposeInto(a.data as FArr, 0, m, k, m, ad, 0);
    }
    // B as stored: [N x K] is the NT form, [K x N] the NN form; neither needs a copy.
    const gemmForm = transB ? gemmNT : gemmNN;
    gemmForm(m, n, k, ad, 0, k, b.data as FArr, 0, transB ? k : n, out.data as FArr, 0, n, alpha, c !== undefined, ctx.exactSums === true);
    if (a.dtype === 'float16') roundHalfInPlace(out.data as Float32Array);
    if (ctx.relu === true) reluInPlace(out.data);
    return [out];
  }
  if (!Number.isInteger(alpha) || !Number.isInteger(beta)) {
    throw nodeError(node, 'SNNC_E_UNSUPPORTED_ATTR', `alpha ${alpha} / beta ${beta} must be integers for ${a.dtype} operands`);
  }
  const as: Strided = transA ? { data: a.data, off: 0, rs: 1, cs: m } : { data: a.data, off: 0, rs: k, cs: 1 };
  const bs: Strided = transB ? { data: b.data, off: 0, rs: 1, cs: k } : { data: b.data, off: 0, rs: n, cs: 1 };
  intMatmul(m, n, k, as, bs, out.data, 0, alpha, c !== undefined);
  if (ctx.relu === true) reluInPlace(out.data);
  return [out];
};

export const matmul: Kernel<'MatMul'> = (node, inputs, ctx) => {
  const a = req(node, inputs, 0);
  const b = req(node, inputs, 1);
  checkSame(node, a, b);
  const outShape = matmulShape(a.shape, b.shape, node.name);
  const a2 = a.shape.length === 1 ? [1, a.shape[0] as number] : a.shape;
  const b2 = b.shape.length === 1 ? [b.shape[0] as number, 1] : b.shape;
  const m = a2[a2.length - 2] as number;
  const k = a2[a2.length - 1] as number;
  const n = b2[b2.length - 1] as number;
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  // Which A and B matrix each output matrix multiplies (batch dims broadcast).
  const plan = planBroadcast(node, [aBatch, bBatch], ctx);
  const batches = plan.size;
  const offsets = (which: 0 | 1, e: number): number => {
    const r = Math.floor(e / plan.rowLen);
    return ((plan.starts[which] as Float64Array)[r] as number) + (e - r * plan.rowLen) * (plan.inner[which] as number);
  };
  const out = alloc(node, a.dtype, outShape, ctx);
  if (isFloat(a.dtype)) {
    for (let e = 0; e < batches; e++) {
      gemmNN(
        m,
        n,
        k,
        a.data as FArr,
        offsets(0, e) * m * k,
        k,
        b.data as FArr,
        offsets(1, e) * k * n,
        n,
        out.data as FArr,
        e * m * n,
        n,
        1,
        false,
        ctx.exactSums === true,
      );
    }
    if (a.dtype === 'float16') roundHalfInPlace(out.data as Float32Array);
    return [out];
  }
  for (let e = 0; e < batches; e++) {
    const as: Strided = { data: a.data, off: offsets(0, e) * m * k, rs: k, cs: 1 };
    const bs: Strided = { data: b.data, off: offsets(1, e) * k * n, rs: n, cs: 1 };
    intMatmul(m, n, k, as, bs, out.data, e * m * n, 1, false);
  }
  return [out];
};
