// `snnc explore`: sweep quantization configurations (weight bits × neuron-parameter bits ×
// rounding, each at every T), measure each with the integer-exact simulation, memory
// accounting and the target's cost model, and pick the smallest configuration that stays
// within the allowed accuracy drop. Units run in a pool of worker threads; a sweep can be
// split with `shard` and put back together with `mergeDocs` (explore-select.ts).
// The accuracy reference is the float SNN at the largest T of the sweep (or the ANN).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { errorFromData, fail, isSnncError } from '../errors.js';
import { startModuleWorker } from '../worker-thread.js';
import { BUNDLED_KINDS, loadAnyTarget } from '../costmodel/target.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import type { Graph, Rounding } from '../ir/types.js';
import { quantizeGraph } from '../passes/quantize.js';
import { memoryReport } from './memory.js';
import { renderExploreCsv } from '../report/explore.js';
import type { ExploreDoc } from '../report/explore.js';
import { renderExplorePlot } from '../report/explore-plot.js';
import { renderJson } from '../report/json.js';
import { simulate } from '../sim/snn/simulate.js';
import type { OutputFile } from './atomic.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import { fitToModel, loadDatasetSpec } from './dataset.js';
import { annAccuracy } from './evaluate.js';
import type { EvalContext, UnitResult } from './explore-eval.js';
import { evaluateUnit } from './explore-eval.js';
import type { DocHead } from './explore-select.js';
import { finishDoc, rowsOf } from './explore-select.js';
import type { ExploreUnit, Shard } from './explore-space.js';
import { enumerateUnits, unitsOfShard } from './explore-space.js';
import { checkOptions, DEFAULT_EXPLORE_TARGET, EXPLORE_OPTIONS, TIMESTEPS } from './options.js';
import type { WorkerInit, WorkerMessage } from './explore-worker.js';
import { backendFor, withTargetSemantics } from '../backends/registry.js';
import type { BackendTarget } from '../backends/registry.js';
import { packageVersion } from './version.js';

export interface ExploreOptions extends ConvertOptions {
  /** The model file as given (its name and sha256 go into explore.json). */
  readonly modelFile: string;
  /** 'mnist' (the embedded test split) or a .npz path. */
  readonly dataset?: string;
  readonly n?: number;
  readonly weightBits: readonly number[];
  readonly neuronBits: readonly number[];
  readonly rounding: readonly Rounding[];
  readonly T: readonly number[];
  /** Percentage points. */
  readonly maxAccuracyDrop: number;
  readonly reference?: 'snn' | 'ann';
  /** One weight scale per output channel (default true), power-of-two scales, membrane overflow — as snnc quantize. */
  readonly perChannel?: boolean;
  readonly pow2?: boolean;
  readonly overflow?: 'saturate' | 'wrap';
  /** Target whose cost model gives energy and latency (default fpga). */
  readonly target?: string;
  /** Worker threads (default 1: run in this thread). */
  readonly workers?: number;
  readonly shard?: Shard;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface ExploreResult {
  readonly doc: ExploreDoc;
  readonly files: readonly OutputFile[];
  /** Conversion warnings (dead channels, …), as simulate prints them. */
  readonly diagnostics: readonly { readonly severity: string; readonly code: string; readonly message: string; readonly node?: string; readonly hint?: string }[];
}


/** explore.json, explore.csv and explore.svg of a document. */
export function exploreFiles(doc: ExploreDoc): OutputFile[] {
  return [
    { path: 'explore.json', data: renderJson(doc) },
    { path: 'explore.csv', data: renderExploreCsv(doc) },
    { path: 'explore.svg', data: renderExplorePlot(doc) },
  ];
}

/** A mapping that does not depend on the bit widths, or why the target cannot run the net. */
/**
 * What explore needs of the target, through its backend record: whether it can run the network
 * at all (its mapping of the default program), the steps it runs beyond T (Loihi's synaptic
 * delays), and a note for explore.json.
 */
function targetSetup(snn: Graph, t: BackendTarget, Tmax: number): { note: string; unavailable: boolean; extraSteps: number } {
  const record = backendFor(t.kind);
  if (record?.map === undefined) return { unavailable: true, extraSteps: 0, note: `${t.name}: its backend has no mapping to cost configurations with; energy and latency are not available` };
  try {
    record.map(snn, t, { T: Tmax, program: () => quantizeGraph(snn).program, weightBits: 8 });
  } catch (e) {
    if (!isSnncError(e) || (e.code !== 'SNNC_E_BACKEND' && e.code !== 'SNNC_E_QUANTIZE')) throw e;
    return { unavailable: true, extraSteps: 0, note: `${t.name} cannot run this network (${e.message}); energy and latency are not available` };
  }
  const extraSteps = record.stepsPerSample !== undefined ? record.stepsPerSample(snn, Tmax) - Tmax : 0;
  return { unavailable: false, extraSteps, note: `${t.name}: mapped by the ${t.kind} backend for each configuration's integer program (widths, bit slices, memories follow it${extraSteps > 0 ? `; ${extraSteps} steps beyond T per sample` : ''}); energy and latency follow its activity` };
}

/** The worker thread (explore-worker.ts). */
function startWorker(init: WorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'explore-worker', { workerData: init });
}

/** Evaluate units on `workers` threads; results come back in any order and are keyed by index. */
async function runPool(units: readonly ExploreUnit[], workers: number, init: WorkerInit, onDone: (unit: number, done: number) => void): Promise<UnitResult[]> {
  const queue = [...units];
  const results: UnitResult[] = [];
  const pool = Array.from({ length: Math.min(workers, units.length) }, () => startWorker(init));
  try {
    await Promise.all(pool.map((w) => new Promise<void>((resolve, reject) => {
      const next = (): void => {
        const u = queue.shift();
        if (u === undefined) resolve();
        else w.postMessage(u);
      };
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') onDone(m.unit, m.done);
        else if (m.type === 'result') { results.push(m.result); next(); }
        else reject(errorFromData(m.error, 'explore worker'));
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`explore worker exited with code ${code}`)); });
      next();
    })));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

export async function exploreModel(g: Graph, opts: ExploreOptions): Promise<ExploreResult> {
  checkOptions(EXPLORE_OPTIONS, opts);
  TIMESTEPS.check(opts.T, 'T');
  const maxDrop = EXPLORE_OPTIONS.maxAccuracyDrop.check(opts.maxAccuracyDrop, 'maxAccuracyDrop');
  const Ts = [...new Set(opts.T)].sort((a, b) => a - b);
  const units = enumerateUnits(opts.weightBits, opts.neuronBits, opts.rounding);
  const mine = unitsOfShard(units, opts.shard);
  const reference = opts.reference ?? 'snn';
  const converted = isConverted(g);
  if (reference === 'ann' && converted) {
    throw fail({ code: 'SNNC_E_USAGE', message: 'the reference is the ANN, but the model is already a spiking network', file: opts.modelFile, hint: 'pass the ANN, or use --reference snn (the float SNN at the largest T)' });
  }
  const targetName = opts.target ?? DEFAULT_EXPLORE_TARGET;
  // A bad target fails before the long part starts.
  const target = loadAnyTarget(targetName);
  if (target.kind === 'ann') {
    throw fail({ code: 'SNNC_E_USAGE', message: `--target ${targetName} is an ANN baseline, not a spiking target`, hint: 'explore costs a spiking target: fpga (default), loihi2, imc-hpadc, imc-adcless or a target JSON' });
  }
  const datasetSpec = opts.dataset ?? 'mnist';
  const data = fitToModel(g, loadDatasetSpec(datasetSpec, 'test', opts.n));
  if (data.y.length === 0) throw fail({ code: 'SNNC_E_DATASET', message: `dataset '${data.name}' has no samples` });
  const diagnostics: ExploreResult['diagnostics'][number][] = [];

  let snn = g;
  let ann: number | null = null;
  if (!converted) {
    opts.onProgress?.('ann', 0, 1);
    ann = annAccuracy(g, data);
    opts.onProgress?.('convert', 0, 1);
    // A target that needs its own neuron semantics (Loihi) gets them, as in compile and simulate (unless --reset).
    const c = convertModel(g, withTargetSemantics(backendFor(target.kind), opts));
    snn = c.graph;
    diagnostics.push(...c.diagnostics);
  }
  const Tmax = Ts[Ts.length - 1] ?? 1;
  const float = simulate(snn, data, { T: Tmax, onProgress: (d, t) => opts.onProgress?.(`float SNN T=${Tmax}`, d, t) });
  const snnRef = Ts.map((T) => ({ T, accuracy: float.accuracyPerStep[T - 1] ?? 0 }));
  const refAccuracy = reference === 'ann' ? (ann ?? 0) : (float.accuracyPerStep[Tmax - 1] ?? 0);
  const setup = targetSetup(snn, target, Tmax);
  let float32Bits = 0;
  try { float32Bits = memoryReport(quantizeGraph(snn).program).total.float32Bits; } catch { /* reported per unit */ }

  const head: DocHead = {
    format: 'snnc-explore',
    version: 1,
    tool: { name: 'snnc', version: packageVersion() },
    model: { file: basename(opts.modelFile), sha256: createHash('sha256').update(readFileSync(opts.modelFile)).digest('hex') },
    dataset: { name: data.name, samples: data.y.length },
    conversion: Object.fromEntries(Object.entries(snn.meta).filter(([k]) => k.startsWith('snnc.')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    space: { weightBits: [...opts.weightBits], neuronBits: [...opts.neuronBits], rounding: [...opts.rounding], T: Ts, seed: opts.seed ?? 0, maxAccuracyDrop: maxDrop, perChannel: opts.perChannel ?? true, pow2: opts.pow2 ?? false, overflow: opts.overflow ?? 'saturate', reference, target: targetName },
    reference: { accuracy: refAccuracy, label: reference === 'ann' ? 'ANN' : `float SNN, T=${Tmax}`, ann, snn: snnRef },
    float32Bits,
    targetNote: setup.note,
  };

  const quant = { perChannel: opts.perChannel ?? true, pow2: opts.pow2 ?? false, overflow: opts.overflow ?? 'saturate' } as const;
  const ctx: EvalContext = { quant, snn, data, Ts, seed: opts.seed ?? 0, target, targetUnavailable: setup.unavailable, extraSteps: setup.extraSteps };
  const total = mine.length * data.y.length;
  const doneOf = new Map<number, number>();
  const progress = (unit: number, done: number): void => {
    doneOf.set(unit, done);
    opts.onProgress?.(`explore ${mine.length} configurations`, [...doneOf.values()].reduce((a, b) => a + b, 0), total);
  };
  let results: UnitResult[];
  // Workers rebuild the context from the target's name: a kind registered in this thread only runs here.
  const workers = BUNDLED_KINDS.has(target.kind) ? Math.max(1, Math.min(opts.workers ?? 1, mine.length)) : 1;
  if (workers <= 1) {
    results = mine.map((u) => evaluateUnit(ctx, u, (done) => progress(u.index, done)));
  } else {
    const init: WorkerInit = { snnOnnx: exportOnnx(snn), dataset: datasetSpec, n: opts.n, Ts, seed: ctx.seed, quant, target: targetName, targetUnavailable: setup.unavailable, extraSteps: setup.extraSteps };
    results = await runPool(mine, workers, init, progress);
  }
  const { rows, skipped } = rowsOf(head, results);
  const doc = finishDoc(head, rows, skipped, opts.shard !== undefined ? `${opts.shard.index}/${opts.shard.count}` : undefined);
  return { doc, files: exploreFiles(doc), diagnostics };
}
