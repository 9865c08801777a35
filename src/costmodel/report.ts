// Small helpers shared by the cost models: empty breakdowns, sums, layer pairing, and the
// list of target constants that are labelled assumptions.
import { COMPONENTS } from './types.js';
import type { Breakdown, Component, CostReport, LayerActivity, LayerCost } from './types.js';
import type { Constant, Target } from './target.js';

function emptyBreakdown(): Breakdown {
  const b = {} as Record<Component, number>;
  for (const c of COMPONENTS) b[c] = 0;
  return b;
}

export function breakdownOf(parts: Partial<Breakdown>): Breakdown {
  return { ...emptyBreakdown(), ...parts };
}

export function sumBreakdown(b: Breakdown): number {
  let s = 0;
  for (const c of COMPONENTS) s += b[c];
  return s;
}

function addBreakdowns(list: readonly Breakdown[]): Breakdown {
  const out = emptyBreakdown();
  for (const b of list) for (const c of COMPONENTS) out[c] += b[c];
  return out;
}

/** Pairs mapping layers with activity layers by name. A mismatch is a bug in whoever
 *  produced them (backend vs simulator), so it is a plain Error, not a user error. */
export function pairLayers<M extends { readonly name: string }>(mapped: readonly M[], activity: readonly LayerActivity[]): { map: M; act: LayerActivity }[] {
  const byName = new Map(activity.map((a) => [a.name, a]));
  return mapped.map((m) => {
    const act = byName.get(m.name);
    if (act === undefined) throw new Error(`cost model: mapped layer '${m.name}' has no activity record`);
    return { map: m, act };
  });
}

function isConstant(x: unknown): x is Constant {
  return typeof x === 'object' && x !== null && 'value' in x && 'status' in x && 'source' in x;
}

/** "path: source" for every constant of the target whose status is 'assumption'. */
function targetAssumptions(target: Target): string[] {
  const out: string[] = [];
  const walk = (x: unknown, path: string): void => {
    if (isConstant(x)) {
      if (x.status === 'assumption') out.push(`${target.name}${path} is an assumption: ${x.source}`);
      return;
    }
    if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${path}/${i}`));
    else if (typeof x === 'object' && x !== null) for (const [k, v] of Object.entries(x)) walk(v, `${path}/${k}`);
  };
  walk(target, '');
  return out;
}

/** Assemble the report from per-layer costs; totals are sums over layers. */
export function makeReport(args: {
  target: Target;
  T: number;
  layers: LayerCost[];
  latencyS: number;
  area?: number;
  resources?: Record<string, number>;
  assumptions: string[];
}): CostReport {
  const breakdown = addBreakdowns(args.layers.map((l) => l.breakdown));
  const energyJ = sumBreakdown(breakdown);
  const T = Math.max(1, args.T);
  return {
    target: args.target.name,
    energyJ,
    latencyS: args.latencyS,
    perStep: { energyJ: energyJ / T, latencyS: args.latencyS / T },
    breakdown,
    layers: args.layers,
    ...(args.area !== undefined ? { area: { mm2: args.area } } : {}),
    ...(args.resources !== undefined ? { resources: args.resources } : {}),
    assumptions: [...args.assumptions, ...targetAssumptions(args.target)],
  };
}
