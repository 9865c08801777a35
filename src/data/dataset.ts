// The dataset shape every consumer (calibration, simulation, benchmarks) reads:
// images as one IR tensor, labels as plain integers.
import type { Tensor } from '../ir/types.js';

export interface Dataset {
  /** float32, `[N, ...sample shape]` (for images NCHW: `[N, C, H, W]`). */
  readonly x: Tensor;
  /** Class label of each sample, length N, every entry ≥ 0. */
  readonly y: Int32Array;
  /** Where the data came from, for reports (e.g. `mnist:test`, a file path). */
  readonly name: string;
}
