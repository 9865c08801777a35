// ANN or converted SNN → quantized SNN + IntProgram + memory table, in one call.
// scheme 'after-conversion' (default): convert in float, then quantize the spiking network.
// scheme 'ann-first': round the ANN's Conv/Gemm/MatMul weights to the same widths first
// (per output channel, same rounding), convert the rounded ANN — so calibration sees the
// weights the hardware will hold — and then map it to integers as above.
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { Diagnostic } from '../passes/context.js';
import type { QuantizeSettings } from '../passes/quantize-config.js';
import { checkSettings } from '../passes/quantize-config.js';
import { fakeQuantizeAnn } from '../passes/fake-quantize.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import type { MemoryReport } from '../sim/int/memory.js';
import { memoryReport } from '../sim/int/memory.js';
import { QUANTIZE_MODEL_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

export type QuantScheme = 'after-conversion' | 'ann-first';

export interface QuantizeModelOptions extends ConvertOptions, Omit<QuantizeSettings, 'seed'> {
  readonly scheme?: QuantScheme;
  /** Seed of conversion and stochastic rounding (default 0). */
  readonly seed?: number;
}

export interface QuantizeModelResult {
  readonly graph: Graph;
  readonly program: IntProgram;
  readonly memory: MemoryReport;
  readonly diagnostics: readonly Diagnostic[];
  readonly calibration: string | null;
}

export function quantizeModel(g: Graph, opts: QuantizeModelOptions = {}): QuantizeModelResult {
  checkOptions(QUANTIZE_MODEL_OPTIONS, opts);
  checkSettings(opts);
  const scheme = opts.scheme ?? 'after-conversion';
  const diagnostics: Diagnostic[] = [];
  let snn = g;
  let calibration: string | null = g.meta['snnc.calibration'] ?? null;
  if (!isConverted(g)) {
    const c = convertModel(scheme === 'ann-first' ? fakeQuantizeAnn(g, opts) : g, opts);
    snn = c.graph;
    calibration = c.calibration;
    diagnostics.push(...c.diagnostics);
  } else if (scheme === 'ann-first') {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: "scheme 'ann-first' needs the ANN, but the model is already converted",
      hint: 'pass the original ANN, or use the default scheme',
    });
  }
  const q = quantizeGraph(snn, opts);
  diagnostics.push(...q.diagnostics);
  return { graph: q.graph, program: q.program, memory: memoryReport(q.program), diagnostics, calibration };
}
