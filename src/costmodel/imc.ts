// IMC crossbar cost model (HP-ADC and ADC-less share it; the ADC block differs).
//
// Per layer, per inference (T steps; P = positions, i.e. crossbar reads per step; R_t =
// row tiles; C = physical columns used; O = outFeatures; b_x = input bits; b = ADC bits):
//   E_cell   = V^2 * t_read * (f_on / R_on + (1 - f_on) / R_off)     mean cell read energy
//   rowAct   = synops / O + (macs / O) * b_x * f_one                 rows driven (only rows
//                                                                      with a spike / 1-bit)
//   E_xbar   = rowAct * C * E_cell                                    -> 'synops' / 'macs'
//   conv     = T * P * R_t * C * b_x                                  every column, every
//                                                                      row-tile read
//   E_adc    = conv * e_conv(b)      SAR: (k_b * b + k_0) * (b + 1) * t_bit
//                                    sense amp: the target's energy per sensing
//   adds     = T * P * O * (R_t * (C/O * b_x - 1) + (R_t - 1))       shift-and-add + row-tile
//   E_periph = adds * e_add                                             accumulation
//   E_mem    = (T * P * rows * b_x + neuronUpdates) * e_bit           input-buffer reads +
//                                                                      1-bit spike writes
//   E_neu    = neuronUpdates * e_neuron
// Latency per step: layers run one after another, all tiles of a layer in parallel:
//   t_L = P * b_x * (t_read + columnsPerAdc * t_conv(b))
//       + ceil(log2(R_t * C/O * b_x)) * t_add + t_neuron
//   t_conv: SAR (b + 1) * t_bit; sense amp: the target's latency.
//   latency = T * sum_L t_L
//   E_route  = chipBits * e_chip    a layer on k chips: its input rows are split over them
//              and each extra chip returns 32-bit partial sums; c = 1 when the layer starts
//              on another chip than its input layer ends on:
//              chipBits = T * P * (rows * b_x * (k - 1 + c) / k + O * 32 * (k - 1))
// Area: sum_L tiles * (R * C_xbar * cell + ceil(C_xbar / columnsPerAdc) * adcArea).
import type { Activity, CostReport, LayerCost, MappingOf } from './types.js';
import type { ImcTarget } from './target.js';
import { breakdownOf, makeReport, pairLayers, sumBreakdown } from './report.js';

/** Width of a partial sum sent between chips (the digital accumulators are int32). */
const PSUM_BITS = 32;

/** Energy of one conversion at `bits` resolution. */
function conversionEnergy(t: ImcTarget, bits: number): number {
  const a = t.adc;
  if (a.type === 'sense-amp') return a.energy.value;
  return (a.biasPowerPerBit.value * bits + a.biasPowerOffset.value) * (bits + 1) * a.timePerBit.value;
}

/** Time of one conversion at `bits` resolution. */
function conversionTime(t: ImcTarget, bits: number): number {
  const a = t.adc;
  if (a.type === 'sense-amp') return a.latency.value;
  return (bits + 1) * a.timePerBit.value;
}

/** Mean energy of reading one cell whose row is driven. */
function cellReadEnergy(t: ImcTarget): number {
  const d = t.device;
  const v2t = d.readVoltage.value ** 2 * d.readPulse.value;
  return v2t * (d.onFraction.value / d.rOn.value + (1 - d.onFraction.value) / d.rOff.value);
}

export function imcCost(target: ImcTarget, mapping: MappingOf<'imc'>, activity: Activity): CostReport {
  const T = activity.T;
  const eCell = cellReadEnergy(target);
  const dg = target.digital;
  const fOne = target.device.inputOneFraction.value;
  const R = target.crossbar.rows.value;
  const Cx = target.crossbar.cols.value;
  let stepLatency = 0;
  let areaUm2 = 0;
  let chipTraffic = 0;
  const toUm2 = (c: { value: number; unit: string }): number => (c.unit === 'mm2' ? c.value * 1e6 : c.value);

  const layers: LayerCost[] = pairLayers(mapping.layers, activity.layers).map(({ map: m, act }) => {
    const O = Math.max(1, m.outFeatures);
    const colsPerOut = m.cols / O;
    const synRows = act.synops / O;
    const macRows = (act.macs / O) * m.inputBits * fOne;
    const conversions = T * m.positions * m.rowTiles * m.cols * m.inputBits;
    const adds = T * m.positions * O * (m.rowTiles * (colsPerOut * m.inputBits - 1) + (m.rowTiles - 1));
    const bufferBits = T * m.positions * m.rows * m.inputBits + act.neuronUpdates;
    const k = m.chips ?? 1;
    const c = m.inputFromOtherChip === true ? 1 : 0;
    const chipBits = T * m.positions * ((m.rows * m.inputBits * (k - 1 + c)) / k + O * PSUM_BITS * (k - 1));
    chipTraffic += chipBits;
    const breakdown = breakdownOf({
      synops: synRows * m.cols * eCell,
      macs: macRows * m.cols * eCell,
      adc: conversions * conversionEnergy(target, m.adcBits),
      peripherals: Math.max(0, adds) * dg.addEnergy.value,
      memory: bufferBits * dg.bufferEnergyPerBit.value,
      neuronUpdates: act.neuronUpdates * dg.neuronUpdateEnergy.value,
      routing: chipBits * (dg.interChipEnergyPerBit?.value ?? 0),
    });
    const treeInputs = m.rowTiles * colsPerOut * m.inputBits;
    const tL =
      m.positions * m.inputBits * (target.device.readPulse.value + m.columnsPerAdc * conversionTime(target, m.adcBits)) +
      (treeInputs > 1 ? Math.ceil(Math.log2(treeInputs)) : 0) * dg.addLatency.value +
      dg.neuronUpdateLatency.value;
    stepLatency += tL;
    areaUm2 += m.tiles * (R * Cx * toUm2(target.area.cell) + Math.ceil(Cx / m.columnsPerAdc) * toUm2(target.adc.area));
    return { name: m.name, energyJ: sumBreakdown(breakdown), latencyS: T * tL, breakdown };
  });

  const assumptions = [
    'only rows that receive a spike (or a 1 bit of a bit-serial analog input) are driven; every used column is converted on every row-tile read (no zero-skipping)',
    'layers run one after another within a time step; all tiles of a layer work in parallel; conv positions are read sequentially on the same tiles',
    'the ADC output feeds the shift-and-add unit directly; memory traffic is input-buffer reads plus 1-bit spike writes',
    'the column-current term of the NeuroSim ADC model, DACs, leakage and inter-tile routing are not modelled',
  ];
  const chips = Math.max(1, ...mapping.layers.map((m) => m.chips ?? 1));
  if (chipTraffic > 0) {
    assumptions.push(
      dg.interChipEnergyPerBit === undefined
        ? `the network spans several chips (up to ${chips} per layer); the target gives no interChipEnergyPerBit, so that traffic is not costed`
        : 'a network on several chips sends layer inputs and 32-bit partial sums between them (routing energy); link latency is not modelled',
    );
  }
  if (target.adc.type === 'sense-amp') {
    assumptions.push(
      'ADC-less: each column partial sum is a 1-bit sense-amplifier decision, combined digitally (accuracy effect measured by the simulator, not here)',
    );
  }
  return makeReport({
    target,
    T,
    layers,
    latencyS: T * stepLatency,
    area: areaUm2 * 1e-6,
    resources: { tiles: mapping.totals.tiles, utilization: mapping.totals.utilization },
    assumptions,
  });
}
