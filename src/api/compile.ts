// `snnc compile`: the main job. import → clean-up → calibrate/convert → simulate (accuracy
// and activity) → backend (files + mapping) → cost model → reports, for one or all targets.
// Every artifact goes into one folder written atomically by the caller.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { fail } from '../errors.js';
import type { DiagnosticCode } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { backendFor, withTargetSemantics } from '../backends/registry.js';
import type { BackendRecord, BackendTarget } from '../backends/registry.js';
import { BUNDLED_KINDS } from '../costmodel/target.js';
import { TargetPool } from './target-pool.js';
import type { EmittedFile } from '../backends/common/types.js';
import { isUnavailable, runTarget } from './target-run.js';
import type { TargetOutcome, TargetRequest } from './target-run.js';
import { firstOf, fitToModel, loadMnistOr } from '../data/spec.js';
import { annCost } from '../costmodel/index.js';
import { bundledTargetNames, loadAnyTarget, loadTarget } from '../costmodel/target.js';
import type { AnnTarget, CustomTarget, Target } from '../costmodel/target.js';
import type { SimData } from '../sim/snn/types.js';
import type { Activity } from '../costmodel/types.js';
import { graphStats } from '../ir/stats.js';
import type { Graph } from '../ir/types.js';
import type { CompileReport, TargetResult } from '../report/types.js';
import { baselineFromCost, targetResultFromCost, UNAVAILABLE } from '../report/build.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderHtml } from '../report/html.js';
import { validateReport } from '../report/schema.js';
import type { OutputFile } from '../io/atomic.js';
import { activityFromSimulation, annActivity, annMapping, stretchSteps } from '../backends/common/activity.js';
import type { SimulateModelOptions, SimulateReport } from './simulate.js';
import { measuredData, measureModel, prepareModel } from './simulate.js';
import { convertModel, isConverted } from './convert.js';
import type { ConvertOptions } from './convert.js';
import { simulate } from '../sim/snn/simulate.js';
import { packageVersion } from './version.js';
import { DEFAULT_CHIPS } from './simulate-target.js';
import { chooseGranularity, granularityNote } from './target-granularity.js';
import { COMPILE_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

/** Targets `--target all` compiles for (the ANN baselines are always added). */
export const SNN_TARGETS = ['loihi1', 'loihi2', 'imc-hpadc', 'imc-adcless', 'fpga'] as const;
const BASELINE_TARGET = 'cpu-ann';

export interface CompileOptions extends SimulateModelOptions {
  /** Target names or target JSON files; 'all' = every bundled SNN target. */
  readonly targets: readonly string[];
  /** Shown in the report (the model path as given). */
  readonly modelFile: string;
  /** Samples for target-specific functional simulations (IMC partial sums); default 100. */
  readonly hwSamples?: number;
  /**
   * Takes each output file as soon as it is made (e.g. `openDirAtomic(dir).add`), instead of
   * collecting them in the result: a CIFAR ResNet-18's files are 430 MB, which the compile then
   * need not hold until the end.
   */
  readonly sink?: (file: OutputFile) => void;
  /** Threads for the targets' hardware simulations (default 2 where there are two cores; 1: this thread only). */
  readonly threads?: number;
  /**
   * Device non-idealities (`--noise` keys parsed by the target record's `parseNoise`) for the
   * targets with a device model (IMC): each such target's accuracy is the mean over one chip per
   * seed. Targets without a device model run as always.
   */
  readonly devices?: { readonly effects: Readonly<Record<string, number>>; readonly seeds: readonly number[] };
}

export interface CompileResult {
  readonly report: CompileReport;
  /** Every output file — none when `sink` took them. */
  readonly files: readonly OutputFile[];
  /** Every output file's path, in the order they were made. */
  readonly paths: readonly string[];
}

/** Where a compile's files go: the caller's sink, or a list returned with the result. */
class FileOut {
  readonly files: OutputFile[] = [];
  readonly paths: string[] = [];
  constructor(private readonly sink: ((f: OutputFile) => void) | undefined) {}
  push(...fs: OutputFile[]): void {
    for (const f of fs) {
      this.paths.push(f.path);
      if (this.sink !== undefined) this.sink(f);
      else this.files.push(f);
    }
  }
}

/**
 * The seed paper's headline (Apolinario et al., IEEE TETC 2023: ADC-less IMC uses 2–7× less
 * energy and has 8.9–24.6× lower latency than high-precision-ADC IMC), next to what our
 * model says for this network, so a reader sees both.
 */
function adcLessRatio(results: readonly TargetResult[]): { severity: 'info'; code: string; message: string } | undefined {
  const hp = results.find((r) => r.target === 'imc-hpadc' && r.status === 'ok');
  const al = results.find((r) => r.target === 'imc-adcless' && r.status === 'ok');
  if (hp?.energyJ == null || al?.energyJ == null || hp.latencyS == null || al.latencyS == null || al.energyJ <= 0 || al.latencyS <= 0) return undefined;
  const e = hp.energyJ / al.energyJ;
  const l = hp.latencyS / al.latencyS;
  return {
    severity: 'info',
    code: 'SNNC_I_ADCLESS_RATIO',
    message: `imc-adcless vs imc-hpadc for this network: ${e.toFixed(2)}× less energy, ${l.toFixed(1)}× lower latency; the ADC-less co-design paper reports 2–7× and 8.9–24.6× on its workloads (docs/costmodel.md explains the difference)`,
  };
}

/**
 * Hardware samples when --hw-samples is not given: 100, fewer for a network so large that 100
 * would make every compile a long job — as many as fit HW_OPS multiply-accumulates over T steps
 * (at least one). A crossbar simulation costs about 0.4 ns per MAC-step here, so 2^34 is some
 * 7 s per target: LeNet (1 M MACs at T = 32) keeps 100, a CIFAR VGG-16 (0.31 G at T = 16) gets
 * 3 and a ResNet-18 (0.56 G) 1. A note in the report says so; --hw-samples sets any count.
 */
const HW_OPS = 2 ** 34;
const HW_DEFAULT = 100;

/** As many samples as fit `ops` multiply-accumulates over T steps, between 1 and `cap`. */
function samplesWithin(ops: number, cap: number, macsPerSample: number, T: number): number {
  return Math.max(1, Math.min(cap, Math.floor(ops / Math.max(1, macsPerSample * T))));
}

export function defaultHardwareSamples(macsPerSample: number, T: number): number {
  return samplesWithin(HW_OPS, HW_DEFAULT, macsPerSample, T);
}

/** The first hwSamples labelled samples and the calibration images, as the hardware simulations take them. */
function hardwareData(snn: Graph, opts: CompileOptions, n: number): { data: SimData; calibration: SimData } {
  const data = fitToModel(snn, measuredData(opts, Math.min(n, opts.n ?? n)));
  // Sense-amplifier references are fitted on the conversion's own calibration images (the
  // synthetic ones under --calib synthetic), the first 64 of them.
  const calib = fitToModel(snn, opts.calibData !== undefined ? firstOf(opts.calibData, 64) : loadMnistOr(opts.calib, 64));
  return { data: { x: data.x, y: data.y }, calibration: { x: calib.x, y: calib.y } };
}

/**
 * Float SNN accuracy of the default conversion and of the one a backend asks for (Loihi:
 * reset to zero, fire on v > θ) on the hardware samples, and that network's activity there
 * (what the backend's energy is costed from). The note names the backend kind, so a
 * registered backend with its own semantics gets its own sentence, not Loihi's.
 */
function conversionNote(
  snn: Graph,
  other: Graph,
  kind: string,
  conversion: { reset: 'zero' | 'subtract'; fire: 'ge' | 'gt' },
  data: SimData,
  T: number,
): { note: { severity: 'info'; code: DiagnosticCode; message: string }; activity: Activity } {
  const a = simulate(snn, data, { T }).accuracyPerStep[T - 1] ?? 0;
  const r = simulate(other, data, { T });
  const b = r.accuracyPerStep[T - 1] ?? 0;
  const loihi = kind === 'loihi';
  const semantics = `reset ${conversion.reset === 'zero' ? 'to zero' : 'by subtraction'}, fire on v ${conversion.fire === 'gt' ? '>' : '≥'} θ${loihi ? ", as netx's CUBA neuron" : ''}`;
  return {
    note: {
      severity: 'info',
      code: loihi ? 'SNNC_I_LOIHI_SEMANTICS' : 'SNNC_I_TARGET_CONVERSION',
      message: `${loihi ? 'Loihi' : `'${kind}'`} targets use their own conversion (${semantics}): float SNN ${(100 * b).toFixed(2)} % vs ${(100 * a).toFixed(2)} % with the default conversion (reset by subtraction), ${(100 * (b - a)).toFixed(2)} pp, first ${data.y.length} samples at T=${T}; their energy is costed from this network's activity on those samples; compile with --reset subtract to emit the default conversion instead`,
    },
    activity: activityFromSimulation(other, r),
  };
}

/**
 * Golden vectors (the FPGA testbench's) are the first 4 test images, fewer for large networks:
 * each costs the integer simulation a sample of MACs × T operations here, and the C-simulation
 * of the emitted code as much again — a CIFAR ResNet-18 at T = 16 (9 G) gets one.
 */
const GOLDEN_OPS = 2 ** 32;

export function goldenCount(macsPerSample: number, T: number): number {
  return samplesWithin(GOLDEN_OPS, 4, macsPerSample, T);
}

/** The first n test samples (testbench golden vectors). */
function firstSamples(snn: Graph, opts: CompileOptions, n: number): SimData {
  const d = fitToModel(snn, measuredData(opts, n));
  return { x: d.x, y: d.y };
}

export function resolveTargets(names: readonly string[]): (Target | CustomTarget)[] {
  const list = names.flatMap((n) => (n === 'all' ? [...SNN_TARGETS] : [n]));
  if (list.length === 0)
    throw fail({ code: 'SNNC_E_USAGE', message: 'no target given', hint: `--target all, or one of: ${bundledTargetNames().join(', ')}, or a JSON file` });
  return [...new Set(list)].map((n) => loadAnyTarget(n));
}

/** How the caller spells compileDevices' inputs in its messages (the CLI's flags by default; the plugin its option names). */
export interface DeviceFlagNames {
  readonly noise: string;
  readonly seeds: string;
  readonly target: string;
}
const CLI_FLAGS: DeviceFlagNames = { noise: '--noise', seeds: '--seeds', target: '--target' };

/**
 * `--noise <spec> [--seeds n]` as compile takes them: the device effects, parsed by the first
 * listed target with a device model, on chips (device seeds) 0 … n − 1. Either flag with no
 * such target among `targetNames`, or `--seeds` alone, is a usage error (before any work).
 */
export function compileDevices(
  targetNames: readonly string[],
  noise: string | undefined,
  seeds: number | undefined,
  flags: DeviceFlagNames = CLI_FLAGS,
): CompileOptions['devices'] {
  if (noise === undefined) {
    if (seeds !== undefined)
      throw fail({
        code: 'SNNC_E_USAGE',
        message: `${flags.seeds} sets how many chips the IMC targets are measured on with ${flags.noise}`,
        hint: `add ${flags.noise}, or leave ${flags.seeds} out`,
      });
    return undefined;
  }
  const record = resolveTargets(targetNames)
    .map((t) => backendFor(t.kind))
    .find((r) => r?.parseNoise !== undefined);
  if (record?.parseNoise === undefined) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `${flags.noise} applies to targets with a device model (IMC); none of ${targetNames.join(', ')} has one`,
      hint: `add ${flags.target} imc-hpadc or imc-adcless (or all), or leave ${flags.noise} out`,
    });
  }
  return { effects: record.parseNoise(noise), seeds: Array.from({ length: seeds ?? DEFAULT_CHIPS }, (_, i) => i) };
}

/** What the float simulation of the converted network measured (ready once the targets are queued). */
interface Measured {
  readonly snnAccuracy: number;
  readonly annAccuracy: number;
  readonly activity: Activity;
}

/** What compiling one target needs from the compile around it (files and diagnostics are appended to). */
interface TargetContext {
  readonly T: number;
  readonly baseline: CompileReport['baseline'];
  readonly annMapping: ReturnType<typeof annMapping>;
  /** Throws until the float simulation has run (compileTargets runs it while the worker starts on the targets). */
  readonly measured: () => Measured;
  readonly files: FileOut;
  readonly diagnostics: Diagnostics;
  /** The network this kind runs (its own conversion when it needs other neuron semantics) and its activity. */
  readonly graphFor: (kind: string, conversion: BackendRecord['conversion']) => { graph: Graph; activity: () => Activity };
  /** That network, or its per-layer twin when the record chooses granularity and its simulation reads it clearly better. */
  readonly granularityFor: (
    t: BackendTarget,
    backend: BackendRecord,
    net: { graph: Graph; activity: () => Activity },
  ) => { graph: Graph; activity: () => Activity };
  readonly hardware: () => { data: SimData; calibration: SimData };
  readonly devices: CompileOptions['devices'];
  readonly golden: (tg: Graph) => SimData;
}

type Diagnostics = { severity: 'info' | 'warning'; code: string; message: string; node?: string }[];

/** A target whose network is ready: what running and costing it need. */
interface ReadyTarget {
  readonly t: Target | CustomTarget;
  readonly backend: BackendRecord;
  readonly tg: Graph;
  /** The activity it is costed for (known once the float simulation has run). */
  readonly activity: () => Activity;
}

/** A target with nothing to run: its row, made once the float simulation has run. */
type RowLater = () => TargetResult;

/** A graph the backend can't express is a result for that target, not a failed compile. */
function unavailableOn(e: unknown, t: Target | CustomTarget): TargetResult {
  if (!isUnavailable(e)) throw e;
  return UNAVAILABLE(t.name, t.kind, `${e.message}${e.hint !== undefined ? ` (${e.hint})` : ''}`);
}

/** One target's network (its own conversion when its hardware needs other neuron semantics), or its row. */
function prepareTarget(t: Target | CustomTarget, ctx: TargetContext): ReadyTarget | RowLater {
  const { baseline } = ctx;
  if (t.kind === 'ann') {
    const ann = ctx.annMapping;
    return () => targetResultFromCost(annCost(t as AnnTarget, ann, annActivity(ann)), 'ann', ctx.measured().annAccuracy, 1, baseline);
  }
  const backend = backendFor(t.kind);
  if (backend === undefined) {
    const row = UNAVAILABLE(t.name, t.kind, `no backend is registered for target kind '${t.kind}'`);
    return () => row;
  }
  try {
    // A network whose structure the hardware cannot take at all (netx: branches, max pooling)
    // is unavailable whatever its neuron semantics: found before converting it again.
    if (backend.conversion !== undefined) backend.structure?.(ctx.graphFor(t.kind, undefined).graph);
    const { graph: tg, activity: ta0 } = ctx.granularityFor(t as BackendTarget, backend, ctx.graphFor(t.kind, backend.conversion));
    // Hardware that runs more steps per sample than it is shown (Loihi's synaptic delays) is
    // costed for all of them.
    const steps = backend.stepsPerSample;
    const activity = steps !== undefined ? (): Activity => stretchSteps(ta0(), steps(tg, ta0().T)) : ta0;
    return { t, backend, tg, activity };
  } catch (e) {
    const row = unavailableOn(e, t);
    return () => row;
  }
}

/** A target's files, under its name's folder, into the output (as soon as they are made). */
function outputFiles(t: Target | CustomTarget, made: readonly EmittedFile[], files: FileOut): void {
  files.push(
    ...made.map((f) => ({ path: f.path.startsWith(`${t.kind}/`) ? f.path.replace(`${t.kind}/`, `${t.name}/`) : `${t.name}/${f.path}`, data: f.data })),
  );
}

/** A target's row from its outcome: cost, and accuracy from its hardware simulation when it has one. */
function finishTarget(r: ReadyTarget, o: TargetOutcome, ctx: TargetContext): TargetResult {
  const { t, backend } = r;
  if (!o.ok) return unavailableOn(o.error, t);
  for (const d of o.diagnostics) {
    ctx.diagnostics.push({ severity: d.severity, code: d.code, message: `${t.name}: ${d.message}`, ...(d.node !== undefined ? { node: d.node } : {}) });
  }
  const cost = backend.cost(t as BackendTarget, o.mapping, r.activity());
  if (!Number.isFinite(cost.energyJ) || !Number.isFinite(cost.latencyS) || cost.energyJ < 0 || cost.latencyS < 0) {
    // The cost model is arithmetic on the target's constants: a non-finite result means
    // constants whose products overflow, which is the target file's problem.
    throw fail({
      code: 'SNNC_E_TARGET',
      message: `target '${t.name}': the cost model gives energy ${cost.energyJ} J and latency ${cost.latencyS} s for this network; some of the target's constants are so large that their products overflow`,
      hint: 'check the target file against docs/targets.md (values in SI units, within physical ranges)',
    });
  }
  const acc = o.accuracy;
  const res = targetResultFromCost(cost, t.kind, acc?.accuracy ?? ctx.measured().snnAccuracy, ctx.T, ctx.baseline);
  const note = acc?.note ?? `accuracy is the float SNN simulation at T=${ctx.T}; the target's fixed-point behaviour is not simulated here`;
  return { ...res, assumptions: [note, ...res.assumptions] };
}

/**
 * Every target's row. Each ready target's files and hardware simulation are one job; on two
 * threads the jobs run side by side, the largest on a worker (target-pool.ts), which starts on
 * it while this thread runs `measure` — the float simulation, which only the costs and the
 * rows need (a CIFAR ResNet-18's takes 7 s, its ADC-less crossbar simulation 15 s). `measure`
 * gets the threads it may use. Files are written as jobs finish; diagnostics and rows keep the
 * targets' order.
 */
async function compileTargets(
  targets: readonly (Target | CustomTarget)[],
  ctx: TargetContext,
  threads: number,
  measure: (threads: number | undefined) => void,
): Promise<TargetResult[]> {
  // The worker starts loading now, while the targets' networks are made (Loihi's own conversion).
  const pool = new TargetPool(threads >= 2 && isMainThread && targets.some((t) => t.kind !== 'ann' && BUNDLED_KINDS.has(t.kind)));
  try {
    const ready = targets.map((t) => prepareTarget(t, ctx));
    const isReady = (r: ReadyTarget | RowLater): r is ReadyTarget => typeof r !== 'function';
    const jobs = ready.filter(isReady);
    const outcomes = new Map<ReadyTarget, TargetOutcome>();
    let failed: { readonly error: unknown } | undefined;
    for (const r of jobs) {
      const hw = r.backend.simulate !== undefined ? ctx.hardware() : undefined;
      const devices = r.backend.parseNoise !== undefined ? ctx.devices : undefined;
      const request: TargetRequest = {
        kind: r.t.kind,
        target: r.t as BackendTarget,
        T: ctx.T,
        golden: ctx.golden(r.tg),
        ...(hw !== undefined ? { hardware: devices !== undefined ? { ...hw, devices } : hw } : {}),
      };
      const samples = hw?.data.y.length ?? 0;
      const work = hw === undefined ? 0 : (r.backend.simulateWork?.(request.target, samples, hw.calibration.y.length) ?? samples);
      // Files go out as soon as a target has made them (on either thread); a failure to write
      // them fails the compile below.
      const files = (made: readonly EmittedFile[]): void => {
        try {
          outputFiles(r.t, made, ctx.files);
        } catch (error) {
          failed ??= { error };
        }
      };
      void pool
        .submit(r.tg, BUNDLED_KINDS.has(r.t.kind) ? request : undefined, work, (out) => runTarget(r.backend, r.tg, request, out), files)
        .then((o) => outcomes.set(r, o));
    }
    // The worker takes its first job now; this thread measures meanwhile, on one thread while
    // the worker is busy (a second helper would only take turns with it).
    pool.start();
    measure(pool.busy() ? 1 : undefined);
    await pool.drain();
    // (The last job's continuation is a microtask of its settling, which drain awaited.)
    await new Promise((res) => setImmediate(res));
    if (failed !== undefined) throw failed.error;
    const results: TargetResult[] = [];
    for (const r of ready) {
      if (!isReady(r)) {
        results.push(r());
        continue;
      }
      const o = outcomes.get(r);
      if (o === undefined) throw new Error(`target '${r.t.name}' did not finish`);
      results.push(finishTarget(r, o, ctx));
    }
    return results;
  } finally {
    pool.close();
  }
}

/** The compile report (docs/report.schema.json). */
function reportOf(
  g: Graph,
  opts: CompileOptions,
  sim: SimulateReport,
  results: readonly TargetResult[],
  baseline: CompileReport['baseline'],
  diagnostics: Diagnostics,
  devices: CompileOptions['devices'],
): CompileReport {
  const snn = sim.graph;
  const annAcc = sim.ann?.accuracy ?? sim.snn[sim.snn.length - 1]?.accuracy ?? 0;
  const st = graphStats(g);
  const input = g.values.get(g.inputs[0] ?? '');
  return {
    schemaVersion: 1,
    tool: { name: 'snnc', version: packageVersion() },
    model: {
      name: g.name,
      file: basename(opts.modelFile),
      params: st.params,
      macsPerSample: sim.ann?.macsPerSample ?? st.macs,
      inputShape: [...(input?.shape ?? [])],
    },
    settings: {
      dataset: sim.dataset,
      samples: sim.samples,
      timesteps: sim.snn.map((s) => s.T),
      calibration: snn.meta['snnc.calibration'] ?? 'unknown',
      reset: snn.meta['snnc.reset'] ?? 'subtract',
      coding: snn.meta['snnc.coding'] ?? 'direct',
      ...(devices !== undefined ? { devices: { effects: { ...devices.effects }, seeds: [...devices.seeds] } } : {}),
    },
    accuracy: {
      ann: annAcc,
      snn: sim.snn.map((s) => ({ T: s.T, accuracy: s.accuracy, spikesPerSample: s.spikesPerSample, synopsPerSample: s.synopsPerSample })),
    },
    targets: [...results],
    baseline,
    diagnostics,
  };
}

export async function compileModel(g: Graph, opts: CompileOptions): Promise<CompileResult> {
  checkOptions(COMPILE_OPTIONS, opts);
  const targets = resolveTargets(opts.targets);
  const prepared = prepareModel(g, opts);
  const snn = prepared.graph;
  const T = Math.max(...opts.T);
  const ann = annMapping(g);

  const baselineTarget = loadTarget(BASELINE_TARGET);
  if (baselineTarget.kind !== 'ann') throw new Error('baseline target is not an ANN target');
  const baseCost = annCost(baselineTarget, ann, annActivity(ann));
  const baseline = baselineFromCost(baseCost);

  const files = new FileOut(opts.sink);
  files.push({ path: 'model.snn.onnx', data: exportOnnx(snn) });
  const diagnostics: Diagnostics = [];
  // Notes made before the float simulation, reported after its own (as they always were).
  const conversionNotes: Diagnostics = [];

  const macs = prepared.annMacs ?? graphStats(g).macs;
  const hwSamples = opts.hwSamples ?? defaultHardwareSamples(macs, T);
  // What the hardware simulations run on, against the default's count (both within the test samples).
  const fewer = Math.min(hwSamples, prepared.data.y.length);
  const usual = Math.min(HW_DEFAULT, prepared.data.y.length);
  if (opts.hwSamples === undefined && fewer < usual && targets.some((t) => t.kind !== 'ann')) {
    conversionNotes.push({
      severity: 'info',
      code: 'SNNC_I_HW_SAMPLES',
      message: `the targets' hardware simulations run on the first ${fewer} sample${fewer === 1 ? '' : 's'}, not ${usual}: this network takes ${(macs / 1e9).toFixed(2)} G multiply-accumulates per sample and step, at T = ${T}; pass --hw-samples to set the count`,
    });
  }

  // The float simulation (measureModel) runs while the targets' jobs start (compileTargets);
  // its diagnostics come first in the report, then the notes made before it, then the targets'.
  let sim: SimulateReport | undefined;
  let measured: Measured | undefined;
  const measure = (threads: number | undefined): void => {
    const s = measureModel(g, prepared, opts, threads);
    const last = s.runs[s.runs.length - 1];
    if (last === undefined) throw new Error('simulation produced no run');
    const snnAccuracy = s.snn[s.snn.length - 1]?.accuracy ?? 0;
    measured = { snnAccuracy, annAccuracy: s.ann?.accuracy ?? snnAccuracy, activity: activityFromSimulation(snn, last) };
    sim = s;
    for (const d of s.diagnostics) {
      if (d.severity === 'info' || d.severity === 'warning') {
        diagnostics.push({ severity: d.severity, code: d.code, message: d.message, ...(d.node !== undefined ? { node: d.node } : {}) });
      }
    }
    diagnostics.push(...conversionNotes);
  };
  let hw: { data: SimData; calibration: SimData } | undefined;
  const hardware = (): { data: SimData; calibration: SimData } => (hw ??= hardwareData(snn, opts, hwSamples));
  const measuredNow = (): Measured => {
    if (measured === undefined) throw new Error('the float simulation has not run yet');
    return measured;
  };

  // A backend whose hardware needs other neuron semantics (Loihi: reset to zero, fire on
  // v > θ) gets its own conversion of the ANN (unless --reset was given), and the accuracy
  // difference to the default conversion is reported, not hidden.
  const conversions = new Map<string, { graph: Graph; activity: () => Activity }>();
  const graphFor = (kind: string, conversion: { reset: 'zero' | 'subtract'; fire: 'ge' | 'gt' } | undefined): { graph: Graph; activity: () => Activity } => {
    if (conversion === undefined || isConverted(g) || opts.reset !== undefined) return { graph: snn, activity: () => measuredNow().activity };
    const key = `${kind}/${conversion.reset}/${conversion.fire}`;
    let c = conversions.get(key);
    if (c === undefined) {
      const graph = convertModel(g, { ...opts, ...conversion }).graph;
      const sem = conversionNote(snn, graph, kind, conversion, hardware().data, T);
      conversionNotes.push(sem.note);
      c = { graph, activity: () => sem.activity };
      conversions.set(key, c);
    }
    return c;
  };
  // One per-layer conversion per neuron semantics (compile's options are the same for every
  // target), and one float activity per such network, however many targets choose it.
  const perLayer = new Map<string, { graph: Graph; activity: () => Activity }>();
  const perLayerOf = (o: ConvertOptions): { graph: Graph; activity: () => Activity } => {
    const key = `${o.reset ?? ''}/${o.fire ?? ''}`;
    let c = perLayer.get(key);
    if (c === undefined) {
      const graph = convertModel(g, o).graph;
      let activity: Activity | undefined;
      // Costed from its float activity on the hardware samples, as a Loihi target's own conversion.
      c = { graph, activity: () => (activity ??= activityFromSimulation(graph, simulate(graph, hardware().data, { T }))) };
      perLayer.set(key, c);
    }
    return c;
  };
  // A target whose record chooses between thresholds per layer and per channel (IMC, Loihi)
  // gets the per-layer conversion when its simulation reads that clearly higher on the calibration images.
  const granularityFor: TargetContext['granularityFor'] = (t, backend, net) => {
    const semantics = withTargetSemantics(backend, opts);
    const chosen = chooseGranularity(
      g,
      net.graph,
      semantics,
      backend,
      t,
      T,
      () => hardware().calibration,
      (o) => perLayerOf(o).graph,
    );
    if (chosen === undefined) return net;
    const { choice } = chosen;
    // convert writes reset to zero (--reset) but has no switch for firing on v > θ.
    const convertArgs = semantics.fire === 'gt' ? undefined : `--granularity layer${semantics.reset === 'zero' ? ' --reset zero' : ''}`;
    conversionNotes.push({ severity: 'info', code: 'SNNC_I_THRESHOLD_GRANULARITY', message: granularityNote(t.name, choice, T, { convertArgs }) });
    if (choice.granularity === 'channel') return net;
    return perLayerOf({ ...semantics, granularity: 'layer' });
  };
  let golden: SimData | undefined;
  const ctx: TargetContext = {
    T,
    baseline,
    annMapping: ann,
    measured: measuredNow,
    files,
    diagnostics,
    graphFor,
    granularityFor,
    hardware,
    devices: opts.devices,
    // MACs as the report counts them (after clean-up passes, which find layers an exporter's
    // run-time shapes hide from the imported graph).
    golden: (tg) => (golden ??= firstSamples(tg, opts, goldenCount(macs, T))),
  };
  const threads = opts.threads ?? (availableParallelism() >= 2 ? 2 : 1);
  const results = await compileTargets(targets, ctx, threads, measure);
  if (sim === undefined) throw new Error('the float simulation did not run');

  const ratio = adcLessRatio(results);
  if (ratio !== undefined) diagnostics.push(ratio);

  // The report names device effects only where a target drew chips with them.
  const drew = targets.some((t) => backendFor(t.kind)?.parseNoise !== undefined);
  const report = reportOf(g, opts, sim, results, baseline, diagnostics, drew ? opts.devices : undefined);
  const json = renderJson(report);
  validateReport(JSON.parse(json));
  files.push({ path: 'report.json', data: json }, { path: 'report.md', data: renderMarkdown(report) }, { path: 'report.html', data: renderHtml(report) });
  return { report, files: files.files, paths: files.paths };
}
