// `snnc retrain`: the hardware-aware retraining loop (src/retrain/loop.ts) with compile as
// its measurement — every round is converted, quantized, run on the target's own simulation and
// costed exactly as `snnc compile` would. Here: the checks, and that measurement.
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { backendFor } from '../backends/registry.js';
import type { BackendRecord } from '../backends/registry.js';
import type { ImcTarget } from '../costmodel/target.js';
import { retrainLoop } from '../retrain/loop.js';
import { hardwareCalibration } from '../retrain/hardware-forward.js';
import type { RetrainOptions, RetrainResult } from '../retrain/loop.js';
import { compileModel, resolveTargets } from './compile.js';
import type { CompileResult } from './compile.js';
import { quantizeModel } from './quantize.js';
import { convertModel, isConverted } from './convert.js';
import type { TrainOptions } from '../retrain/train.js';
import { cellRange, DEFAULT_SENSE_DITHER, mapGraph as mapImc, resolveOptions, simulateImc, targetDither } from '../backends/imc/index.js';
import type { DeviceEffects } from '../backends/imc/index.js';
import { fitToModel, loadDatasetSpec, samplesOf } from '../data/spec.js';
import type { Dataset } from '../data/dataset.js';
import { RETRAIN_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

export type { RetrainOptions, RetrainResult, RetrainRound } from '../retrain/loop.js';
export { SPIKE_ACCURACY_SLACK } from '../retrain/loop.js';

/**
 * The measurement of one round: the compile report of the ANN as the target runs it.
 * `conversion`: the semantics the target's backend converts with (Loihi's reset to zero).
 */
async function measure(
  g: Graph,
  opts: RetrainOptions,
  trained: boolean,
  data: Dataset,
  weightBits: number,
  conversion: BackendRecord['conversion'],
  devices: { readonly effects: Readonly<Record<string, number>>; readonly seeds: readonly number[] } | undefined,
): Promise<CompileResult> {
  const n = data.y.length;
  const conv = {
    ...(trained ? { method: 'clip', granularity: 'layer' as const } : {}),
    ...(opts.dataset !== undefined ? { calib: opts.dataset, dataset: opts.dataset } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  // Quantize first when the bits differ from compile's default, so the target runs the
  // integer program with the bits the network was trained for (compile uses a stored program).
  const model = weightBits !== 8 ? quantizeModel(g, { ...conv, ...(conversion ?? {}), bits: { w: weightBits } }).graph : g;
  return compileModel(model, {
    ...conv,
    data,
    targets: [opts.target],
    modelFile: opts.modelFile ?? g.name,
    T: [opts.T],
    n,
    hwSamples: n,
    ...(devices !== undefined ? { devices } : {}),
  });
}

export async function retrainModel(g: Graph, opts: RetrainOptions): Promise<RetrainResult> {
  if (isConverted(g)) throw fail({ code: 'SNNC_E_RETRAIN', message: 'the model is already a converted spiking network', hint: 'retrain the original ANN' });
  checkOptions(RETRAIN_OPTIONS, opts);
  RETRAIN_OPTIONS.T.check(opts.T, 'T');
  const weightBits = opts.weightBits ?? 8;
  const target = resolveTargets([opts.target]);
  if (target.length !== 1) throw fail({ code: 'SNNC_E_RETRAIN', message: 'retrain takes exactly one target', hint: 'e.g. --target loihi2' });
  const tg = target[0];
  const record = backendFor(tg?.kind ?? '');
  if (tg === undefined || record === undefined) {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: `target '${opts.target}' is ${tg !== undefined ? `a${tg.kind === 'ann' ? 'n' : ''} ${tg.kind} target` : 'not a target'}: it has no spiking hardware to train for`,
      hint: 'retrain for loihi1, loihi2, imc-hpadc, imc-adcless, fpga, or a target kind registered with a backend',
    });
  }
  const senseAmps = tg.kind === 'imc' && (tg as ImcTarget).adc.type === 'sense-amp' ? (tg as ImcTarget) : undefined;
  if (opts.senseDither !== undefined && senseAmps === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--sense-dither applies to sense amplifiers; target '${opts.target}' has none`,
      hint: 'retrain for imc-adcless, or leave --sense-dither out',
    });
  }
  if (opts.hardwareForward === true && senseAmps === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--hardware-forward runs training batches on the ADC-less functional simulation; target '${opts.target}' has no sense amplifiers`,
      hint: 'retrain for imc-adcless, or leave --hardware-forward out',
    });
  }
  if (opts.stepByStep === true && senseAmps === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--step-by-step trains binary spikes through sense amplifiers; target '${opts.target}' has none`,
      hint: 'retrain for imc-adcless, or leave --step-by-step out',
    });
  }
  if (opts.stepByStep === true && opts.hardwareForward === true) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: '--step-by-step and --hardware-forward are two training forwards; a batch takes one',
      hint: 'leave one of them out (step by step the training forward already reads what the functional simulation reads)',
    });
  }
  if (opts.progressive === true && senseAmps === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--progressive brings sense amplifiers in layer by layer; target '${opts.target}' has none`,
      hint: 'retrain for imc-adcless, or leave --progressive out',
    });
  }
  if (opts.noise !== undefined && record.parseNoise === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--noise applies to targets with a device model (IMC); target '${opts.target}' has none`,
      hint: 'retrain for imc-hpadc or imc-adcless, or leave --noise out',
    });
  }
  if (opts.deviceSeeds !== undefined && opts.noise === undefined) {
    throw fail({ code: 'SNNC_E_USAGE', message: '--seeds sets how many chips a round is measured on with --noise', hint: 'add --noise, or leave --seeds out' });
  }
  const effects = opts.noise !== undefined && record.parseNoise !== undefined ? record.parseNoise(opts.noise) : undefined;
  // A target file may say how wide its sense amplifiers dither (adc.referenceDither): the width
  // trained for unless --sense-dither says otherwise.
  const fileDither = senseAmps !== undefined ? targetDither(senseAmps) : undefined;
  const run: RetrainOptions = opts.senseDither === undefined && fileDither !== undefined ? { ...opts, senseDither: fileDither } : opts;
  const conversion = record.conversion;
  return retrainLoop(
    g,
    run,
    {
      kind: tg.kind,
      resetToZero: conversion?.reset === 'zero',
      ...(senseAmps !== undefined ? { crossbar: () => Promise.resolve(senseStart(g, run, senseAmps, weightBits)) } : {}),
      ...(effects !== undefined ? { devices: deviceTraining(tg as ImcTarget, effects, weightBits, opts.seed ?? 0) } : {}),
    },
    (graph, trained, data, chips) =>
      measure(graph, run, trained, data, weightBits, conversion, effects !== undefined && chips !== undefined ? { effects, seeds: chips } : undefined),
  );
}

/** The device model a retrain with `--noise` trains against: the effects, and the target's cells (resolveOptions, as the mapping has them). */
function deviceTraining(target: ImcTarget, effects: Readonly<Record<string, number>>, weightBits: number, seed: number): NonNullable<TrainOptions['devices']> {
  const cfg = resolveOptions(target, { weightBits });
  const { lmax, gMinOverStep } = cellRange(cfg);
  return { effects: effects as DeviceEffects, lmax, gMinOverStep, seed, slices: cfg.slices, cellBits: cfg.cellBits };
}

/** Calibration images the starting sense-amplifier references are fitted on (as compile's). */
const SENSE_INIT_IMAGES = 64;

/**
 * The crossbar geometry an ADC-less retrain trains for, and the references it starts from:
 * those compile would calibrate for the model converted with clips where the trainer starts
 * them (the 99.9th percentile per layer).
 */
function senseStart(g: Graph, opts: RetrainOptions, target: ImcTarget, weightBits: number): NonNullable<TrainOptions['crossbar']> {
  const spec = opts.dataset ?? 'mnist';
  const { graph } = convertModel(g, { method: 'percentile:99.9', granularity: 'layer', calib: spec, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const net = mapImc(graph, target, { weightBits });
  const calib = fitToModel(g, loadDatasetSpec(spec, 'train', SENSE_INIT_IMAGES));
  // The conversion's calibration set (compile's: 512 training images), for its input range.
  const convCalib = opts.hardwareForward === true ? hardwareCalibration(fitToModel(g, loadDatasetSpec(spec, 'train', 512))) : undefined;
  const one = samplesOf(calib, 0, 1);
  const r = simulateImc(graph, net, one, { T: opts.T, calibration: { x: calib.x, y: calib.y } });
  const cfg = net.config;
  return {
    geometry: {
      R: cfg.R,
      cellBits: cfg.cellBits,
      weightBits: cfg.weightBits,
      inputBits: cfg.inputBits,
      inputMax: cfg.inputMax,
      // As compile's functional simulation dithers the analog layer's references.
      dither: { steps: opts.T, width: opts.senseDither ?? DEFAULT_SENSE_DITHER },
    },
    init: net.layers.map((m) => r.senseRefs?.[m.layer.name]),
    ...(convCalib !== undefined ? { hardware: { target, T: opts.T, weightBits, calibration: convCalib } } : {}),
  };
}
