// FPGA cost model (hls4ml-style dataflow, one layer after another per time step).
//
// Cycles per step of layer L:   c_L = cyclesPerStep (from the backend or a synthesis
//                                      report) or reuseFactor + pipelineOverheadCycles
// Latency per step:             t_step = sum_L c_L / f_clk;   latency = T * t_step
// Power (every instantiated unit is assumed busy in each cycle of its layer):
//   P_dyn(L) = f_clk * (multipliers * e_mul + adders * e_add + ceil(bramBits/36Kib) * e_bram)
//   E_L      = P_dyn(L) * T * c_L / f_clk           energy = power x the time L is active
//   E_static = P_static * latency, split over layers by their share of cycles
// Multipliers and adders are reported under 'macs' and 'synops' (spike inputs make a
// synapse an add); BRAM under 'memory'.
import type { Activity, CostReport, LayerCost, MappingOf } from './types.js';
import type { FpgaTarget } from './target.js';
import { breakdownOf, makeReport, pairLayers, sumBreakdown } from './report.js';

const BRAM_BITS = 36 * 1024;

/** Cycles one time step of a layer takes. */
function layerCycles(t: FpgaTarget, m: MappingOf<'fpga'>['layers'][number]): number {
  return m.cyclesPerStep ?? m.reuseFactor + t.pipelineOverheadCycles.value;
}

export function fpgaCost(target: FpgaTarget, mapping: MappingOf<'fpga'>, activity: Activity): CostReport {
  const T = activity.T;
  const f = target.clock.value;
  const p = target.power;
  const pairs = pairLayers(mapping.layers, activity.layers);
  const cycles = pairs.map(({ map }) => layerCycles(target, map));
  const totalCycles = cycles.reduce((s, c) => s + c, 0);
  const latencyS = (T * totalCycles) / f;

  const layers: LayerCost[] = pairs.map(({ map: m }, i) => {
    const c = cycles[i] ?? 0;
    const activeCycles = T * c;
    const brams = Math.ceil(m.bramBits / BRAM_BITS);
    const breakdown = breakdownOf({
      macs: activeCycles * m.multipliers * p.multiplierPerCycle.value,
      synops: activeCycles * m.adders * p.adderPerCycle.value,
      memory: activeCycles * brams * p.bramPer36KbPerCycle.value,
      static: totalCycles === 0 ? 0 : (p.static.value * latencyS * c) / totalCycles,
    });
    return { name: m.name, energyJ: sumBreakdown(breakdown), latencyS: activeCycles / f, breakdown };
  });

  const r = target.resources;
  const bram36 = mapping.layers.reduce((s, m) => s + Math.ceil(m.bramBits / BRAM_BITS), 0);
  const assumptions = [
    'layers run one after another within a time step (no overlap between layers or steps)',
    'every instantiated multiplier, adder and BRAM toggles in every cycle of its layer (an upper bound on dynamic power)',
    'energy = power x time; LUT/FF logic other than adders and the processing system (ARM cores, DDR) are not modelled',
  ];
  if (mapping.totals.multipliers > r.dsps.value)
    assumptions.push(`design needs ${mapping.totals.multipliers} multipliers but the board has ${r.dsps.value} DSPs; the rest would go to LUTs`);
  if (bram36 > r.bram36.value) assumptions.push(`design needs ${bram36} BRAM36 but the board has ${r.bram36.value}; weights would spill to URAM or DDR`);
  return makeReport({
    target,
    T,
    layers,
    latencyS,
    resources: {
      multipliers: mapping.totals.multipliers,
      adders: mapping.totals.adders,
      bram36,
      dspAvailable: r.dsps.value,
      bram36Available: r.bram36.value,
      lutAvailable: r.luts.value,
      cyclesPerStep: totalCycles,
    },
    assumptions,
  });
}
