// The second core for simulate(), which stays synchronous: a worker thread and the main
// thread take the samples' chunks from a shared queue (BatchQueue: whoever is free takes the
// next chunk, so neither waits on a slower other — with a fixed half each, the worker's half
// of a resnet-tiny took ~20 % longer than ours, and we waited), then the main thread blocks
// (Atomics.wait) until the worker has posted its totals, reads them with
// receiveMessageOnPort and adds them in. The worker waits for the next simulation once done
// (see `idle`). Samples are independent and every total is a sum of integers, so which thread
// ran a chunk changes no result (tested against one thread). A worker that does not report in
// time — it died, or could not start — is terminated and its chunks simulated here, so a run
// never hangs.
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
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
/** How long a worker may take to load before its chunks are simulated here instead. */
const START_MS = 10_000;

/** Below this many sample-steps a worker's start-up (~0.1–0.2 s) costs more than it saves… */
const MIN_SAMPLE_STEPS = 4096;
/**
 * …unless the steps are large: as much work in multiply-accumulates per step as 4096 steps of
 * a LeNet (1 M MACs) — a CIFAR ResNet-18 (0.56 G MACs) reaches it in 8 samples at T = 16.
 */
const MIN_MAC_STEPS = 4096 * 2 ** 20;

/** Whether a helper thread takes part; `macs`: the ANN's multiply-accumulates per sample. */
export function useHelper(N: number, T: number, opts: SimulateOptions, macs = 0): boolean {
  const worth = N * T >= MIN_SAMPLE_STEPS || N * T * macs >= MIN_MAC_STEPS;
  const threads = opts.threads ?? (isMainThread && availableParallelism() >= 2 && worth ? 2 : 1);
  return threads === 2 && N >= 2;
}

/**
 * The chunks of samples both threads take from: chunk b is samples [b·size, (b + 1)·size) ∩
 * [0, N). `q` is shared: q[0] the next chunk to hand out, q[1 + b] who took chunk b (0 nobody,
 * MAIN, HELPER). At least 8 chunks (smaller than a batch when N is small), so the threads end
 * within a chunk of each other.
 */
export interface BatchQueue {
  readonly q: Int32Array;
  readonly size: number;
  readonly N: number;
}
export const MAIN = 1,
  HELPER = 2;

export function newQueue(N: number, B: number): BatchQueue {
  const size = Math.max(1, Math.min(B, Math.ceil(N / 8)));
  const chunks = Math.ceil(N / size);
  return { q: new Int32Array(new SharedArrayBuffer(4 * (1 + chunks))), size, N };
}

/** The next chunk for `who` (its first sample), or −1 when none is left. */
export function takeChunk(qu: BatchQueue, who: number): number {
  const chunks = qu.q.length - 1;
  const b = Atomics.add(qu.q, 0, 1);
  // A chunk already taken can only be one the main thread claimed for itself after giving up on the helper.
  if (b >= chunks || Atomics.compareExchange(qu.q, 1 + b, 0, who) !== 0) return -1;
  return b * qu.size;
}

/**
 * After the helper failed: the first samples of every chunk the main thread has not run — the
 * helper's, and any not yet taken (a helper can stop between handing a chunk out and claiming
 * it) — all claimed for the main thread, so a helper still running can take none of them.
 */
export function helperChunks(qu: BatchQueue): number[] {
  const out: number[] = [];
  for (let b = 0; b + 1 < qu.q.length; b++) {
    if (Atomics.compareExchange(qu.q, 1 + b, 0, MAIN) !== MAIN) out.push(b * qu.size);
  }
  return out;
}

/**
 * One job for the helper thread: the chunk queue it takes samples from and the flag it raises. The graph
 * travels only when the helper does not hold it yet (`g` undefined: the one it got with this
 * `gid` before) — a structured clone is new objects, which would make the helper rebuild
 * (and re-place in WebAssembly memory) every plan it keeps by node on every call.
 */
export interface HelperJob {
  readonly gid: number;
  readonly g: Graph | undefined;
  /** Keep the graph for later jobs (false for a large one: its copy is not kept alive while idle). */
  readonly keep: boolean;
  readonly data: SimData;
  readonly opts: SimulateOptions;
  readonly run: BatchRun;
  readonly queue: BatchQueue;
  readonly flag: Int32Array;
}

export type HelperReply = { readonly ok: true; readonly result: RangeResult } | { readonly ok: false; readonly error: ErrorData };

export interface Helper {
  /** Block until the helper's samples are done; undefined if it failed to report. */
  readonly join: () => RangeResult | undefined;
}

/**
 * The helper thread stays up between simulations (unref'd: it never keeps the process alive),
 * waiting for the next job on its port: a fresh thread spends ~0.5 s loading modules and
 * running cold code before it simulates anything, more than a LeNet's 250 images take on it —
 * so a run of 500 images used to gain nothing from the second core. A helper that fails to
 * report is terminated and forgotten; the next simulation starts another.
 */
interface HelperThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** The id of the graph it holds, if any. */
  graph?: number | undefined;
}
let idle: HelperThread | undefined;
let spawned = 0;

/** The largest graph (bytes of initializers) the helper keeps between jobs. */
const KEEP_GRAPH_BYTES = 64 * 1024 * 1024;

function weightBytes(g: Graph): number {
  let n = 0;
  for (const t of g.initializers.values()) n += t.data.byteLength;
  return n;
}

/** Graph ids (graphs are readonly data: one object, one graph). */
const graphIds = new WeakMap<Graph, number>();
let nextGraphId = 1;
function graphId(g: Graph): number {
  let id = graphIds.get(g);
  if (id === undefined) graphIds.set(g, (id = nextGraphId++));
  return id;
}

/** Test hook: helper threads started by this thread so far. */
export function helperThreadsStarted(): number {
  return spawned;
}

function spawnHelper(): HelperThread | undefined {
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = startModuleWorker(import.meta.url, 'simulate-worker', { workerData: { port: port2 }, transferList: [port2] });
  } catch {
    return undefined;
  }
  spawned++;
  // Errors of a worker that never started are handled by the time-outs in join; the event
  // only arrives once we are no longer blocked, and must not crash the process then.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    if (idle?.worker === worker) idle = undefined;
  });
  worker.unref();
  port1.unref();
  return { worker, port: port1 };
}

export function startHelper(g: Graph, data: SimData, opts: SimulateOptions, run: BatchRun, queue: BatchQueue): Helper | undefined {
  const h = idle ?? spawnHelper();
  idle = undefined;
  if (h === undefined) return undefined;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // Functions do not cross threads (the progress callback stays here); the rest is plain data.
  const { onProgress: _onProgress, ...plain } = opts;
  const gid = graphId(g);
  const keep = weightBytes(g) <= KEEP_GRAPH_BYTES;
  const job: HelperJob = { gid, g: h.graph === gid ? undefined : g, keep, data, opts: { ...plain, threads: 1 }, run, queue, flag };
  try {
    h.port.postMessage(job);
  } catch {
    void h.worker.terminate();
    return undefined;
  }
  h.graph = keep ? gid : undefined;
  const posted = performance.now();
  return {
    join: () => {
      // Not started (flag 0) within START_MS of the post: it could not load — give up. Started
      // (flag 2): it is at most finishing its last chunk, no longer than our whole part took;
      // allow three times that plus a minute before deciding it died. Done: flag 1.
      const elapsed = performance.now() - posted;
      if (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, Math.max(0, START_MS - elapsed));
      if (Atomics.load(flag, 0) === STARTED) Atomics.wait(flag, 0, STARTED, 3 * elapsed + 60_000);
      const msg = Atomics.load(flag, 0) === DONE ? (receiveMessageOnPort(h.port)?.message as HelperReply | undefined) : undefined;
      if (msg === undefined) {
        void h.worker.terminate();
        h.port.close();
        return undefined;
      }
      idle = h;
      if (!msg.ok) throw errorFromData(msg.error, 'simulation worker');
      return msg.result;
    },
  };
}

/** Add the helper's chunks to ours. */
export function mergeHelper(rt: Runtime, tot: Totals, qu: BatchQueue, h: RangeResult): void {
  const add = (a: Float64Array, b: Float64Array): void => {
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
  };
  add(tot.correct, h.tot.correct);
  add(tot.spikes, h.tot.spikes);
  add(tot.synops, h.tot.synops);
  tot.steps += h.tot.steps;
  for (let b = 0; b + 1 < qu.q.length; b++) {
    if (qu.q[1 + b] !== HELPER) continue;
    const from = b * qu.size;
    tot.predictions.set(h.tot.predictions.subarray(from, Math.min(qu.N, from + qu.size)), from);
  }
  for (const [k, v] of h.nodeSynops) rt.nodeSynops.set(k, (rt.nodeSynops.get(k) ?? 0) + v);
  for (const [k, v] of h.macs) if (!rt.macs.has(k)) rt.macs.set(k, v);
  h.layerSize.forEach((n, i) => {
    if (n > (rt.layerSize[i] ?? 0)) rt.layerSize[i] = n;
  });
}
