// The second core for simulate(), which stays synchronous: a worker thread simulates the
// second half of the samples while the main thread does the first, then the main thread
// blocks (Atomics.wait) until the worker has posted its totals, reads them with
// receiveMessageOnPort and adds them in. Samples are independent, so the split changes no
// result (tested against one thread). A worker that does not report in time — it died, or
// could not start — is terminated and its half simulated here, so a run never hangs.
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { errorFromData } from '../../errors.js';
import type { ErrorData } from '../../errors.js';
import { startModuleWorker } from '../../worker-thread.js';
import type { Graph } from '../../ir/types.js';
import type { Totals } from './metrics.js';
import type { Runtime } from './runtime.js';
import type { SimData, SimulateOptions } from './types.js';

/** How simulate() runs its batches (mode, batch size, readout width). */
export interface BatchRun {
  readonly mode: 'time-stepped' | 'event-driven';
  readonly B: number;
  readonly classes: number;
}

/** What a helper thread sends back: its samples' totals and the runtime's counters. */
export interface RangeResult {
  readonly tot: Totals;
  readonly nodeSynops: readonly (readonly [string, number])[];
  readonly macs: readonly (readonly [string, number])[];
  readonly layerSize: readonly number[];
}

/** Flag values the worker sets: its modules are loaded; its reply is posted. */
export const STARTED = 2,
  DONE = 1;
/** How long a worker may take to load before its half is simulated here instead. */
const START_MS = 10_000;

/** Below this many sample-steps a worker's start-up (~0.1–0.2 s) costs more than it saves… */
const MIN_SAMPLE_STEPS = 4096;
/**
 * …unless the steps are large: as much work in multiply-accumulates per step as 4096 steps of
 * a LeNet (1 M MACs) — a CIFAR ResNet-18 (0.56 G MACs) reaches it in 8 samples at T = 16.
 */
const MIN_MAC_STEPS = 4096 * 2 ** 20;

/** The first sample the helper takes (N: no helper); `macs`: the ANN's multiply-accumulates per sample. */
export function splitAt(N: number, T: number, opts: SimulateOptions, macs = 0): number {
  const worth = N * T >= MIN_SAMPLE_STEPS || N * T * macs >= MIN_MAC_STEPS;
  const threads = opts.threads ?? (isMainThread && availableParallelism() >= 2 && worth ? 2 : 1);
  return threads === 2 && N >= 2 ? Math.ceil(N / 2) : N;
}

export interface HelperInit {
  readonly g: Graph;
  readonly data: SimData;
  readonly opts: SimulateOptions;
  readonly run: BatchRun;
  readonly from: number;
  readonly flag: Int32Array;
}

export type HelperReply = { readonly ok: true; readonly result: RangeResult } | { readonly ok: false; readonly error: ErrorData };

export interface Helper {
  readonly from: number;
  /** Block until the helper's samples are done; undefined if it failed to report. */
  readonly join: () => RangeResult | undefined;
}

export function startHelper(g: Graph, data: SimData, opts: SimulateOptions, run: BatchRun, from: number): Helper | undefined {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // Functions do not cross threads (the progress callback stays here); the rest is plain data.
  const { onProgress: _onProgress, ...plain } = opts;
  let worker: Worker;
  try {
    worker = startModuleWorker(import.meta.url, 'simulate-worker', {
      workerData: { g, data, opts: { ...plain, threads: 1 }, run, from, flag, port: port2 },
      transferList: [port2],
    });
  } catch {
    return undefined;
  }
  // Errors of a worker that never started are handled by the time-outs below; the event
  // only arrives once we are no longer blocked, and must not crash the process then.
  worker.on('error', () => undefined);
  worker.unref();
  const spawned = performance.now();
  return {
    from,
    join: () => {
      // Not started (flag 0) within START_MS of the spawn: it could not load — give up. Started
      // (flag 2): its half should take about as long as ours did; allow three times that plus
      // a minute before deciding it died. Done: flag 1.
      const elapsed = performance.now() - spawned;
      if (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, Math.max(0, START_MS - elapsed));
      if (Atomics.load(flag, 0) === STARTED) Atomics.wait(flag, 0, STARTED, 3 * elapsed + 60_000);
      const msg = Atomics.load(flag, 0) === DONE ? (receiveMessageOnPort(port1)?.message as HelperReply | undefined) : undefined;
      void worker.terminate();
      port1.close();
      if (msg === undefined) return undefined;
      if (!msg.ok) throw errorFromData(msg.error, 'simulation worker');
      return msg.result;
    },
  };
}

/** Add the helper's samples [from, N) to ours. */
export function mergeHelper(rt: Runtime, tot: Totals, from: number, h: RangeResult): void {
  const add = (a: Float64Array, b: Float64Array): void => {
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
  };
  add(tot.correct, h.tot.correct);
  add(tot.spikes, h.tot.spikes);
  add(tot.synops, h.tot.synops);
  tot.steps += h.tot.steps;
  tot.predictions.set(h.tot.predictions.subarray(from), from);
  for (const [k, v] of h.nodeSynops) rt.nodeSynops.set(k, (rt.nodeSynops.get(k) ?? 0) + v);
  for (const [k, v] of h.macs) if (!rt.macs.has(k)) rt.macs.set(k, v);
  h.layerSize.forEach((n, i) => {
    if (n > (rt.layerSize[i] ?? 0)) rt.layerSize[i] = n;
  });
}
