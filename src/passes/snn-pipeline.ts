// The two ANN→SNN passes: calibrate (needs ctx.calibration) → convert. conversionPasses
// (pipeline.ts) puts them between the ANN clean-up and fold-avgpool.
import type { CalibrationMethod, Granularity } from './calibrate.js';
import { calibratePass } from './calibrate.js';
import type { Pass } from './context.js';
import { convertPass } from './convert.js';

export interface SnnOptions {
  readonly method: CalibrationMethod;
  readonly granularity: Granularity;
  readonly reset: 'subtract' | 'zero';
  readonly coding: 'direct' | 'poisson';
  readonly maxpool: 'gate' | 'avg';
  readonly vInit?: number;
  readonly fire?: 'ge' | 'gt';
  /** Calibration samples per ANN run. */
  readonly batchSize?: number;
}

/** Defaults of `snnc convert`. */
const SNN_DEFAULTS: SnnOptions = { method: 'max', granularity: 'layer', reset: 'subtract', coding: 'direct', maxpool: 'gate' };

export function snnPasses(opts: SnnOptions = SNN_DEFAULTS): Pass[] {
  const { method, granularity, batchSize, ...rest } = opts;
  return [calibratePass({ method, granularity, ...(batchSize !== undefined ? { batchSize } : {}) }), convertPass({ granularity, ...rest })];
}
