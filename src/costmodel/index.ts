// Public face of the cost models: `estimateCost(target, mapping, activity)` dispatches on
// the target family; each family's model lives in its own file with its equations.
import { fail } from '../errors.js';
import type { Activity, CostReport, Mapping } from './types.js';
import type { Target } from './target.js';
import { loihiCost } from './loihi.js';
import { imcCost } from './imc.js';
import { fpgaCost } from './fpga.js';
import { annCost } from './ann.js';

export type * from './types.js';
export type { Target, LoihiTarget, ImcTarget, FpgaTarget, AnnTarget, Constant, Status, Unit } from './target.js';
export { annCost };

export function estimateCost(target: Target, mapping: Mapping, activity: Activity): CostReport {
  if (target.kind !== mapping.kind) {
    throw fail({
      code: 'SNNC_E_TARGET',
      message: `target '${target.name}' is a ${target.kind} target but the mapping is for ${mapping.kind}`,
      hint: 'Use the backend that matches the target family.',
    });
  }
  switch (target.kind) {
    case 'loihi':
      return loihiCost(target, mapping as Extract<Mapping, { kind: 'loihi' }>, activity);
    case 'imc':
      return imcCost(target, mapping as Extract<Mapping, { kind: 'imc' }>, activity);
    case 'fpga':
      return fpgaCost(target, mapping as Extract<Mapping, { kind: 'fpga' }>, activity);
    case 'ann':
      return annCost(target, mapping as Extract<Mapping, { kind: 'ann' }>, activity);
  }
}
