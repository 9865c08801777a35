// Targets take one threshold per layer or per channel, whichever their own simulation reads
// clearly better on the calibration images (src/api/target-granularity.ts: per layer replaces
// the default only when b − c > 2·√(b + c), b and c the images only one of the two reads right).
// Checked against each conversion run through the record's simulation here, against a compile
// that names the granularity, against hand-made predictions for the margin, and on the padded-pool
// LeNet whose per-channel thresholds collapse on ADC crossbars and Loihi; `simulate --target`
// must choose and measure the same.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendFor, compileModel, convertModel, fitToModel, loadDatasetSpec, loadModel, loadTarget } from '../../src/index.js';
import type { BackendRecord, BackendTarget, CompileResult, Graph } from '../../src/index.js';
import { programOf } from '../../src/passes/quantize.js';
import { annMacs } from '../../src/api/convert.js';
import { samplesOf } from '../../src/data/spec.js';
import { chooseGranularity } from '../../src/api/target-granularity.js';
import { zooModels } from '../zoo/models.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

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
const choiceNotes = (r: CompileResult): string[] => r.report.diagnostics.filter((d) => d.code === 'SNNC_I_THRESHOLD_GRANULARITY').map((d) => d.message);

it('imc-adcless chooses thresholds per layer or per channel on the calibration images; compile naming it and simulate --target agree; imc-hpadc, reading them all right per channel, keeps the default', async () => {
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
  const calib = fitToModel(convertModel(g, {}).graph, loadDatasetSpec('mnist', 'train', 64));
  const read = (granularity: 'layer' | 'channel', name = 'imc-adcless'): { accuracy: number; right: boolean[] } => {
    const s = convertModel(g, { granularity }).graph;
    const r = sim(s, loadTarget(name) as unknown as BackendTarget, { T, program: () => programOf(s), data: calib, calibration: calib });
    assert.ok(r.predictions !== undefined);
    return { accuracy: r.accuracy, right: Array.from(r.predictions, (p, i) => p === calib.y[i]) };
  };
  const layer = read('layer');
  const channel = read('channel');
  const onlyLayer = layer.right.filter((ok, i) => ok && channel.right[i] !== true).length;
  const onlyChannel = channel.right.filter((ok, i) => ok && layer.right[i] !== true).length;
  // LeNet on sense amplifiers is a case where it matters (docs/targets/imc.md).
  assert.notEqual(layer.accuracy, channel.accuracy);
  const chosen = onlyLayer - onlyChannel > 2 * Math.sqrt(onlyLayer + onlyChannel) ? 'layer' : 'channel';
  // HP-ADC crossbars read at most 4 of the images wrong per channel: per layer could not be clearly better.
  assert.ok(read('channel', 'imc-hpadc').right.filter((ok) => !ok).length <= 4);
  const notes = choiceNotes(auto);
  assert.equal(notes.length, 1, 'only the ADC-less target has a choice to make');
  const pct = (a: number): string => `${(100 * a).toFixed(1)} %`;
  assert.equal(
    notes[0],
    `imc-adcless: one threshold per ${chosen} (its simulation on the 64 calibration images at T=${T}: ${pct(layer.accuracy)} per layer, ${pct(channel.accuracy)} per channel; ${onlyLayer} read right only per layer, ${onlyChannel} only per channel${
      chosen === 'channel' && layer.accuracy > channel.accuracy ? ', per layer not clearly better' : ''
    })${
      chosen === 'layer'
        ? '; its files, accuracy and energy are of that network, model.snn.onnx and the float SNN figures of the default (per channel; snnc convert --granularity layer writes this one)'
        : ''
    }; --granularity sets it`,
  );

  // The chosen network is the one a compile naming it emits, measures and costs; HP-ADC keeps conversion's default (per channel).
  const named = await compileModel(g, { ...opts, targets: ['imc-adcless'], granularity: chosen });
  const byDefault = await compileModel(g, { ...opts, targets: ['imc-hpadc'], granularity: 'channel' });
  assert.equal(row(auto, 'imc-adcless').accuracy, row(named, 'imc-adcless').accuracy);
  assert.equal(row(auto, 'imc-adcless').energyJ, row(named, 'imc-adcless').energyJ);
  assert.equal(file(auto, 'imc-adcless/config.json'), file(named, 'imc-adcless/config.json'));
  assert.equal(file(auto, 'imc-adcless/tiles/L1_conv2_linear.npy'), file(named, 'imc-adcless/tiles/L1_conv2_linear.npy'));
  assert.equal(choiceNotes(named).length, 0, 'a named granularity is kept');
  assert.equal(row(auto, 'imc-hpadc').accuracy, row(byDefault, 'imc-hpadc').accuracy);
  assert.equal(file(auto, 'imc-hpadc/config.json'), file(byDefault, 'imc-hpadc/config.json'));

  // simulate --target: the same choice and the same figure on the same test images.
  const r = await cli('simulate', model, '--n', String(n), '--T', String(T), '--hw-samples', String(n), '--target', 'imc-adcless', '--json');
  assert.equal(r.code, 0, r.err);
  const h = (JSON.parse(r.out) as { hardware: { granularity?: Record<string, unknown>; rows: { hardware: number }[] } }).hardware;
  assert.deepEqual(h.granularity, { granularity: chosen, layer: layer.accuracy, channel: channel.accuracy, images: 64, onlyLayer, onlyChannel });
  assert.equal(h.rows[0]?.hardware, row(auto, 'imc-adcless').accuracy);
});

it('per layer replaces the default only when clearly better: more than 2·√(b + c) images, b and c those only one of the two reads right', async () => {
  // A record whose "simulation" reads hand-made predictions: per channel (the graph passed in) and per layer (the one made inside).
  const y = Array.from({ length: 64 }, (_, i) => i % 10);
  const data = { x: { data: new Float32Array(64), shape: [64, 1] }, y: Int32Array.from(y) };
  const wrongOn = (idx: readonly number[]): Int32Array => Int32Array.from(y, (v, i) => (idx.includes(i) ? (v + 1) % 10 : v));
  const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  const decide = async (channelWrong: number[], layerWrong: number[]): Promise<ReturnType<typeof chooseGranularity>> => {
    const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
    const perChannel = convertModel(g, {}).graph;
    let runs = 0;
    const record: Pick<BackendRecord, 'chooseGranularity' | 'simulate'> = {
      chooseGranularity: () => true,
      simulate: (s: Graph) => {
        runs++;
        const p = wrongOn(s === perChannel ? channelWrong : layerWrong);
        return { accuracy: p.filter((v, i) => v === y[i]).length / 64, predictions: p, note: '' };
      },
    };
    const r = chooseGranularity(g, perChannel, {}, record, { name: 'fake', kind: 'fake' } as BackendTarget, 8, () => data as never);
    assert.equal(runs, channelWrong.length <= 4 ? 1 : 2, 'per layer is simulated only where it could win');
    return r;
  };
  {
    // b = 5, c = 0: 5 > 2·√5 ≈ 4.47 → per layer.
    assert.equal((await decide(range(0, 5), []))?.choice.granularity, 'layer');
    // b = 6, c = 1: 5 ≤ 2·√7 ≈ 5.29 → per channel, though per layer reads higher.
    const kept = await decide(range(0, 6), [40]);
    assert.deepEqual(kept?.choice, { granularity: 'channel', layer: 63 / 64, channel: 58 / 64, images: 64, onlyLayer: 6, onlyChannel: 1 });
    // Per channel wrong on images 0–4, per layer on 0: b = 4, c = 0, and 4 = 2·√4 is not more → per channel.
    assert.equal((await decide(range(0, 5), [0]))?.choice.granularity, 'channel');
    // b = 20, c = 2: per layer.
    assert.equal((await decide(range(0, 20), [40, 41]))?.choice.granularity, 'layer');
    // At most 4 wrong per channel: nothing to choose, and the per-layer network is never made.
    assert.equal(await decide(range(0, 4), []), undefined);
  }
});

it('the padded-pool LeNet, whose per-channel thresholds collapse on HP-ADC crossbars and Loihi at T = 16, gets one per layer there', async () => {
  const z = zooModels().find((m) => m.name === 'pt-avgpool-pads');
  assert.ok(z !== undefined);
  const path = join(mkdtempSync(join(tmpdir(), 'snnc-gran-')), 'pt-avgpool-pads.onnx');
  writeFileSync(path, z.bytes);
  const g = await loadModel(path);
  // The matrix bench's settings, where the collapse shows (256 calibration images find channels that fire rarely).
  const opts = { targets: ['imc-hpadc', 'loihi2'], modelFile: 'pt-avgpool-pads.onnx', T: [16], n: 50, hwSamples: 50, calibSamples: 256, threads: 1 } as const;
  const auto = await compileModel(g, opts);
  const perChannel = await compileModel(g, { ...opts, granularity: 'channel' });
  const perLayer = await compileModel(g, { ...opts, granularity: 'layer' });
  for (const t of ['imc-hpadc', 'loihi2']) {
    const note = choiceNotes(auto).find((m) => m.startsWith(`${t}: one threshold per layer`));
    assert.ok(note !== undefined, t);
    // convert has no switch for firing on v > θ: it is named as the way to this network for the crossbars, not for Loihi.
    assert.equal(note.includes('snnc convert --granularity layer writes this one'), t === 'imc-hpadc', note);
    assert.equal(row(auto, t).accuracy, row(perLayer, t).accuracy, t);
    assert.ok(
      (row(auto, t).accuracy ?? 0) >= (row(perChannel, t).accuracy ?? 0) + 0.2,
      `${t}: ${row(auto, t).accuracy} against ${row(perChannel, t).accuracy} per channel`,
    );
  }
  assert.equal(file(auto, 'imc-hpadc/config.json'), file(perLayer, 'imc-hpadc/config.json'));
});

it('no choice where the user named a granularity, the model is converted or retrained, the record does not ask, or two simulations of the calibration images would be a long job', async () => {
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
  const fpga = backendFor('fpga');
  assert.ok(fpga !== undefined);
  assert.equal(chooseGranularity(g, snn, {}, fpga, loadTarget('fpga') as unknown as BackendTarget, 16, unread), undefined);
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
