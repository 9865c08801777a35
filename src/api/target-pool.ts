// The second core for compile's targets. Once every target's network is ready, each target's
// backend work — its files and its hardware simulation — is independent of the others', and
// on a CIFAR-size network it is most of a compile (a ResNet-18's ADC-less crossbar simulation
// alone takes ~15 s). So compile queues every target, largest first (the backend's
// simulateWork); a worker thread takes the largest waiting one whenever it is free, and the
// main thread runs the rest, largest first — longest-processing-time-first on two threads.
// Each target is mapped once, by the thread that runs it, and its files arrive as they are
// made (the worker's are transferred, not copied).
//
// Results do not depend on the thread: the worker runs the same bundled backend record on a
// structured clone of the same graph and data (target-run.ts). A worker that cannot start or
// dies hands its job back to the main thread, so a compile never hangs on it. Kinds
// registered at run time (registerBackend) exist only in this thread's registry and run here.
import type { Worker } from 'node:worker_threads';
import type { Graph } from '../ir/types.js';
import type { EmittedFile } from '../backends/common/types.js';
import type { TargetOutcome, TargetOutcomeData, TargetRequest } from './target-run.js';
import { outcomeOf } from './target-run.js';
import { startModuleWorker } from '../worker-thread.js';

/** main → worker: a job; the graph is sent once per graph and then named by its id. */
export interface JobMessage {
  readonly id: number;
  readonly graphId: number;
  readonly graph?: Graph;
  readonly request: TargetRequest;
}

/** worker → main: a job's files (as soon as they are made), then its outcome. */
export type ReplyMessage = { readonly id: number; readonly files: readonly EmittedFile[] } | { readonly id: number; readonly outcome: TargetOutcomeData };

interface Job {
  readonly id: number;
  readonly graph: Graph;
  /** What the worker needs to run it (undefined: this thread only). */
  readonly request: TargetRequest | undefined;
  readonly work: number;
  /** Runs the job here, handing its files to `files`. */
  readonly local: (files: (fs: readonly EmittedFile[]) => void) => Promise<TargetOutcome>;
  /** Takes each of the job's files once (from either thread; must not throw). */
  readonly files: (fs: readonly EmittedFile[]) => void;
  readonly done: (o: TargetOutcome) => void;
}

/**
 * Each of a job's files is taken once: a worker that sent some and then died hands its job
 * back, and the run here makes them again (the same bytes) — the output already has those.
 */
function once(files: Job['files']): Job['files'] {
  const taken = new Set<string>();
  return (fs) => {
    const fresh = fs.filter((f) => !taken.has(f.path));
    for (const f of fresh) taken.add(f.path);
    if (fresh.length > 0) files(fresh);
  };
}

export class TargetPool {
  private readonly waiting: Job[] = [];
  private worker: Worker | undefined;
  private running: Job | undefined;
  private nextId = 0;
  private readonly graphIds = new WeakMap<Graph, number>();
  private readonly sent = new Set<number>();
  private wake: (() => void) | undefined;

  /** `thread`: use a worker thread (else every job runs in `drain`, on this thread). */
  constructor(thread: boolean) {
    if (!thread) return;
    try {
      const w = startModuleWorker(import.meta.url, 'target-worker', {});
      w.on('message', (m: ReplyMessage) => this.finished(m));
      // A worker that fails to load or dies gives its job back (run here in drain).
      w.on('error', () => this.lost());
      w.on('exit', () => this.lost());
      this.worker = w;
    } catch {
      this.worker = undefined;
    }
  }

  /**
   * Queue a target; the promise resolves with its outcome (never rejects); its files go to
   * `files` as soon as they are made, on whichever thread. `work` orders the queue, larger first.
   */
  submit(graph: Graph, request: TargetRequest | undefined, work: number, local: Job['local'], files: Job['files']): Promise<TargetOutcome> {
    return new Promise((done) => {
      const job: Job = { id: this.nextId++, graph, request, work, local, files: once(files), done };
      // Stable: equal work keeps submission (target) order.
      const at = this.waiting.findIndex((j) => j.work < work);
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, job);
    });
  }

  /** Hand the worker the largest job, then run the others here, largest first; returns when every job is done. */
  async drain(): Promise<void> {
    this.pump();
    for (;;) {
      // (An idle worker has taken every job it can run: pump runs on every reply.) Largest
      // first here too. (Smallest first, to keep two CIFAR-size crossbar mappings from
      // overlapping, was measured: the FPGA's integer program overlapping the ADC-less mapping
      // peaked higher, 1.9 vs 1.7 GB on ResNet-18, at the same time.)
      const job = this.waiting.shift();
      if (job !== undefined) {
        job.done(await job.local(job.files));
        // Let the worker's reply in (and hand it the next job) between two jobs of ours.
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (this.running === undefined) return;
      // Only the worker's job is left: wait for its reply (or its death).
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }

  /** Hand the worker its first job now (drain would), so it works while this thread does something else. */
  start(): void {
    this.pump();
  }

  /** Whether the worker has a job. */
  busy(): boolean {
    return this.running !== undefined;
  }

  /** Stop the worker (compile calls it when done, also after a failure). */
  close(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
  }

  private pump(): void {
    if (this.worker === undefined || this.running !== undefined) return;
    const i = this.waiting.findIndex((j) => j.request !== undefined);
    if (i < 0) return;
    const job = this.waiting.splice(i, 1)[0] as Job;
    let graphId = this.graphIds.get(job.graph);
    if (graphId === undefined) {
      graphId = this.nextId++;
      this.graphIds.set(job.graph, graphId);
    }
    const msg: JobMessage = {
      id: job.id,
      graphId,
      ...(this.sent.has(graphId) ? {} : { graph: job.graph }),
      request: job.request as TargetRequest,
    };
    this.running = job;
    try {
      this.worker.postMessage(msg);
      this.sent.add(graphId);
    } catch {
      this.lost();
    }
  }

  private finished(m: ReplyMessage): void {
    const job = this.running;
    if (job === undefined || job.id !== m.id) return;
    if ('files' in m) {
      job.files(m.files);
      return;
    }
    this.running = undefined;
    job.done(outcomeOf(m.outcome));
    this.pump();
    this.notify();
  }

  /** The worker is gone: its job (if any) goes back to the queue, to run here. */
  private lost(): void {
    const job = this.running;
    this.running = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
    if (job !== undefined) this.waiting.unshift(job);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
