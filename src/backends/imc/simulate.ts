// Functional simulation of a converted graph as mapped onto IMC crossbars: a small
// step loop of its own (src/sim/snn is not modified) that runs every mapped synaptic layer
// through imcAffine (quantized weights, bit slicing, partial-sum conversion, device
// effects), the neurons through the simulator's own update (neurons.ts, spike-maxpool.ts),
// and every other op (pooling, flatten, …) through the ANN kernels.
// Values that do not depend on time (direct coding: the input and the first, analog layer)
// are computed once per sample — but for sense amplifiers whose references such a layer
// dithers over the steps (senseDither; sense-amp.ts): it then runs once per phase, and what
// depends on it every step; read noise of a layer computed once is drawn once per sample.
import { SPIKING_OPS } from '../../ir/types.js';
import { checkMemory } from '../../ir/memory.js';
import { takeRange } from '../../ir/slice.js';
import { fail } from '../../errors.js';
import { DEFAULT_MAX_ELEMENTS } from '../../ir/dtype.js';
import type { Graph, Node, Tensor } from '../../ir/types.js';
import type { Kernel } from '../../sim/ann/kernel.js';
import { KERNELS } from '../../sim/ann/table.js';
import { initNeurons, neuronParams, stepNeurons } from '../../sim/snn/neurons.js';
import { releaseMembranes } from '../../sim/snn/wasm/scatter.js';
import type { NeuronState } from '../../sim/snn/neurons.js';
import { planGraph } from '../../sim/snn/plan.js';
import { poissonStep } from '../../sim/snn/rng.js';
import { initMaxPool, maxPoolPlan, stepMaxPool } from '../../sim/snn/spike-maxpool.js';
import type { MaxPoolState } from '../../sim/snn/spike-maxpool.js';
import type { SimData } from '../../sim/snn/types.js';
import type { DeviceEffects } from './devices.js';
import { effectiveLevels, hasDeviceEffects, makeRng } from './devices.js';
import { cellRange } from './options.js';
import type { Converter, LayerProgram } from './functional.js';
import { adcConverter, adcStep, losslessConverter } from './functional.js';
import { programmedLevels } from './mapping.js';
import type { MappedLayer, MappedNetwork } from './mapping.js';
import type { SenseAmpRefs, SenseReference } from './sense-amp.js';
import { ditherOffsets, ditheredRefs, fitRampRefs, fitRefs, fixedRefs, newHistograms } from './sense-amp.js';
import { runMapped } from './run-layer.js';

export interface ImcSimOptions {
  readonly T: number;
  readonly batchSize?: number;
  /** Seed of Poisson coding and of every device draw (default 0). */
  readonly seed?: number;
  readonly devices?: DeviceEffects;
  /** 'target' (default): the target's ADC or sense amplifiers; 'ideal': lossless conversion. */
  readonly conversion?: 'target' | 'ideal';
  readonly senseReference?: SenseReference;
  /** Samples for the 'calibrated' sense-amplifier references (required for it). */
  readonly calibration?: SimData;
  /**
   * Width of the reference dither of sense amplifiers whose layer input is the same every step,
   * in units of the slice's level (default 0: fixed references). Compile passes the width a
   * retrained model was trained for (trainedDither); `snnc retrain` trains for DEFAULT_SENSE_DITHER.
   */
  readonly senseDither?: number;
  /** Mapped layers (by index) whose columns convert losslessly whatever the target says (progressive hardware awareness). */
  readonly idealLayers?: readonly number[];
  /** Spikes of every spiking node at every step, [B, ...] for samples first..first+B−1. */
  readonly onSpikes?: (node: string, t: number, first: number, spikes: Float32Array) => void;
}

export interface ImcSimResult {
  readonly samples: number;
  readonly T: number;
  readonly accuracyPerStep: number[];
  readonly predictions: Int32Array;
  /** Readout summed over all T steps, [N · classes]. */
  readonly readout: Float64Array;
  /** Spikes per sample of each spiking node, summed over steps. */
  readonly spikes: { readonly name: string; readonly perSample: Float64Array }[];
  /** The sense-amplifier references used, per mapped layer (ADC-less only). */
  readonly senseRefs?: Record<string, { ref: number[]; level: number[] }>;
  /** Calibration images the references were fitted on ('calibrated' references only). */
  readonly calibrationImages?: number;
}

/**
 * Column partial sums the sense-amplifier calibration may read (2^30): the first images of
 * the calibration set, as many as fit (at least one). Every LeNet-size net keeps all 64
 * (LeNet: 14 M per image at T = 32); a CIFAR ResNet-18 (560 M per image at T = 16) keeps one,
 * which still gives every column thousands of partial sums to fit its reference on.
 */
const CALIBRATION_READS = 2 ** 30;

/** How many of `available` calibration images the references are fitted on (see CALIBRATION_READS). */
export function calibrationImageCount(g: Graph, net: MappedNetwork, T: number, available: number): number {
  return Math.max(1, Math.min(available, Math.floor(CALIBRATION_READS / Math.max(1, readsPerImage(g, net, T)))));
}

/** Column partial sums one image costs: per mapped layer reads × columns × row tiles × input bit planes, × T unless static. */
function readsPerImage(g: Graph, net: MappedNetwork, T: number): number {
  const plan = planGraph(g);
  const kinds = new Map(g.nodes.map((n, i) => [n.name, plan.nodeKinds[i]]));
  let total = 0;
  for (const m of net.layers) {
    const L = m.layer;
    const planes = m.maxCodePerRead > 1 ? 1 : m.inputBits;
    const work = L.groups * L.positions * m.dataCols * Math.ceil(L.rows / net.config.R) * planes;
    total += kinds.get(L.name) === 'dynamic' ? T * work : work;
  }
  return total;
}

function programFor(net: MappedNetwork, m: MappedLayer, index: number, converter: Converter, dev: DeviceEffects, seed: number): LayerProgram {
  const cfg = net.config;
  const { lmax, step, gMinOverStep } = cellRange(cfg);
  const rng = makeRng(seed, 1, index);
  const effects = hasDeviceEffects(dev);
  const readSigma = (dev.readNoise ?? 0) * (cfg.gMax / step);
  // A layer that runs as popcount products (run-layer.ts gemmApplies, inputs one bit per read)
  // needs only the bit planes of its programmed levels, which the simulation makes from q: its
  // program keeps no levels (a CIFAR VGG-16's are 240 MB per target).
  const popcount = !effects && readSigma === 0 && m.polarity === 2 && m.maxCodePerRead <= 1;
  const eff = popcount
    ? undefined
    : m.q.map((_, grp) => {
        const l = programmedLevels(m, cfg, grp);
        return effects ? effectiveLevels(l, lmax, gMinOverStep, dev, rng) : l;
      });
  const rows = m.layer.rows;
  const offEff =
    m.polarity === 1
      ? m.q.map(() => {
          const ones = new Uint8Array(m.colTilesPerGroup * rows).fill(1);
          return effects ? effectiveLevels(ones, lmax, gMinOverStep, dev, rng) : ones;
        })
      : [];
  const exact = !effects && readSigma === 0 && losslessConverter(converter, m);
  return {
    m,
    R: cfg.R,
    cellBits: cfg.cellBits,
    slices: cfg.slices,
    weightBits: cfg.weightBits,
    ...(eff !== undefined ? { eff } : {}),
    offEff,
    converter,
    readSigma,
    exact,
  };
}

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

/** Run the mapped network; returns accuracy per step, predictions and spike counts. */
export function simulateImc(g: Graph, net: MappedNetwork, data: SimData, opts: ImcSimOptions): ImcSimResult {
  if (!Number.isInteger(opts.T) || opts.T <= 0) throw usage(`T = ${opts.T} is not a positive integer`, 'pass a number of time steps such as 32');
  const seed = opts.seed ?? 0;
  const dev = opts.devices ?? {};
  const devSeed = dev.seed ?? seed;
  const cfg = net.config;
  const ideal = opts.conversion === 'ideal';
  let senseRefs: Record<string, { ref: number[]; level: number[] }> | undefined;
  let calibrationImages: number | undefined;
  const converters = new Map<string, Converter>();
  if (ideal) {
    for (const m of net.layers) converters.set(m.layer.name, { kind: 'ideal' });
  } else if (cfg.periphery === 'adc') {
    for (const m of net.layers) converters.set(m.layer.name, adcConverter(cfg.adcBits, adcStep(m, cfg.adcBits)));
  } else {
    const how = opts.senseReference ?? 'calibrated';
    if (typeof how === 'number' && !(how > 0 && Number.isFinite(how)))
      throw usage(`sense-amplifier reference ${how} is not a positive number`, 'pass a reference in cell-level units, e.g. 2');
    const dither = opts.senseDither ?? 0;
    if (!(dither >= 0 && Number.isFinite(dither)))
      throw usage(`sense-amplifier dither ${dither} is not a number ≥ 0`, 'pass 0 (fixed references) or a width such as 1');
    senseRefs = {};
    let refs: Map<string, { ref: Float64Array; level: Float64Array }>;
    if (typeof how === 'object') refs = new Map(how.trained);
    else if (how === 'calibrated') {
      const fit = calibrateSenseAmps(g, net, opts);
      refs = fit.refs;
      calibrationImages = fit.images;
    } else refs = new Map(net.layers.map((m) => [m.layer.name, fixedRefs(m, cfg.R, cfg.cellBits, cfg.slices, how)]));
    for (const m of net.layers) {
      const r = refs.get(m.layer.name);
      if (r === undefined) continue;
      converters.set(m.layer.name, { kind: 'sense-amp', ref: r.ref, level: r.level });
      senseRefs[m.layer.name] = { ref: [...r.ref], level: [...r.level] };
    }
  }
  for (const i of opts.idealLayers ?? []) {
    const m = net.layers[i];
    if (m === undefined)
      throw usage(`idealLayers: ${i} is not a mapped layer's index`, `the network has ${net.layers.length} mapped layers, 0 … ${net.layers.length - 1}`);
    converters.set(m.layer.name, { kind: 'ideal' });
  }
  const programs = new Map<string, LayerProgram>();
  net.layers.forEach((m, i) => programs.set(m.layer.name, programFor(net, m, i, converters.get(m.layer.name) as Converter, dev, devSeed)));
  const res = runLoop(g, programs, data, opts, seed);
  return { ...res, ...(senseRefs !== undefined ? { senseRefs } : {}), ...(calibrationImages !== undefined ? { calibrationImages } : {}) };
}

function calibrateSenseAmps(
  g: Graph,
  net: MappedNetwork,
  opts: ImcSimOptions,
): { refs: Map<string, { ref: Float64Array; level: Float64Array }>; images: number } {
  const given = opts.calibration;
  if (given === undefined) {
    throw usage(
      'ADC-less simulation with calibrated sense-amplifier references needs calibration samples',
      "pass calibration data (e.g. a slice of the train split), or senseReference 'half-max' or a number",
    );
  }
  const images = calibrationImageCount(g, net, opts.T, given.y.length);
  const calib: SimData = { x: takeRange(given.x, 0, images), y: given.y.subarray(0, images) };
  const cfg = net.config;
  const programs = new Map<string, LayerProgram>();
  const hists = new Map<string, Float64Array[]>();
  net.layers.forEach((m, i) => {
    const h = newHistograms(m, cfg.R, cfg.cellBits, cfg.slices);
    hists.set(m.layer.name, h);
    const p = programFor(net, m, i, { kind: 'ideal' }, {}, 0);
    programs.set(m.layer.name, { ...p, histograms: h });
  });
  runLoop(g, programs, calib, { T: opts.T, ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}) }, opts.seed ?? 0);
  // A layer whose input repeats every step dithers its references when asked (ditheredPrograms):
  // its sums are fitted for the ramp the dither makes, every other layer for one compare.
  const width = opts.senseDither ?? 0;
  const kinds = planGraph(g).nodeKinds;
  const ramp = new Set(width > 0 && opts.T > 1 ? g.nodes.filter((_, i) => kinds[i] !== 'dynamic').map((n) => n.name) : []);
  const fit = (name: string, h: readonly Float64Array[]): SenseAmpRefs => (ramp.has(name) ? fitRampRefs(h, width, opts.T) : fitRefs(h));
  return { refs: new Map([...hists].map(([name, h]) => [name, fit(name, h)])), images };
}

/**
 * Per phase, the program of each static layer read through sense amplifiers, with that phase's
 * references (ditheredRefs), by node name; none when the width is 0 or T = 1.
 */
function ditheredPrograms(
  g: Graph,
  kinds: readonly string[],
  programs: ReadonlyMap<string, LayerProgram>,
  T: number,
  width: number,
): Map<string, { readonly node: Node; readonly phases: LayerProgram[] }> {
  const out = new Map<string, { readonly node: Node; readonly phases: LayerProgram[] }>();
  if (width === 0 || T === 1) return out;
  const u = ditherOffsets(T);
  g.nodes.forEach((node, i) => {
    const p = programs.get(node.name);
    if (p === undefined || kinds[i] === 'dynamic' || p.converter.kind !== 'sense-amp') return;
    const cv = p.converter;
    out.set(node.name, { node, phases: Array.from(u, (ut) => ({ ...p, converter: { kind: 'sense-amp' as const, ...ditheredRefs(cv, ut, width) } })) });
  });
  return out;
}

/** Values a dithered layer's T read-outs may hold per batch (float32: 256 MB). */
const DITHER_HELD = 2 ** 26;

/** Output elements per sample of `node` (its value's static shape). */
function outputsOf(g: Graph, node: Node): number {
  const shape = g.values.get(node.outputs[0] ?? '')?.shape.slice(1) ?? [];
  return shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

/**
 * Every step's output of a dithered layer from its read-outs per phase: at step t, output
 * position pos (a conv layer's pixel; a dense layer has one) reads with the references of phase
 * (t + pos) mod T.
 * The reference changes between the layer's reads anyway, so shifting the phase per read costs
 * nothing, and neighbouring neurons stop seeing their high and low references in the same step:
 * with one phase for the whole layer the neurons after it fired in step with each other, and
 * the next layers' partial sums moved together (resnet-tiny retrained for the dither: 74 %
 * with one phase, 86 % with a phase per position, 100 test images).
 */
function phaseMix(read: readonly Tensor[]): Tensor[] {
  const T = read.length;
  const first = read[0] as Tensor;
  const shape = first.shape;
  const P = shape.length > 2 ? shape.slice(2).reduce((a, b) => a * b, 1) : 1;
  const src = read.map((r) => r.data as Float32Array);
  const out = read.map(() => new Float32Array(first.data.length));
  // All steps at once, element by element: the T reads and T writes of an element share their
  // cache lines with the next element's (step by step, each step gathered from all T arrays).
  for (let row = 0; row < first.data.length; row += P) {
    for (let pos = 0; pos < P; pos++) {
      const e = row + pos;
      for (let t = 0, k = pos % T; t < T; t++, k = k + 1 === T ? 0 : k + 1) (out[t] as Float32Array)[e] = (src[k] as Float32Array)[e] as number;
    }
  }
  return out.map((data) => ({ dtype: 'float32', shape, data }));
}

/** Whether each node runs every step: dynamic ones, dithered ones, and static ones fed by either. */
function perStepNodes(g: Graph, kinds: readonly string[], dithered: ReadonlyMap<string, unknown>): boolean[] {
  const stepValues = new Set<string>();
  return g.nodes.map((node, i) => {
    const every = kinds[i] === 'dynamic' || dithered.has(node.name) || node.inputs.some((v) => stepValues.has(v));
    if (every) for (const o of node.outputs) stepValues.add(o);
    return every;
  });
}

type SpikingState =
  { kind: 'neuron'; s: NeuronState; F: number; shape: readonly number[] } | { kind: 'pool'; s: MaxPoolState; F: number; shape: readonly number[] };

function runLoop(g: Graph, programs: ReadonlyMap<string, LayerProgram>, data: SimData, opts: ImcSimOptions, seed: number): ImcSimResult {
  try {
    return runSteps(g, programs, data, opts, seed);
  } finally {
    // The neuron states are done with: their membranes leave the WebAssembly arena's slots.
    releaseMembranes();
  }
}

function runSteps(g: Graph, programs: ReadonlyMap<string, LayerProgram>, data: SimData, opts: ImcSimOptions, seed: number): ImcSimResult {
  const plan = planGraph(g);
  const T = opts.T;
  const x = data.x;
  const N = x.shape[0] ?? 0;
  if (N === 0 || data.y.length !== N || !(x.data instanceof Float32Array)) {
    throw fail({
      code: 'SNNC_E_DATASET',
      message: `the dataset must hold float32 samples with one label each (got ${N} samples, ${data.y.length} labels)`,
      hint: 'pass a float32 dataset',
    });
  }
  const perSample = x.shape.slice(1);
  const F = perSample.reduce((a, b) => a * b, 1);
  const readoutInfo = g.values.get(plan.readout);
  const classes = (readoutInfo?.shape.slice(1) ?? []).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  const dithered = ditheredPrograms(g, plan.nodeKinds, programs, T, opts.senseDither ?? 0);
  const everyStep = perStepNodes(g, plan.nodeKinds, dithered);
  // A dithered layer's T read-outs of a batch are held at once: fewer samples per batch when
  // they would pass DITHER_HELD values.
  const ditherPerSample = [...dithered.values()].reduce((a, { node }) => a + T * outputsOf(g, node), 0);
  const B = Math.max(1, Math.min(N, opts.batchSize ?? 32, Math.floor(DITHER_HELD / Math.max(1, ditherPerSample))));
  const ctx = { limit: DEFAULT_MAX_ELEMENTS, exactSums: true };
  const spikingNodes = g.nodes.filter((n) => (SPIKING_OPS as readonly string[]).includes(n.op));
  const spikes = spikingNodes.map((n) => ({ name: n.name, perSample: new Float64Array(N) }));
  const readout = new Float64Array(N * classes);
  const correct = new Float64Array(T);
  const predictions = new Int32Array(N);
  const mappedIndex = new Map([...programs.keys()].map((k, i) => [k, i]));
  const run = (node: Node, env: Map<string, Tensor>, first: number, n: number, t: number): void => {
    const ins = node.inputs.map((v) => (v === '' ? undefined : env.get(v)));
    const prog = programs.get(node.name);
    let outs: readonly (Tensor | undefined)[];
    if (prog !== undefined) outs = [runMapped(prog, ins[0] as Tensor, first, n, seed, mappedIndex.get(node.name) ?? 0, t)];
    else outs = (KERNELS[node.op] as Kernel)(node, ins, ctx);
    node.outputs.forEach((o, j) => {
      if (o !== '' && outs[j] !== undefined) env.set(o, outs[j] as Tensor);
    });
  };
  for (let first = 0; first < N; first += B) {
    const n = Math.min(B, N - first);
    const env = new Map<string, Tensor>(g.initializers);
    const xs = x.data.subarray(first * F, (first + n) * F);
    if (plan.coding === 'direct') env.set(plan.input, { dtype: 'float32', shape: [n, ...perSample], data: xs });
    g.nodes.forEach((node, i) => {
      if (everyStep[i] !== true) run(node, env, first, n, -1);
    });
    // Each dithered layer read with every phase's references once (its input is static).
    const steps = new Map(
      [...dithered].map(([name, { node, phases }]) => {
        const input = env.get(node.inputs[0] ?? '') as Tensor;
        return [name, phaseMix(phases.map((p, k) => runMapped(p, input, first, n, seed, mappedIndex.get(name) ?? 0, k)))] as const;
      }),
    );
    const states = new Map<string, SpikingState>();
    const sum = new Float64Array(n * classes);
    for (let t = 0; t < T; t++) {
      checkMemory(`simulating time step ${t} on the crossbars`);
      if (plan.coding === 'poisson') {
        const d = new Float32Array(n * F);
        poissonStep(x.data, first, n, F, seed, t, d, 0);
        env.set(plan.input, { dtype: 'float32', shape: [n, ...perSample], data: d });
      }
      g.nodes.forEach((node, i) => {
        if (everyStep[i] !== true) return;
        const read = steps.get(node.name)?.[t];
        if (read !== undefined) {
          env.set(node.outputs[0] as string, read);
          return;
        }
        if (node.op !== 'IF' && node.op !== 'LIF' && node.op !== 'SpikeMaxPool') {
          run(node, env, first, n, t);
          return;
        }
        const cur = env.get(node.inputs[0] ?? '') as Tensor;
        let st = states.get(node.name);
        if (st === undefined) {
          const shape = cur.shape.slice(1);
          if (node.op === 'SpikeMaxPool') {
            const p = maxPoolPlan(node, shape);
            st = { kind: 'pool', s: initMaxPool(p, n), F: p.outShape.reduce((a, b) => a * b, 1), shape: p.outShape };
          } else {
            const p = neuronParams(node, g.initializers.get(node.inputs[1] ?? ''), shape);
            st = { kind: 'neuron', s: initNeurons(p, n), F: p.F, shape };
          }
          states.set(node.name, st);
        }
        const out = new Float32Array(n * st.F);
        const counts = spikes[spikingNodes.indexOf(node)]?.perSample as Float64Array;
        if (st.kind === 'neuron') stepNeurons(st.s, n, cur.data as Float32Array, 0, out, 0, counts, first);
        else stepMaxPool(st.s, n, cur.data as Float32Array, 0, out, 0, counts, first);
        opts.onSpikes?.(node.name, t, first, out);
        env.set(node.outputs[0] as string, { dtype: 'float32', shape: [n, ...st.shape], data: out });
      });
      const y = env.get(plan.readout)?.data as Float32Array;
      for (let i = 0; i < n * classes; i++) sum[i] = (sum[i] as number) + (y[i] as number);
      for (let b = 0; b < n; b++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if ((sum[b * classes + c] as number) > (sum[b * classes + best] as number)) best = c;
        if (best === data.y[first + b]) correct[t] = (correct[t] as number) + 1;
        if (t === T - 1) predictions[first + b] = best;
      }
    }
    readout.set(sum, first * classes);
  }
  return { samples: N, T, accuracyPerStep: [...correct].map((c) => c / N), predictions, readout, spikes };
}
