// The helper thread of a retrain (helper.ts): the same trainer as the main thread's, used only
// for the loss and gradient of the half batches it is handed, with the trained values that come
// with each.
import { workerData } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import type { TfBackend } from './tf.js';
import { initTf } from './tf.js';
import { createTrainer } from './train.js';
import type { TrainableAnn, TrainOptions } from './train.js';
import { DONE, FAILED, IDLE, JOB, STARTING, STOP } from './helper.js';
import type { HelperBuffers } from './helper.js';

/** What the trainer hands startGradientHelper: its own inputs, to build the same trainer here. */
interface HelperInit {
  readonly ann: TrainableAnn;
  readonly calib: Dataset;
  readonly opts: TrainOptions;
  readonly backend: string;
}

const data = workerData as HelperInit & HelperBuffers;
const ctl = new Int32Array(data.ctl);
try {
  const tf = await initTf(data.backend as TfBackend);
  const trainer = createTrainer(tf, data.ann, data.calib, data.opts);
  const values = new Float32Array(data.values);
  const x = new Float32Array(data.x);
  const y = new Int32Array(data.y);
  const grads = new Float32Array(data.grads);
  const loss = new Float64Array(data.loss);
  Atomics.compareExchange(ctl, 0, STARTING, IDLE);
  for (;;) {
    const state = Atomics.load(ctl, 0);
    if (state === STOP || state === FAILED) break;
    if (state !== JOB) {
      // Sleep until the state changes and is notified: IDLE, or DONE until the trainer has
      // collected (it sets IDLE without a notify; the next JOB notifies) — no spinning.
      Atomics.wait(ctl, 0, state);
      continue;
    }
    trainer.assign(values);
    const keys = Atomics.load(ctl, 2);
    const r = trainer.gradients(x, y, Atomics.load(ctl, 1), keys >= 0 ? [...new Int32Array(data.draw).subarray(0, keys)] : undefined);
    grads.set(r.flat);
    loss[0] = r.loss;
    Atomics.store(ctl, 0, DONE);
    Atomics.notify(ctl, 0);
  }
  trainer.dispose();
} catch {
  Atomics.store(ctl, 0, FAILED);
  Atomics.notify(ctl, 0);
}
