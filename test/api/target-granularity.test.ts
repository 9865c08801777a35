// ADC-less IMC targets take one threshold per layer or per channel, whichever their own
// simulation reads higher on the calibration images (src/api/target-granularity.ts). Checked
// against each conversion run through the IMC record's simulation here, and against a compile
// that names the granularity; `simulate --target` must choose and measure the same.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { backendFor, compileModel, convertModel, fitToModel, loadDatasetSpec, loadModel, loadTarget } from '../../src/index.js';
import type { BackendTarget, CompileResult } from '../../src/index.js';
import { programOf } from '../../src/passes/quantize.js';
import { annMacs } from '../../src/api/convert.js';
import { samplesOf } from '../../src/data/spec.js';
import { chooseGranularity } from '../../src/api/target-granularity.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

it('imc-adcless chooses thresholds per layer or per channel on the calibration images; compile naming it and simulate --target agree; imc-hpadc keeps the default', async () => {
  const model = join(EXAMPLES, 'lenet.onnx');
  const g = await loadModel(model);
  const n = 40;
  const T = 16;
  const opts = { targets: ['imc-adcless', 'imc-hpadc'], modelFile: 'lenet.onnx', T: [T], n, hwSamples: n, threads: 1 } as const;
  const auto = await compileModel(g, opts);

  // Each conversion through the IMC record's simulation on compile's calibration images (the first 64 of the train split).
  const rec = backendFor('imc');
  assert.ok(rec?.simulate !== undefined);
  const sim = rec.simulate;
  const target = loadTarget('imc-adcless') as unknown as BackendTarget;
  const read = (granularity: 'layer' | 'channel'): number => {
    const s = convertModel(g, { granularity }).graph;
    const calib = fitToModel(s, loadDatasetSpec('mnist', 'train', 64));
    return sim(s, target, { T, program: () => programOf(s), data: calib, calibration: calib }).accuracy;
  };
  const layer = read('layer');
  const channel = read('channel');
  // LeNet on sense amplifiers is a case where it matters (docs/targets/imc.md).
  assert.notEqual(layer, channel);
  const chosen = layer > channel ? 'layer' : 'channel';
  const notes = auto.report.diagnostics.filter((d) => d.code === 'SNNC_I_THRESHOLD_GRANULARITY');
  assert.equal(notes.length, 1, 'only the ADC-less target chooses');
  const pct = (a: number): string => `${(100 * a).toFixed(1)} %`;
  assert.equal(
    notes[0]?.message,
    `imc-adcless: one threshold per ${chosen} (its simulation on the 64 calibration images at T=${T}: ${pct(layer)} per layer, ${pct(channel)} per channel)${
      chosen === 'layer'
        ? '; its files, accuracy and energy are of that network, model.snn.onnx and the float SNN figures of the default (per channel; snnc convert --granularity layer writes this one)'
        : ''
    }; --granularity sets it`,
  );

  // The chosen network is the one a compile naming it emits, measures and costs; HP-ADC keeps conversion's default (per channel).
  const named = await compileModel(g, { ...opts, targets: ['imc-adcless'], granularity: chosen });
  const byDefault = await compileModel(g, { ...opts, targets: ['imc-hpadc'], granularity: 'channel' });
  const row = (r: CompileResult, name: string): CompileResult['report']['targets'][number] => {
    const t = r.report.targets.find((x) => x.target === name);
    assert.ok(t !== undefined, name);
    return t;
  };
  const file = (r: CompileResult, path: string): string => {
    const f = r.files.find((x) => x.path === path);
    assert.ok(f !== undefined, path);
    return Buffer.from(f.data).toString('base64');
  };
  assert.equal(row(auto, 'imc-adcless').accuracy, row(named, 'imc-adcless').accuracy);
  assert.equal(row(auto, 'imc-adcless').energyJ, row(named, 'imc-adcless').energyJ);
  assert.equal(file(auto, 'imc-adcless/config.json'), file(named, 'imc-adcless/config.json'));
  assert.equal(file(auto, 'imc-adcless/tiles/L1_conv2_linear.npy'), file(named, 'imc-adcless/tiles/L1_conv2_linear.npy'));
  assert.equal(named.report.diagnostics.filter((d) => d.code === 'SNNC_I_THRESHOLD_GRANULARITY').length, 0, 'a named granularity is kept');
  assert.equal(row(auto, 'imc-hpadc').accuracy, row(byDefault, 'imc-hpadc').accuracy);
  assert.equal(file(auto, 'imc-hpadc/config.json'), file(byDefault, 'imc-hpadc/config.json'));

  // simulate --target: the same choice and the same figure on the same test images.
  const r = await cli('simulate', model, '--n', String(n), '--T', String(T), '--hw-samples', String(n), '--target', 'imc-adcless', '--json');
  assert.equal(r.code, 0, r.err);
  const h = (JSON.parse(r.out) as { hardware: { granularity?: { granularity: string; layer: number; channel: number }; rows: { hardware: number }[] } })
    .hardware;
  assert.deepEqual(h.granularity, { granularity: chosen, layer, channel, images: 64 });
  assert.equal(h.rows[0]?.hardware, row(auto, 'imc-adcless').accuracy);
});

it('no choice where the user named a granularity, the model is converted or retrained, the target has ADCs, or two simulations of the calibration images would be a long job', async () => {
  const g = await loadModel(join(EXAMPLES, 'lenet.onnx'));
  const rec = backendFor('imc');
  assert.ok(rec !== undefined);
  const snn = convertModel(g, {}).graph;
  const calib = fitToModel(snn, loadDatasetSpec('mnist', 'train', 64));
  const adcless = loadTarget('imc-adcless') as unknown as BackendTarget;
  // Each case returns before it even asks for the calibration images.
  const unread = (): never => assert.fail('the calibration images were read');
  assert.equal(chooseGranularity(g, snn, { granularity: 'channel' }, rec, adcless, 16, unread), undefined);
  assert.equal(chooseGranularity(g, snn, { method: 'clip' }, rec, adcless, 16, unread), undefined);
  assert.equal(chooseGranularity(snn, snn, {}, rec, adcless, 16, unread), undefined);
  assert.equal(chooseGranularity({ ...g, meta: { ...g.meta, 'snnc.retrain.method': 'clip' } }, snn, {}, rec, adcless, 16, unread), undefined);
  assert.equal(chooseGranularity(g, snn, {}, rec, loadTarget('imc-hpadc') as unknown as BackendTarget, 16, unread), undefined);
  // A T at which 2^34 MAC-steps hold two simulations of fewer than 16 images (a CIFAR ResNet-18 at T = 16 is such a case).
  const macs = annMacs(g);
  const T = Math.ceil(2 ** 34 / (2 * macs * 15));
  assert.equal(
    chooseGranularity(g, snn, {}, rec, adcless, T, () => calib),
    undefined,
  );
  // Fewer than 16 calibration images: no choice either (--calib-samples 8).
  assert.equal(
    chooseGranularity(g, snn, {}, rec, adcless, 16, () => samplesOf(calib, 0, 8)),
    undefined,
  );
});
