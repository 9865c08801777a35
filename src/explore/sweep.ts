// A sweep's units evaluated in this thread or in a pool of worker threads (worker.ts), with
// the target set up once through its backend record. Units are independent: each gives the
// same numbers wherever it runs, and results are keyed by unit index.
import type { Worker } from 'node:worker_threads';
import { errorFromData, isSnncError } from '../errors.js';
import { startModuleWorker } from '../worker-thread.js';
import { backendFor } from '../backends/registry.js';
import type { BackendTarget } from '../backends/registry.js';
import { BUNDLED_KINDS } from '../costmodel/target.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import type { Graph } from '../ir/types.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { SimData } from '../sim/snn/types.js';
import type { EvalContext, UnitResult } from './evaluate.js';
import { evaluateUnit } from './evaluate.js';
import type { ExploreUnit } from './space.js';
import type { WorkerInit, WorkerMessage } from './worker.js';

/**
 * What explore needs of the target, through its backend record: whether it can run the network
 * at all (its mapping of the default program), the steps it runs beyond T (Loihi's synaptic
 * delays), and a note for explore.json.
 */
function targetSetup(snn: Graph, t: BackendTarget, Tmax: number): { note: string; unavailable: boolean; extraSteps: number } {
  const record = backendFor(t.kind);
  if (record?.map === undefined)
    return {
      unavailable: true,
      extraSteps: 0,
      note: `${t.name}: its backend has no mapping to cost configurations with; energy and latency are not available`,
    };
  try {
    record.map(snn, t, { T: Tmax, program: () => quantizeGraph(snn).program, weightBits: 8 });
  } catch (e) {
    if (!isSnncError(e) || (e.code !== 'SNNC_E_BACKEND' && e.code !== 'SNNC_E_QUANTIZE')) throw e;
    return { unavailable: true, extraSteps: 0, note: `${t.name} cannot run this network (${e.message}); energy and latency are not available` };
  }
  const extraSteps = record.stepsPerSample !== undefined ? record.stepsPerSample(snn, Tmax) - Tmax : 0;
  return {
    unavailable: false,
    extraSteps,
    note: `${t.name}: each configuration mapped by the ${t.kind} backend (its mapping may or may not follow the swept widths${extraSteps > 0 ? `; ${extraSteps} steps beyond T per sample` : ''}); energy and latency follow each configuration's activity`,
  };
}

/** The worker thread (worker.ts). */
function startWorker(init: WorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'worker', { workerData: init });
}

/** Evaluate units on `workers` threads; results come back in any order and are keyed by index. */
async function runPool(units: readonly ExploreUnit[], workers: number, init: WorkerInit, onDone: (unit: number, done: number) => void): Promise<UnitResult[]> {
  const queue = [...units];
  const results: UnitResult[] = [];
  const pool = Array.from({ length: Math.min(workers, units.length) }, () => startWorker(init));
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              const u = queue.shift();
              if (u === undefined) resolve();
              else w.postMessage(u);
            };
            w.on('message', (m: WorkerMessage) => {
              if (m.type === 'progress') onDone(m.unit, m.done);
              else if (m.type === 'result') {
                results.push(m.result);
                next();
              } else reject(errorFromData(m.error, 'explore worker'));
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`explore worker exited with code ${code}`));
            });
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

export interface Sweep {
  readonly snn: Graph;
  readonly data: SimData;
  /** How a worker reloads the data (a dataset spec and the sample count). */
  readonly dataset: string;
  readonly n: number | undefined;
  /** Ascending. */
  readonly Ts: readonly number[];
  readonly seed: number;
  readonly quant: EvalContext['quant'];
  readonly target: BackendTarget;
  readonly targetName: string;
  readonly units: readonly ExploreUnit[];
  readonly workers: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** Every unit's result, and what the target note of explore.json says. */
export async function runSweep(s: Sweep): Promise<{ readonly results: UnitResult[]; readonly targetNote: string }> {
  const Tmax = s.Ts[s.Ts.length - 1] ?? 1;
  const setup = targetSetup(s.snn, s.target, Tmax);
  const ctx: EvalContext = {
    quant: s.quant,
    snn: s.snn,
    data: s.data,
    Ts: s.Ts,
    seed: s.seed,
    target: s.target,
    targetUnavailable: setup.unavailable,
    extraSteps: setup.extraSteps,
  };
  const total = s.units.length * s.data.y.length;
  const doneOf = new Map<number, number>();
  const progress = (unit: number, done: number): void => {
    doneOf.set(unit, done);
    s.onProgress?.(
      `explore ${s.units.length} configurations`,
      [...doneOf.values()].reduce((a, b) => a + b, 0),
      total,
    );
  };
  // Workers rebuild the context from the target's name: a kind registered in this thread only runs here.
  const workers = BUNDLED_KINDS.has(s.target.kind) ? Math.max(1, Math.min(s.workers, s.units.length)) : 1;
  if (workers <= 1) return { results: s.units.map((u) => evaluateUnit(ctx, u, (done) => progress(u.index, done))), targetNote: setup.note };
  const init: WorkerInit = {
    snnOnnx: exportOnnx(s.snn),
    dataset: s.dataset,
    n: s.n,
    Ts: s.Ts,
    seed: s.seed,
    quant: s.quant,
    target: s.targetName,
    targetUnavailable: setup.unavailable,
    extraSteps: setup.extraSteps,
  };
  return { results: await runPool(s.units, workers, init, progress), targetNote: setup.note };
}
