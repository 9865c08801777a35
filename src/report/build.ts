// Builders that turn cost-model output into report entries, so every producer fills
// TargetResult the same way (ratios, component order, unavailable targets).
import { COMPONENTS } from '../costmodel/types.js';
import type { CostReport } from '../costmodel/types.js';
import type { Baseline, TargetKind, TargetResult } from './types.js';

/** baseline / this, or undefined when the ratio would be 0, infinite or NaN. */
function ratio(baseline: number, value: number): number | undefined {
  const r = baseline / value;
  return Number.isFinite(r) && r > 0 ? r : undefined;
}

export function targetResultFromCost(
  cost: CostReport,
  kind: TargetKind,
  accuracy: number | null,
  T: number,
  baseline?: Pick<Baseline, 'energyJ' | 'latencyS'>,
): TargetResult {
  const breakdown: Record<string, number> = {};
  for (const c of COMPONENTS) breakdown[c] = cost.breakdown[c];
  const e = baseline === undefined ? undefined : ratio(baseline.energyJ, cost.energyJ);
  const l = baseline === undefined ? undefined : ratio(baseline.latencyS, cost.latencyS);
  return {
    target: cost.target,
    kind,
    status: 'ok',
    accuracy,
    timesteps: T,
    energyJ: cost.energyJ,
    latencyS: cost.latencyS,
    breakdown,
    layers: cost.layers.map((l) => ({ name: l.name, energyJ: l.energyJ, latencyS: l.latencyS })),
    ...(cost.area !== undefined ? { area: { mm2: cost.area.mm2 } } : {}),
    ...(cost.resources !== undefined ? { resources: { ...cost.resources } } : {}),
    ...(e !== undefined && l !== undefined ? { vsBaseline: { energy: e, latency: l } } : {}),
    assumptions: [...cost.assumptions],
  };
}

/** A target that could not be estimated (backend not built, not applicable). */
export function UNAVAILABLE(target: string, kind: TargetKind, note: string): TargetResult {
  return {
    target,
    kind,
    status: 'unavailable',
    note,
    accuracy: null,
    timesteps: 0,
    energyJ: null,
    latencyS: null,
    breakdown: {},
    layers: [],
    assumptions: [],
  };
}

export function baselineFromCost(cost: CostReport): Baseline {
  return { target: cost.target, energyJ: cost.energyJ, latencyS: cost.latencyS };
}
