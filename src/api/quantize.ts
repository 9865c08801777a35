// ANN or converted SNN → quantized SNN + IntProgram + memory table, in one call.
// scheme 'after-conversion' (default): convert in float, then quantize the spiking network.
// scheme 'ann-first': round the ANN's Conv/Gemm/MatMul weights to the same widths first
// (per output channel, same rounding), convert the rounded ANN — so calibration sees the
// weights the hardware will hold — and then map it to integers as above.
import { fail } from '../errors.js';
import type { Graph, Tensor } from '../ir/types.js';
import type { Diagnostic } from '../passes/context.js';
import type { QuantizeSettings } from '../passes/quantize-config.js';
import { bitsFor, checkSettings, quantizeSymmetric, rounder } from '../passes/quantize-config.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import type { MemoryReport } from './memory.js';
import { memoryReport } from './memory.js';
import { checkOptions, QUANTIZE_MODEL_OPTIONS } from './options.js';

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

/** The ANN with every constant Conv/Gemm/MatMul weight rounded to its layer's width. */
export function fakeQuantizeAnn(g: Graph, s: QuantizeSettings): Graph {
  const inits = new Map(g.initializers);
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
    const name = n.inputs[1] as string;
    const t = inits.get(name);
    if (t === undefined || t.dtype !== 'float32' || t.shape.length < 2) continue;
    const bits = bitsFor(s, [n.name]).w;
    const colMajor = n.op === 'MatMul' || (n.op === 'Gemm' && !n.attrs.transB);
    const [r0, r1] = t.shape as [number, number];
    const d = t.data as Float32Array;
    // Rows = output channels; a [I, O] matrix is quantized column-wise through a transpose.
    const rows = colMajor ? Float64Array.from({ length: d.length }, (_, k) => d[(k % r0) * r1 + Math.floor(k / r0)] as number) : Float64Array.from(d);
    const O = colMajor ? r1 : (t.shape[0] as number);
    const { q, scale } = quantizeSymmetric(rows, O, bits, rounder(s.rounding ?? 'nearest', s.seed ?? 0, `${n.name}/ann`), s.pow2 === true);
    const per = d.length / O;
    const out = new Float32Array(d.length);
    for (let k = 0; k < d.length; k++) {
      const o = Math.floor(k / per);
      const v = (q[k] as number) * (scale[o] as number);
      if (colMajor) out[(k % per) * r1 + o] = v; else out[k] = v;
    }
    const qt: Tensor = { ...t, data: out };
    inits.set(name, qt);
  }
  return { ...g, initializers: inits };
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
    throw fail({ code: 'SNNC_E_USAGE', message: "scheme 'ann-first' needs the ANN, but the model is already converted", hint: 'pass the original ANN, or use the default scheme' });
  }
  const q = quantizeGraph(snn, opts);
  diagnostics.push(...q.diagnostics);
  return { graph: q.graph, program: q.program, memory: memoryReport(q.program), diagnostics, calibration };
}
