// The pipeline: one visible list of passes, run in order. The runner times each pass,
// verifies the graph after each one when asked (always in tests; the CLI's --verify),
// and can hand the printed IR after a named pass to the caller (--dump-ir-after).
import { fail } from '../errors.js';
import { printGraph } from '../ir/print.js';
import { verifyGraph } from '../ir/verify.js';
import type { Graph } from '../ir/types.js';
import { canonicalize } from './canonicalize.js';
import type { Pass, PassContext } from './context.js';
import { foldAvgPoolPass } from './fold-avgpool.js';
import { foldBatchnorm } from './fold-batchnorm.js';
import { snnPasses } from './snn-pipeline.js';
import type { SnnOptions } from './snn-pipeline.js';

/** The ANN clean-up passes, in order. */
export const ANN_PASSES: readonly Pass[] = [canonicalize, foldBatchnorm];

/**
 * The whole ANN → SNN conversion as one list, in order: canonicalize → fold-batchnorm →
 * calibrate → convert → fold-avgpool. Every command that converts (convert, simulate,
 * compile, quantize, explore, the plugin) runs this list through convertModel, so
 * --dump-ir-after and --verify reach every step. Quantization follows as a step of its own
 * (passes/quantize.ts): its result is an integer program stored beside the graph, not a graph.
 */
export function conversionPasses(opts: SnnOptions): Pass[] {
  return [...ANN_PASSES, ...snnPasses(opts), foldAvgPoolPass];
}

export interface PipelineOptions {
  /** Run verifyGraph after every pass. */
  readonly verify?: boolean;
  /** Name of the pass after which the IR is printed and given to onDump. */
  readonly dumpAfter?: string;
  readonly onDump?: (name: string, text: string) => void;
  /** After each pass: its name, time, and the graph it made. */
  readonly onPass?: (name: string, ms: number, graph: Graph) => void;
}

export interface PipelineResult {
  readonly graph: Graph;
  readonly timings: readonly { readonly pass: string; readonly ms: number }[];
}

export function runPipeline(g: Graph, passes: readonly Pass[], ctx: PassContext, opts: PipelineOptions = {}): PipelineResult {
  const names = passes.map((p) => p.name);
  if (opts.dumpAfter !== undefined && !names.includes(opts.dumpAfter)) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--dump-ir-after '${opts.dumpAfter}' names no pass of this pipeline`,
      hint: `passes are: ${names.join(', ')}`,
    });
  }
  const timings: { pass: string; ms: number }[] = [];
  let graph = g;
  for (const pass of passes) {
    // Wall-clock time for the report only; it never reaches an artifact.
    const t0 = performance.now();
    graph = pass.run(graph, ctx);
    const ms = performance.now() - t0;
    timings.push({ pass: pass.name, ms });
    opts.onPass?.(pass.name, ms, graph);
    if (opts.verify === true) verifyGraph(graph);
    if (opts.dumpAfter === pass.name) opts.onDump?.(pass.name, printGraph(graph));
  }
  return { graph, timings };
}
