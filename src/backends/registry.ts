// The backend registry: one record per target kind, the one contract compile (and whatever
// else deploys a network) dispatches through. A record says what it emits (files + the
// mapping its cost model reads + diagnostics), how it costs, and optionally how the hardware
// really computes (a bit-accurate or functional simulation that gives the accuracy), which
// conversion semantics the hardware needs, and how many steps it runs per sample.
//
// The registry is open: registerBackend() adds a kind from outside snnc (its target JSON
// schema goes to the target loader), and the compile report lists it like a bundled one.
import { fail } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { SimData } from '../sim/snn/types.js';
import type { Activity, CostReport, Mapping } from '../costmodel/types.js';
import { estimateCost } from '../costmodel/index.js';
import type { FpgaTarget, ImcTarget, LoihiTarget } from '../costmodel/target.js';
import { BUNDLED_KINDS, registerTargetKind } from '../costmodel/target.js';
import type { BackendDiagnostic, EmittedFile } from './common/types.js';
import { checkStructure as checkLoihiStructure, emit as emitLoihi, mapping as mapLoihi } from './loihi/index.js';
import { LOIHI_INT_SETTINGS, loihiLatency, loihiQuantizeOptions, simulateLoihi } from './loihi/simulate.js';
import { emit as emitImc, forgetMapping, mapGraph as mapImc, parseNoise, senseSetup, simulateImc } from './imc/index.js';
import { emit as emitFpga, estimate as estimateFpga, makePlan } from './fpga/index.js';
import type { QuantizeSettings } from '../ir/types.js';
import { simulateInt } from '../sim/int/simulate.js';
import { quantizeInput } from '../sim/int/sample.js';
import type { IntProgram } from '../sim/int/program.js';
import { elements } from '../sim/int/program.js';

/** What every target file has; a backend's own fields come on top. */
export interface BackendTarget {
  readonly schemaVersion: 1;
  readonly name: string;
  readonly kind: string;
  readonly description: string;
}

/** What a mapping must carry for the report: the kind and one entry per costed layer. */
export interface BackendMapping {
  readonly kind: string;
  readonly layers: readonly { readonly name: string }[];
}

export interface EmitContext {
  /** Time steps the network is deployed for. */
  readonly T: number;
  /** The integer program of the network (the stored one of a quantized model), made on first use. */
  readonly program: () => IntProgram;
  /** A few labelled samples (the first test images) for testbench golden vectors. */
  readonly golden?: SimData;
  /**
   * Takes files as soon as they are made: a backend with large files may hand each here
   * instead of returning it (every file goes one way, not both), so it does not hold them all
   * (a CIFAR VGG-16's crossbar tiles are 240 MB per target). It does so only once the network
   * has mapped: an error that makes the target unavailable must come before its first file, or
   * the output would keep files of a target the report calls unavailable.
   */
  readonly files?: (f: EmittedFile) => void;
}

export interface EmitOutput<M> {
  /** Paths relative to the target's folder in the compile output (`<target name>/…`). */
  readonly files: readonly EmittedFile[];
  readonly mapping: M;
  readonly diagnostics: readonly BackendDiagnostic[];
}

export interface HardwareContext {
  readonly T: number;
  readonly program: () => IntProgram;
  /** The labelled samples to measure on. */
  readonly data: SimData;
  /** Calibration images (IMC sense-amplifier references are fitted on them). */
  readonly calibration: SimData;
  /** Device non-idealities (parsed by the record's `parseNoise`) and the seed of their draw. */
  readonly devices?: { readonly effects: Readonly<Record<string, number>>; readonly seed: number };
  readonly onProgress?: (done: number, total: number) => void;
}

/** Accuracy as the hardware computes it, and how it was measured (shown in the report). */
export interface HardwareAccuracy {
  readonly accuracy: number;
  /** Accuracy after each step 1…T of the same run, when one run gives every smaller T. */
  readonly accuracyPerStep?: readonly number[];
  readonly note: string;
  readonly diagnostics?: readonly BackendDiagnostic[];
  /** Kind-specific facts of the run (Loihi: latency, input scale, spikes per layer), passed through to JSON. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The class each sample was read as at T (one run: no mean over chips), for paired comparisons. */
  readonly predictions?: Int32Array;
}

export interface BackendRecord<Tg extends BackendTarget = BackendTarget, M extends BackendMapping = BackendMapping> {
  readonly kind: string;
  /**
   * JSON Schema (2020-12) of a target file of this kind, checked together with the common
   * fields (schemaVersion, name, kind, description). Bundled kinds live in targets/schema.json.
   */
  readonly targetSchema?: Readonly<Record<string, unknown>>;
  /** Neuron semantics an ANN must be converted with for this hardware (Loihi: reset to zero, v > θ). */
  readonly conversion?: { readonly reset: 'zero' | 'subtract'; readonly fire: 'ge' | 'gt' };
  /**
   * Whether this target's network takes one threshold per layer instead of per channel where its
   * `simulate` reads that clearly better on the calibration images (src/api/target-granularity.ts:
   * a sign test on `predictions` when it gives them), unless the user chose. Default: conversion's
   * (per channel).
   */
  readonly chooseGranularity?: (target: Tg) => boolean;
  /**
   * Throws SNNC_E_BACKEND when a network's structure (ops, branches, shapes — not its neuron
   * semantics) cannot map: compile asks it on the default conversion before converting again
   * with `conversion`, which a network the hardware cannot take at all does not need.
   */
  readonly structure?: (g: Graph) => void;
  readonly emit: (g: Graph, target: Tg, ctx: EmitContext) => Promise<EmitOutput<M>>;
  readonly cost: (target: Tg, mapping: M, activity: Activity) => CostReport;
  /** Hardware-faithful accuracy; without it the report uses the float SNN and says so. */
  readonly simulate?: (g: Graph, target: Tg, ctx: HardwareContext) => HardwareAccuracy;
  /**
   * How much work `simulate` is on `samples` samples and `calibration` calibration images, in
   * any unit (compile runs the simulations of one compile largest first, on two threads).
   * Default: the samples.
   */
  readonly simulateWork?: (target: Tg, samples: number, calibration: number) => number;
  /** Steps the hardware runs per sample for T presented steps (default T). */
  readonly stepsPerSample?: (g: Graph, T: number) => number;
  /** The hardware's integer precisions, for the integer SNN `simulate --target` shows beside it (default: the default program). */
  readonly intSettings?: QuantizeSettings;
  /** Parses `--noise` for this kind's device model; a kind without one refuses device noise. */
  readonly parseNoise?: (spec: string) => Readonly<Record<string, number>>;
  /**
   * The mapping the cost model reads, without writing files (explore asks for one per
   * configuration). `weightBits`: the configuration's weight width. Default: emit's mapping.
   */
  readonly map?: (g: Graph, target: Tg, ctx: EmitContext & { readonly weightBits: number }) => M;
}

/** Conversion options with the neuron semantics a kind's hardware needs, unless the caller chose a reset. */
export function withTargetSemantics<O extends { readonly reset?: 'zero' | 'subtract'; readonly fire?: 'ge' | 'gt' }>(
  record: Pick<BackendRecord, 'conversion'> | undefined,
  opts: O,
): O {
  const c = record?.conversion;
  if (c === undefined || opts.reset !== undefined) return opts;
  return { ...opts, reset: c.reset, fire: c.fire };
}

type AnyRecord = BackendRecord<BackendTarget, BackendMapping>;

const bundledCost = (t: BackendTarget, m: BackendMapping, a: Activity): CostReport => estimateCost(t as LoihiTarget | ImcTarget | FpgaTarget, m as Mapping, a);

const loihi: BackendRecord<LoihiTarget> = {
  kind: 'loihi',
  conversion: { reset: 'zero', fire: 'gt' },
  // One weight exponent per layer: as on the crossbars, per layer where it reads clearly better.
  chooseGranularity: () => true,
  structure: (g) => checkLoihiStructure(g),
  // The same quantization options the bit-accurate simulation uses.
  emit: async (g, t, ctx) => emitLoihi(g, t, loihiQuantizeOptions(g, ctx.T)),
  cost: bundledCost,
  simulate: (g, _t, ctx) => {
    const r = simulateLoihi(g, ctx.data, { T: ctx.T, ...(ctx.onProgress !== undefined ? { onProgress: ctx.onProgress } : {}) });
    const aIn: BackendDiagnostic[] =
      r.aInOver16 > 0
        ? [{ severity: 'warning', code: 'SNNC_W_LOIHI_A_IN', message: `${r.aInOver16.toFixed(1)} neuron-steps per sample exceed lava's 16-bit a_in` }]
        : [];
    return {
      accuracy: r.accuracyPerStep[ctx.T - 1] ?? 0,
      // Input presented t steps and read L steps later: one run gives every t ≤ T.
      accuracyPerStep: r.accuracyPerStep.slice(0, ctx.T),
      note: `accuracy from the bit-accurate simulation of the emitted netx network (lava CUBA fixed point, input scale ${r.inputScale}, ${r.readout} readout, one-step synaptic delay per layer: input presented T steps and read ${r.latency} steps later) on the first ${ctx.data.y.length} samples; no Lava runtime or chip was run`,
      diagnostics: [...r.diagnostics, ...aIn],
      predictions: r.predictions,
      details: {
        latency: r.latency,
        steps: r.steps,
        synapticDelay: r.synapticDelay,
        inputScale: r.inputScale,
        readout: r.readout,
        spikesPerSample: r.spikesPerSample,
        layers: r.layers,
      },
    };
  },
  // Each synapse layer adds a step of delay: the chip runs T + L steps per sample.
  stepsPerSample: (g, T) => T + loihiLatency(g),
  intSettings: LOIHI_INT_SETTINGS,
  // netx's own fixed point (8-bit weight mantissas) does not follow a configuration's widths.
  map: (g, t, ctx) => mapLoihi(g, t, loihiQuantizeOptions(g, ctx.T)),
};

const imc: BackendRecord<ImcTarget> = {
  kind: 'imc',
  // 1-bit sense amplifiers read some networks far better with one threshold per layer, some per
  // channel (docs/targets/imc.md); with ADCs the two are within 0.5 pp on the examples, but a
  // channel with a tiny threshold can take the layer's weight scale (the padded-pool LeNets).
  chooseGranularity: () => true,
  emit: (g, t, ctx) => Promise.resolve(emitImc(g, t, {}, ctx.files)),
  cost: bundledCost,
  simulate: (g, t, ctx) => {
    const dev = ctx.devices;
    // The mapping emit made (compile emits first), which nothing needs after this run.
    const net = mapImc(g, t);
    forgetMapping(g);
    // A retrained model's references with the dither it was trained for (none before it existed);
    // else references fitted on the calibration images, with the target's dither.
    const { refs: trained, dither } = senseSetup(g.meta, net);
    const r = simulateImc(g, net, ctx.data, {
      T: ctx.T,
      calibration: ctx.calibration,
      ...(trained !== undefined ? { senseReference: { trained } } : {}),
      ...(dither > 0 ? { senseDither: dither } : {}),
      ...(dev !== undefined ? { seed: dev.seed, devices: { ...dev.effects, seed: dev.seed } } : {}),
      ...(ctx.onProgress !== undefined ? { onProgress: ctx.onProgress } : {}),
    });
    const dithered = dither > 0 ? ` (the analog layer's reference dithered over the steps, width ${dither})` : '';
    const how =
      t.adc.type !== 'sense-amp'
        ? `${t.adc.bits.value}-bit SAR ADCs`
        : trained !== undefined
          ? `1-bit sense amplifiers with the references the model was retrained with${dithered}`
          : `1-bit sense amplifiers, references fitted on ${r.calibrationImages ?? 0} calibration image${r.calibrationImages === 1 ? '' : 's'}${dithered}`;
    const retrained = g.meta['snnc.retrain.target'];
    const devices = dev !== undefined && Object.keys(dev.effects).length > 0 ? 'device non-idealities drawn per seed' : 'ideal devices';
    return {
      accuracy: r.accuracyPerStep[ctx.T - 1] ?? 0,
      // Sense-amplifier references are fitted on calibration runs of T steps, so a run to T
      // does not give the accuracy at a smaller T: only ADC columns report every step.
      ...(t.adc.type === 'sense-amp' ? {} : { accuracyPerStep: r.accuracyPerStep.slice(0, ctx.T) }),
      note: `accuracy from the IMC functional simulation (crossbar partial sums through ${how}, ${devices}) on the first ${ctx.data.y.length} samples at T=${ctx.T}, ${retrained !== undefined ? `retrained for ${retrained}` : 'not retrained for the hardware'}`,
      predictions: r.predictions,
      ...(r.senseRefs !== undefined ? { details: { senseRefs: r.senseRefs } } : {}),
    };
  },
  parseNoise: (spec) => parseNoise(spec) as Readonly<Record<string, number>>,
  // Sense amplifiers compare every column's partial sum (about twice the work of an ADC
  // column that the exact shortcut skips) after fitting their references on calibration runs.
  simulateWork: (t, samples, calibration) => (t.adc.type === 'sense-amp' ? 2 * samples + calibration : samples),
  // Bit slices follow the configuration's weight width.
  map: (g, t, ctx) => mapImc(g, t, { weightBits: ctx.weightBits }).mapping,
};

/** Integer inputs of the golden samples, in the program's input quantization. */
function goldenInputs(p: IntProgram, data: SimData | undefined): Int32Array[] {
  if (data === undefined) return [];
  const F = elements(p.input.shape);
  return Array.from({ length: data.y.length }, (_, i) => quantizeInput(p.input, data.x.data as Float32Array, i * F));
}

const fpga: BackendRecord<FpgaTarget> = {
  kind: 'fpga',
  // The design runs the integer program (the stored one of a quantized model); its testbench
  // checks golden vectors of the first test images computed by the integer simulator.
  emit: (_g, t, ctx) => {
    const p = ctx.program();
    return Promise.resolve(emitFpga(p, t, { T: ctx.T, goldenInputs: goldenInputs(p, ctx.golden) }));
  },
  cost: bundledCost,
  simulate: (_g, _t, ctx) => {
    const r = simulateInt(ctx.program(), ctx.data, { T: ctx.T, ...(ctx.onProgress !== undefined ? { onProgress: ctx.onProgress } : {}) });
    return {
      accuracy: r.accuracyPerStep[ctx.T - 1] ?? 0,
      accuracyPerStep: r.accuracyPerStep.slice(0, ctx.T),
      predictions: r.predictions,
      note: `accuracy from the integer-exact simulation of the quantized program the FPGA design runs (g++ C-simulation of the emitted code matches it bit for bit in tests), first ${ctx.data.y.length} samples at T=${ctx.T}; Vitis HLS synthesis was not run`,
    };
  },
  map: (_g, t, ctx) => estimateFpga(makePlan(ctx.program(), ctx.T, 1, 'array'), t).mapping,
};

const BUNDLED: readonly AnyRecord[] = [loihi, imc, fpga] as unknown as AnyRecord[];
const registry = new Map<string, AnyRecord>(BUNDLED.map((r) => [r.kind, r]));

/**
 * Add a target kind from outside snnc: its record, and the JSON schema of its target files.
 * A later compile accepts target files of that kind and reports them like bundled ones.
 */
export function registerBackend<Tg extends BackendTarget, M extends BackendMapping>(record: BackendRecord<Tg, M>): void {
  if (!/^[a-z][a-z0-9-]*$/.test(record.kind)) {
    throw fail({ code: 'SNNC_E_USAGE', message: `backend kind '${record.kind}' is not a lower-case name`, hint: "use e.g. 'mychip'" });
  }
  if (BUNDLED_KINDS.has(record.kind)) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `backend kind '${record.kind}' is bundled with snnc and cannot be replaced`,
      hint: 'register your backend under a kind of its own',
    });
  }
  if (record.targetSchema === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `backend kind '${record.kind}' has no targetSchema`,
      hint: 'give the JSON schema its target files must match',
    });
  }
  registerTargetKind(record.kind, record.targetSchema);
  registry.set(record.kind, record as unknown as AnyRecord);
}

/** The record of a kind, or undefined (the 'ann' baselines have none: they are costed only). */
export function backendFor(kind: string): AnyRecord | undefined {
  return registry.get(kind);
}

/** Every kind with a backend, bundled first. */
export function backendKinds(): string[] {
  return [...registry.keys()];
}
