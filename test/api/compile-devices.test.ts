// compileModel with device non-idealities (`devices`, what a retrain with --noise measures its
// rounds with): each IMC target's accuracy is the mean over one chip per seed, the same chips
// `snnc simulate --target … --noise … --seeds` draws (a separate code path: simulate-target.ts);
// targets without a device model run as without it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, loadModel, parseNoise } from '../../src/index.js';
import { simulateModel } from '../../src/api/simulate.js';
import { simulateOnTarget } from '../../src/api/simulate-target.js';
import { fitToModel, loadDatasetSpec } from '../../src/data/spec.js';
import { validateReport } from '../../src/report/schema.js';
import type { CompileReport } from '../../src/report/types.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';
import { buildModel, cacheKey, normalizeOptions } from '../../src/plugin/build.js';
import type { SnncPluginOptions } from '../../src/plugin/build.js';
import snncRollup from '../../src/plugin/rollup.js';

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

/** The API's imc-hpadc row for the MLP on two chips with program=3,stuck=0.01 (40 images, T = 16): what the CLI and the plugin must reproduce. */
let apiAccuracy: Promise<number | null | undefined> | undefined;
function apiRow(): Promise<number | null | undefined> {
  apiAccuracy ??= loadModel(join(EXAMPLES, 'mlp.onnx'))
    .then((g) =>
      compileModel(g, {
        targets: ['imc-hpadc'],
        modelFile: 'mlp.onnx',
        T: [16],
        n: 40,
        hwSamples: 40,
        devices: { effects: { ...parseNoise('program=3,stuck=0.01') }, seeds: [0, 1] },
      }),
    )
    .then((r) => r.report.targets[0]?.accuracy);
  return apiAccuracy;
}

it('snnc compile --noise --seeds: the same IMC row as the API, the effects and chips in report.json and report.md; misuse exits 2 with nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-compile-noise-'));
  const out = join(dir, 'out');
  const args = ['--n', '40', '--hw-samples', '40', '--T', '16'];
  const r = await cli('compile', join(EXAMPLES, 'mlp.onnx'), '-t', 'imc-hpadc', '--noise', 'program=3,stuck=0.01', '--seeds', '2', ...args, '-o', out);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompileReport;
  validateReport(report);
  assert.deepEqual(report.settings.devices, { effects: { programNoise: 3, stuckAt: 0.01 }, seeds: [0, 1] });
  const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
  assert.equal(typeof (await apiRow()), 'number');
  assert.equal(report.targets[0]?.accuracy, await apiRow());
  // Through the API, devices with no IMC target draw no chip, and the report does not claim any.
  const fpgaOnly = await compileModel(g, {
    targets: ['fpga'],
    modelFile: 'mlp.onnx',
    T: [16],
    n: 40,
    hwSamples: 40,
    devices: { effects: { stuckAt: 0.01 }, seeds: [0] },
  });
  assert.equal(fpgaOnly.report.settings.devices, undefined);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /IMC devices:\*\* programNoise 3, stuckAt 0\.01; mean over chips 0, 1/);
  assert.match(r.out, /device effects on the IMC targets: .*\n {2}imc-hpadc: .*mean over 2 chips/);

  for (const bad of [
    ['-t', 'fpga', '--noise', 'program=1'],
    ['-t', 'imc-hpadc', '--seeds', '2'],
    ['-t', 'imc-hpadc', '--noise', 'program=-1'],
  ]) {
    const other = join(dir, 'bad');
    const e = await cli('compile', join(EXAMPLES, 'mlp.onnx'), ...bad, ...args, '-o', other);
    assert.equal(e.code, 2, bad.join(' '));
    assert.match(e.err, /SNNC_E_USAGE/);
    assert.ok(!existsSync(other), 'nothing written');
  }
});

it('the bundler plugin takes noise and seeds as compile does: the same IMC row and settings.devices; misuse fails at configuration time', async () => {
  const opts = { targets: ['imc-hpadc'], T: 16, n: 40, hwSamples: 40, cacheDir: false } as const;
  const b = await buildModel(join(EXAMPLES, 'mlp.onnx'), { ...opts, noise: 'program=3,stuck=0.01', seeds: 2 });
  assert.deepEqual(b.report?.settings.devices, { effects: { programNoise: 3, stuckAt: 0.01 }, seeds: [0, 1] });
  assert.equal(b.report?.targets[0]?.accuracy, await apiRow());
  // Another noise, or another chip count, is another cache entry.
  const key = (o: SnncPluginOptions): string => cacheKey(join(EXAMPLES, 'mlp.onnx'), normalizeOptions(o));
  assert.notEqual(key({ ...opts, noise: 'stuck=0.01' }), key({ ...opts, noise: 'stuck=0.02' }));
  assert.notEqual(key({ ...opts, noise: 'stuck=0.01', seeds: 2 }), key({ ...opts, noise: 'stuck=0.01', seeds: 3 }));
  assert.throws(() => snncRollup({ targets: ['fpga'], noise: 'program=1' }), /SNNC_E_PLUGIN: noise applies to targets with a device model/);
  assert.throws(() => snncRollup({ targets: ['imc-hpadc'], seeds: 2 }), /SNNC_E_PLUGIN: seeds sets how many chips/);
  assert.throws(() => snncRollup({ targets: ['imc-hpadc'], noise: 'warp=1' }), /SNNC_E_PLUGIN: bad --noise entry 'warp=1'/);
});
