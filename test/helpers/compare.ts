// Element-wise comparison of tensors with ONNX-test-style tolerances.
import type { Tensor } from '../../src/ir/types.js';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOL: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/** Returns undefined when equal within tolerance, else a description of the first mismatch. */
export function compareTensors(got: Tensor, want: Tensor, tol: Tolerance = DEFAULT_TOL): string | undefined {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} != expected ${want.dtype}`;
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return `shape [${got.shape.join(',')}] != expected [${want.shape.join(',')}]`;
  }
  const n = want.data.length;
  if (got.data.length !== n) return `length ${got.data.length} != expected ${n}`;
  const exact = !(want.dtype === 'float32' || want.dtype === 'float64' || want.dtype === 'float16');
  let worst = -1;
  let worstErr = 0;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const g = Number(got.data[i]);
    const w = Number(want.data[i]);
    if (exact) {
      if (got.data[i] !== want.data[i]) {
        bad++;
        if (worst < 0) worst = i;
      }
      continue;
    }
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue; // covers equal infinities
    const err = Math.abs(g - w);
    if (!(err <= tol.atol + tol.rtol * Math.abs(w))) {
      bad++;
      if (!(err <= worstErr)) {
        worstErr = err;
        worst = i;
      }
    }
  }
  if (bad === 0) return undefined;
  return `${bad}/${n} elements differ; e.g. at ${worst}: got ${String(got.data[worst])}, expected ${String(want.data[worst])}`;
}
