// Cast and CastLike between every pair of dtypes.
// Float -> integer truncates toward zero and then wraps like the fixed-width types
// (numpy's astype on in-range values; out-of-range is undefined in ONNX). Non-finite
// floats cast to 64-bit integers give 0 (no bigint exists for them). Anything -> bool
// is `x != 0` (NaN is true). Integers -> float16 round to nearest-even half.
import type { DType, Node, Tensor } from '../../ir/types.js';
import { isFloat, roundToHalf } from '../../ir/dtype.js';
import type { BigData, Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, isBigData, req, view } from './kernel.js';

function fromBig(src: BigData, to: DType, dst: Tensor['data']): void {
  const n = src.length;
  if (to === 'int64' || to === 'uint64') {
    // BigInt64Array/BigUint64Array stores wrap modulo 2^64.
    const d = dst as BigData;
    for (let i = 0; i < n; i++) d[i] = src[i] as bigint;
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) dst[i] = src[i] !== 0n ? 1 : 0;
  } else if (isFloat(to)) {
    const d = dst as NumData;
    const half = to === 'float16';
    for (let i = 0; i < n; i++) {
      const v = Number(src[i] as bigint);
      d[i] = half ? roundToHalf(v) : v;
    }
  } else {
    // Keep the low 32 bits exactly; the narrower typed array wraps further.
    const d = dst as NumData;
    for (let i = 0; i < n; i++) d[i] = Number(BigInt.asIntN(32, src[i] as bigint));
  }
}

function fromNum(src: NumData, fromFloat: boolean, to: DType, dst: Tensor['data']): void {
  const n = src.length;
  if (to === 'int64' || to === 'uint64') {
    const d = dst as BigData;
    for (let i = 0; i < n; i++) {
      const v = Math.trunc(src[i] as number);
      d[i] = Number.isFinite(v) ? BigInt(v) : 0n;
    }
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) dst[i] = (src[i] as number) !== 0 ? 1 : 0;
  } else if (to === 'float16') {
    const d = dst as Float32Array;
    for (let i = 0; i < n; i++) d[i] = roundToHalf(src[i] as number);
  } else if (isFloat(to) || !fromFloat) {
    const d = dst as NumData;
    for (let i = 0; i < n; i++) d[i] = src[i] as number;
  } else {
    const d = dst as NumData;
    for (let i = 0; i < n; i++) d[i] = Math.trunc(src[i] as number);
  }
}

function castTensor(node: Node, x: Tensor, to: DType, ctx: RunCtx): Tensor {
  if (x.dtype === to) return view(x, x.shape);
  const y = alloc(node, to, x.shape, ctx);
  if (isBigData(x.data)) fromBig(x.data, to, y.data);
  else fromNum(x.data, isFloat(x.dtype), to, y.data);
  return y;
}

export const cast: Kernel<'Cast'> = (node, inputs, ctx) => [castTensor(node, req(node, inputs, 0), node.attrs.to, ctx)];

export const castLike: Kernel<'CastLike'> = (node, inputs, ctx) => [castTensor(node, req(node, inputs, 0), req(node, inputs, 1).dtype, ctx)];
