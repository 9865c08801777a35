// ANN baseline: the original (non-spiking) network on conventional hardware.
//
// Per layer, one forward pass (T does not apply; a time-stepped SNN is compared against a
// single ANN inference):
//   E_mac = macs * e_mac
//   E_mem = ceil((params + inputs + outputs) * valueBits / accessBits) * e_access
//           (every weight and input read once, every output written once)
//   latency_L = macs / macRate;   latency = sum_L latency_L
// The activity argument is accepted for a uniform signature and is not used.
import type { Activity, CostReport, LayerCost, MappingOf } from './types.js';
import type { AnnTarget } from './target.js';
import { breakdownOf, makeReport, sumBreakdown } from './report.js';

export function annCost(target: AnnTarget, mapping: MappingOf<'ann'>, _activity?: Activity): CostReport {
  const mem = target.memory;
  let latencyS = 0;
  const layers: LayerCost[] = mapping.layers.map((m) => {
    const accesses = Math.ceil(((m.params + m.inputs + m.outputs) * mem.valueBits.value) / mem.accessBits.value);
    const breakdown = breakdownOf({
      macs: m.macs * target.energy.mac.value,
      memory: accesses * mem.accessEnergy.value,
    });
    const l = m.macs / target.macRate.value;
    latencyS += l;
    return { name: m.name, energyJ: sumBreakdown(breakdown), latencyS: l, breakdown };
  });
  return makeReport({
    target,
    T: 1,
    layers,
    latencyS,
    resources: { macs: mapping.totals.macs, params: mapping.totals.params },
    assumptions: [
      'ANN baseline: one forward pass; every weight and input read once and every output written once',
      'activations (ReLU), pooling and data movement beyond that single pass are not counted',
    ],
  });
}
