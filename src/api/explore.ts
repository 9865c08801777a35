// `snnc explore`: sweep quantization configurations (weight bits × neuron-parameter bits ×
// rounding, each at every T), measure each with the integer-exact simulation, memory
// accounting and the target's cost model, and pick the smallest configuration that stays
// within the allowed accuracy drop. Units run in a pool of worker threads; a sweep can be
// split with `shard` and put back together with `mergeDocs` (src/explore/select.ts).
// The accuracy reference is the float SNN at the largest T of the sweep (or the ANN).
import { fail } from '../errors.js';
import { loadAnyTarget } from '../costmodel/target.js';
import type { Graph, Rounding } from '../ir/types.js';
import type { ExploreDoc } from '../report/explore.js';
import { simulate } from '../sim/snn/simulate.js';
import type { OutputFile } from '../io/atomic.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import { fitToModel, loadDatasetSpec } from '../data/spec.js';
import { annAccuracy } from '../sim/ann/accuracy.js';
import { finishDoc, rowsOf } from '../explore/select.js';
import type { Shard } from '../options/declarations.js';
import { enumerateUnits, unitsOfShard } from '../explore/space.js';
import { DEFAULT_EXPLORE_TARGET, EXPLORE_OPTIONS, TIMESTEPS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';
import { backendFor, withTargetSemantics } from '../backends/registry.js';
import type { BackendTarget } from '../backends/registry.js';
import { packageVersion } from './version.js';
import { runSweep } from '../explore/sweep.js';
import { docHead } from '../explore/doc.js';
import { exploreFiles } from '../explore/files.js';

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
  readonly diagnostics: readonly {
    readonly severity: string;
    readonly code: string;
    readonly message: string;
    readonly node?: string;
    readonly hint?: string;
  }[];
}

/** The reference and the target, refused before the long part starts when they cannot work. */
function checkedSetup(opts: ExploreOptions, converted: boolean): { reference: 'snn' | 'ann'; target: BackendTarget; targetName: string } {
  const reference = opts.reference ?? 'snn';
  if (reference === 'ann' && converted) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: 'the reference is the ANN, but the model is already a spiking network',
      file: opts.modelFile,
      hint: 'pass the ANN, or use --reference snn (the float SNN at the largest T)',
    });
  }
  const targetName = opts.target ?? DEFAULT_EXPLORE_TARGET;
  // A bad target fails before the long part starts.
  const target = loadAnyTarget(targetName);
  if (target.kind === 'ann') {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--target ${targetName} is an ANN baseline, not a spiking target`,
      hint: 'explore costs a spiking target: fpga (default), loihi2, imc-hpadc, imc-adcless or a target JSON',
    });
  }
  return { reference, target, targetName };
}

export async function exploreModel(g: Graph, opts: ExploreOptions): Promise<ExploreResult> {
  checkOptions(EXPLORE_OPTIONS, opts);
  TIMESTEPS.check(opts.T, 'T');
  const maxDrop = EXPLORE_OPTIONS.maxAccuracyDrop.check(opts.maxAccuracyDrop, 'maxAccuracyDrop');
  const Ts = [...new Set(opts.T)].sort((a, b) => a - b);
  const units = enumerateUnits(opts.weightBits, opts.neuronBits, opts.rounding);
  const mine = unitsOfShard(units, opts.shard);
  const converted = isConverted(g);
  const { reference, target, targetName } = checkedSetup(opts, converted);
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
  const sweep = await runSweep({
    snn,
    data,
    dataset: datasetSpec,
    n: opts.n,
    Ts,
    seed: opts.seed ?? 0,
    target,
    targetName,
    units: mine,
    workers: opts.workers ?? 1,
    quant: { perChannel: opts.perChannel ?? true, pow2: opts.pow2 ?? false, overflow: opts.overflow ?? 'saturate' },
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
  });
  const head = docHead({
    version: packageVersion(),
    modelFile: opts.modelFile,
    snn,
    dataset: { name: data.name, samples: data.y.length },
    space: {
      weightBits: [...opts.weightBits],
      neuronBits: [...opts.neuronBits],
      rounding: [...opts.rounding],
      T: Ts,
      seed: opts.seed ?? 0,
      maxAccuracyDrop: maxDrop,
      perChannel: opts.perChannel ?? true,
      pow2: opts.pow2 ?? false,
      overflow: opts.overflow ?? 'saturate',
      reference,
      target: targetName,
    },
    reference: { accuracy: refAccuracy, label: reference === 'ann' ? 'ANN' : `float SNN, T=${Tmax}`, ann, snn: snnRef },
    targetNote: sweep.targetNote,
  });
  const { rows, skipped } = rowsOf(head, sweep.results);
  const doc = finishDoc(head, rows, skipped, opts.shard !== undefined ? `${opts.shard.index}/${opts.shard.count}` : undefined);
  return { doc, files: exploreFiles(doc), diagnostics };
}
