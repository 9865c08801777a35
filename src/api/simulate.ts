// `snnc simulate`: accuracy, spikes and synaptic operations of the spiking network over
// time steps, next to the ANN it came from. An ANN is converted first (convertModel).
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { simulate } from '../sim/snn/simulate.js';
import type { SimMode, SimulateResult } from '../sim/snn/types.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import { firstOf, fitToModel, loadDatasetSpec } from '../data/spec.js';
import type { Dataset } from '../data/dataset.js';
import { annAccuracy } from '../sim/ann/accuracy.js';
import type { QuantizeSettings } from '../passes/quantize-config.js';
import { programOf } from '../passes/quantize.js';
import { simulateInt } from '../sim/int/simulate.js';
import { SIMULATE_OPTIONS, TIMESTEPS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

export interface SimulateModelOptions extends ConvertOptions {
  /** 'mnist' (embedded test split) or a .npz path. */
  readonly dataset?: string;
  /** Labelled samples to measure on in place of `dataset`'s test split (retrain passes the images that choose its rounds). */
  readonly data?: Dataset;
  /** Samples to use (default: all). */
  readonly n?: number;
  readonly T: readonly number[];
  readonly earlyExit?: number;
  readonly mode?: SimMode;
  /** Also run the integer-exact simulation: of the program stored in a quantized model, else of `quantizeGraph(graph, int)`. */
  readonly int?: QuantizeSettings;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface SnnRow {
  readonly T: number;
  readonly accuracy: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
  readonly macsPerSample: number;
  readonly meanSteps?: number;
  readonly layers: readonly { readonly name: string; readonly op: string; readonly spikes: number; readonly synops: number; readonly firingRate: number }[];
}

export interface SimulateReport {
  readonly samples: number;
  readonly dataset: string;
  readonly ann: { readonly accuracy: number; readonly macsPerSample: number } | null;
  readonly snn: readonly SnnRow[];
  /** Accuracy after every step up to the largest T (one run gives the whole curve). */
  readonly accuracyPerStep: readonly number[];
  readonly diagnostics: readonly {
    readonly severity: string;
    readonly code: string;
    readonly message: string;
    readonly node?: string;
    readonly hint?: string;
  }[];
  /** The converted graph (the input itself if it was already converted). */
  readonly graph: Graph;
  /** Raw simulator results per T, for callers that need per-node activity. */
  readonly runs: readonly SimulateResult[];
  /** With `int`: accuracy and spikes of the integer-exact simulation per T. */
  readonly int?: {
    readonly rows: readonly { readonly T: number; readonly accuracy: number; readonly spikesPerSample: number }[];
    readonly accuracyPerStep: readonly number[];
  };
}

/** simulateModel's first half: the test samples, and the network to simulate (an ANN converted). */
export interface PreparedModel {
  readonly data: ReturnType<typeof fitToModel>;
  /** The converted graph (the input itself if it was already converted). */
  readonly graph: Graph;
  /** The ANN's MACs per sample (undefined for a converted input). */
  readonly annMacs: number | undefined;
  readonly diagnostics: SimulateReport['diagnostics'];
}

/** The samples a run measures on: the caller's `data`, else `dataset`'s test split; the first n. */
export function measuredData(opts: Pick<SimulateModelOptions, 'data' | 'dataset'>, n: number | undefined): Dataset {
  if (opts.data !== undefined) return n !== undefined ? firstOf(opts.data, n) : opts.data;
  return loadDatasetSpec(opts.dataset ?? 'mnist', 'test', n);
}

export function prepareModel(g: Graph, opts: SimulateModelOptions): PreparedModel {
  checkOptions(SIMULATE_OPTIONS, opts);
  TIMESTEPS.check(opts.T, 'T');
  const data = fitToModel(g, measuredData(opts, opts.n));
  if (data.y.length === 0) throw fail({ code: 'SNNC_E_DATASET', message: `dataset '${data.name}' has no samples` });
  if (isConverted(g)) return { data, graph: g, annMacs: undefined, diagnostics: [] };
  opts.onProgress?.('convert', 0, 1);
  const c = convertModel(g, opts);
  return { data, graph: c.graph, annMacs: c.annMacs, diagnostics: c.diagnostics };
}

export function simulateModel(g: Graph, opts: SimulateModelOptions): SimulateReport {
  return measureModel(g, prepareModel(g, opts), opts);
}

/**
 * simulateModel's second half: the ANN's accuracy and the spiking network's runs.
 * `threads`: for the SNN simulation (compile gives 1 while its worker runs a target).
 */
export function measureModel(g: Graph, prepared: PreparedModel, opts: SimulateModelOptions, threads?: number): SimulateReport {
  const Ts = [...new Set(opts.T)].sort((a, b) => a - b);
  const { data, graph: snn } = prepared;
  const diagnostics: SimulateReport['diagnostics'][number][] = [...prepared.diagnostics];
  let ann: SimulateReport['ann'] = null;
  if (prepared.annMacs !== undefined) {
    opts.onProgress?.('ann', 0, 1);
    ann = { accuracy: annAccuracy(g, data), macsPerSample: prepared.annMacs };
  }
  const runs: SimulateResult[] = [];
  for (const T of Ts) {
    const r = simulate(snn, data, {
      T,
      ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
      ...(opts.earlyExit !== undefined ? { earlyExit: opts.earlyExit } : {}),
      ...(threads !== undefined ? { threads } : {}),
      onProgress: (done, total) => opts.onProgress?.(`simulate T=${T}`, done, total),
    });
    runs.push(r);
  }
  const last = runs[runs.length - 1];
  for (const d of last?.diagnostics ?? []) diagnostics.push(d);
  const rows: SnnRow[] = runs.map((r) => ({
    T: r.T,
    accuracy: r.accuracyPerStep[r.T - 1] ?? 0,
    spikesPerSample: r.spikesPerSample,
    synopsPerSample: r.synopsPerSample,
    macsPerSample: r.macsPerSample,
    ...(r.meanSteps !== undefined ? { meanSteps: r.meanSteps } : {}),
    layers: r.layers.map((l) => ({ name: l.name, op: l.op, spikes: l.spikes, synops: l.synops, firingRate: l.firingRate })),
  }));
  let int: SimulateReport['int'];
  if (opts.int !== undefined) {
    const program = programOf(snn, opts.int);
    // One run to the largest T gives every smaller T (accuracy and spikes per step).
    const Tmax = Ts[Ts.length - 1] ?? 1;
    const r = simulateInt(program, data, { T: Tmax, trace: true, onProgress: (done, total) => opts.onProgress?.(`simulate --int T=${Tmax}`, done, total) });
    const spikesUpTo = (T: number): number => (r.trace ?? []).reduce((a, l) => a + l.spikesPerStep.slice(0, T).reduce((x, y) => x + y, 0), 0) / r.samples;
    int = { rows: Ts.map((T) => ({ T, accuracy: r.accuracyPerStep[T - 1] ?? 0, spikesPerSample: spikesUpTo(T) })), accuracyPerStep: r.accuracyPerStep };
  }
  return {
    samples: data.y.length,
    dataset: data.name,
    ann,
    snn: rows,
    accuracyPerStep: last?.accuracyPerStep ?? [],
    diagnostics,
    graph: snn,
    runs,
    ...(int !== undefined ? { int } : {}),
  };
}
