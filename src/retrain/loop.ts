// The hardware-aware retraining loop. Each round trains the ANN for a few epochs with the
// target's constraints in the forward pass (train.ts), exports it as a plain ANN (Clip(0, λ)
// activations), and has it measured the way `snnc compile` would — converted with the trained
// clips as thresholds, quantized to the trained bits, run by the target's own simulation and
// costed (the caller's `measure`: src/api/retrain.ts passes compile) — so the accuracy that
// decides is the hardware's, never the training proxy's. The loop stops when the budget holds,
// when rounds fall clearly behind the best, or after the last round; it returns the best round's model.
import { DEFAULT_SENSE_DITHER } from '../backends/imc/sense-amp.js';
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { Dataset } from '../data/dataset.js';
import { firstOf, fitToModel, hasTestSplit, holdOut, loadDatasetSpec, samplesOf } from '../data/spec.js';
import type { OutputFile } from '../io/atomic.js';
import type { Budget, BudgetMiss } from '../report/budget.js';
import { checkBudget } from '../report/budget.js';
import type { CompileReport } from '../report/types.js';
import type { Distillation } from '../options/declarations.js';
import { createTrainer, measureStepChunk, trainableAnn, UNROLL_MAX_STEPS } from './train.js';
import type { TrainableAnn, TrainerState, TrainOptions } from './train.js';
import { initTf } from './tf.js';
import { isSynaptic } from '../backends/imc/layers.js';

export interface RetrainOptions {
  /** One target: a bundled name or a target JSON file. */
  readonly target: string;
  /** Time steps the network is deployed for. */
  readonly T: number;
  readonly budget?: Budget;
  /** Training rounds, each followed by a hardware measurement (default 3). */
  readonly rounds?: number;
  /** Epochs per round (default 2; 1 for targets trained through their crossbars, imc-adcless). */
  readonly epochsPerRound?: number;
  /** QCFS levels (default: T when T ≤ 16, else a plain trainable clip). 0: plain clip. */
  readonly levels?: number;
  /** Weight bits to train for (and deploy with); default 8, what compile quantizes to. */
  readonly weightBits?: number;
  /**
   * ADC-less IMC: width of the reference dither of layers with a static input to train (and
   * deploy) for, in levels (default 1; 0: fixed references). Kept in the model's metadata.
   */
  readonly senseDither?: number;
  /** ADC-less IMC: every training batch also runs on the functional simulation, whose values the loss sees (hardware-forward.ts). */
  readonly hardwareForward?: boolean;
  /** ADC-less IMC: train the spiking network step by step (T steps of binary spikes through the sense amplifiers) instead of the mean-field proxy. */
  readonly stepByStep?: boolean;
  /**
   * ADC-less IMC: before the rounds, bring the sense amplifiers in one synaptic layer at a time
   * (stage k: the first k layers read through them, the rest exact), each stage one pass over
   * its share of the training images (progressiveStages).
   */
  readonly progressive?: boolean;
  /**
   * IMC device non-idealities (`--noise` syntax, e.g. "program=3,stuck=0.01"): training draws
   * every synaptic layer's cells anew each batch (src/retrain/devices.ts), and every round is
   * measured as the mean over `deviceSeeds` chips.
   */
  readonly noise?: string;
  /** Chips (device seeds 0 … n − 1) each round is measured on with `noise` (default 2); the check takes the next n. */
  readonly deviceSeeds?: number;
  readonly kd?: Distillation;
  readonly rateWeight?: number;
  /** Adam step of the weights (default 1e-4; 1e-3 for 2-bit weights; 5e-4 for reset-to-zero neurons run step by step). */
  readonly learningRate?: number;
  /** Adam step of the clips' log-scale (default 1e-2). */
  readonly clipLearningRate?: number;
  /** 'mnist' (embedded: the train split trains, the test split measures) or a .npz path (both, hwSamples held out of training). */
  readonly dataset?: string;
  /** Training images per epoch (default: the whole train split; CROSSBAR_TRAIN_SAMPLES for imc-adcless). */
  readonly trainSamples?: number;
  /** Images every round is measured on (default 500; retrainSplit says which). */
  readonly hwSamples?: number;
  /**
   * Test images after those the chosen round is measured on once more (the embedded MNIST;
   * default hwSamples, 0: none). The rest of the split (1,504 after 500) gives the bench's figure.
   */
  readonly checkSamples?: number;
  readonly seed?: number;
  readonly modelFile?: string;
  /** Keep the best round's compile output (files) in the result. */
  readonly keepFiles?: boolean;
  readonly onRound?: (r: RetrainRound) => void;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface RetrainRound {
  /** 0: the model as given, converted as compile converts it (at 8-bit weights on an ADC-less target; with the granularity an IMC or Loihi target chooses); 1…: after each training round. */
  readonly round: number;
  readonly epochs: number;
  readonly loss: number | null;
  /** Accuracy of the training forward pass on the measured images (what training optimizes). */
  readonly proxyAccuracy: number | null;
  /** Accuracy on the target's hardware simulation (or its float SNN when it has none). */
  readonly accuracy: number | null;
  readonly energyJ: number | null;
  readonly latencyS: number | null;
  readonly spikesPerSample: number;
  readonly budgetMet: boolean;
  readonly misses: readonly BudgetMiss[];
}

export interface RetrainResult {
  /** The best round's ANN (round 0: the input model itself, canonicalized). */
  readonly graph: Graph;
  readonly rounds: readonly RetrainRound[];
  readonly best: number;
  readonly budgetMet: boolean;
  /** The compile report of the best round. */
  readonly report: CompileReport;
  /** The compile output of the best round (report.*, model.snn.onnx, the target's files) when `keepFiles`. */
  readonly files: readonly OutputFile[];
  readonly settings: {
    readonly target: string;
    readonly T: number;
    readonly levels: number;
    readonly weightBits: number;
    readonly method: string;
    /** What every round trained on (e.g. `1 epoch of 2000 training images`): the defaults depend on the target. */
    readonly trainedOn: string;
    /** The images every round was measured on (e.g. `mnist:test, first 500`; retrainSplit). */
    readonly measuredOn: string;
    /** With `noise`: the device effects trained against, and the chips (device seeds) the rounds and the check were measured on. */
    readonly devices?: { readonly effects: Readonly<Record<string, number>>; readonly seeds: readonly number[]; readonly checkSeeds: readonly number[] };
    /**
     * What chose among the rounds meeting the budget: the accuracy, or — with a rate penalty or a
     * student cooler than its teacher — the fewest spikes (within 0.2 pp of the model as given
     * when the budget has no accuracy limit).
     */
    readonly chosenFor: 'accuracy' | 'spikes';
    /**
     * With `chosenFor: 'spikes'` and no accuracy limit in the budget: the accuracy a round had
     * to keep to be chosen for its spikes, the model as given's less 0.2 pp (as a fraction).
     */
    readonly spikeFloor?: number;
  };
  /**
   * The chosen round's accuracy on the target, measured once more on images that chose no round
   * (the embedded MNIST: the next `checkSamples` test images); absent for a .npz file, whose
   * held-out images all choose.
   */
  readonly checked?: { readonly accuracy: number | null; readonly on: string };
}

/** The report's row of the target trained for (the one that is not the ANN baseline). */
function targetRow(report: CompileReport): CompileReport['targets'][number] | undefined {
  return report.targets.find((r) => r.kind !== 'ann');
}

function roundOf(round: number, epochs: number, report: CompileReport, budget: Budget, loss: number | null, proxy: number | null): RetrainRound {
  const t = targetRow(report);
  const misses = checkBudget(report, budget);
  return {
    round,
    epochs,
    loss,
    proxyAccuracy: proxy,
    accuracy: t?.accuracy ?? null,
    energyJ: t?.energyJ ?? null,
    latencyS: t?.latencyS ?? null,
    spikesPerSample: report.accuracy.snn[report.accuracy.snn.length - 1]?.spikesPerSample ?? 0,
    budgetMet: misses.length === 0,
    misses,
  };
}

/**
 * With a rate penalty the user asks for fewer spikes; without an accuracy limit in the budget,
 * a round may then lose at most this much accuracy against the model as given.
 */
export const SPIKE_ACCURACY_SLACK = 0.002;

/** Chips each round is measured on with device effects (`deviceSeeds`), and as many others for the check. */
const DEVICE_SEEDS = 2;

/** Training images per epoch when the target trains through its crossbars (imc-adcless) and --train-samples is not given. */
const CROSSBAR_TRAIN_SAMPLES = 2000;

/**
 * Better: meets the budget, then fewer failed limits; when spikes are the goal, then within the
 * accuracy floor, then fewer spikes; then higher accuracy, then higher proxy accuracy, then less energy.
 */
function better(a: RetrainRound, b: RetrainRound, spikes: boolean, floor: number | undefined): boolean {
  if (a.budgetMet !== b.budgetMet) return a.budgetMet;
  if (a.misses.length !== b.misses.length) return a.misses.length < b.misses.length;
  if (spikes) {
    const okA = floor === undefined || (a.accuracy ?? 0) >= floor;
    const okB = floor === undefined || (b.accuracy ?? 0) >= floor;
    if (okA !== okB) return okA;
    if (okA && a.spikesPerSample !== b.spikesPerSample) return a.spikesPerSample < b.spikesPerSample;
  }
  const da = (a.accuracy ?? 0) - (b.accuracy ?? 0);
  if (Math.abs(da) > 1e-9) return da > 0;
  // The same hardware accuracy: the training forward's on the same images breaks the tie (Loihi
  // at T = 8, seed 1: rounds 1, 2 and 4 all at 97.8 % on 500 images, proxy 97.2, 97.4, 97.6 %;
  // by energy the least-trained round 1 won, 96.66 % on all 2,004).
  const dp = (a.proxyAccuracy ?? -1) - (b.proxyAccuracy ?? -1);
  if (a.proxyAccuracy !== null && b.proxyAccuracy !== null && Math.abs(dp) > 1e-9) return dp > 0;
  return (a.energyJ ?? Infinity) < (b.energyJ ?? Infinity);
}

/**
 * Whether round a, not better than b, is only as much worse as measuring on n images can make
 * a model look: by at most one standard error of b's accuracy, √(p(1 − p)/n) — 0.66 pp at 97.8 %
 * on 500 images — with the budget not deciding. Such a round is no evidence that training went
 * astray: the loop trains on from it (LeNet on loihi2 at T = 8, seed 1: rounds of 97.8, 97.8 and
 * 97.6 % on 500 images sent it back to round 1 and stopped it, 96.66 % on all 2,004). The same
 * when spikes decide too: LeNet, fpga, KD teacher=8,student=2, seed 1, round 1 at 98.0 % with
 * 28 % fewer spikes, below the floor of 98.2 % by less than the noise, had sent the loop back to
 * the model as given, which it then kept.
 */
function withinNoise(a: RetrainRound, b: RetrainRound, n: number): boolean {
  if (a.budgetMet !== b.budgetMet || a.misses.length !== b.misses.length) return false;
  if (a.accuracy === null || b.accuracy === null || n <= 0) return false;
  return b.accuracy - a.accuracy <= Math.sqrt((b.accuracy * (1 - b.accuracy)) / n);
}

/**
 * The training images, and the images every round is measured on, which training never sees:
 * the embedded MNIST's first n test images (its train split trains; the example models were
 * trained on all of it, so a slice of it would flatter the model as given), or, for a .npz file
 * (one file is both splits), n images spread over the file and held out of training — before,
 * such a file's rounds were measured on images they had trained on. The images that choose the
 * round favour it (the MLP's ADC-less bench row: 96.8 % there, 95.81 % on the other test
 * images), so figures of the result belong on other images (the bench: test images n onwards):
 * `check`, the next `checkSamples` (default n) test images (fewer where the split ends; none for
 * a .npz file), on which the loop measures the chosen round once more. Calibration statistics
 * (no labels) may include held-out images.
 */
export function retrainSplit(
  g: Graph,
  spec: string,
  n: number,
  trainSamples: number | undefined,
  checkSamples = n,
): { readonly train: Dataset; readonly probe: Dataset; readonly check?: Dataset } {
  if (hasTestSplit(spec)) {
    const test = loadDatasetSpec(spec, 'test', n + checkSamples);
    const m = Math.min(n, test.y.length);
    const end = test.y.length;
    return {
      train: fitToModel(g, loadDatasetSpec(spec, 'train', trainSamples)),
      probe: fitToModel(g, { ...samplesOf(test, 0, m), name: `${test.name}, first ${m}` }),
      ...(end > m ? { check: fitToModel(g, { ...samplesOf(test, m, end), name: `${test.name}, images ${m}–${end - 1}` }) } : {}),
    };
  }
  const all = loadDatasetSpec(spec, 'train');
  if (n >= all.y.length) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--hw-samples ${n} leaves no training images: '${all.name}' has ${all.y.length}, and the images a round is measured on are held out of training`,
      hint: `hold out fewer (e.g. --hw-samples ${Math.max(1, Math.floor(all.y.length / 5))})`,
    });
  }
  const { rest, held } = holdOut(all, n);
  return { train: fitToModel(g, firstOf(rest, trainSamples ?? rest.y.length)), probe: fitToModel(g, held) };
}

/**
 * What one measurement gives: the compile report of the ANN as the target runs it, and its
 * files. `chips`: with device effects, the device seeds to average over.
 */
export type Measure = (
  g: Graph,
  trained: boolean,
  data: Dataset,
  chips?: readonly number[],
) => Promise<{ readonly report: CompileReport; readonly files: readonly OutputFile[] }>;

/** The target as the loop needs it: its kind, and whether its neurons reset to zero (Loihi). */
export interface LoopTarget {
  readonly kind: string;
  readonly resetToZero: boolean;
  /** ADC-less IMC: the crossbar geometry and the starting references (see createTrainer). */
  readonly crossbar?: () => Promise<NonNullable<TrainOptions['crossbar']>>;
  /** With `noise`: the device model to train against (its effects parsed, the cells' range). */
  readonly devices?: NonNullable<TrainOptions['devices']>;
}

export async function retrainLoop(g: Graph, opts: RetrainOptions, tg: LoopTarget, measure: Measure): Promise<RetrainResult> {
  const rounds = opts.rounds ?? 3;
  // Training through crossbars costs tens of plain forwards per image: their default is the
  // bench's, one epoch of 2,000 images a round (LeNet on imc-adcless: 97.21 % in 5 minutes,
  // where every image twice a round would take half an hour).
  const crossbarTrained = tg.crossbar !== undefined;
  const epochs = opts.epochsPerRound ?? (crossbarTrained ? 1 : 2);
  const trainSamples = opts.trainSamples ?? (crossbarTrained ? CROSSBAR_TRAIN_SAMPLES : undefined);
  const weightBits = opts.weightBits ?? 8;
  const levels = opts.levels ?? (opts.T <= 16 ? opts.T : 0);
  // Hardware whose neurons reset to zero (Loihi) trains that neuron: step by step up to 16
  // steps, its constant-input rate beyond (train.ts, UNROLL_MAX_STEPS).
  const resetToZero = tg.resetToZero;
  const unrolled = resetToZero && opts.T <= UNROLL_MAX_STEPS;
  const ann = trainableAnn(g); // fails now, before any measurement, when there is nothing to train
  const budget = opts.budget ?? [];
  const spec = opts.dataset ?? 'mnist';
  const { train: trainSet, probe, check } = retrainSplit(g, spec, opts.hwSamples ?? 500, trainSamples, opts.checkSamples);
  const calib: Dataset = fitToModel(g, loadDatasetSpec(spec, 'train', 512));

  // A rate penalty asks for fewer spikes, and so does a student temperature below the teacher's
  // (heterogeneous KD, the seed's spike lever).
  const penalty = (opts.rateWeight ?? 0) > 0;
  const coolStudent = opts.kd !== undefined && opts.kd.studentTemp < opts.kd.teacherTemp;
  // A cooler student asks for logits smaller than the teacher's. With trainable clips the
  // cheapest way there is lower clips, which raise every rate (LeNet, fpga, T = 32, KD
  // teacher=4,student=1: 15.6 k → 28.1 k spikes per sample); with the clips held it is smaller
  // weights, hence lower rates (11.5 k). A rate penalty works through the clips (3.0 k with them
  // trainable, 13.7 k held), so with one they stay trainable.
  const clipLearningRate = opts.clipLearningRate ?? (coolStudent && !penalty ? 0 : undefined);
  const held = clipLearningRate === 0 ? ', clips held' : '';
  const method = [
    resetToZero
      ? unrolled
        ? `reset-to-zero IF neurons step by step (T=${opts.T}, surrogate gradient${held})`
        : `reset-to-zero rate (T=${opts.T}${held})`
      : levels > 0
        ? `qcfs(L=${levels}${held})`
        : held !== ''
          ? 'clip held'
          : 'trainable clip',
    tg.crossbar !== undefined
      ? `crossbar products through 1-bit sense amplifiers (${opts.stepByStep === true ? `step by step: ${opts.T} steps of binary spikes, surrogate gradients` : 'mean-field'}, trainable references; analog layer's reference dither ${opts.senseDither ?? DEFAULT_SENSE_DITHER}), weights in ${weightBits}-bit digits${opts.hardwareForward === true ? ', every batch forward on the functional simulation (its values, the gradient of the proxy)' : ''}${opts.progressive === true ? ', brought in layer by layer before the rounds' : ''}`
      : `weights fake-quantized to ${weightBits} bits`,
    ...(opts.kd !== undefined ? [`KD (teacher T=${opts.kd.teacherTemp}, student T=${opts.kd.studentTemp}, weight ${opts.kd.weight})`] : []),
    ...((opts.rateWeight ?? 0) > 0 ? [`rate penalty ${opts.rateWeight ?? 0}`] : []),
    ...(tg.devices !== undefined
      ? [
          `device effects ${opts.noise ?? ''}: cells drawn anew every training batch${(tg.devices.effects.readNoise ?? 0) > 0 ? ', read noise only in the measurement' : ''}`,
        ]
      : []),
  ].join(', ');
  // Rounds are measured on chips 0 … n − 1 and choose among themselves; the check takes other chips.
  const nChips = tg.devices !== undefined ? (opts.deviceSeeds ?? DEVICE_SEEDS) : 0;
  const chips = Array.from({ length: nChips }, (_, i) => i);
  const checkChips = chips.map((c) => c + nChips);
  const meta = {
    'snnc.retrain.target': opts.target,
    'snnc.retrain.T': String(opts.T),
    'snnc.retrain.method': method,
    'snnc.retrain.weightBits': String(weightBits),
    ...(opts.noise !== undefined && tg.devices !== undefined ? { 'snnc.retrain.noise': opts.noise } : {}),
  };

  opts.onProgress?.('measure', 0, 1);
  const firstRun = await measure(g, false, probe, chips);
  const first = firstRun.report;
  const status = targetRow(first);
  if (status?.status !== 'ok') {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: `target '${opts.target}' cannot run this model: ${status?.note ?? 'no result'}`,
      hint: 'retrain for a target that can run it (snnc compile --target all shows which)',
    });
  }
  const log: RetrainRound[] = [roundOf(0, 0, first, budget, null, null)];
  opts.onRound?.(log[0] as RetrainRound);
  let bestRound = log[0] as RetrainRound;
  let bestGraph = g;
  let bestReport = first;
  let bestFiles = opts.keepFiles === true ? firstRun.files : [];

  // Fewer spikes asked for: train even when the budget already holds.
  const spikes = penalty || coolStudent;
  const floor = spikes && !budget.some((l) => l.metric === 'accuracy') ? (bestRound.accuracy ?? 0) - SPIKE_ACCURACY_SLACK : undefined;
  if (!bestRound.budgetMet || budget.length === 0 || spikes) {
    const tf = await initTf();
    const crossbar0 = await tg.crossbar?.();
    const crossbar = crossbar0 !== undefined && opts.stepByStep === true ? { ...crossbar0, steps: opts.T } : crossbar0;
    const untilSized: TrainOptions = {
      ...(crossbar !== undefined ? { crossbar } : {}),
      ...(levels > 0 ? { levels } : {}),
      ...(resetToZero ? { resetToZeroSteps: opts.T } : {}),
      weightBits,
      // Loihi (netx) and the IMC mapping quantize each layer with one weight scale; the integer
      // program (FPGA, custom targets) per output channel.
      perChannel: tg.kind !== 'loihi' && tg.kind !== 'imc',
      ...(opts.kd !== undefined ? { kd: opts.kd } : {}),
      ...(opts.rateWeight !== undefined ? { rateWeight: opts.rateWeight } : {}),
      // Fine-tuning steps (1e-4) are too small to re-learn a net whose weights become ternary
      // (2-bit LeNet: 76.8 % after three rounds at 1e-4, 97.2 % at 1e-3), and 1e-3 is too
      // coarse for 3 bits (98.4 % at 1e-4, 98.2 % at 1e-3; 500 test images). Reset-to-zero
      // neurons run step by step are a spiking network trained through time: LeNet on loihi2 at
      // T = 8, 4 rounds of 2 epochs, best round on all 2,004 test images: 1e-4 97.16 %,
      // 5e-4 97.60 %, 1e-3 97.36 %.
      learningRate: opts.learningRate ?? (weightBits <= 2 ? 1e-3 : unrolled ? 5e-4 : 1e-4),
      ...(clipLearningRate !== undefined ? { clipLearningRate } : {}),
      seed: opts.seed ?? 0,
      helperThread: true,
      ...(tg.devices !== undefined ? { devices: tg.devices } : {}),
    };
    // Step by step, how many images a thread's gradient takes at once (the heap holds every step).
    let trainOpts = untilSized;
    if (crossbar?.steps !== undefined && crossbar.hardware === undefined) {
      opts.onProgress?.('memory per image', 0, 1);
      const chunk = await measureStepChunk(tf, ann, calib, untilSized, samplesOf(trainSet, 0, Math.min(2, trainSet.y.length)));
      opts.onProgress?.('memory per image', 1, 1);
      if (Number.isFinite(chunk)) trainOpts = { ...untilSized, crossbar: { ...crossbar, chunk } };
    }
    // Progressive awareness runs first, on trainers of its own (TF.js names the variables: one
    // trainer at a time); the rounds' trainer goes on from where its stages ended.
    const staged = opts.progressive === true ? progressiveStages(tf, ann, calib, trainOpts, trainSet, opts.onProgress) : undefined;
    const trainer = createTrainer(tf, ann, calib, trainOpts);
    try {
      let stale = 0;
      // The model as given: what a round worse than it goes back to.
      let best = trainer.snapshot();
      if (staged !== undefined) trainer.restore(staged, 1);
      let stepScale = 1;
      for (let r = 1; r <= rounds; r++) {
        let loss = 0;
        for (let e = 0; e < epochs; e++) {
          loss = trainer.epoch(trainSet, (r - 1) * epochs + e, (done, total) => opts.onProgress?.(`round ${r} epoch ${e + 1}/${epochs}`, done, total));
        }
        const proxy = trainer.proxyAccuracy(probe, (done, total) => opts.onProgress?.(`round ${r} training proxy`, done, total));
        const graph = trainer.exportGraph(meta);
        opts.onProgress?.('measure', 0, 1);
        const run = await measure(graph, true, probe, chips);
        const report = run.report;
        const row = roundOf(r, r * epochs, report, budget, loss, proxy);
        log.push(row);
        opts.onRound?.(row);
        if (better(row, bestRound, spikes, floor)) {
          bestRound = row;
          bestGraph = graph;
          bestReport = report;
          if (opts.keepFiles === true) bestFiles = run.files;
          best = trainer.snapshot();
          stale = 0;
        } else if (!withinNoise(row, bestRound, probe.y.length)) {
          // Worse on the hardware: go back to the best model and take smaller steps from there.
          stale++;
          stepScale /= 2;
          trainer.restore(best, stepScale);
        }
        if (budget.length > 0 && row.budgetMet && !spikes) break;
        // Two rounds clearly worse than the best: more of the same will not help.
        if (stale >= 2) break;
      }
    } finally {
      trainer.dispose();
    }
  }
  // The chosen round once more, on images that chose nothing: its figure on the probe is biased
  // upward by the choice (see retrainSplit), this one is not.
  let checked: RetrainResult['checked'];
  if (check !== undefined) {
    opts.onProgress?.('check', 0, 1);
    const t = targetRow((await measure(bestGraph, bestRound.round > 0, check, checkChips)).report);
    checked = { accuracy: t?.accuracy ?? null, on: check.name };
    opts.onProgress?.('check', 1, 1);
  }
  return {
    graph: bestGraph,
    rounds: log,
    best: bestRound.round,
    budgetMet: bestRound.budgetMet,
    report: bestReport,
    files: bestFiles,
    settings: {
      target: opts.target,
      T: opts.T,
      levels,
      weightBits,
      method,
      trainedOn: `${epochs} epoch${epochs === 1 ? '' : 's'} of ${trainSet.y.length} training images`,
      measuredOn: probe.name,
      chosenFor: spikes ? 'spikes' : 'accuracy',
      ...(floor !== undefined ? { spikeFloor: floor } : {}),
      ...(tg.devices !== undefined
        ? { devices: { effects: tg.devices.effects as Readonly<Record<string, number>>, seeds: chips, checkSeeds: checkChips } }
        : {}),
    },
    ...(checked !== undefined ? { checked } : {}),
  };
}

/**
 * Progressively increasing hardware awareness (Apolinario et al. 2023, the ADC-less seed: the
 * network adapts to the sense amplifiers' errors better when they come in gradually): with L
 * synaptic layers, stages k = 1 … L − 1 train with the first k layers read through the sense
 * amplifiers and the others as exact crossbars (in the proxy and, with the hardware forward, in
 * the functional simulation too); the rounds that follow are stage L, every layer on the
 * hardware. Stage k takes the k-th of L − 1 equal slices of the training images, so the stages
 * together cost one pass. Returns the trained values after the last stage (none without crossbars).
 */
function progressiveStages(
  tf: Awaited<ReturnType<typeof initTf>>,
  ann: TrainableAnn,
  calib: Dataset,
  trainOpts: TrainOptions,
  trainSet: Dataset,
  onProgress: RetrainOptions['onProgress'],
): TrainerState | undefined {
  const crossbar = trainOpts.crossbar;
  if (crossbar === undefined) return undefined;
  const L = ann.graph.nodes.filter((n) => isSynaptic(ann.graph, n)).length;
  const n = trainSet.y.length;
  let state: TrainerState | undefined;
  for (let k = 1; k < L; k++) {
    const exact = Array.from({ length: L - k }, (_, i) => k + i);
    const hardware = crossbar.hardware !== undefined ? { hardware: { ...crossbar.hardware, idealLayers: exact } } : {};
    const trainer = createTrainer(tf, ann, calib, { ...trainOpts, crossbar: { ...crossbar, exact, ...hardware } });
    try {
      if (state !== undefined) trainer.restore(state, 1);
      const a = Math.floor(((k - 1) * n) / (L - 1));
      const b = Math.floor((k * n) / (L - 1));
      if (b > a) {
        const slice = samplesOf(trainSet, a, b);
        trainer.epoch(slice, -k, (done, total) => onProgress?.(`stage ${k}/${L - 1}`, done, total));
      }
      state = trainer.snapshot();
    } finally {
      trainer.dispose();
    }
  }
  return state;
}
