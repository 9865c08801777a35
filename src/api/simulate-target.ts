// `snnc simulate --target <t>`: the converted network run the way the target's hardware runs it
// (the backend record's own simulation: Loihi bit-accurate netx, IMC crossbars, the FPGA's
// integer program, or a registered kind's), next to the float SNN and the integer SNN at the
// hardware's precisions, for every T, on the same samples. Nothing here knows a kind: the
// record says how the hardware computes, which neuron semantics it needs, which integer
// precisions it holds and whether it has a device model (--noise, --seeds).
//
// A target whose hardware resets to zero (Loihi) gets its semantics unless the user chose
// --reset; the float SNN of the default conversion is then reported beside it, so the accuracy
// the change costs is shown rather than hidden.
import { isNeuron } from '../ir/types.js';
import { fail, isSnncError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { SimData } from '../sim/snn/types.js';
import { simulate } from '../sim/snn/simulate.js';
import { simulateInt } from '../sim/int/simulate.js';
import { programOf, quantizeGraph } from '../passes/quantize.js';
import { loadAnyTarget } from '../costmodel/target.js';
import type { BackendDiagnostic } from '../backends/common/types.js';
import type { BackendRecord, BackendTarget, HardwareAccuracy } from '../backends/registry.js';
import { backendFor, withTargetSemantics } from '../backends/registry.js';
import type { IntProgram } from '../sim/int/program.js';
import type { ConvertOptions } from './convert.js';
import { convertModel, isConverted } from './convert.js';
import type { GranularityChoice } from './target-granularity.js';
import { chooseGranularity } from './target-granularity.js';

export interface TargetRow {
  readonly T: number;
  /** Float SNN of the default conversion, when the target's semantics replaced it. */
  readonly snnDefault?: number;
  /** Float SNN of the graph the hardware runs. */
  readonly snn: number;
  /** Integer SNN of that graph at the hardware's precisions (null: it has no integer form). */
  readonly int: number | null;
  /** The hardware simulation: mean over seeds, their standard deviation and every run. */
  readonly hardware: number;
  readonly std: number;
  readonly runs: readonly number[];
}

export interface TargetComparison {
  readonly target: string;
  readonly kind: string;
  readonly samples: number;
  readonly rows: readonly TargetRow[];
  readonly seeds: readonly number[];
  readonly noise: Readonly<Record<string, number>>;
  readonly conversion: { readonly reset: string; readonly fire: string; readonly targetSemantics: boolean };
  /** Thresholds per layer or per channel as the target chose them (records that choose, user naming none). */
  readonly granularity?: GranularityChoice;
  readonly note: string;
  readonly diagnostics: readonly BackendDiagnostic[];
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface TargetSimOptions {
  readonly T: readonly number[];
  /** The user's conversion options (before the target's semantics were applied). */
  readonly convert?: ConvertOptions;
  /** Device-noise text for a kind with a device model (IMC: "program=1,read=0.01"). */
  readonly noise?: string;
  /** Number of noise seeds (default 3 with noise, else 1). */
  readonly seeds?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** The record of a target that can be simulated, with its noise settings checked — before any long work. */
export function simulatableTarget(
  targetName: string,
  opts: Pick<TargetSimOptions, 'noise' | 'seeds'>,
): { target: BackendTarget; record: BackendRecord; simulate: NonNullable<BackendRecord['simulate']>; noise: Readonly<Record<string, number>> } {
  const target = loadAnyTarget(targetName) as BackendTarget;
  const record = backendFor(target.kind);
  const simulate = record?.simulate;
  if (record === undefined || simulate === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--target ${targetName} is a ${target.kind} target, which has no hardware simulation`,
      hint: 'simulate runs targets with one: loihi1, loihi2 (bit-accurate netx), imc-hpadc, imc-adcless (crossbars), fpga (its integer program), or a registered kind that has one',
    });
  }
  if ((opts.noise !== undefined || opts.seeds !== undefined) && record.parseNoise === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `--noise and --seeds apply to targets with a device model (IMC); --target ${targetName} is simulated deterministically`,
      hint: 'drop --noise/--seeds, or use --target imc-hpadc|imc-adcless',
    });
  }
  return { target, record, simulate, noise: opts.noise !== undefined && record.parseNoise !== undefined ? record.parseNoise(opts.noise) : {} };
}

/** Chips a measurement with device effects averages when no seed count is given (simulate and compile `--noise`). */
export const DEFAULT_CHIPS = 3;

function neuronAttr(g: Graph, key: 'reset' | 'fire'): string {
  const n = g.nodes.find(isNeuron);
  return isNeuron(n) ? n.attrs[key] : 'unknown';
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const stdOf = (xs: readonly number[]): number => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
};

/**
 * `model` is what the user gave, `converted` that model converted with the target's semantics
 * and `opts.convert`: the graph the hardware runs — unless the target chooses its thresholds'
 * granularity, when a per-layer twin is made here with `opts.convert` (so pass the options
 * `converted` was made with) and runs if it reads better. `calibration`: images the hardware may
 * fit references on (IMC) and the choice is made on.
 */
export function simulateOnTarget(
  model: Graph,
  converted: Graph,
  targetName: string,
  data: SimData,
  calibration: SimData,
  opts: TargetSimOptions,
): TargetComparison {
  const { target, record, simulate: hw, noise } = simulatableTarget(targetName, opts);
  const Ts = [...new Set(opts.T)].sort((a, b) => a - b);
  const Tmax = Ts[Ts.length - 1] ?? 1;
  // The per-layer conversion instead when the target chooses and its simulation reads that higher (as compile).
  const chosen = chooseGranularity(model, converted, withTargetSemantics(record, opts.convert ?? {}), record, target, Tmax, () => calibration);
  const snn = chosen?.graph ?? converted;
  const progress =
    (stage: string) =>
    (done: number, total: number): void =>
      opts.onProgress?.(stage, done, total);
  const targetSemantics = record.conversion !== undefined && !isConverted(model) && opts.convert?.reset === undefined;
  const snnDefault = targetSemantics
    ? simulate(convertModel(model, opts.convert ?? {}).graph, data, { T: Tmax, onProgress: progress(`float SNN (default conversion) T=${Tmax}`) })
        .accuracyPerStep
    : undefined;
  const snnAcc = simulate(snn, data, { T: Tmax, onProgress: progress(`float SNN T=${Tmax}`) }).accuracyPerStep;
  let program: IntProgram | undefined;
  // The hardware's own precisions when the record has them (Loihi); otherwise the program the
  // design runs: the one `snnc quantize` stored in the model, else the default one.
  const programOnce = (): IntProgram => (program ??= record.intSettings !== undefined ? quantizeGraph(snn, record.intSettings).program : programOf(snn));
  let intAcc: readonly number[] | null = null;
  try {
    intAcc = simulateInt(programOnce(), data, { T: Tmax, onProgress: progress(`integer SNN T=${Tmax}`) }).accuracyPerStep;
  } catch (e) {
    if (!isSnncError(e) || (e.code !== 'SNNC_E_QUANTIZE' && e.code !== 'SNNC_E_INT_PROGRAM')) throw e;
  }
  const nSeeds = opts.seeds ?? (Object.keys(noise).length > 0 ? DEFAULT_CHIPS : 1);
  const seeds = Array.from({ length: nSeeds }, (_, i) => i);
  // One run to the largest T gives every smaller T when the record reports each step;
  // otherwise each T is a run of its own.
  const runs: HardwareAccuracy[][] = seeds.map((seed) => {
    const ctx = (T: number): Parameters<typeof hw>[2] => ({
      T,
      program: programOnce,
      data,
      calibration,
      ...(record.parseNoise !== undefined ? { devices: { effects: noise, seed } } : {}),
      onProgress: progress(`${target.name} T=${T}${nSeeds > 1 ? ` seed ${seed}` : ''}`),
    });
    const first = hw(snn, target, ctx(Tmax));
    return first.accuracyPerStep !== undefined ? [first] : [first, ...Ts.slice(0, -1).map((T) => hw(snn, target, ctx(T)))];
  });
  const accuracyAt = (r: readonly HardwareAccuracy[], T: number): number => {
    const whole = r[0];
    if (whole?.accuracyPerStep !== undefined) return whole.accuracyPerStep[T - 1] ?? 0;
    return T === Tmax ? (whole?.accuracy ?? 0) : (r[1 + Ts.indexOf(T)]?.accuracy ?? 0);
  };
  const rows = Ts.map((T): TargetRow => {
    const perSeed = runs.map((r) => accuracyAt(r, T));
    return {
      T,
      ...(snnDefault !== undefined ? { snnDefault: snnDefault[T - 1] ?? 0 } : {}),
      snn: snnAcc[T - 1] ?? 0,
      int: intAcc !== null ? (intAcc[T - 1] ?? 0) : null,
      hardware: mean(perSeed),
      std: stdOf(perSeed),
      runs: perSeed,
    };
  });
  const last = runs[0]?.[0];
  return {
    target: target.name,
    kind: target.kind,
    samples: data.y.length,
    rows,
    seeds,
    noise,
    conversion: { reset: neuronAttr(snn, 'reset'), fire: neuronAttr(snn, 'fire'), targetSemantics },
    ...(chosen !== undefined ? { granularity: chosen.choice } : {}),
    note: last?.note ?? '',
    diagnostics: last?.diagnostics ?? [],
    ...(last?.details !== undefined ? { details: last.details } : {}),
  };
}
