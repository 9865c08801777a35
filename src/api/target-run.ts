// What compile does for one target once its network is ready: the backend's files and
// mapping, then its hardware simulation. The same function runs on the main thread and in
// target-worker.ts, so a result does not depend on where it ran.
import { isSnncError } from '../errors.js';
import type { SnncError } from '../errors.js';
import type { ErrorData } from '../errors.js';
import { errorData, errorFromData } from '../errors.js';
import type { Graph } from '../ir/types.js';
import type { BackendMapping, BackendRecord, BackendTarget, EmitOutput, HardwareAccuracy } from '../backends/registry.js';
import type { EmittedFile } from '../backends/common/types.js';
import { programOf } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import type { SimData } from '../sim/snn/types.js';

/** Everything a target run needs besides its graph (plain data: it crosses threads). */
export interface TargetRequest {
  readonly kind: string;
  readonly target: BackendTarget;
  readonly T: number;
  /** Testbench golden samples (the first test images). */
  readonly golden: SimData;
  /** The hardware simulation's samples and calibration images (none: the backend has no simulation). */
  readonly hardware?: {
    readonly data: SimData;
    readonly calibration: SimData;
    /** Device non-idealities and the seeds of the chips to average over (kinds with a device model). */
    readonly devices?: { readonly effects: Readonly<Record<string, number>>; readonly seeds: readonly number[] };
  };
}

/** What a target run returns besides its files: mapping, diagnostics and hardware accuracy. */
export interface TargetDone {
  readonly ok: true;
  readonly mapping: BackendMapping;
  readonly diagnostics: EmitOutput<BackendMapping>['diagnostics'];
  readonly accuracy?: HardwareAccuracy;
}

/** A target's result, or the error that stopped it. */
export type TargetOutcome = TargetDone | { readonly ok: false; readonly error: unknown };

/** An outcome as it crosses threads (errors as data). */
export type TargetOutcomeData = TargetDone | { readonly ok: false; readonly error: ErrorData };

export function outcomeData(o: TargetOutcome): TargetOutcomeData {
  return o.ok ? o : { ok: false, error: errorData(o.error) };
}

export function outcomeOf(d: TargetOutcomeData): TargetOutcome {
  return d.ok ? d : { ok: false, error: errorFromData(d.error, 'target worker') };
}

/** A graph's integer program, made once per graph (the FPGA emits and simulates the same one). */
const programs = new WeakMap<Graph, IntProgram>();
function programOnce(g: Graph): IntProgram {
  let p = programs.get(g);
  if (p === undefined) {
    p = programOf(g);
    programs.set(g, p);
  }
  return p;
}

/**
 * Emit, hand the files to `files` (before simulating, so a thread does not hold a CIFAR net's
 * hundreds of MB of files through its simulation), then simulate; an error of any step is the
 * outcome (a target that cannot emit is not simulated).
 */
export async function runTarget(record: BackendRecord, g: Graph, req: TargetRequest, files: (fs: readonly EmittedFile[]) => void): Promise<TargetOutcome> {
  try {
    const program = (): IntProgram => programOnce(g);
    const { files: made, mapping, diagnostics } = await record.emit(g, req.target, { T: req.T, program, golden: req.golden, files: (f) => files([f]) });
    files(made);
    const hw = req.hardware;
    const accuracy = hw !== undefined && record.simulate !== undefined ? overChips(record.simulate, g, req, program, hw) : undefined;
    return { ok: true, mapping, diagnostics, ...(accuracy !== undefined ? { accuracy } : {}) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The hardware simulation, or with device non-idealities the mean over one chip per seed (the
 * first chip's note, diagnostics and details, the seeds named in the note).
 */
function overChips(
  simulate: NonNullable<BackendRecord['simulate']>,
  g: Graph,
  req: TargetRequest,
  program: () => IntProgram,
  hw: NonNullable<TargetRequest['hardware']>,
): HardwareAccuracy {
  const base = { T: req.T, program, data: hw.data, calibration: hw.calibration };
  const dev = hw.devices;
  if (dev === undefined || dev.seeds.length === 0) return simulate(g, req.target, base);
  const runs = dev.seeds.map((seed) => simulate(g, req.target, { ...base, devices: { effects: dev.effects, seed } }));
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = runs[0] as HardwareAccuracy;
  const perStep = runs.every((r) => r.accuracyPerStep !== undefined)
    ? (first.accuracyPerStep ?? []).map((_, t) => mean(runs.map((r) => r.accuracyPerStep?.[t] ?? 0)))
    : undefined;
  const each = runs.map((r) => `${(r.accuracy * 100).toFixed(2)} %`).join(', ');
  const { predictions: _one, ...rest } = first;
  return {
    ...rest,
    accuracy: mean(runs.map((r) => r.accuracy)),
    ...(perStep !== undefined ? { accuracyPerStep: perStep } : {}),
    note: `${first.note}; mean over ${runs.length} chip${runs.length === 1 ? '' : 's'} (device seed${runs.length === 1 ? '' : 's'} ${dev.seeds.join(', ')}: ${each})`,
  };
}

/** Whether an outcome's error makes the target unavailable (rather than failing the compile). */
export function isUnavailable(e: unknown): e is SnncError {
  return isSnncError(e) && (e.code === 'SNNC_E_BACKEND' || e.code === 'SNNC_E_QUANTIZE');
}
