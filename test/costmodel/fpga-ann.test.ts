// FPGA and ANN-baseline cost models on hand-computed 2-layer cases, using the constants
// of targets/fpga.json, targets/digital-45nm.json and targets/cpu-ann.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTarget } from '../../src/costmodel/target.js';
import type { AnnTarget, FpgaTarget } from '../../src/costmodel/target.js';
import { fpgaCost } from '../../src/costmodel/fpga.js';
import { annCost } from '../../src/costmodel/ann.js';
import { estimateCost } from '../../src/costmodel/index.js';
import type { Activity, MappingOf } from '../../src/costmodel/types.js';
import { isSnncError } from '../../src/errors.js';
import { close } from './close.js';

const activity: Activity = {
  T: 2,
  layers: [
    { name: 'fc1', kind: 'dense', inputSpikes: 10, synops: 160, macs: 0, neurons: 16, neuronUpdates: 32, outputSpikes: 6 },
    { name: 'fc2', kind: 'dense', inputSpikes: 6, synops: 24, macs: 0, neurons: 4, neuronUpdates: 8, outputSpikes: 2 },
  ],
};
const fpgaMapping: MappingOf<'fpga'> = {
  kind: 'fpga',
  layers: [
    { name: 'fc1', multipliers: 2, adders: 16, bramBits: 36864, reuseFactor: 4 },
    { name: 'fc2', multipliers: 0, adders: 4, bramBits: 0, reuseFactor: 2 },
  ],
  totals: { multipliers: 2, adders: 20, bramBits: 36864 },
};

describe('fpga cost model (KV260 constants)', () => {
  it('hand-computed 2-layer net', () => {
    const r = fpgaCost(loadTarget('fpga') as FpgaTarget, fpgaMapping, activity);
    // cycles/step: fc1 4 + 3 overhead = 7, fc2 2 + 3 = 5 -> 12; latency 2 x 12 / 200 MHz = 120 ns
    close(r.latencyS, 120e-9, 'latency');
    close(r.perStep.latencyS, 60e-9, 'latency per step');
    // fc1 active 14 cycles: 14 x 2 mult x 2 pJ = 56 pJ; 14 x 16 adders x 0.3 pJ = 67.2 pJ;
    //     14 x 1 BRAM x 5 pJ = 70 pJ; static 0.35 W x 120 ns x 7/12 = 24.5 nJ
    // fc2 active 10 cycles: 10 x 4 x 0.3 pJ = 12 pJ; static 0.35 x 120 ns x 5/12 = 17.5 nJ
    close(r.breakdown.macs, 56e-12, 'multipliers');
    close(r.breakdown.synops, 79.2e-12, 'adders');
    close(r.breakdown.memory, 70e-12, 'bram');
    close(r.breakdown.static, 42e-9, 'static');
    close(r.layers[0]?.energyJ ?? NaN, 24.6932e-9, 'fc1');
    close(r.energyJ, 42.2052e-9, 'total');
    assert.equal(r.resources?.['bram36'], 1);
  });
  it('cyclesPerStep from the backend overrides the reuse-factor estimate', () => {
    const m: MappingOf<'fpga'> = { ...fpgaMapping, layers: [{ ...fpgaMapping.layers[0]!, cyclesPerStep: 100 }, fpgaMapping.layers[1]!] };
    // (100 + 5) cycles x 2 steps / 200 MHz = 1.05 us
    close(fpgaCost(loadTarget('fpga') as FpgaTarget, m, activity).latencyS, 1.05e-6, 'latency');
  });
});

const annMapping: MappingOf<'ann'> = {
  kind: 'ann',
  layers: [
    { name: 'fc1', macs: 1000, params: 1010, inputs: 100, outputs: 10 },
    { name: 'fc2', macs: 50, params: 55, inputs: 10, outputs: 5 },
  ],
  totals: { macs: 1050, params: 1065 },
};

describe('ANN baselines', () => {
  it('digital-45nm: MACs x 4.6 pJ + SRAM traffic', () => {
    const r = annCost(loadTarget('digital-45nm') as AnnTarget, annMapping);
    // fc1: 1000 x 4.6 pJ = 4.6 nJ; (1010+100+10) x 32 bit / 64 = 560 accesses x 10 pJ = 5.6 nJ
    // fc2: 50 x 4.6 pJ = 0.23 nJ; (55+10+5) x 32 / 64 = 35 x 10 pJ = 0.35 nJ
    close(r.layers[0]?.energyJ ?? NaN, 10.2e-9, 'fc1');
    close(r.energyJ, 10.78e-9, 'total');
    close(r.breakdown.memory, 5.95e-9, 'memory');
    // latency: 1050 MACs at 1e9 MAC/s = 1.05 us
    close(r.latencyS, 1.05e-6, 'latency');
  });
  it('cpu-ann: MACs x 8.6 nJ (memory inside the per-MAC figure)', () => {
    const r = estimateCost(loadTarget('cpu-ann'), annMapping, activity);
    // 1050 x 8.6 nJ = 9.03 uJ; latency 1050 / 1.51e10 = 6.9536424e-8 s
    close(r.energyJ, 9.03e-6, 'energy');
    close(r.latencyS, 6.9536424e-8, 'latency', 1e-7);
    assert.equal(r.breakdown.memory, 0);
  });
  it('a mapping for another family is refused', () => {
    assert.throws(
      () => estimateCost(loadTarget('loihi1'), annMapping, activity),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_TARGET' && e.message.includes('loihi target'),
    );
  });
});
