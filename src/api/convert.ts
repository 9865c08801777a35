// ANN → SNN in one call: the conversion pipeline (passes/pipeline.ts) on real or synthetic
// calibration data.
// The CLI's `convert`, `simulate` and `compile` all go through here.
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { Diagnostic } from '../passes/context.js';
import { collectingContext } from '../passes/context.js';
import { ANN_PASSES, conversionPasses, runPipeline } from '../passes/pipeline.js';
import { graphStats } from '../ir/stats.js';
import { parseMethod } from '../passes/calibrate.js';
import { fitToModel, loadDatasetSpec } from '../data/spec.js';
import type { Dataset } from '../data/dataset.js';
import { synthesizeCalibration } from '../retrain/synthesize.js';
import { CONVERT_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

/**
 * For `--calib synthetic`: generate calibration images from the ANN itself (data-free,
 * src/retrain/synthesize.ts) and return options that carry them. Other options pass through.
 */
export async function withSyntheticCalibration<O extends ConvertOptions>(g: Graph, opts: O): Promise<O> {
  if (opts.calib !== 'synthetic' || opts.calibData !== undefined) return opts;
  const n = opts.calibSamples ?? 128;
  const x = await synthesizeCalibration(g, { n, seed: opts.seed ?? 0 });
  const K = n > 0 ? Number(g.values.get(g.outputs[0] ?? '')?.shape[1] ?? 1) : 1;
  const y = Int32Array.from({ length: n }, (_, i) => i % K);
  return { ...opts, calibData: { x, y, name: `synthetic(${n})` } };
}

export interface ConvertOptions {
  /** 'mnist' (the embedded train split), a .npz path, or 'synthetic' (data-free; see withSyntheticCalibration). */
  readonly calib?: string;
  /** Calibration images given directly (synthetic ones, or data already in memory). */
  readonly calibData?: Dataset;
  readonly calibSamples?: number;
  /** 'max', 'percentile:<p>', 'clip', 'hoyer'. */
  readonly method?: string;
  readonly granularity?: 'layer' | 'channel';
  readonly reset?: 'subtract' | 'zero';
  /** Fire on v ≥ θ (default) or v > θ (Loihi's CUBA neuron). */
  readonly fire?: 'ge' | 'gt';
  readonly coding?: 'direct' | 'poisson';
  readonly maxpool?: 'gate' | 'avg';
  readonly seed?: number;
  readonly verify?: boolean;
  readonly dumpAfter?: string;
  readonly onDump?: (pass: string, text: string) => void;
}

export interface ConvertResult {
  readonly graph: Graph;
  /** MACs per sample of the ANN after its clean-up passes (what annMacs counts). */
  readonly annMacs: number;
  readonly diagnostics: readonly Diagnostic[];
  readonly calibration: string;
}

export function isConverted(g: Graph): boolean {
  return g.meta['snnc.kind'] === 'snn';
}

/**
 * MACs per sample of the ANN after canonicalize: exporter idioms (a run-time reshape
 * target, a Pad before a pool) hide shapes from the imported graph, so its own count can
 * miss whole layers.
 */
export function annMacs(g: Graph): number {
  return graphStats(runPipeline(g, ANN_PASSES, collectingContext()).graph).macs;
}

export function convertModel(g: Graph, opts: ConvertOptions = {}): ConvertResult {
  if (isConverted(g)) {
    throw fail({ code: 'SNNC_E_USAGE', message: 'the model is already a converted spiking network', hint: 'convert the original ANN instead' });
  }
  checkOptions(CONVERT_OPTIONS, opts);
  // A model from `snnc retrain` carries trained clips: they are the thresholds it was trained for.
  const methodName = opts.method ?? (g.meta['snnc.retrain.method'] !== undefined ? 'clip' : 'percentile:99.99');
  const method = parseMethod(methodName);
  const spec = opts.calib ?? 'mnist';
  if (spec === 'synthetic' && opts.calibData === undefined) {
    throw new Error('synthetic calibration data must be generated first (withSyntheticCalibration)');
  }
  const data = fitToModel(g, opts.calibData ?? loadDatasetSpec(spec, 'train', opts.calibSamples ?? 512));
  const ctx = collectingContext({ seed: opts.seed ?? 0, calibration: { x: data.x, y: data.y, source: data.name } });
  const passes = conversionPasses({
    method,
    granularity: opts.granularity ?? 'channel',
    reset: opts.reset ?? 'subtract',
    ...(opts.fire !== undefined ? { fire: opts.fire } : {}),
    coding: opts.coding ?? 'direct',
    maxpool: opts.maxpool ?? 'gate',
  });
  // The ANN's MACs from the pipeline's own clean-up step (annMacs would run it again).
  const lastAnnPass = ANN_PASSES[ANN_PASSES.length - 1]?.name;
  let macs: number | undefined;
  const { graph } = runPipeline(g, passes, ctx, {
    onPass: (name, _ms, after) => {
      if (name === lastAnnPass) macs = graphStats(after).macs;
    },
    verify: opts.verify ?? false,
    ...(opts.dumpAfter !== undefined ? { dumpAfter: opts.dumpAfter } : {}),
    ...(opts.onDump !== undefined ? { onDump: opts.onDump } : {}),
  });
  return { graph, annMacs: macs ?? annMacs(g), diagnostics: ctx.diagnostics, calibration: `${methodName} on ${data.name}` };
}
