// `snnc retrain`: the hardware-aware retraining loop (src/retrain/loop.ts) with compile as
// its measurement — every round is converted, quantized, run on the target's own simulation and
// costed exactly as `snnc compile` would. Here: the checks, and that measurement.
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { backendFor } from '../backends/registry.js';
import type { BackendRecord } from '../backends/registry.js';
import type { ImcTarget } from '../costmodel/target.js';
import { retrainLoop } from '../retrain/loop.js';
import type { RetrainOptions, RetrainResult } from '../retrain/loop.js';
import { compileModel, resolveTargets } from './compile.js';
import type { CompileResult } from './compile.js';
import { quantizeModel } from './quantize.js';
import { isConverted } from './convert.js';
import { RETRAIN_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

export type { RetrainOptions, RetrainResult, RetrainRound } from '../retrain/loop.js';

/**
 * The measurement of one round: the compile report of the ANN as the target runs it.
 * `conversion`: the semantics the target's backend converts with (Loihi's reset to zero).
 */
async function measure(g: Graph, opts: RetrainOptions, trained: boolean, weightBits: number, conversion: BackendRecord['conversion']): Promise<CompileResult> {
  const n = opts.hwSamples ?? 500;
  const conv = {
    ...(trained ? { method: 'clip', granularity: 'layer' as const } : {}),
    ...(opts.dataset !== undefined ? { calib: opts.dataset, dataset: opts.dataset } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  // Quantize first when the bits differ from compile's default, so the target runs the
  // integer program with the bits the network was trained for (compile uses a stored program).
  const model = weightBits !== 8 ? quantizeModel(g, { ...conv, ...(conversion ?? {}), bits: { w: weightBits } }).graph : g;
  return compileModel(model, { ...conv, targets: [opts.target], modelFile: opts.modelFile ?? g.name, T: [opts.T], n, hwSamples: n });
}

export async function retrainModel(g: Graph, opts: RetrainOptions): Promise<RetrainResult> {
  if (isConverted(g)) throw fail({ code: 'SNNC_E_RETRAIN', message: 'the model is already a converted spiking network', hint: 'retrain the original ANN' });
  checkOptions(RETRAIN_OPTIONS, opts);
  RETRAIN_OPTIONS.T.check(opts.T, 'T');
  const weightBits = opts.weightBits ?? 8;
  const target = resolveTargets([opts.target]);
  if (target.length !== 1) throw fail({ code: 'SNNC_E_RETRAIN', message: 'retrain takes exactly one target', hint: 'e.g. --target loihi2' });
  const tg = target[0];
  if (tg?.kind === 'imc' && (tg as ImcTarget).adc.type === 'sense-amp') {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: `target '${tg.name}' reads crossbar columns with 1-bit sense amplifiers; snnc has no training method for them yet (the ADC-less co-design of the seed paper)`,
      hint: 'retrain for imc-hpadc, loihi2 or fpga, or compile the model as it is',
    });
  }
  const conversion = backendFor(tg?.kind ?? '')?.conversion;
  return retrainLoop(g, opts, { kind: tg?.kind ?? '', resetToZero: conversion?.reset === 'zero' }, (graph, trained) =>
    measure(graph, opts, trained, weightBits, conversion),
  );
}
