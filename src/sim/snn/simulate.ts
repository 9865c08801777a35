// simulate(): the public entry of the SNN simulator. Checks its arguments, splits the
// dataset into batches, runs each batch in the chosen mode and aggregates the traces.
import { fail } from '../../errors.js';
import { DEFAULT_MAX_ELEMENTS } from '../../ir/dtype.js';
import type { Graph } from '../../ir/types.js';
import { runEventDriven } from './event-driven.js';
import { addBatch, finish, newTotals } from './metrics.js';
import type { Totals } from './metrics.js';
import { planGraph } from './plan.js';
import type { SimPlan } from './plan.js';
import { newRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';
import { HELPER, MAIN, helperChunks, mergeHelper, newQueue, startHelper, takeChunk, useHelper } from './simulate-split.js';
import { graphStats } from '../../ir/stats.js';
import type { BatchQueue, BatchRun, RangeResult } from './simulate-split.js';
import { runTimeStepped } from './time-stepped.js';
import { releaseWasmScatter } from './wasm/scatter.js';
import type { SimData, SimulateOptions, SimulateResult } from './types.js';

export const MAX_T = 100000;
/** Bytes a stacked value may take before the default batch size shrinks. */
const STACK_BYTES = 64 * 1024 * 1024;
const MAX_EVENT_BATCH = 256;
const MIN_EVENT_BATCH = 16;
/**
 * Event-driven batches are sized so that a batch's largest value fits about 512 KB: every step
 * streams each layer's currents, spikes and membranes, and a batch that stays in the caches
 * beats the per-call overhead fewer, larger batches save (measured, 500 images at T = 32, one
 * thread: resnet-tiny 80 img/s at 256 samples, 116–135 at 8–32; LeNet 430 at 256, ~500 at
 * 16–32; the MLP, whose values are small, ~3,900 from 64 up). 16 to 256 samples.
 */
const EVENT_BATCH_BYTES = 512 * 1024;

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

function checkOptions(opts: SimulateOptions): void {
  const T = opts.T;
  if (typeof T !== 'number' || !Number.isInteger(T) || T <= 0 || T > MAX_T) {
    throw usage(`T = ${String(T)} is not a number of time steps in 1..${MAX_T}`, 'pass a positive integer such as --T 32');
  }
  const bs = opts.batchSize;
  if (bs !== undefined && (!Number.isInteger(bs) || bs <= 0)) throw usage(`batch size ${bs} is not a positive integer`, 'omit it to use the default');
  const m = opts.earlyExit;
  if (m !== undefined && !Number.isFinite(m))
    throw usage(`early-exit margin ${m} is not a finite number`, 'pass a margin such as --early-exit 0.5 (in readout units per step)');
  const seed = opts.seed;
  if (seed !== undefined && !Number.isInteger(seed)) throw usage(`seed ${seed} is not an integer`, 'pass an integer seed');
  const th = opts.threads;
  if (th !== undefined && th !== 1 && th !== 2) throw usage(`threads = ${String(th)}: the simulator uses 1 or 2 threads`, 'pass 1 or 2, or omit it');
}

/** Largest per-sample element count over the graph's values (symbolic dims count as 1). */
function maxPerSample(g: Graph): number {
  let m = 1;
  for (const v of g.values.values()) {
    if (g.initializers.has(v.name)) continue;
    const n = v.shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
    if (n > m) m = n;
  }
  return m;
}

function checkData(g: Graph, data: SimData): number {
  const x = data.x;
  const N = x.shape[0];
  if (N === undefined || N === 0 || x.shape.length < 1) {
    throw fail({ code: 'SNNC_E_DATASET', message: 'the dataset holds no samples', hint: 'pass a dataset with at least one sample (check --n)' });
  }
  if (data.y.length !== N) {
    throw fail({ code: 'SNNC_E_DATASET', message: `the dataset has ${N} samples but ${data.y.length} labels`, hint: 'x and y must have the same length' });
  }
  const input = g.inputs[0] as string;
  const info = g.values.get(input);
  const want = info?.shape.slice(1) ?? [];
  const got = x.shape.slice(1);
  const fmt = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;
  if (x.dtype !== 'float32' || !(x.data instanceof Float32Array) || (info !== undefined && info.dtype !== 'float32')) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `input '${input}': the simulator needs float32 data and a float32 graph input, got data ${x.dtype} for ${info?.dtype ?? '?'}`,
      hint: 'convert the dataset to float32',
    });
  }
  if (want.length !== got.length || want.some((d, i) => typeof d === 'number' && d !== got[i])) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `input '${input}': each sample has shape ${fmt(got)}, the model expects ${fmt(want)} (batch dim excluded)`,
      hint: 'pass a dataset whose samples have the model input shape, or a model that takes these samples',
    });
  }
  return N;
}

function classesOf(g: Graph, readout: string): number {
  const info = g.values.get(readout);
  const dims = info?.shape.slice(1) ?? [];
  if (info === undefined || dims.some((d) => typeof d !== 'number')) {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `graph output '${readout}' has no static per-sample shape (${info === undefined ? 'unknown' : `[${info.shape.join(', ')}]`})`,
      hint: 'run shape inference with a static input shape',
    });
  }
  return (dims as number[]).reduce((a, b) => a * b, 1);
}

/**
 * Simulate a converted (spiking) graph on a labelled dataset for T steps. Readout: graph
 * output 0, accumulated over steps; the prediction at step t is the argmax of its sum.
 *
 * The graph is read as a value: what is derived from its tensors (re-laid weights, broadcast
 * thresholds, the helper thread's copy) is kept for later calls by tensor identity, so change
 * a weight or threshold by giving the graph a new tensor, never by writing into one's data.
 */
export function simulate(g: Graph, data: SimData, opts: SimulateOptions): SimulateResult {
  try {
    return simulateAll(g, data, opts);
  } finally {
    releaseWasmScatter();
  }
}

function simulateAll(g: Graph, data: SimData, opts: SimulateOptions): SimulateResult {
  checkOptions(opts);
  const plan = planGraph(g);
  const N = checkData(g, data);
  const T = opts.T;
  // Event-driven is the default: the same bits, and 1.3–2.1× faster on every example network
  // (bench/results/snn.json); time-stepped stays for dense activity and for cross-checking.
  const mode = opts.mode ?? 'event-driven';
  const classes = classesOf(g, plan.readout);
  const per = maxPerSample(g) * 4;
  const B = Math.max(
    1,
    Math.min(
      N,
      opts.batchSize ??
        (mode === 'time-stepped'
          ? Math.floor(STACK_BYTES / (per * T))
          : Math.min(MAX_EVENT_BATCH, Math.floor(STACK_BYTES / per), Math.max(MIN_EVENT_BATCH, Math.floor(EVENT_BATCH_BYTES / per)))),
    ),
  );
  const rt = runtimeFor(plan, opts);
  const tot = newTotals(N, T, plan.layers.length);
  const run = { mode, B, classes };
  // The second core shares the samples' chunks (simulate-split.ts); every sample is
  // independent of the others (Poisson draws are seeded by its index), so which thread runs
  // a chunk changes no result, only the time.
  const queue = useHelper(N, T, opts, graphStats(g).macs) ? newQueue(N, B) : undefined;
  const helper = queue === undefined ? undefined : startHelper(g, data, opts, run, queue);
  if (queue === undefined || helper === undefined) {
    simulateSamples(rt, data, opts, run, tot, 0, N, (done) => opts.onProgress?.(done, N));
    return finish(rt, tot, N, opts.earlyExit);
  }
  // Progress: the chunks handed out so far (both threads'), less the one in flight.
  const handedOut = (): number => Math.min(N - 1, Math.max(0, (Atomics.load(queue.q, 0) - 1) * queue.size));
  try {
    simulateChunks(rt, data, opts, run, tot, queue, MAIN, () => opts.onProgress?.(handedOut(), N));
  } catch (e) {
    // Our part failed: still take the helper back (idle, for the next simulation), then report ours.
    try {
      helper.join();
    } catch {
      // its own failure is secondary to ours
    }
    throw e;
  }
  const h = helper.join();
  if (h !== undefined) mergeHelper(rt, tot, queue, h);
  else for (const first of helperChunks(queue)) simulateSamples(rt, data, opts, run, tot, first, Math.min(N, first + queue.size));
  opts.onProgress?.(N, N);
  return finish(rt, tot, N, opts.earlyExit);
}

function runtimeFor(plan: SimPlan, opts: SimulateOptions): Runtime {
  return newRuntime(plan, opts.T, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, opts.seed ?? 0, opts.affine ?? 'auto');
}

/** Samples [from, to) into the totals, batch by batch; `onBatch` gets the end of each batch. */
function simulateSamples(
  rt: Runtime,
  data: SimData,
  opts: SimulateOptions,
  run: BatchRun,
  tot: Totals,
  from: number,
  to: number,
  onBatch?: (end: number) => void,
): void {
  for (let first = from; first < to; first += run.B) {
    const n = Math.min(run.B, to - first);
    const trace =
      run.mode === 'time-stepped' ? runTimeStepped(rt, data.x, first, n, run.classes) : runEventDriven(rt, data.x, first, n, run.classes, opts.earlyExit);
    addBatch(tot, trace, opts.T, data.y, first, opts.earlyExit);
    onBatch?.(first + n);
  }
}

/** Chunks taken from `queue` until none is left, into the totals (`onChunk` after each). */
function simulateChunks(
  rt: Runtime,
  data: SimData,
  opts: SimulateOptions,
  run: BatchRun,
  tot: Totals,
  queue: BatchQueue,
  who: number,
  onChunk?: () => void,
): void {
  for (let first = takeChunk(queue, who); first >= 0; first = takeChunk(queue, who)) {
    simulateSamples(rt, data, opts, run, tot, first, Math.min(queue.N, first + queue.size));
    onChunk?.();
  }
}

/** The helper thread's part: chunks from the shared queue until none is left. */
export function simulateRange(g: Graph, data: SimData, opts: SimulateOptions, run: BatchRun, queue: BatchQueue): RangeResult {
  const plan = planGraph(g);
  const N = data.y.length;
  const rt = runtimeFor(plan, opts);
  const tot = newTotals(N, opts.T, plan.layers.length);
  simulateChunks(rt, data, opts, run, tot, queue, HELPER);
  return { tot, nodeSynops: [...rt.nodeSynops], macs: [...rt.macs], layerSize: rt.layerSize };
}
