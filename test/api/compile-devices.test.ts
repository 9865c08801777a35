// compileModel with device non-idealities (`devices`, what a retrain with --noise measures its
// rounds with): each IMC target's accuracy is the mean over one chip per seed, the same chips
// `snnc simulate --target … --noise … --seeds` draws (a separate code path: simulate-target.ts);
// targets without a device model run as without it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileModel, loadModel, parseNoise } from '../../src/index.js';
import { simulateModel } from '../../src/api/simulate.js';
import { simulateOnTarget } from '../../src/api/simulate-target.js';
import { fitToModel, loadDatasetSpec } from '../../src/data/spec.js';
import { EXAMPLES } from '../helpers/paths.js';

it('compile with device effects: an IMC row is the mean over the chips simulate --noise --seeds draws; the FPGA row is unchanged', async () => {
  const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
  const n = 40;
  const T = 16;
  const noise = 'program=3,stuck=0.01';
  const opts = { targets: ['imc-hpadc', 'fpga'], modelFile: 'mlp.onnx', T: [T], n, hwSamples: n, threads: 1 } as const;
  const ideal = await compileModel(g, opts);
  const noisy = await compileModel(g, { ...opts, devices: { effects: { ...parseNoise(noise) }, seeds: [0, 1] } });
  const row = (r: typeof ideal, name: string): (typeof ideal.report.targets)[number] => {
    const t = r.report.targets.find((x) => x.target === name);
    assert.ok(t !== undefined, name);
    return t;
  };

  const sim = simulateModel(g, { T: [T], n });
  const data = fitToModel(sim.graph, loadDatasetSpec('mnist', 'test', n));
  const calib = fitToModel(sim.graph, loadDatasetSpec('mnist', 'train', 64));
  const hw = simulateOnTarget(g, sim.graph, 'imc-hpadc', data, calib, { T: [T], noise, seeds: 2 });
  const want = hw.rows[0];
  assert.ok(want !== undefined);
  assert.equal(row(noisy, 'imc-hpadc').accuracy, want.hardware);
  // The chips differ from ideal devices, and from each other (else the mean could hide nothing).
  assert.notEqual(row(noisy, 'imc-hpadc').accuracy, row(ideal, 'imc-hpadc').accuracy);
  assert.notEqual(want.runs[0], want.runs[1]);
  assert.match(row(noisy, 'imc-hpadc').assumptions.join(' '), /mean over 2 chips \(device seeds 0, 1: /);
  assert.equal(row(noisy, 'fpga').accuracy, row(ideal, 'fpga').accuracy);
});
