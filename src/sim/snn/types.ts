// Public data types of the SNN simulator: plain data in, plain data out.
import type { Tensor } from '../../ir/types.js';

export type SimMode = 'time-stepped' | 'event-driven';

export interface SimulateOptions {
  /** Time steps per sample (integer in [1, 100000]). */
  readonly T: number;
  /** Engine (default 'event-driven'; both give the same bits). */
  readonly mode?: SimMode;
  /** Samples simulated together; default keeps each stacked value under ~64 MB. */
  readonly batchSize?: number;
  /** Seed of the Poisson input coding (default 0). */
  readonly seed?: number;
  /**
   * Early exit (BNTT-style): a sample stops at the first step t where top-1 minus top-2 of its
   * mean readout (accumulated readout / t) is at least this margin; its prediction freezes.
   */
  readonly earlyExit?: number;
  /** Element limit for any one tensor (default that of the ANN interpreter). */
  readonly maxElements?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Time-stepped mode: 'auto' (default) propagates only the nonzero inputs of an affine op
   * whose stacked input is sparse; 'dense' always runs the ANN kernels. Results are identical.
   */
  readonly affine?: 'auto' | 'dense';
  /**
   * 1 or 2: with 2, a worker thread and this one share the samples, chunk by chunk (same results).
   * Default: 2 on the main thread of a machine with two or more cores when the run is large
   * enough to repay the worker's start-up; 1 inside worker threads (explore's own pool).
   */
  readonly threads?: number;
}

export interface SimData {
  /** float32 `[N, ...per-sample input shape]`. */
  readonly x: Tensor;
  /** Class label per sample, length N. */
  readonly y: Int32Array;
}

/** Who emits spikes: a neuron layer, a spike max-pool, or the Poisson-coded graph input. */
export type SpikingOpName = 'IF' | 'LIF' | 'SpikeMaxPool' | 'input';

export interface LayerActivity {
  /** Node name (the graph input's name for 'input'). */
  readonly name: string;
  readonly op: SpikingOpName;
  /** Output elements per sample. */
  readonly neurons: number;
  /** Spikes per sample over the steps each sample ran. */
  readonly spikes: number;
  /** Synaptic operations per sample caused by this layer's spikes (see metrics.ts). */
  readonly synops: number;
  /** spikes / (neurons · mean steps run). */
  readonly firingRate: number;
}

export interface AffineActivity {
  readonly name: string;
  readonly op: string;
  readonly synops: number;
  readonly macs: number;
}

export interface SimDiagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly code: string;
  readonly message: string;
  readonly node?: string;
  readonly hint?: string;
}

export interface SimulateResult {
  readonly samples: number;
  readonly T: number;
  /** Index t-1: accuracy of the predictions from the readout accumulated over steps 1..t. */
  readonly accuracyPerStep: number[];
  /** Prediction per sample at step T (or at its early exit). */
  readonly predictions: Int32Array;
  /** IF/LIF spikes per sample (SpikeMaxPool re-emissions and input spikes are listed per layer only). */
  readonly spikesPerSample: number;
  /** Synaptic operations per sample, all layers (input spikes included). */
  readonly synopsPerSample: number;
  /** MACs per sample of affine ops fed by analog values, counted once per step run. */
  readonly macsPerSample: number;
  readonly layers: LayerActivity[];
  /**
   * Work per affine node (Conv, Gemm, MatMul, AveragePool, GlobalAveragePool), per sample:
   * synops from binary inputs, MACs from analog inputs — what per-layer cost models need.
   * Synops here count every step computed (with early exit, time-stepped mode computes all T).
   */
  readonly affine: AffineActivity[];
  /** Mean steps run per sample (present with earlyExit). */
  readonly meanSteps?: number;
  readonly diagnostics: SimDiagnostic[];
}
