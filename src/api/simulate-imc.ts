// `snnc simulate --target imc-…`: accuracy of the converted network executed as mapped on the
// crossbars (partial sums through the target's ADCs or 1-bit sense amplifiers), optionally with
// seeded device non-idealities, reported as mean ± std over seeds.
import { fail } from '../errors.js';
import { mapGraph, simulateImc } from '../backends/imc/index.js';
import type { DeviceEffects } from '../backends/imc/index.js';
import { loadTarget } from '../costmodel/target.js';
import type { Dataset } from '../data/dataset.js';
import type { Graph } from '../ir/types.js';

export const NOISE_KEYS = {
  program: 'programNoise',
  read: 'readNoise',
  drift: 'driftTime',
  nu: 'driftNu',
  stuck: 'stuckAt',
  onoff: 'onOffRatio',
} as const;

/** "program=1,read=0.01,drift=3600,stuck=0.001,onoff=17" → DeviceEffects. */
export function parseNoise(spec: string): DeviceEffects {
  const out: Record<string, number> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [k, v] = part.split('=');
    const key = NOISE_KEYS[(k ?? '') as keyof typeof NOISE_KEYS];
    const n = Number(v);
    if (key === undefined || v === undefined || !Number.isFinite(n) || n < 0) {
      throw fail({ code: 'SNNC_E_USAGE', message: `bad --noise entry '${part}'`, hint: `use ${Object.keys(NOISE_KEYS).join('=, ')}= with non-negative numbers, e.g. program=1,read=0.01` });
    }
    out[key] = n;
  }
  return out as DeviceEffects;
}

export interface ImcAccuracy {
  readonly target: string;
  readonly T: number;
  readonly seeds: readonly number[];
  readonly runs: readonly number[];
  readonly mean: number;
  readonly std: number;
  readonly noise: DeviceEffects;
}

export function simulateOnImc(snn: Graph, targetName: string, data: Dataset, calib: Dataset, opts: { T: number; noise?: DeviceEffects; seeds?: readonly number[] }): ImcAccuracy {
  const target = loadTarget(targetName);
  if (target.kind !== 'imc') {
    throw fail({ code: 'SNNC_E_USAGE', message: `--target ${targetName} is a ${target.kind} target`, hint: 'simulate --target takes an IMC target (imc-hpadc, imc-adcless, or your IMC JSON)' });
  }
  const net = mapGraph(snn, target);
  const seeds = opts.seeds ?? [0];
  const noise = opts.noise ?? {};
  const runs = seeds.map((seed) => {
    const r = simulateImc(snn, net, { x: data.x, y: data.y }, { T: opts.T, seed, devices: { ...noise, seed }, calibration: { x: calib.x, y: calib.y } });
    return r.accuracyPerStep[opts.T - 1] ?? 0;
  });
  const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
  const std = runs.length > 1 ? Math.sqrt(runs.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs.length - 1)) : 0;
  return { target: targetName, T: opts.T, seeds, runs, mean, std, noise };
}
