// The retrain's second core (src/retrain/helper.ts): the worker's loss and gradient of a half
// batch are the trainer's own, bit for bit, and an epoch gives the same model with or without it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadModel } from '../../src/api/load.js';
import { loadMnist } from '../../src/data/mnist.js';
import { startGradientHelper } from '../../src/retrain/helper.js';
import { initTf } from '../../src/retrain/tf.js';
import { createTrainer, trainableAnn } from '../../src/retrain/train.js';
import type { TrainOptions } from '../../src/retrain/train.js';
import { EXAMPLES } from '../helpers/paths.js';
import { join } from 'node:path';

it('the helper thread computes a half batch exactly as the trainer does, and an epoch is the same with it', async () => {
  const tf = await initTf();
  const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
  const ann = trainableAnn(g);
  const calib = loadMnist('train', { limit: 64 });
  const data = loadMnist('train', { limit: 48 });
  // Crossbar training (the kind that is split in halves), with every loss term.
  const opts: TrainOptions = {
    crossbar: { geometry: { R: 128, cellBits: 1, weightBits: 8, inputBits: 8, inputMax: 1 } },
    weightBits: 8,
    perChannel: false,
    kd: { teacherTemp: 4, studentTemp: 2, weight: 0.5 },
    rateWeight: 0.1,
    seed: 3,
  };
  const trainer = createTrainer(tf, ann, calib, opts);
  trainer.epoch(data, 0); // values away from the model's own
  const values = trainer.snapshot().values;
  const flat = new Float32Array(values.reduce((a, v) => a + v.length, 0));
  let o = 0;
  for (const v of values) {
    flat.set(v, o);
    o += v.length;
  }
  const n = 8;
  const F = 784;
  const x = (data.x.data as Float32Array).slice(40 * F, (40 + n) * F);
  const y = Int32Array.from(data.y.subarray(40, 40 + n));
  const helper = startGradientHelper({ ann, calib, opts, backend: tf.getBackend() }, flat.length, n * F, n);
  let posted = false;
  for (let i = 0; i < 600 && !posted; i++) {
    posted = helper.post(() => flat, x, y, n);
    if (!posted) await sleep(50);
  }
  assert.ok(posted, 'the helper thread never came up');
  const theirs = helper.collect();
  helper.dispose();
  const ours = trainer.gradients(x, y, n);
  trainer.dispose();
  assert.ok(theirs !== undefined);
  assert.equal(theirs.loss, ours.loss);
  assert.ok(ours.flat.some((v) => v !== 0));
  assert.deepEqual(theirs.flat, ours.flat);

  const after = async (helperThread: boolean): Promise<readonly Float32Array[]> => {
    const t = createTrainer(tf, ann, calib, { ...opts, helperThread });
    await sleep(helperThread ? 4000 : 0); // let the thread come up: the epoch then uses it
    t.epoch(data, 0);
    const s = t.snapshot().values;
    t.dispose();
    return s;
  };
  assert.deepEqual(await after(true), await after(false));
});
