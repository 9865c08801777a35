// Unary element-wise ops, Clip, BatchNormalization (inference), Identity, Dropout.
// Float math runs in doubles and rounds on store (float16 via roundToHalf after the
// loop); integer Relu/Neg/Clip wrap on store like the fixed-width types.
import type { Node, OpName, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import type { BigData, FloatData, Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, dtypeErr, isBigData, nodeError, readScalar, req, roundHalfInPlace, shapeErr, view } from './kernel.js';

const enum U {
  Relu,
  Sigmoid,
  Tanh,
  Exp,
  Neg,
  Leaky,
}

function unary(node: Node, u: U, x: Tensor, ctx: RunCtx, alpha = 0): Tensor {
  const floatOnly = u === U.Sigmoid || u === U.Tanh || u === U.Exp || u === U.Leaky;
  if (x.dtype === 'bool' || (floatOnly && !isFloat(x.dtype)) || (u === U.Neg && x.dtype.startsWith('uint'))) {
    throw dtypeErr(node, x, 'input');
  }
  const y = alloc(node, x.dtype, x.shape, ctx);
  const n = x.data.length;
  if (isBigData(x.data)) {
    const xd = x.data;
    const yd = y.data as BigData;
    for (let i = 0; i < n; i++) {
      const v = xd[i] as bigint;
      yd[i] = u === U.Neg ? -v : v < 0n ? 0n : v;
    }
    return y;
  }
  const xd = x.data as NumData;
  const yd = y.data as NumData;
  switch (u) {
    case U.Relu:
      // `v < 0 ? 0 : v` keeps NaN, like numpy maximum(x, 0).
      for (let i = 0; i < n; i++) {
        const v = xd[i] as number;
        yd[i] = v < 0 ? 0 : v;
      }
      break;
    case U.Leaky:
      for (let i = 0; i < n; i++) {
        const v = xd[i] as number;
        yd[i] = v < 0 ? alpha * v : v;
      }
      break;
    case U.Sigmoid:
      // Two forms so exp never overflows: for v < 0 use e^v / (1 + e^v).
      for (let i = 0; i < n; i++) {
        const v = xd[i] as number;
        if (v >= 0) yd[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          yd[i] = e / (1 + e);
        }
      }
      break;
    case U.Tanh:
      for (let i = 0; i < n; i++) yd[i] = Math.tanh(xd[i] as number);
      break;
    case U.Exp:
      for (let i = 0; i < n; i++) yd[i] = Math.exp(xd[i] as number);
      break;
    case U.Neg:
      for (let i = 0; i < n; i++) yd[i] = -(xd[i] as number);
      break;
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return y;
}

function unaryKernel<O extends OpName>(u: U): Kernel<O> {
  return (node, inputs, ctx) => [unary(node, u, req(node, inputs, 0), ctx)];
}

export const relu: Kernel<'Relu'> = unaryKernel(U.Relu);
export const sigmoid: Kernel<'Sigmoid'> = unaryKernel(U.Sigmoid);
export const tanh: Kernel<'Tanh'> = unaryKernel(U.Tanh);
export const exp: Kernel<'Exp'> = unaryKernel(U.Exp);
export const neg: Kernel<'Neg'> = unaryKernel(U.Neg);
export const leakyRelu: Kernel<'LeakyRelu'> = (node, inputs, ctx) => [unary(node, U.Leaky, req(node, inputs, 0), ctx, node.attrs.alpha)];

export const clip: Kernel<'Clip'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (x.dtype === 'bool') throw dtypeErr(node, x, 'input');
  const bound = (i: number): number | bigint | undefined => {
    const t = inputs[i];
    if (t === undefined) return undefined;
    if (t.dtype !== x.dtype) throw dtypeErr(node, t, i === 1 ? 'min' : 'max');
    return readScalar(node, t, i === 1 ? 'min' : 'max');
  };
  const lo = bound(1);
  const hi = bound(2);
  const y = alloc(node, x.dtype, x.shape, ctx);
  const n = x.data.length;
  if (isBigData(x.data)) {
    const xd = x.data;
    const yd = y.data as BigData;
    for (let i = 0; i < n; i++) {
      let v = xd[i] as bigint;
      if (lo !== undefined && v < lo) v = lo as bigint;
      if (hi !== undefined && v > hi) v = hi as bigint;
      yd[i] = v;
    }
    return [y];
  }
  // ONNX: min > max gives max everywhere, which min(max(x, lo), hi) yields.
  const l = lo === undefined ? -Infinity : (lo as number);
  const h = hi === undefined ? Infinity : (hi as number);
  const xd = x.data as NumData;
  const yd = y.data as NumData;
  for (let i = 0; i < n; i++) {
    let v = xd[i] as number;
    if (v < l) v = l;
    if (v > h) v = h;
    yd[i] = v;
  }
  return [y];
};

export const batchNormalization: Kernel<'BatchNormalization'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (!isFloat(x.dtype)) throw dtypeErr(node, x, 'X');
  if (x.shape.length < 2) throw shapeErr(node, `X must be [N, C, ...], got [${x.shape.join(', ')}]`);
  const C = x.shape[1] as number;
  const params = [1, 2, 3, 4].map((i) => {
    const t = req(node, inputs, i);
    if (t.data.length !== C || !isFloat(t.dtype)) {
      throw shapeErr(node, `input ${i} must be a float vector of ${C} channels, got ${t.dtype}[${t.shape.join(', ')}]`);
    }
    return t.data as FloatData;
  }) as [FloatData, FloatData, FloatData, FloatData];
  const [scale, bias, mean, variance] = params;
  const y = alloc(node, x.dtype, x.shape, ctx);
  const N = x.shape[0] as number;
  let plane = 1;
  for (const d of x.shape.slice(2)) plane *= d;
  const xd = x.data as FloatData;
  const yd = y.data as FloatData;
  for (let c = 0; c < C; c++) {
    // y = (x - mean) / sqrt(var + eps) * scale + bias, folded into one multiply-add.
    const a = (scale[c] as number) / Math.sqrt((variance[c] as number) + node.attrs.epsilon);
    const b = (bias[c] as number) - (mean[c] as number) * a;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * plane;
      for (let i = base; i < base + plane; i++) yd[i] = (xd[i] as number) * a + b;
    }
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return [y];
};

export const identity: Kernel<'Identity'> = (node, inputs) => {
  const x = req(node, inputs, 0);
  return [view(x, x.shape)];
};

export const dropout: Kernel<'Dropout'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const ratio = inputs[1];
  const training = inputs[2];
  if (training !== undefined && Number(readScalar(node, training, 'training_mode')) !== 0) {
    const r = ratio === undefined ? 0.5 : Number(readScalar(node, ratio, 'ratio'));
    if (r !== 0) {
      throw nodeError(
        node,
        'SNNC_E_UNSUPPORTED_ATTR',
        `training_mode is true with ratio ${r}; only inference (or ratio 0) is supported`,
        'export the model in eval mode (model.eval())',
      );
    }
  }
  const out: Tensor[] = [view(x, x.shape)];
  if (node.outputs.length > 1 && node.outputs[1] !== '') {
    const mask = alloc(node, 'bool', x.shape, ctx);
    (mask.data as Uint8Array).fill(1);
    out.push(mask);
  }
  return out;
};
