// Views of a batch-first tensor (no copy).
import type { Tensor, TensorData } from './types.js';

export function takeRange(t: Tensor, start: number, end: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { dtype: t.dtype, shape: [end - start, ...t.shape.slice(1)], data: t.data.subarray(start * per, end * per) as TensorData };
}
