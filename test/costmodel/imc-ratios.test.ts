// Reproduces the ADC-less vs HP-ADC ratios quoted in docs/costmodel.md for a LeNet-like
// and a VGG-like workload (spike rate 0.1 per neuron per step, T = 8) and checks that
// the doc shows exactly these numbers. Run with --test-reporter=spec to see the table.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTarget } from '../../src/costmodel/target.js';
import type { ImcTarget } from '../../src/costmodel/target.js';
import { imcCost } from '../../src/costmodel/imc.js';
import { ROOT } from '../helpers/paths.js';
import { workload, LENET, VGG } from './workloads.js';
import type { LayerSpec } from './workloads.js';

function ratios(spec: readonly LayerSpec[], hpTarget: ImcTarget, columnsPerAdc: number): { e: string; l: string } {
  const hp = workload(spec, 8, 0.1, { bits: 8, columnsPerAdc });
  const al = workload(spec, 8, 0.1, { bits: 1, columnsPerAdc: 1 });
  const a = imcCost(hpTarget, hp.mapping, hp.activity);
  const b = imcCost(loadTarget('imc-adcless') as ImcTarget, al.mapping, al.activity);
  return { e: (a.energyJ / b.energyJ).toFixed(2), l: (a.latencyS / b.latencyS).toFixed(2) };
}

/** The HP-ADC target with its SAR bias power scaled by k (a sensitivity case). */
function scaledAdc(k: number): ImcTarget {
  const t = loadTarget('imc-hpadc') as ImcTarget;
  if (t.adc.type !== 'sar') throw new Error('imc-hpadc is expected to use a SAR ADC');
  const adc = t.adc;
  return {
    ...t,
    adc: {
      ...adc,
      biasPowerPerBit: { ...adc.biasPowerPerBit, value: adc.biasPowerPerBit.value * k },
      biasPowerOffset: { ...adc.biasPowerOffset, value: adc.biasPowerOffset.value * k },
    },
  };
}

it('docs/costmodel.md shows the IMC ratios this model gives', () => {
  const base = loadTarget('imc-hpadc') as ImcTarget;
  const rows: string[] = [];
  for (const [name, spec] of [
    ['LeNet-like', LENET],
    ['VGG-like', VGG],
  ] as const) {
    const r0 = ratios(spec, base, 8);
    const r1 = ratios(spec, scaledAdc(10), 8);
    const r2 = ratios(spec, base, 32);
    rows.push(`| ${name} | ${r0.e}× | ${r0.l}× | ${r1.e}× | ${r2.l}× |`);
  }
  console.log(rows.join('\n'));
  const doc = readFileSync(join(ROOT, 'docs', 'costmodel.md'), 'utf8');
  for (const row of rows) assert.ok(doc.includes(row), `docs/costmodel.md lacks the row:\n${row}`);
});
