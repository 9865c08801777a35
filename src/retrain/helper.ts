// The second core for training. TF.js on WebAssembly (or plain JS) computes on one thread, so
// a retrain used half the machine. The trainer splits every batch in two halves; this helper
// hands the second half to a worker thread running the same trainer (helper-worker.ts),
// computes the first meanwhile, and takes the worker's loss and gradient back. The worker holds
// no optimizer state: with each half batch it gets every trained value as the trainer has it
// then, so it cannot drift from the trainer and needs no mirror of a restore.
//
// The exchange is synchronous (an epoch is a plain loop): shared memory and Atomics.wait. The
// worker is used once it reports ready and never waited for before; one that fails or stops
// answering is dropped and the trainer computes both halves itself — the same numbers, since a
// batch's gradient is always the weighted mean of its two halves.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';

/** ctl[0]: the worker's state. */
export const STARTING = 0;
export const IDLE = 1;
export const JOB = 2;
export const DONE = 3;
export const FAILED = 4;
export const STOP = 5;

/** A half batch that takes longer than this on the worker means it is gone. */
const ANSWER_MS = 120_000;

/** The shared buffers; the worker gets them with the trainer's inputs (helper-worker.ts: HelperInit). */
export interface HelperBuffers {
  readonly ctl: SharedArrayBuffer;
  readonly values: SharedArrayBuffer;
  readonly x: SharedArrayBuffer;
  readonly y: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  readonly loss: SharedArrayBuffer;
  /** The half batch's device-draw key (ctl[2] its length, −1: none). */
  readonly draw: SharedArrayBuffer;
}

/** Longest device-draw key a half batch carries. */
const DRAW_KEYS = 4;

export interface GradientHelper {
  /** Start the worker on n samples with the trained values `values()`; false when it is not up (compute them here). */
  post(values: () => Float32Array, x: Float32Array, y: Int32Array, n: number, draw?: readonly number[]): boolean;
  /** The posted samples' loss and gradient; undefined when the worker failed (then compute them here). */
  collect(): { loss: number; flat: Float32Array } | undefined;
  dispose(): void;
}

/**
 * A worker for half batches of up to `maxX` input values and `maxN` samples, for a trainer of
 * `size` trained values, built from `init` (helper-worker.ts: HelperInit — not named here, so
 * the trainer that starts the helper and this module do not import each other). Returns
 * immediately; the worker starts in the background.
 */
export function startGradientHelper(init: object, size: number, maxX: number, maxN: number): GradientHelper {
  const data: HelperBuffers = {
    ctl: new SharedArrayBuffer(4 * 4),
    values: new SharedArrayBuffer(4 * size),
    x: new SharedArrayBuffer(4 * Math.max(1, maxX)),
    y: new SharedArrayBuffer(4 * Math.max(1, maxN)),
    grads: new SharedArrayBuffer(4 * size),
    loss: new SharedArrayBuffer(8),
    draw: new SharedArrayBuffer(4 * DRAW_KEYS),
  };
  const ctl = new Int32Array(data.ctl);
  let worker: Worker | undefined;
  try {
    worker = startModuleWorker(import.meta.url, 'helper-worker', { workerData: { ...init, ...data } });
    worker.unref();
    // A worker that exits or throws is no helper: the trainer computes both halves.
    worker.on('error', () => Atomics.store(ctl, 0, FAILED));
    worker.on('exit', () => Atomics.store(ctl, 0, FAILED));
  } catch {
    Atomics.store(ctl, 0, FAILED);
  }
  const drop = (): void => {
    Atomics.store(ctl, 0, FAILED);
    void worker?.terminate();
    worker = undefined;
  };
  return {
    post(values, x, y, n, draw) {
      if (worker === undefined || Atomics.load(ctl, 0) !== IDLE) return false;
      new Float32Array(data.values).set(values());
      new Float32Array(data.x).set(x);
      new Int32Array(data.y).set(y.subarray(0, n));
      new Int32Array(data.draw).set(draw ?? []);
      Atomics.store(ctl, 1, n);
      Atomics.store(ctl, 2, draw?.length ?? -1);
      Atomics.store(ctl, 0, JOB);
      Atomics.notify(ctl, 0);
      return true;
    },
    collect() {
      if (Atomics.wait(ctl, 0, JOB, ANSWER_MS) === 'timed-out' || Atomics.load(ctl, 0) !== DONE) {
        drop();
        return undefined;
      }
      const out = { loss: new Float64Array(data.loss)[0] ?? 0, flat: Float32Array.from(new Float32Array(data.grads)) };
      Atomics.store(ctl, 0, IDLE);
      return out;
    },
    dispose() {
      if (worker === undefined) return;
      Atomics.store(ctl, 0, STOP);
      Atomics.notify(ctl, 0);
      void worker.terminate();
      worker = undefined;
    },
  };
}
