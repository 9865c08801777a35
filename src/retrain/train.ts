// Hardware-aware fine-tuning of an ANN with TF.js: the canonical ANN (BatchNorm folded) is
// run by forwardTf with its weights and biases as variables, every neuron activation
// (Relu, Clip(0, a)) replaced by a trainable clip — quantized to L levels (QCFS) when the
// deployment runs few steps — and the weights fake-quantized to the target's bits. The loss
// is cross-entropy, optionally with knowledge distillation from the original ANN at separate
// teacher and student temperatures and a firing-rate penalty (fewer spikes, less energy).
// The result is again a plain ANN: trained weights, each activation a Clip(0, λ)
// (exportGraph), which snnc converts with the clip bounds as thresholds.
import type * as TF from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { SHAPE_ONLY_OPS } from '../ir/types.js';
import { calibrate, neuronSites } from '../passes/calibrate.js';
import type { NeuronSite } from '../passes/calibrate.js';
import { collectingContext } from '../passes/context.js';
import { ANN_PASSES, runPipeline } from '../passes/pipeline.js';
import type { Dataset } from '../data/dataset.js';
import { splitmix32 } from '../sim/snn/rng.js';
import { floats, forwardTf } from './forward.js';
import type { Conv } from './forward.js';
import { clipAt, fakeQuant, qcfs, resetToZeroRate, resetToZeroStep, steRound, subtractStep } from './quantizers.js';
import { hardwareBatch } from './hardware-forward.js';
import type { HardwareBatch, HardwareSpec } from './hardware-forward.js';
import { crossbarConv, crossbarDense, slicesOf, weightScale } from './crossbar.js';
import type { CrossbarGeometry, CrossbarInput, CrossbarMemo, SenseAmps } from './crossbar.js';
import { isSynaptic, rowInput } from '../backends/imc/layers.js';
import { SENSE_META } from '../backends/imc/sense-amp.js';
import { foldAvgPool } from '../passes/fold-avgpool.js';
import { startGradientHelper } from './helper.js';
import { drawCells, drawSeed, drawWeights } from './devices.js';
import type { DeviceTraining } from './devices.js';

type Tf = typeof TF;
type T = TF.Tensor;

export interface TrainOptions {
  /** Adam step of the weights (default 1e-4: fine-tuning a trained network). */
  readonly learningRate?: number;
  /** Adam step of the clips' log-scale (default 1e-2). */
  readonly clipLearningRate?: number;
  /** Shift images by up to this many pixels per sample (seeded; default 2 for images, 0 otherwise). */
  readonly shift?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  /** QCFS levels L of every activation; absent: a plain trainable clip. */
  readonly levels?: number;
  /**
   * Neurons that reset to zero and fire on v > θ (Loihi), run for this many steps; `levels` is
   * ignored. Up to UNROLL_MAX_STEPS steps the network is simulated step by step (surrogate
   * gradients through time); beyond, every activation is that neuron's constant-input rate
   * (resetToZeroRate).
   */
  readonly resetToZeroSteps?: number;
  /** Fake-quantize weights to this many bits (symmetric); absent: float weights. */
  readonly weightBits?: number;
  /**
   * One weight scale per output channel (default: snnc's integer program, the FPGA) or per
   * layer (netx on Loihi, the IMC mapping). The readout always has one.
   */
  readonly perChannel?: boolean;
  /** Knowledge distillation from the original ANN. */
  readonly kd?: { readonly teacherTemp: number; readonly studentTemp: number; readonly weight: number };
  /** Weight of the mean firing rate (activation / λ) in the loss. */
  readonly rateWeight?: number;
  /**
   * Crossbar training: compute half of every batch's gradient on a worker thread (helper.ts)
   * when TF.js runs on WebAssembly or plain JS, which use one core. Either way such a batch's
   * gradient is the count-weighted mean of its two halves', so results do not depend on whether
   * the thread was up.
   */
  readonly helperThread?: boolean;
  /**
   * ADC-less IMC: every synaptic layer's product as the crossbars' sense amplifiers compute it
   * (crossbar.ts), with trainable references and levels per layer and slice, started from
   * `init` (by synaptic layer, in node order: e.g. the calibrated ones); `weightBits` is then
   * the geometry's, applied through the crossbar digits.
   */
  readonly crossbar?: {
    readonly geometry: CrossbarGeometry;
    readonly init?: readonly (SenseInit | undefined)[];
    /** Weight of the same network's loss on ideal crossbars (exact sums, weights on the 8-bit grid); default IDEAL_WEIGHT. */
    readonly ideal?: number;
    /** Run every batch on the functional simulation too and train on its values (hardware-forward.ts). */
    readonly hardware?: HardwareSpec;
    /** Synaptic layers (by index, node order) computed as exact crossbars, weights on the `weightBits` grid (progressive awareness, loop.ts). */
    readonly exact?: readonly number[];
    /** Run the spiking network step by step for this many steps (binary spikes through the sense amplifiers, surrogate gradients through time) instead of the mean-field proxy. */
    readonly steps?: number;
    /** Step by step: images one gradient computation takes at most (measureStepChunk; default: a thread's whole half batch). */
    readonly chunk?: number;
  };
  /**
   * IMC device effects to train against (devices.ts): every training forward draws each
   * synaptic layer's cells anew — through the crossbar digits with `crossbar`, else through
   * the weights' digits on the IMC mapping's grid (one scale per layer, `weightBits`,
   * `slices` digits of `cellBits` bits in differential columns).
   */
  readonly devices?: DeviceTraining & { readonly slices: number; readonly cellBits: number };
}

/**
 * An ADC-less retrain also trains the network as exact crossbars (an HP-ADC target, the float
 * SNN) run it, with this weight: the sense amplifiers' errors alone pull the weights wherever
 * they compensate them, and the model written is the one users also deploy elsewhere. LeNet,
 * 2 rounds of 2,000 images, full test split, without → with: ADC-less 95.66 → 95.51 %, HP-ADC
 * 97.41 → 98.20 %, the float SNN 97.46 → 98.15 % (98.35 and 98.50 % before retraining).
 */
const IDEAL_WEIGHT = 1;

/** Progress of a pass over images (an epoch, a prediction): images done of all. */
type OnBatch = (done: number, total: number) => void;

/** Sense-amplifier references and levels of one layer, per slice. */
export interface SenseInit {
  readonly ref: readonly number[];
  readonly level: readonly number[];
}

/** A trainable activation: the neuron node it replaces, its output value and its clip λ. */
interface Site {
  readonly node: string;
  /** λ = λ0 · exp(ρ): steps in ρ are relative, so one learning rate suits every layer's range. */
  readonly lambda0: number;
  readonly rho: TF.Variable;
}

interface Weight {
  readonly name: string;
  readonly variable: TF.Variable;
  /** Output-channel axis of the stored tensor (fake quantization per channel); -1: a bias. */
  readonly axis: number;
  /** The readout layer: quantized with one scale whatever perChannel says. */
  readonly readout: boolean;
}

export interface Trainer {
  readonly graph: Graph;
  /**
   * Loss and gradient (every trained value, flat in one order) of the first n samples of x, y:
   * half a batch (helper.ts). `draw`: which device draw the forward takes (with `devices`).
   */
  gradients(x: Float32Array, y: Int32Array, n: number, draw?: readonly number[]): { readonly loss: number; readonly flat: Float32Array };
  /** Set every trained value from one flat array in the order of `gradients` (the helper thread follows the trainer). */
  assign(flat: Float32Array): void;
  /** One pass over `data` in a seeded order; returns the mean loss. */
  epoch(data: Dataset, epochIndex: number, onBatch?: OnBatch): number;
  /** Classes the training forward (fake-quantized, clipped) predicts for `data`; `onBatch` as in `epoch`. */
  predict(data: Dataset, onBatch?: OnBatch): Int32Array;
  /**
   * Accuracy of the training forward on `data`: the proxy, not the hardware. Step by step it runs
   * T steps an image (resnet-tiny: ~5 minutes for the loop's 500 images), hence `onBatch`.
   */
  proxyAccuracy(data: Dataset, onBatch?: OnBatch): number;
  /** The current network as a plain ANN graph (trained weights, Clip(0, λ) activations). */
  exportGraph(meta: Readonly<Record<string, string>>): Graph;
  /** Current clip bounds by neuron node. */
  lambdas(): Map<string, number>;
  /** A copy of every trained value. */
  snapshot(): TrainerState;
  /** Go back to a snapshot and continue with the learning rates scaled by `stepScale` (fresh Adam moments). */
  restore(state: TrainerState, stepScale: number): void;
  dispose(): void;
}

/**
 * Reset-to-zero training runs the network step by step up to this many steps (T× the cost of
 * a training step). The constant-input rate (resetToZeroRate) is exact for the first layer
 * only: deeper layers see spike trains, not constant currents, and with it the training proxy
 * and Loihi's bit-accurate simulation parted (LeNet, T = 8, 500 test images: proxy 95.4–96.8 %
 * against 96.2–97.2 % on the hardware, and every round after the first lost on the hardware).
 * Step by step they agree within 0.3 pp (all 2,004 test images, rounds 2–4: 97.01 / 97.16,
 * 97.21 / 97.11, 96.91 / 97.11 %) and later rounds gain. Beyond 16 steps the rate's error is
 * small and the unrolled cost large.
 */
export const UNROLL_MAX_STEPS = 16;

/** |ln(λ/λ0)| at most this. */
const RHO_LIMIT = 1.5;

/** The trained values at one point: weights, biases, and the clips' log-scales. */
export interface TrainerState {
  readonly values: readonly Float32Array[];
}

/** Output-channel axis of a weight initializer as its consumer reads it. */
function weightAxis(n: Node): number {
  if (n.op === 'Conv') return 0;
  if (n.op === 'Gemm') return n.attrs.transB ? 0 : 1;
  return 1; // MatMul B [K, N]
}

/** The canonical ANN a retrain works on: its trainable weights and biases and its neuron activations. */
export interface TrainableAnn {
  readonly graph: Graph;
  readonly weights: readonly { readonly name: string; readonly axis: number; readonly readout: boolean }[];
  readonly biases: readonly string[];
  readonly sites: readonly NeuronSite[];
}

/** The canonical ANN a retrain works on (an error when it has nothing to train). */
export function trainableAnn(g: Graph): TrainableAnn {
  const graph = runPipeline(g, ANN_PASSES, collectingContext()).graph;
  const weights: { name: string; axis: number; readout: boolean }[] = [];
  const biases: string[] = [];
  const seen = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
    const w = n.inputs[1] ?? '';
    if (!graph.initializers.has(w) || seen.has(w)) continue;
    seen.add(w);
    // The readout (a layer whose output is the network's) keeps one scale in every backend,
    // so the argmax of integer sums equals that of the real values: train it that way.
    weights.push({ name: w, axis: weightAxis(n), readout: n.outputs.some((o) => graph.outputs.includes(o)) });
    const b = n.inputs[2] ?? '';
    if ((n.op === 'Conv' || n.op === 'Gemm') && graph.initializers.has(b) && !seen.has(b)) {
      seen.add(b);
      biases.push(b);
    }
  }
  if (weights.length === 0) {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: 'the model has no trainable layer (no Conv, Gemm or MatMul with constant weights)',
      hint: 'retrain needs a network with weights; check the model with snnc inspect',
    });
  }
  const sites = neuronSites(graph);
  if (sites.length === 0) {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: 'the model has no neuron activation (Relu or Clip(0, a)) to train a clip for',
      hint: 'retrain takes ANNs with ReLU activations',
    });
  }
  return { graph, weights, biases, sites };
}

/**
 * Each neuron layer's firing rate summed over the steps of a step-by-step forward, for the rate
 * penalty: `add` once per layer and step, then `pushMeans` pushes the mean over the steps onto
 * `rates`. Without `rates` (no penalty) both do nothing.
 */
function rateTally(tf: Tf, rates: T[] | undefined): { add(key: string, spikes: T, lambda: T): void; pushMeans(steps: number): void } {
  const fired = new Map<string, T>();
  return {
    add(key, spikes, lambda) {
      if (rates === undefined) return;
      const m = tf.mean(tf.div(spikes, lambda));
      const prev = fired.get(key);
      fired.set(key, prev === undefined ? m : tf.add(prev, m));
    },
    pushMeans(steps) {
      for (const f of fired.values()) rates?.push(tf.div(f, steps));
    },
  };
}

export function createTrainer(tf: Tf, ann: TrainableAnn, calib: Dataset, opts: TrainOptions = {}): Trainer {
  const { graph, weights: wInfo, biases } = ann;
  const init = (name: string): Tensor => {
    const t = graph.initializers.get(name);
    if (t === undefined) throw new Error(`initializer '${name}' vanished`);
    return t;
  };
  const weights: Weight[] = [
    ...wInfo.map((w) => ({
      name: w.name,
      axis: w.axis,
      readout: w.readout,
      variable: tf.variable(tf.tensor(floats(init(w.name)), [...init(w.name).shape]), true, `w_${w.name}`),
    })),
    ...biases.map((b) => ({ name: b, axis: -1, readout: false, variable: tf.variable(tf.tensor(floats(init(b)), [...init(b).shape]), true, `b_${b}`) })),
  ];
  // Start each clip where conversion would put the threshold: the 99.9th percentile of the
  // activation on calibration data (or the model's own Clip bound).
  const stats = calibrate(graph, { x: calib.x, y: calib.y, source: calib.name }, { method: { percentile: 99.9 }, granularity: 'layer' });
  const sites: Site[] = ann.sites.map((s) => {
    const lam = s.bound ?? stats.values.get(s.value)?.layer ?? 1;
    return { node: s.node.name, lambda0: lam > 0 ? lam : 1, rho: tf.variable(tf.scalar(0), true, `rho_${s.node.name}`) };
  });
  const lambdaOf = (s: Site): T => tf.mul(tf.exp(s.rho), s.lambda0);
  const lambdaValue = (s: Site): number => s.lambda0 * Math.exp(s.rho.dataSync()[0] ?? 0);
  const byNode = new Map(sites.map((s) => [s.node, s]));
  const byValue = new Map(ann.sites.map((ns, i) => [ns.value, sites[i] as Site]));
  const dev = opts.devices;
  // With device effects the never-used top slice is computed too: its cells can be stuck.
  const xbar =
    opts.crossbar !== undefined && dev !== undefined ? { ...opts.crossbar, geometry: { ...opts.crossbar.geometry, allSlices: true } } : opts.crossbar;
  /** The device draw of the training forward running now (lossGrads); none outside training. */
  let drawAt: readonly number[] | undefined;
  const layerOf = new Map(wInfo.map((w, i) => [w.name, i]));
  /** A synaptic layer's cells as this forward's chip holds them, when one is drawn. */
  const cellsOf = (n: Node): ((digits: T) => T) | undefined => {
    const at = drawAt;
    if (dev === undefined || at === undefined) return undefined;
    const layer = layerOf.get(n.inputs[1] ?? '') ?? -1;
    return (digits) => drawCells(tf, digits, dev, [...at, layer]);
  };
  const senses = new Map<string, { amps: SenseAmps; input: (lambda: (s: Site) => T) => CrossbarInput; exact: boolean }>();
  if (xbar !== undefined) {
    const S = slicesOf(xbar.geometry);
    graph.nodes
      .filter((n) => isSynaptic(graph, n))
      .forEach((n, i) => {
        const init = xbar.init?.[i];
        const ref = Array.from({ length: S }, (_, s) => Math.max(0.5, init?.ref[s] ?? 1.5));
        const level = Array.from({ length: S }, (_, s) => Math.max(0, init?.level[s] ?? 3));
        const amps = { ref: tf.variable(tf.tensor1d(ref), true, `ref_${n.name}`), level: tf.variable(tf.tensor1d(level), true, `level_${n.name}`) };
        senses.set(n.name, { amps, input: crossbarInputOf(graph, n, byValue), exact: xbar.exact?.includes(i) === true });
      });
  }
  // Weights of the layers computed as exact crossbars: on the weightBits grid, as the ideal loss has them.
  const exactWeights = new Set(graph.nodes.filter((n) => senses.get(n.name)?.exact === true).map((n) => n.inputs[1] ?? ''));
  const senseVars = (): TF.Variable[] => [...senses.values()].flatMap((x) => [x.amps.ref, x.amps.level]);
  const round = steRound(tf);
  const perChannel = opts.perChannel ?? true;
  const bits = opts.weightBits;
  const levels = opts.levels;
  const zeroSteps = opts.resetToZeroSteps;
  const unrolled = zeroSteps !== undefined && zeroSteps <= UNROLL_MAX_STEPS;
  // Average pools of spikes that stay pools after conversion are spiking layers on Loihi; the
  // fold-avgpool pass merges the others into the dense layer after them (linear, no neuron).
  const poolNeurons = new Set(
    zeroSteps !== undefined
      ? foldAvgPool(graph)
          .nodes.filter((n) => n.op === 'AveragePool')
          .map((n) => n.name)
      : [],
  );
  /**
   * Step by step on crossbars: dense layers whose input is an average pool of spikes that the
   * fold-avgpool pass merges into them. On the hardware such a layer reads the spikes themselves
   * (k² rows per pooled input, each with the pooled weight's digits), not the bits of the pool's
   * count: the step-by-step forward computes it that way (foldedProduct).
   */
  const foldedInputs = new Map<string, { readonly source: string; readonly k: number; readonly shape: readonly number[] }>();
  if (xbar?.steps !== undefined) {
    const kept = new Set(
      foldAvgPool(graph)
        .nodes.filter((n) => n.op === 'AveragePool')
        .map((n) => n.name),
    );
    const producer = new Map<string, Node>();
    for (const m of graph.nodes) for (const o of m.outputs) producer.set(o, m);
    for (const n of graph.nodes) {
      if (n.op !== 'Gemm' && n.op !== 'MatMul') continue;
      let v = n.inputs[0] ?? '';
      for (let p = producer.get(v); p !== undefined && SHAPE_ONLY_OPS.has(p.op); p = producer.get(v)) v = p.inputs[0] ?? '';
      const pool = producer.get(v);
      if (pool?.op !== 'AveragePool' || kept.has(pool.name)) continue;
      const source = pool.inputs[0] ?? '';
      const shape = graph.values.get(source)?.shape.slice(1) ?? [];
      const k = pool.attrs.kernelShape[0] ?? 1;
      if (byValue.has(source) && shape.length === 3 && shape.every((d) => typeof d === 'number'))
        foldedInputs.set(n.name, { source, k, shape: shape as number[] });
    }
  }
  /** The clip of the neuron whose spikes a pool neuron (poolNeurons) averages. */
  const poolSite = (n: Node): Site | undefined => (poolNeurons.has(n.name) ? byValue.get(n.inputs[0] ?? '') : undefined);
  const lr = opts.learningRate ?? 1e-4;
  const ideal = xbar !== undefined ? (xbar.ideal ?? IDEAL_WEIGHT) : 0;
  let optimizer = tf.train.adam(lr);
  // The clips move in log space with their own, larger step: with the weights' step they
  // would take tens of epochs to find their level.
  const clipLr = opts.clipLearningRate ?? 1e-2;
  let clipOptimizer = tf.train.adam(clipLr);
  const weightVars = (): TF.Variable[] => weights.map((w) => w.variable);
  /** Every trained variable: weights and biases, the clips' log-scales, the sense amplifiers. */
  const trained = (): TF.Variable[] => [...weightVars(), ...sites.map((st) => st.rho), ...senseVars()];
  // Crossbar forwards hold S·2 columns per output and a tensor per input bit plane: smaller batches.
  const batch = opts.batchSize ?? (opts.crossbar !== undefined ? 16 : 64);
  const perSample = calib.x.shape.slice(1) as number[];
  const F = perSample.reduce((a, b) => a * b, 1);
  const xData = (d: Dataset): Float32Array => floats(d.x);
  // Small random shifts: the only augmentation, against overfitting a few thousand images.
  const shift = perSample.length === 3 ? (opts.shift ?? 2) : 0;
  // An image held [H, W, 1] shifts as [1, H, W].
  const [d0, d1, d2] = perSample as [number, number, number];
  const shiftDims: [number, number, number] = channelsLastInput(graph) ? [d2, d0, d1] : [d0, d1, d2];

  /** t + (value − t) with the difference off the tape: the value forward, t's gradient backward. */
  const substitute = (t: T, value: T): T => {
    const d = tf.sub(value, t);
    return tf.add(t, tf.tensor(d.dataSync(), d.shape));
  };
  /** A hardware rate in graph layout [n, C, H, W] or [n, F] as the forward pass holds it (NHWC), in ANN units. */
  const hardwareValue = (rate: Float32Array, like: T, lambda: number): T => {
    const [n, ...rest] = like.shape as number[];
    const t = rest.length === 3 ? tf.transpose(tf.tensor(rate, [n ?? 0, rest[2] ?? 0, rest[0] ?? 0, rest[1] ?? 0]), [0, 2, 3, 1]) : tf.tensor(rate, like.shape);
    return tf.mul(t, lambda);
  };
  const forward = (x: T, rates?: T[], hardware = true, hw?: HardwareBatch): T => {
    const crossbars = xbar !== undefined && hardware;
    const params = new Map<string, T>();
    const at = hardware ? drawAt : undefined;
    for (const w of weights) {
      const onGrid = bits !== undefined && w.axis >= 0 && (!crossbars || exactWeights.has(w.name));
      const q = onGrid ? fakeQuant(tf, w.variable, bits, w.axis, perChannel && !w.readout, round) : w.variable;
      // Device effects on a target trained without its crossbars (HP-ADC): the weights' cells drawn.
      const drawn = onGrid && xbar === undefined && dev !== undefined && at !== undefined;
      params.set(w.name, drawn ? drawWeights(tf, q, weightScale(tf, w.variable, bits), dev.slices, dev.cellBits, dev, [...at, layerOf.get(w.name) ?? -1]) : q);
    }
    if (unrolled) return unrolledForward(x, params, rates);
    if (crossbars && xbar.steps !== undefined && hw === undefined) return crossbarStepForward(x, params, xbar.steps, rates);
    const r = forwardTf(tf, graph, x, {
      params,
      ...(crossbars
        ? {
            product: (n: Node, xs: T, w: T, conv?: Conv): T | undefined => {
              const sense = senses.get(n.name);
              if (sense === undefined || sense.exact) return undefined;
              const input = sense.input(lambdaOf);
              const cells = cellsOf(n);
              return conv !== undefined
                ? crossbarConv(tf, xs, w, conv, input, sense.amps, xbar.geometry, { cells })
                : crossbarDense(tf, xs, w, input, sense.amps, xbar.geometry, { cells });
            },
          }
        : {}),
      activation: (n, v) => {
        const s = byNode.get(n.name);
        if (s === undefined) return undefined;
        const lam = lambdaOf(s);
        const y =
          zeroSteps !== undefined ? resetToZeroRate(tf, v, lam, zeroSteps) : levels !== undefined ? qcfs(tf, v, lam, levels, round) : clipAt(tf, v, lam);
        rates?.push(tf.mean(tf.div(y, lam)));
        const measured = hw?.rates.get(n.name);
        return measured !== undefined ? substitute(y, hardwareValue(measured, y, lambdaValue(s))) : y;
      },
      // On Loihi an average pool of spikes is itself a spiking layer (a sum of the window's
      // spikes against a threshold of k·k spikes, reset to zero): its rate is that neuron's.
      ...(zeroSteps !== undefined
        ? {
            after: (n: Node, y: T): T | undefined => {
              const s = poolSite(n);
              return s !== undefined ? resetToZeroRate(tf, y, lambdaOf(s), zeroSteps, 'ge') : undefined;
            },
          }
        : {}),
    });
    const out = r.outputs.get(graph.outputs[0] ?? '');
    if (out === undefined) throw new Error('forward pass produced no output');
    return hw !== undefined ? substitute(out, tf.tensor(hw.readout, out.shape)) : out;
  };
  /**
   * Reset-to-zero hardware (Loihi) step by step: the network runs T steps from v = 0 with the
   * same input every step, each neuron an IF that resets to zero (resetToZeroStep), an average
   * pool of spikes that conversion keeps a neuron of its own (fires on ≥ λ), and the readout the mean of the output
   * layer over the steps — what the bit-accurate simulation runs (its synaptic delays are
   * compensated there), up to the integer rounding. Gradients through time by the surrogate.
   */
  const unrolledForward = (x: T, params: ReadonlyMap<string, T>, rates?: T[]): T => {
    const steps = zeroSteps ?? 1;
    const mem = new Map<string, T>();
    const fired = rateTally(tf, rates);
    const step = (key: string, current: T, lam: T, fire: 'gt' | 'ge'): T => {
      const r = resetToZeroStep(tf, mem.get(key), current, lam, fire);
      mem.set(key, r.v);
      if (fire === 'gt') fired.add(key, r.out, lam);
      return r.out;
    };
    let sum: T | undefined;
    for (let t = 0; t < steps; t++) {
      const r = forwardTf(tf, graph, x, {
        params,
        activation: (n, v) => {
          const s = byNode.get(n.name);
          return s === undefined ? undefined : step(n.name, v, lambdaOf(s), 'gt');
        },
        after: (n: Node, y: T): T | undefined => {
          const s = poolSite(n);
          return s !== undefined ? step(n.name, y, lambdaOf(s), 'ge') : undefined;
        },
      });
      const out = r.outputs.get(graph.outputs[0] ?? '');
      if (out === undefined) throw new Error('forward pass produced no output');
      sum = sum === undefined ? out : tf.add(sum, out);
    }
    fired.pushMeans(steps);
    return tf.div(sum as T, steps);
  };
  /**
   * ADC-less crossbars step by step: T steps of the converted network — each neuron an IF that
   * resets by subtraction from v = λ/2 and fires on v ≥ λ, its spikes the next layer's rows, each
   * sense amplifier a hard compare of that step's integer partial sum (a surrogate gradient) — and
   * the readout the mean of the output layer over the steps, as the functional simulation runs
   * it. A layer fed the analog input reads the same partial sums every step: its T-step mean
   * (the dithered staircase) is computed once and applied every step.
   */
  const crossbarStepForward = (x: T, params: ReadonlyMap<string, T>, steps: number, rates?: T[]): T => {
    const mem = new Map<string, T>();
    const fired = rateTally(tf, rates);
    const fixed = new Map<string, T>();
    const memos = new Map<string, CrossbarMemo>();
    /** Each neuron layer's spikes this step (λ each, NHWC for maps), for foldedProduct. */
    const spikesOf = new Map<string, T>();
    const expanded = new Map<string, T>();
    /**
     * A dense layer after a folded pool as the hardware computes it: the pooled weight
     * w [c·h·w, O] spread over the unpooled map, B'[(c, y, x), o] = w[(c, ⌊y/k⌋, ⌊x/k⌋), o]/k²
     * (fold-avgpool.ts), applied to that step's spikes in the IR's [C, H, W] order.
     */
    const foldedProduct = (n: Node, w: T, memo: CrossbarMemo, sense: { amps: SenseAmps }): T | undefined => {
      const f = foldedInputs.get(n.name);
      const spikes = f !== undefined ? spikesOf.get(f.source) : undefined;
      const site = f !== undefined ? byValue.get(f.source) : undefined;
      if (f === undefined || spikes === undefined || site === undefined || xbar === undefined) return undefined;
      const [C, H, W] = f.shape as [number, number, number];
      let wide = expanded.get(n.name);
      if (wide === undefined) {
        // Rows and columns past h·k, w·k are the ones the pool drops (weight 0, as fold-avgpool folds them).
        const h = Math.floor(H / f.k);
        const wd = Math.floor(W / f.k);
        const spread = new Float32Array(C * H * W * C * h * wd);
        for (let c = 0; c < C; c++)
          for (let y = 0; y < h * f.k; y++)
            for (let x = 0; x < wd * f.k; x++)
              spread[(c * H * W + y * W + x) * C * h * wd + c * h * wd + Math.floor(y / f.k) * wd + Math.floor(x / f.k)] = 1 / (f.k * f.k);
        wide = tf.matMul(tf.tensor2d(spread, [C * H * W, C * h * wd]), w as TF.Tensor2D);
        expanded.set(n.name, wide);
      }
      const rows = tf.reshape(tf.transpose(spikes, [0, 3, 1, 2]), [-1, C * H * W]);
      return crossbarDense(tf, rows, wide, { kind: 'spike', lambda: lambdaOf(site) }, sense.amps, xbar.geometry, { memo, cells: cellsOf(n) });
    };
    let sum: T | undefined;
    for (let t = 0; t < steps; t++) {
      const r = forwardTf(tf, graph, x, {
        params,
        product: (n: Node, xs: T, w: T, conv?: Conv): T | undefined => {
          const sense = senses.get(n.name);
          if (sense === undefined || sense.exact || xbar === undefined) return undefined;
          const input = sense.input(lambdaOf);
          if (input.kind === 'analog') {
            const known = fixed.get(n.name);
            if (known !== undefined) return known;
          }
          const exactInput = input.kind === 'count' ? { ...input, exact: true } : input;
          let memo = memos.get(n.name);
          if (memo === undefined) {
            memo = { tiles: new Map() };
            memos.set(n.name, memo);
          }
          const folded = conv === undefined ? foldedProduct(n, w, memo, sense) : undefined;
          if (folded !== undefined) return folded;
          const y =
            conv !== undefined
              ? crossbarConv(tf, xs, w, conv, exactInput, sense.amps, xbar.geometry, { memo, cells: cellsOf(n) })
              : crossbarDense(tf, xs, w, exactInput, sense.amps, xbar.geometry, { memo, cells: cellsOf(n) });
          if (input.kind === 'analog') fixed.set(n.name, y);
          return y;
        },
        activation: (n, v) => {
          const s = byNode.get(n.name);
          if (s === undefined) return undefined;
          const lam = lambdaOf(s);
          const r = subtractStep(tf, mem.get(n.name) ?? tf.mul(lam, 0.5), v, lam);
          mem.set(n.name, r.v);
          spikesOf.set(n.outputs[0] ?? '', r.out);
          fired.add(n.name, r.out, lam);
          return r.out;
        },
      });
      const out = r.outputs.get(graph.outputs[0] ?? '');
      if (out === undefined) throw new Error('forward pass produced no output');
      sum = sum === undefined ? out : tf.add(sum, out);
    }
    fired.pushMeans(steps);
    return tf.div(sum as T, steps);
  };
  // The teacher: the original canonical ANN, float, unclipped.
  const teacher = (x: T): T => {
    const out = forwardTf(tf, graph, x).outputs.get(graph.outputs[0] ?? '');
    if (out === undefined) throw new Error('forward pass produced no output');
    return out;
  };
  const K = Number(graph.values.get(graph.outputs[0] ?? '')?.shape[1] ?? 0);

  /** The current network as a plain ANN graph (exportGraph; the hardware forward's model too). */
  const exportAnn = (meta: Readonly<Record<string, string>>): Graph => {
    const initializers = new Map(graph.initializers);
    const values = new Map(graph.values);
    const fresh = (base: string): string => {
      let name = base;
      for (let i = 1; values.has(name) || initializers.has(name); i++) name = `${base}_${i}`;
      values.set(name, { name, dtype: 'float32', shape: [] });
      return name;
    };
    for (const w of weights) {
      const v = w.variable.dataSync() as Float32Array;
      initializers.set(w.name, { dtype: 'float32', shape: [...init(w.name).shape], data: Float32Array.from(v) });
    }
    const nodes: Node[] = graph.nodes.map((n) => {
      const s = byNode.get(n.name);
      if (s === undefined) return n;
      const lam = lambdaValue(s);
      const lo = fresh(`${n.name}_clip_min`);
      const hi = fresh(`${n.name}_clip_max`);
      initializers.set(lo, { dtype: 'float32', shape: [], data: Float32Array.of(0) });
      initializers.set(hi, { dtype: 'float32', shape: [], data: Float32Array.of(lam) });
      return { name: n.name, op: 'Clip', attrs: {}, inputs: [n.inputs[0] ?? '', lo, hi], outputs: [...n.outputs] } as Node;
    });
    const sense =
      xbar !== undefined
        ? {
            [SENSE_META]: JSON.stringify({
              rows: xbar.geometry.R,
              cellBits: xbar.geometry.cellBits,
              weightBits: xbar.geometry.weightBits,
              dither: xbar.geometry.dither?.width ?? 0,
              layers: [...senses.values()].map(({ amps }) => ({ ref: [...amps.ref.dataSync()], level: [...amps.level.dataSync()] })),
            }),
          }
        : {};
    return { ...graph, nodes, values, initializers, meta: { ...graph.meta, ...meta, ...sense } };
  };

  /** The loss of the first n samples of xb, yb and its gradients (inside the caller's tidy). */
  const lossGrads = (xb: Float32Array, yb: Int32Array, n: number, draw?: readonly number[]): { value: TF.Scalar; grads: TF.NamedTensorMap } => {
    const x = tf.tensor(xb.subarray(0, n * F), [n, ...perSample]);
    const labels = tf.oneHot(tf.tensor1d(yb.subarray(0, n), 'int32'), K);
    const soft = opts.kd !== undefined ? tf.softmax(tf.div(teacher(x), opts.kd.teacherTemp)) : undefined;
    const spec = xbar?.hardware;
    const hw =
      spec !== undefined
        ? hardwareBatch(
            exportAnn({}),
            spec,
            { dtype: 'float32', shape: [n, ...perSample], data: xb.slice(0, n * F) },
            yb.slice(0, n),
            dev !== undefined && draw !== undefined ? { effects: dev.effects, seed: drawSeed(dev.seed, draw) } : undefined,
          )
        : undefined;
    return tf.variableGrads(() => {
      const rates: T[] = [];
      // The forward on the hardware draws the chip; the ideal one below stays ideal.
      drawAt = dev !== undefined ? draw : undefined;
      let logits: T;
      try {
        logits = forward(x, rates, true, hw);
      } finally {
        drawAt = undefined;
      }
      let l: T = tf.losses.softmaxCrossEntropy(labels, logits);
      if (ideal > 0) l = tf.add(l, tf.mul(tf.losses.softmaxCrossEntropy(labels, forward(x, undefined, false)), ideal));
      if (opts.kd !== undefined && soft !== undefined) {
        const { studentTemp: ts, teacherTemp: tt, weight } = opts.kd;
        // Cross-entropy of the student's tempered distribution against the teacher's,
        // scaled by ts·tt so its gradient keeps the size of the hard loss (Hinton's T²
        // with two temperatures).
        const ce = tf.neg(tf.mean(tf.sum(tf.mul(soft, tf.logSoftmax(tf.div(logits, ts))), 1)));
        l = tf.add(tf.mul(l, 1 - weight), tf.mul(ce, weight * ts * tt));
      }
      if ((opts.rateWeight ?? 0) > 0 && rates.length > 0) l = tf.add(l, tf.mul(tf.addN(rates), (opts.rateWeight ?? 0) / rates.length));
      return l as TF.Scalar;
    }, trained());
  };
  /** lossGrads as numbers: the loss, and every gradient flat in trained() order (a half batch: helper.ts). */
  const gradientsOf = (xb: Float32Array, yb: Int32Array, n: number, draw?: readonly number[]): { loss: number; flat: Float32Array } =>
    withinMemory(xbar?.steps, () =>
      tf.tidy(() => {
        const { value, grads } = lossGrads(xb, yb, n, draw);
        const flat = new Float32Array(size);
        let o = 0;
        for (const v of trained()) {
          const g = grads[v.name];
          if (g !== undefined) flat.set(g.dataSync() as Float32Array, o);
          o += v.size;
        }
        return { loss: value.dataSync()[0] ?? 0, flat };
      }),
    );
  // Step by step, a thread's images in chunks that fit TF.js's WebAssembly heap (measureStepChunk);
  // every term of the loss is a mean over the images, so the chunks' count-weighted mean is the
  // whole's. (The hardware forward, which step by step excludes, simulates a whole call on one chip.)
  const chunk = xbar?.steps !== undefined && xbar.hardware === undefined && xbar.chunk !== undefined ? Math.max(1, Math.floor(xbar.chunk)) : Infinity;
  const gradients = (xb: Float32Array, yb: Int32Array, n: number, draw?: readonly number[]): { loss: number; flat: Float32Array } => {
    if (n <= chunk) return gradientsOf(xb, yb, n, draw);
    let loss = 0;
    const flat = new Float32Array(size);
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      const r = gradientsOf(xb.subarray(i * F), yb.subarray(i), m, draw);
      loss += (m * r.loss) / n;
      for (let j = 0; j < flat.length; j++) flat[j] = (flat[j] as number) + (m * (r.flat[j] as number)) / n;
    }
    return { loss, flat };
  };
  /** One optimizer step with these gradients (by variable name), then the bounds on clips and references. */
  const applyGrads = (grads: TF.NamedTensorMap): void => {
    tf.tidy(() => {
      const named = (vs: readonly TF.Variable[]): { name: string; tensor: T }[] => vs.map((v) => ({ name: v.name, tensor: grads[v.name] as T }));
      optimizer.applyGradients(named(weightVars()));
      clipOptimizer.applyGradients(named([...sites.map((st) => st.rho), ...senseVars()]));
    });
    // Keep every clip within a factor of e^1.5 ≈ 4.5 of where calibration put it. The
    // straight-through gradient cannot see a neuron fall silent (a clip so large that the
    // layer stops firing within T steps): LeNet on loihi2 died in one round without this.
    for (const st of sites) {
      const r = st.rho.dataSync()[0] ?? 0;
      if (Math.abs(r) > RHO_LIMIT) st.rho.assign(tf.scalar(Math.sign(r) * RHO_LIMIT));
    }
    // A reference below half a count fires on an empty column; a negative level flips a slice.
    for (const { amps } of senses.values()) {
      tf.tidy(() => {
        amps.ref.assign(tf.maximum(amps.ref, 0.5));
        amps.level.assign(tf.maximum(amps.level, 0));
      });
    }
  };
  const applyFlat = (flat: Float32Array): void => {
    const grads: TF.NamedTensorMap = {};
    let o = 0;
    for (const v of trained()) {
      grads[v.name] = tf.tensor(flat.subarray(o, o + v.size), v.shape);
      o += v.size;
    }
    applyGrads(grads);
    for (const g of Object.values(grads)) g.dispose();
  };
  const size = trained().reduce((a, v) => a + v.size, 0);
  const flatValues = (): Float32Array => {
    const out = new Float32Array(size);
    let o = 0;
    for (const v of trained()) {
      out.set(v.dataSync() as Float32Array, o);
      o += v.size;
    }
    return out;
  };
  const assign = (flat: Float32Array): void => {
    let o = 0;
    for (const v of trained()) {
      v.assign(tf.tensor(flat.subarray(o, o + v.size), v.shape));
      o += v.size;
    }
  };
  // Only crossbar training is split: its cost grows with the samples. A plain step's is mostly
  // TF.js's fixed cost per op — LeNet, batch 64: 0.7 ms per image whole, 1.4 in two halves
  // (0.95 with the helper thread) — against 47 → 35 ms per image for an ADC-less LeNet.
  const halves = xbar !== undefined && batch >= 2;
  const helper =
    halves && opts.helperThread === true && tf.getBackend() !== 'tensorflow'
      ? startGradientHelper(
          { ann, calib, opts: { ...opts, helperThread: false }, backend: tf.getBackend() },
          size,
          (batch - (batch >> 1)) * F,
          batch - (batch >> 1),
        )
      : undefined;

  const predict = (data: Dataset, onBatch?: OnBatch): Int32Array => {
    const xs = xData(data);
    const out = new Int32Array(data.y.length);
    const per = xbar !== undefined ? Math.min(batch, chunk) : 256;
    for (let i = 0; i < out.length; i += per) {
      const m = Math.min(out.length, i + per) - i;
      out.set(
        tf.tidy(() => tf.argMax(forward(tf.tensor(xs.subarray(i * F, (i + m) * F), [m, ...perSample])), 1).dataSync()),
        i,
      );
      onBatch?.(i + m, out.length);
    }
    return out;
  };

  return {
    graph,
    gradients,
    assign,
    epoch(data, epochIndex, onBatch) {
      const n = data.y.length;
      const rnd = splitmix32((opts.seed ?? 0) * 1000003 + epochIndex);
      const order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
      }
      const xs = xData(data);
      let total = 0;
      let batches = 0;
      // Fewer images than a batch: one batch of them (the tail of a larger set is left to the
      // next epoch's shuffle, as before; a set smaller than a batch trained nothing).
      const size = Math.min(batch, n);
      const xb = new Float32Array(size * F);
      const yb = new Int32Array(size);
      for (let b0 = 0; size > 0 && b0 + size <= n; b0 += size) {
        for (let k = 0; k < size; k++) {
          const s = order[b0 + k] as number;
          if (shift > 0) {
            const dx = Math.floor(rnd() * (2 * shift + 1)) - shift;
            const dy = Math.floor(rnd() * (2 * shift + 1)) - shift;
            shifted(xs, s, xb, k, shiftDims, dx, dy);
          } else {
            xb.set(xs.subarray(s * F, (s + 1) * F), k * F);
          }
          yb[k] = data.y[s] as number;
        }
        if (!halves || size < 2) {
          const loss = tf.tidy(() => {
            const { value, grads } = lossGrads(xb, yb, size, [epochIndex, b0 / size, 0]);
            applyGrads(grads);
            return value;
          });
          total += loss.dataSync()[0] ?? 0;
          loss.dispose();
          batches++;
          onBatch?.(b0 + size, n);
          continue;
        }
        // Crossbar batches in two halves: the second on the helper thread when it is up.
        const h = size >> 1;
        const rest = size - h;
        // Each half its own device draw (a chip of its own), whichever thread computes it.
        const draw = (half: number): number[] => [epochIndex, b0 / size, half];
        const posted = helper?.post(flatValues, xb.subarray(h * F), yb.subarray(h), rest, draw(1)) === true;
        const a = gradients(xb, yb, h, draw(0));
        const b = (posted ? helper?.collect() : undefined) ?? gradients(xb.subarray(h * F), yb.subarray(h), rest, draw(1));
        for (let i = 0; i < b.flat.length; i++) b.flat[i] = (h * (a.flat[i] as number) + rest * (b.flat[i] as number)) / size;
        total += (h * a.loss + rest * b.loss) / size;
        applyFlat(b.flat);
        batches++;
        onBatch?.(b0 + size, n);
      }
      return batches > 0 ? total / batches : 0;
    },
    predict,
    proxyAccuracy(data, onBatch) {
      const pred = predict(data, onBatch);
      let ok = 0;
      for (let i = 0; i < pred.length; i++) if (pred[i] === data.y[i]) ok++;
      return pred.length > 0 ? ok / pred.length : 0;
    },
    exportGraph: exportAnn,
    lambdas() {
      return new Map(sites.map((s) => [s.node, lambdaValue(s)]));
    },
    snapshot() {
      return { values: trained().map((v) => Float32Array.from(v.dataSync() as Float32Array)) };
    },
    restore(state, stepScale) {
      trained().forEach((v, i) => v.assign(tf.tensor(state.values[i] ?? new Float32Array(v.size), v.shape)));
      optimizer.dispose();
      clipOptimizer.dispose();
      optimizer = tf.train.adam(lr * stepScale);
      clipOptimizer = tf.train.adam(clipLr * stepScale);
    },
    dispose() {
      helper?.dispose();
      try {
        for (const w of weights) w.variable.dispose();
        for (const s of sites) s.rho.dispose();
        for (const v of senseVars()) v.dispose();
        optimizer.dispose();
        clipOptimizer.dispose();
      } catch (e) {
        // A backend that ran out of memory (withinMemory) cannot free anything either; the
        // error that stopped training is the one to report, not this one.
        if (!outOfMemory(e)) throw e;
      }
    },
  };
}

/** wasm32's whole address space, which TF.js's WebAssembly heap cannot grow past. */
const HEAP_BYTES = 2 ** 32;
/** What one step-by-step gradient computation may take of it: LeNet's four images at T = 32 (3.06 GB by tf.profile) ran, its eight did not. */
const CHUNK_BUDGET = 0.8 * HEAP_BYTES;
/** The two step counts (and one and two images) measureStepChunk profiles for T ≥ 4: a fraction of the memory of T steps. */
const PROBE_STEPS = [2, 4] as const;

/**
 * Images a step-by-step gradient computation can take at once, measured rather than guessed:
 * the backward pass keeps every step's partial sums of every spike-fed crossbar layer, which no
 * rule of thumb sizes across networks (at T = 32, tf.profile's peak for one image and the cost of
 * each more: the MLP ~0.47 + 0.02 GB, LeNet 1.71 + 0.45 GB, resnet-tiny 2.35 + ~1.7 GB). Memory
 * is linear in the steps and the images (LeNet and resnet-tiny profiled at T = 4, 8, 16, 32: the
 * line through 4 and 8 meets 32 within 1 %; through 2 and 4, LeNet at 12 within 0.2 %, tested),
 * so trainers of its own (no helper thread: each thread has a heap of the same size) profile the
 * gradient of one and of two images of `sample` at PROBE_STEPS steps — a fraction of the real
 * run's memory — and the line gives the peak at T steps for any number of images: the chunk is
 * as many as fit CHUNK_BUDGET. Measuring at T itself could not be undone: WebAssembly that runs
 * out of heap aborts the whole TF.js module. One image that cannot fit on the wasm backend stops
 * here with SNNC_E_RETRAIN, before training allocates anything (tfjs-node's memory has no such
 * wall: there the same budget only sizes the chunk, at least one image).
 * Deterministic: the same ops allocate the same bytes. Async only because tf.profile is.
 */
export async function measureStepChunk(tf: Tf, ann: TrainableAnn, calib: Dataset, opts: TrainOptions, sample: Dataset): Promise<number> {
  const m = await stepMemory(tf, ann, calib, opts, sample);
  if (m === undefined) return Infinity;
  if (m.one > CHUNK_BUDGET && tf.getBackend() === 'wasm') {
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: `one image's ${m.steps} steps need about ${(m.one / 1e9).toFixed(1)} GB for the backward pass step by step (every step of every crossbar layer is kept), more than the ${(CHUNK_BUDGET / 1e9).toFixed(1)} GB a computation can count on in TF.js's WebAssembly heap of ${HEAP_BYTES / 2 ** 30} GiB`,
      hint: "leave --step-by-step out (the mean-field proxy needs one step of memory; --hardware-forward also trains on the hardware's values), or retrain for fewer steps (--T)",
    });
  }
  if (!(m.perImage > 0)) return Infinity;
  return Math.max(1, Math.floor((CHUNK_BUDGET - m.one) / m.perImage) + 1);
}

/**
 * The peak bytes of a step-by-step gradient of one image at the trainer's steps, and what each
 * more image adds: tf.profile's peaks for one and two images of `sample` at PROBE_STEPS,
 * extended along the line (measureStepChunk). Undefined when not step by step or with fewer
 * than two sample images.
 */
export async function stepMemory(
  tf: Tf,
  ann: TrainableAnn,
  calib: Dataset,
  opts: TrainOptions,
  sample: Dataset,
): Promise<{ steps: number; one: number; perImage: number } | undefined> {
  const xbar = opts.crossbar;
  if (xbar?.steps === undefined || xbar.hardware !== undefined || sample.y.length < 2) return undefined;
  const T = xbar.steps;
  const x = floats(sample.x);
  /** tf.profile's peak for one and for two images at `steps` steps. */
  const peaks = async (steps: number): Promise<[number, number]> => {
    const trainer = createTrainer(tf, ann, calib, { ...opts, helperThread: false, crossbar: { ...xbar, steps, chunk: 2 } });
    try {
      const peak = async (n: number): Promise<number> => {
        try {
          return (await tf.profile(() => void trainer.gradients(x, sample.y, n))).peakBytes;
        } catch (e) {
          // tf.profile leaves the engine recording every later kernel when its function throws.
          tf.engine().state.profiling = false;
          throw e;
        }
      };
      return [await peak(1), await peak(2)];
    } finally {
      trainer.dispose();
    }
  };
  // Fewer than 4 steps: the probes stay at or just above T (the line is the same).
  const [t1, t2] = T >= PROBE_STEPS[1] ? PROBE_STEPS : [1, 2];
  const [a1, b1] = await peaks(t1);
  const [a2, b2] = await peaks(t2);
  const at = (u: number, v: number): number => u + ((v - u) * (T - t1)) / (t2 - t1);
  return { steps: T, one: at(a1, a2), perImage: at(b1 - a1, b2 - a2) };
}

/** A WebAssembly heap exhausted (TF.js's wasm backend: a trap or an abort), or an allocation JavaScript refused. */
function outOfMemory(e: unknown): boolean {
  return (e instanceof Error && e.name === 'RuntimeError') || (e instanceof RangeError && /alloc|memory/i.test(e.message));
}

/**
 * f(), with running out of memory reported as what it is. Step by step (steps given) the
 * backward pass needs every step's partial sums of every crossbar layer: resnet-tiny at T = 32
 * does not fit TF.js's WebAssembly heap in batches of 16 images, nor of 4.
 */
function withinMemory<R>(steps: number | undefined, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (!outOfMemory(e)) throw e;
    throw fail({
      code: 'SNNC_E_RETRAIN',
      message: `training ran out of memory computing a batch's gradient${steps !== undefined ? ` step by step (${steps} steps of every crossbar layer are kept for the backward pass)` : ''}`,
      hint:
        steps !== undefined
          ? "leave --step-by-step out (the mean-field proxy needs one step of memory; --hardware-forward also trains on the hardware's values), or retrain for fewer steps (--T)"
          : "the model is too large for TF.js's WebAssembly heap: install @tensorflow/tfjs-node (used when present), or retrain a smaller model",
    });
  }
}

/**
 * What drives a synaptic layer's rows on the crossbars: the IMC backend's own rule (rowInput)
 * asked on the ANN, where a neuron's output — or a max pool of it, a spike max pool after
 * conversion — carries spikes, with the clip of that neuron as their value.
 */
function crossbarInputOf(g: Graph, n: Node, sites: ReadonlyMap<string, Site>): (lambda: (s: Site) => T) => CrossbarInput {
  const producer = new Map<string, Node>();
  for (const m of g.nodes) for (const o of m.outputs) producer.set(o, m);
  const siteOf = (v: string): Site | undefined => {
    const p = producer.get(v);
    return sites.get(v) ?? (p?.op === 'MaxPool' ? sites.get(p.inputs[0] ?? '') : undefined);
  };
  const { kind, source } = rowInput(
    g,
    (v) => producer.get(v),
    (v) => siteOf(v) !== undefined,
    n.inputs[0] ?? '',
  );
  const site = siteOf(source ?? '');
  if (kind.kind === 'analog' || site === undefined) return () => ({ kind: 'analog' });
  if (kind.kind === 'spike') return (lambda) => ({ kind: 'spike', lambda: lambda(site) });
  const k = kind.k;
  return (lambda) => ({ kind: 'count', k, lambda: lambda(site) });
}

/**
 * A Keras model's one-channel NHWC input [N, H, W, 1], made NCHW by its first node (the Reshape
 * canonicalization makes of its Transpose when C = 1; with more channels the Transpose stays, and
 * the training forward does not take it): the training shifts must move along its first two axes
 * — shifting it as [C, H, W] would slide every image off a width of 1.
 */
function channelsLastInput(g: Graph): boolean {
  const x = g.inputs[0] ?? '';
  const s = g.values.get(x)?.shape ?? [];
  const first = g.nodes.find((n) => n.inputs[0] === x);
  if (s.length !== 4 || s[3] !== 1 || first?.op !== 'Reshape') return false;
  const o = g.values.get(first.outputs[0] ?? '')?.shape ?? [];
  return o.length === 4 && o[1] === 1 && o[2] === s[1] && o[3] === s[2];
}

/** Copy sample s ([C, H, W]) into slot k, moved by (dx, dy) pixels with zero fill. */
function shifted(src: Float32Array, s: number, dst: Float32Array, k: number, [C, H, W]: [number, number, number], dx: number, dy: number): void {
  const F = C * H * W;
  dst.fill(0, k * F, (k + 1) * F);
  const c0 = Math.max(0, dx);
  const c1 = Math.min(W, W + dx);
  if (c1 <= c0) return;
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < H; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= H) continue;
      const from = s * F + c * H * W + sr * W;
      dst.set(src.subarray(from + c0 - dx, from + c1 - dx), k * F + c * H * W + r * W + c0);
    }
  }
}
