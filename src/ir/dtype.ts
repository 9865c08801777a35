// Data types, their storage, and the element limit that guards every allocation.
import { fail } from '../errors.js';
import type { DType, Dim, Tensor, TensorData } from './types.js';

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

/** Bytes per element in the storage format of ONNX/numpy (not of our typed array). */
export function byteSize(d: DType): number {
  switch (d) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/** Allocate zeroed storage for `n` elements of dtype `d` (checks the limit). */
export function allocData(d: DType, n: number, limit = DEFAULT_MAX_ELEMENTS): TensorData {
  checkElementCount(n, limit);
  switch (d) {
    case 'float32':
    case 'float16':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'uint64':
      return new BigUint64Array(n);
  }
}

/** Largest tensor snnc allocates unless told otherwise (2^28 elements = 1 GiB of float32). */
export const DEFAULT_MAX_ELEMENTS = 2 ** 28;

export function checkElementCount(n: number, limit = DEFAULT_MAX_ELEMENTS, where?: { node?: string; file?: string }): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > limit) {
    throw fail({
      code: 'SNNC_E_LIMIT',
      message: `tensor of ${Number.isFinite(n) ? n : 'unbounded'} elements exceeds the limit of ${limit}`,
      ...(where?.node !== undefined ? { node: where.node } : {}),
      ...(where?.file !== undefined ? { file: where.file } : {}),
      hint: 'raise the limit with --max-elements if the model really is this large',
    });
  }
}

/**
 * Element count of a static shape, validated before anything is allocated:
 * every dim must be a non-negative integer and the product must stay under `limit`.
 */
export function shapeSize(shape: readonly number[], limit = DEFAULT_MAX_ELEMENTS, where?: { node?: string; file?: string }): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw fail({
        code: 'SNNC_E_BAD_SHAPE',
        message: `invalid dimension ${String(d)} in shape [${shape.join(', ')}]`,
        ...(where?.node !== undefined ? { node: where.node } : {}),
        ...(where?.file !== undefined ? { file: where.file } : {}),
      });
    }
    n *= d;
    // Check as we go so a hostile shape like [2^40, 2^40] never overflows to a small number.
    if (n > limit) checkElementCount(n, limit, where);
  }
  return n;
}

export function isStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function makeTensor(dtype: DType, shape: readonly number[], data?: TensorData): Tensor {
  const n = shapeSize(shape);
  const d = data ?? allocData(dtype, n);
  if (d.length !== n) {
    throw fail({ code: 'SNNC_E_TENSOR_DATA', message: `tensor data has ${d.length} elements, shape [${shape.join(', ')}] needs ${n}` });
  }
  return { dtype, shape: [...shape], data: d };
}

// --- float16 -------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decode IEEE 754 binary16 bits to a number. */
export function halfToFloat(h: number): number {
  const s = (h & 0x8000) !== 0 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Encode a number as IEEE 754 binary16 bits, round to nearest even. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0] ?? 0;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return h;
}

/** Round a float to the nearest float16-representable value. */
export function roundToHalf(x: number): number {
  return halfToFloat(floatToHalf(x));
}
