// Training on the hardware's own forward pass (src/retrain/hardware-forward.ts): a batch runs
// through exactly what compile measures — its accuracy and readout are compile's — and the
// trainer's loss is then the cross-entropy of that readout, computed here by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { compileModel } from '../../src/api/compile.js';
import { convertModel } from '../../src/api/convert.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { ImcTarget } from '../../src/costmodel/target.js';
import { mapGraph, simulateImc, trainedRefs } from '../../src/backends/imc/index.js';
import { createTrainer, trainableAnn } from '../../src/retrain/train.js';
import { hardwareBatch, hardwareCalibration } from '../../src/retrain/hardware-forward.js';
import type { HardwareSpec } from '../../src/retrain/hardware-forward.js';
import type { CrossbarGeometry } from '../../src/retrain/crossbar.js';
import { initTf } from '../../src/retrain/tf.js';
import { loadMnist } from '../../src/data/mnist.js';
import { EXAMPLES } from '../helpers/paths.js';
import type { Graph } from '../../src/ir/types.js';

const T = 8;

/** An example's trainer geometry and hardware spec for imc-adcless, as src/api/retrain.ts builds them. */
async function setup(name = 'mlp'): Promise<{ ann: ReturnType<typeof trainableAnn>; geometry: CrossbarGeometry; spec: HardwareSpec }> {
  const g = await loadModel(join(EXAMPLES, `${name}.onnx`));
  const target = loadTarget('imc-adcless') as ImcTarget;
  const cfg = mapGraph(convertModel(g, { calibSamples: 64 }).graph, target).config;
  const geometry = { R: cfg.R, cellBits: cfg.cellBits, weightBits: cfg.weightBits, inputBits: cfg.inputBits, inputMax: cfg.inputMax };
  const spec = { target, T, weightBits: cfg.weightBits, calibration: hardwareCalibration(loadMnist('train', { limit: 512 })) };
  return { ann: trainableAnn(g), geometry, spec };
}

/** An example as an ADC-less retrain starts it (clips and references untrained), exported with its sense-amplifier metadata. */
async function startModel(name = 'mlp'): Promise<{ model: Graph; spec: HardwareSpec }> {
  const tf = await initTf();
  const { ann, geometry, spec } = await setup(name);
  const trainer = createTrainer(tf, ann, loadMnist('train', { limit: 256 }), { crossbar: { geometry } });
  const model = trainer.exportGraph({ 'snnc.retrain.target': 'imc-adcless' });
  trainer.dispose();
  return { model, spec };
}

describe('retrain: the hardware forward (imc-adcless)', () => {
  /** A batch of 40 test images through hardwareBatch and through compile and the simulation: the same predictions, spikes and readout. */
  const sameAsCompile = async (name: string, neurons: string[]): Promise<void> => {
    const { model, spec } = await startModel(name);
    const data = loadMnist('test', { limit: 40 });
    const hw = hardwareBatch(model, spec, data.x, data.y);
    const K = hw.readout.length / data.y.length;
    let correct = 0;
    for (let i = 0; i < data.y.length; i++) {
      const row = Array.from(hw.readout.subarray(i * K, (i + 1) * K));
      if (row.indexOf(Math.max(...row)) === data.y[i]) correct++;
    }
    // compile: its own conversion (512 calibration images), mapping and simulation.
    const r = await compileModel(model, { targets: ['imc-adcless'], modelFile: name, T: [T], n: 40, hwSamples: 40, method: 'clip', granularity: 'layer' });
    const row = r.report.targets.find((t) => t.target === 'imc-adcless');
    assert.equal(row?.accuracy, correct / data.y.length);
    assert.ok(correct > 0 && correct < data.y.length, `${correct} of 40: a test that can tell`);
    // The rates are the spikes per element over T: summed, the simulation's spikes per sample.
    const conv = convertModel(model, { method: 'clip', granularity: 'layer' }).graph;
    const net = mapGraph(conv, spec.target, { weightBits: spec.weightBits });
    const trained = trainedRefs(conv.meta, net);
    assert.ok(trained !== undefined);
    const sim = simulateImc(conv, net, data, { T, senseReference: { trained } });
    assert.deepEqual([...hw.rates.keys()].sort(), neurons);
    for (const s of sim.spikes) {
      const rate = hw.rates.get(s.name);
      assert.ok(rate !== undefined, s.name);
      const F = rate.length / data.y.length;
      for (let i = 0; i < data.y.length; i++) {
        let sum = 0;
        for (let j = 0; j < F; j++) sum += (rate[i * F + j] as number) * T;
        assert.ok(Math.abs(sum - (s.perSample[i] as number)) < 1e-3, `${s.name} sample ${i}: ${sum} vs ${s.perSample[i]}`);
      }
      assert.ok(rate.every((v) => v >= 0 && v <= 1));
    }
    assert.deepEqual(
      Array.from(hw.readout),
      Array.from(sim.readout, (v) => Math.fround(v / T)),
    );
  };

  it('runs a batch as compile measures it: the same predictions, and its spikes', async () => {
    await sameAsCompile('mlp', ['fc1', 'fc2']);
  });

  it('the same for resnet-tiny: convolutions, average pools and a residual add', async () => {
    await sameAsCompile('resnet-tiny', ['block1_out', 'block1_relu1', 'conv3', 'conv4', 'stem']);
  });

  it('idealLayers (progressive awareness): the listed layers sum exactly, the others read through sense amplifiers', async () => {
    const { model, spec } = await startModel();
    const data = loadMnist('test', { limit: 20 });
    const run = (idealLayers?: number[]): ReturnType<typeof hardwareBatch> =>
      hardwareBatch(model, idealLayers !== undefined ? { ...spec, idealLayers } : spec, data.x, data.y);
    const aware = run();
    const exact = run([0, 1, 2]);
    // Every layer listed: the simulation with lossless conversion.
    const conv = convertModel(model, { method: 'clip', granularity: 'layer' }).graph;
    const ideal = simulateImc(conv, mapGraph(conv, spec.target, { weightBits: spec.weightBits }), data, { T, conversion: 'ideal' });
    assert.deepEqual(
      Array.from(exact.readout),
      Array.from(ideal.readout, (v) => Math.fround(v / T)),
    );
    // fc1's spikes depend on the first layer only: as on sense amplifiers when it is not listed,
    // as exact when it is — and those two differ, so the check can tell.
    const firstAware = run([1, 2]);
    const firstExact = run([0]);
    assert.deepEqual(firstAware.rates.get('fc1'), aware.rates.get('fc1'));
    assert.deepEqual(firstExact.rates.get('fc1'), exact.rates.get('fc1'));
    assert.notDeepEqual(aware.rates.get('fc1'), exact.rates.get('fc1'));
    assert.notDeepEqual(firstAware.readout, aware.readout);
    assert.notDeepEqual(firstAware.readout, exact.readout);
    assert.throws(() => run([3]), /SNNC_E_USAGE|not a mapped layer/);
    assert.throws(() => run([0.5]), /not a mapped layer/);
  });

  it("the trainer's loss is the cross-entropy of the hardware's readout, and it trains", async () => {
    const tf = await initTf();
    const { ann, geometry, spec } = await setup();
    const calib = loadMnist('train', { limit: 256 });
    const batch = loadMnist('train', { limit: 16 });
    const opts = { weightBits: 8, perChannel: false, batchSize: 16, shift: 0 } as const;
    const proxy = createTrainer(tf, ann, calib, { ...opts, crossbar: { geometry, ideal: 0 } });
    const start = proxy.exportGraph({});
    const proxyLoss = proxy.epoch(batch, 0);
    proxy.dispose();
    const trainer = createTrainer(tf, ann, calib, { ...opts, crossbar: { geometry, ideal: 0, hardware: spec } });
    const before = trainer.snapshot();
    const loss = trainer.epoch(batch, 0); // the loss before its one step
    const after = trainer.snapshot();
    trainer.dispose();
    // The reference: the untrained network's readout on the hardware, through softmax by hand.
    const hw = hardwareBatch(start, spec, batch.x, batch.y);
    const K = hw.readout.length / batch.y.length;
    let ce = 0;
    for (let i = 0; i < batch.y.length; i++) {
      const row = Array.from(hw.readout.subarray(i * K, (i + 1) * K));
      const m = Math.max(...row);
      ce += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - (row[batch.y[i] as number] as number);
    }
    ce /= batch.y.length;
    assert.ok(Math.abs(loss - ce) < 1e-4 * Math.max(1, ce), `loss ${loss} vs hardware cross-entropy ${ce}`);
    assert.ok(Math.abs(loss - proxyLoss) > 1e-3, `the proxy's own loss (${proxyLoss}) differs: the test can tell`);
    // The gradient (the proxy's, at the hardware's values) moved the weights.
    const moved = before.values.some((v, i) => v.some((x, j) => x !== after.values[i]?.[j]));
    assert.ok(moved);
  });
});
