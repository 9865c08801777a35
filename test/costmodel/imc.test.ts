// IMC cost model (HP-ADC and ADC-less) on a hand-computed 2-layer network, using the
// constants of targets/imc-hpadc.json and targets/imc-adcless.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTarget } from '../../src/costmodel/target.js';
import type { ImcTarget } from '../../src/costmodel/target.js';
import { imcCost } from '../../src/costmodel/imc.js';
import type { Activity, ImcLayerMapping, MappingOf } from '../../src/costmodel/types.js';
import { close } from './close.js';

// T = 2. fc1: 200 -> 8 (2 row tiles of 128 rows, 8 columns = 1 slice), 10 input spikes ->
// 80 synops, 8 neurons. fc2: 8 -> 4 with 2 slices (8 columns), 6 input spikes -> 24
// synops, 4 neurons. Spikes drive rows as 1-bit inputs.
const activity: Activity = {
  T: 2,
  layers: [
    { name: 'fc1', kind: 'dense', inputSpikes: 10, synops: 80, macs: 0, neurons: 8, neuronUpdates: 16, outputSpikes: 6 },
    { name: 'fc2', kind: 'dense', inputSpikes: 6, synops: 24, macs: 0, neurons: 4, neuronUpdates: 8, outputSpikes: 2 },
  ],
};
function mapping(adcBits: number, columnsPerAdc: number): MappingOf<'imc'> {
  const common = { adcBits, columnsPerAdc, positions: 1, inputBits: 1, colTiles: 1 };
  const layers: ImcLayerMapping[] = [
    { name: 'fc1', ...common, rowTiles: 2, tiles: 2, rows: 200, cols: 8, slices: 1, outFeatures: 8, utilization: 1600 / 32768 },
    { name: 'fc2', ...common, rowTiles: 1, tiles: 1, rows: 8, cols: 8, slices: 2, outFeatures: 4, utilization: 64 / 16384 },
  ];
  return { kind: 'imc', layers, totals: { tiles: 3, utilization: 1664 / 49152 } };
}

// Shared pieces (both targets use the same array and digital constants):
// E_cell = 0.5^2 V^2 x 10 ns x (0.5/100e3 + 0.5/1.7e6) = 2.5e-9 x 5.2941176e-6
//        = 1.3235294e-14 J
// fc1: rows driven = 80/8 = 10, cells read = 10 x 8 = 80 -> xbar 1.0588235e-12 J
//      conversions = T 2 x P 1 x 2 row tiles x 8 cols x 1 bit = 32
//      shift-adds = 2 x 1 x 8 outputs x (2 x (1 - 1) + (2 - 1)) = 16 -> 1.6e-12 J
//      buffer bits = 2 x 1 x 200 rows x 1 + 16 updates = 416 x 0.15625e-12 = 65e-12 J
//      neurons = 16 x 0.2e-12 = 3.2e-12 J
// fc2: rows driven = 24/4 = 6, cells = 6 x 8 = 48 -> 6.3529412e-13 J
//      conversions = 2 x 1 x 1 x 8 x 1 = 16
//      shift-adds = 2 x 1 x 4 x (1 x (2 x 1 - 1) + 0) = 8 -> 0.8e-12 J
//      buffer bits = 2 x 8 + 8 = 24 -> 3.75e-12 J;  neurons = 8 x 0.2e-12 = 1.6e-12 J
describe('imc cost model', () => {
  it('a layer on two chips pays for its inputs and partial sums crossing them (routing)', () => {
    // fc1 split over k = 2 chips, fc2 on a third chip (c = 1):
    // fc1: T 2 x P 1 x (200 rows x 1 bit x (2 - 1 + 0)/2 + 8 outputs x 32 bits x (2 - 1)) = 2 x (100 + 256) = 712 bits
    // fc2: 2 x 1 x (8 x 1 x (1 - 1 + 1)/1 + 0) = 16 bits; 728 bits x 20 pJ = 14.56 pJ
    const m = mapping(8, 8);
    const split: MappingOf<'imc'> = {
      ...m,
      layers: [
        { ...(m.layers[0] as ImcLayerMapping), chips: 2 },
        { ...(m.layers[1] as ImcLayerMapping), inputFromOtherChip: true },
      ],
    };
    const one = imcCost(loadTarget('imc-hpadc') as ImcTarget, m, activity);
    const r = imcCost(loadTarget('imc-hpadc') as ImcTarget, split, activity);
    assert.equal(one.breakdown.routing, 0);
    close(r.breakdown.routing, 728 * 20e-12, 'routing');
    close(r.layers[0]?.breakdown.routing ?? NaN, 712 * 20e-12, 'fc1 routing');
    close(r.energyJ - one.energyJ, 728 * 20e-12, 'nothing else changes');
    assert.ok(r.assumptions.some((a) => /several chips/.test(a)));
  });

  it('imc-hpadc: hand-computed 2-layer net (8-bit SAR, 8 columns per ADC)', () => {
    const r = imcCost(loadTarget('imc-hpadc') as ImcTarget, mapping(8, 8), activity);
    // e_conv(8) = (0.538 x 8 + 4.375) uW x 9 ns = 8.679e-6 x 9e-9 = 7.8111e-14 J
    // fc1 adc 32 x 7.8111e-14 = 2.499552e-12; fc2 adc 16 x 7.8111e-14 = 1.249776e-12
    // fc1 = 1.0588235 + 2.499552 + 1.6 + 65 + 3.2      = 73.3583755 pJ
    // fc2 = 0.6352941 + 1.249776 + 0.8 + 3.75 + 1.6    =  8.0350701 pJ
    close(r.layers[0]?.energyJ ?? NaN, 73.3583755e-12, 'fc1 energy', 1e-7);
    close(r.layers[1]?.energyJ ?? NaN, 8.0350701e-12, 'fc2 energy', 1e-7);
    close(r.energyJ, 81.3934456e-12, 'total energy', 1e-7);
    close(r.breakdown.adc, 3.749328e-12, 'adc');
    close(r.breakdown.synops, 1.6941176e-12, 'crossbar', 1e-7);
    close(r.breakdown.peripherals, 2.4e-12, 'shift-and-add');
    close(r.breakdown.memory, 68.75e-12, 'buffers');
    // Latency per layer-step: 10 ns read + 8 columns x (8+1) ns = 82 ns, adder tree of
    // 2 inputs = 1 ns, neuron 1 ns -> 84 ns (both layers). Step 168 ns; T=2 -> 336 ns.
    close(r.perStep.latencyS, 168e-9, 'latency per step');
    close(r.latencyS, 336e-9, 'latency');
    // Area: 3 tiles x (128 x 128 x 0.0097 um2 = 158.9248 + 16 ADCs x 1500 um2 = 24000)
    //      = 72476.7744 um2 = 0.0724767744 mm2
    close(r.area?.mm2 ?? NaN, 0.0724767744, 'area');
  });
  it('imc-adcless: hand-computed 2-layer net (1-bit sense amp per column)', () => {
    const r = imcCost(loadTarget('imc-adcless') as ImcTarget, mapping(1, 1), activity);
    // e_SA = 9.8e-15 J: fc1 32 x 9.8e-15 = 0.3136 pJ, fc2 16 x 9.8e-15 = 0.1568 pJ
    // fc1 = 1.0588235 + 0.3136 + 1.6 + 65 + 3.2  = 71.1724235 pJ
    // fc2 = 0.6352941 + 0.1568 + 0.8 + 3.75 + 1.6 = 6.9420941 pJ
    close(r.energyJ, 78.1145176e-12, 'total energy', 1e-7);
    close(r.breakdown.adc, 0.4704e-12, 'sense amps');
    // per layer-step: 10 ns read + 1 x 2 ns + 1 ns tree + 1 ns neuron = 14 ns; step 28 ns
    close(r.latencyS, 56e-9, 'latency');
    // Area: 3 x (158.9248 + 128 SAs x 5 um2 = 640) = 2396.7744 um2
    close(r.area?.mm2 ?? NaN, 0.0023967744, 'area');
    assert.ok(r.assumptions.some((a) => a.startsWith('ADC-less')));
  });
  it('an analog (bit-serial) layer counts MACs, 8 bit-planes and inputOneFraction', () => {
    // One dense 4 -> 2 layer, T = 1, 8-bit inputs, 2 columns, 1 row tile, macs = 8:
    // rows driven = 8/2 x 8 bits x 0.5 = 16, cells = 16 x 2 = 32 -> 32 x 1.3235294e-14
    // = 4.2352941e-13 J.  conversions = 1 x 1 x 1 x 2 x 8 = 16 -> 16 x 9.8e-15 = 1.568e-13.
    // shift-adds = 1 x 1 x 2 x (1 x (1 x 8 - 1) + 0) = 14 -> 1.4e-12. buffer = 4 x 8 + 2 = 34
    // bits -> 5.3125e-12. neurons 2 x 0.2e-12 = 0.4e-12. Total 7.6928294e-12 J.
    const act: Activity = { T: 1, layers: [{ name: 'in', kind: 'dense', inputSpikes: 0, synops: 0, macs: 8, neurons: 2, neuronUpdates: 2, outputSpikes: 1 }] };
    const m: MappingOf<'imc'> = {
      kind: 'imc',
      layers: [
        {
          name: 'in',
          rowTiles: 1,
          colTiles: 1,
          tiles: 1,
          rows: 4,
          cols: 2,
          slices: 1,
          adcBits: 1,
          columnsPerAdc: 1,
          utilization: 8 / 16384,
          outFeatures: 2,
          positions: 1,
          inputBits: 8,
        },
      ],
      totals: { tiles: 1, utilization: 8 / 16384 },
    };
    const r = imcCost(loadTarget('imc-adcless') as ImcTarget, m, act);
    close(r.breakdown.macs, 4.2352941e-13, 'analog crossbar', 1e-7);
    close(r.energyJ, 7.6928294e-12, 'total', 1e-7);
    // latency: 8 bits x (10 + 2) ns = 96 ns + tree ceil(log2 8) = 3 ns + 1 ns = 100 ns
    close(r.latencyS, 100e-9, 'latency');
  });
});
