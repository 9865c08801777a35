// `snnc compile`: the main job. import → clean-up → calibrate/convert → simulate (accuracy
// and activity) → backend (files + mapping) → cost model → reports, for one or all targets.
// Every artifact goes into one folder written atomically by the caller.
import { basename } from 'node:path';
import { fail, isSnncError } from '../errors.js';
import type { DiagnosticCode } from '../errors.js';
import { exportOnnx } from '../frontend/onnx/write.js';
import { programOf } from '../passes/quantize.js';
import type { IntProgram } from '../sim/int/program.js';
import { backendFor } from '../backends/registry.js';
import type { BackendRecord, BackendTarget } from '../backends/registry.js';
import { firstOf, fitToModel, loadDatasetSpec, loadMnistOr } from '../data/spec.js';
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
import { simulateModel } from './simulate.js';
import { convertModel, isConverted } from './convert.js';
import { simulate } from '../sim/snn/simulate.js';
import { packageVersion } from './version.js';
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
}

export interface CompileResult {
  readonly report: CompileReport;
  readonly files: readonly OutputFile[];
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

/** The first hwSamples labelled samples and the calibration images, as the hardware simulations take them. */
function hardwareData(snn: Graph, opts: CompileOptions): { data: SimData; calibration: SimData } {
  const n = opts.hwSamples ?? 100;
  const data = fitToModel(snn, loadDatasetSpec(opts.dataset ?? 'mnist', 'test', Math.min(n, opts.n ?? n)));
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
  opts: CompileOptions,
  T: number,
): { note: { severity: 'info'; code: DiagnosticCode; message: string }; activity: Activity } {
  const n = opts.hwSamples ?? 100;
  const data = fitToModel(snn, loadDatasetSpec(opts.dataset ?? 'mnist', 'test', Math.min(n, opts.n ?? n)));
  const a = simulate(snn, { x: data.x, y: data.y }, { T }).accuracyPerStep[T - 1] ?? 0;
  const r = simulate(other, { x: data.x, y: data.y }, { T });
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

/** The first n test samples (testbench golden vectors). */
function firstSamples(snn: Graph, opts: CompileOptions, n: number): SimData {
  const d = fitToModel(snn, loadDatasetSpec(opts.dataset ?? 'mnist', 'test', n));
  return { x: d.x, y: d.y };
}

export function resolveTargets(names: readonly string[]): (Target | CustomTarget)[] {
  const list = names.flatMap((n) => (n === 'all' ? [...SNN_TARGETS] : [n]));
  if (list.length === 0)
    throw fail({ code: 'SNNC_E_USAGE', message: 'no target given', hint: `--target all, or one of: ${bundledTargetNames().join(', ')}, or a JSON file` });
  return [...new Set(list)].map((n) => loadAnyTarget(n));
}

/** What compiling one target needs from the compile around it (files and diagnostics are appended to). */
interface TargetContext {
  readonly T: number;
  readonly snnAccuracy: number;
  readonly baseline: CompileReport['baseline'];
  readonly ann: { readonly mapping: ReturnType<typeof annMapping>; readonly accuracy: number };
  readonly files: OutputFile[];
  readonly diagnostics: Diagnostics;
  /** The network this kind runs (its own conversion when it needs other neuron semantics) and its activity. */
  readonly graphFor: (kind: string, conversion: BackendRecord['conversion']) => { graph: Graph; activity: Activity };
  readonly hardware: () => { data: SimData; calibration: SimData };
  readonly golden: (tg: Graph) => SimData;
}

type Diagnostics = { severity: 'info' | 'warning'; code: string; message: string; node?: string }[];

/** One target's row: emitted files, cost, and accuracy from its hardware simulation when it has one. */
async function compileTarget(t: Target | CustomTarget, ctx: TargetContext): Promise<TargetResult> {
  const { T, snnAccuracy, baseline, files, diagnostics } = ctx;
  if (t.kind === 'ann') {
    const ann = ctx.ann.mapping;
    return targetResultFromCost(annCost(t as AnnTarget, ann, annActivity(ann)), 'ann', ctx.ann.accuracy, 1, baseline);
  }
  const backend = backendFor(t.kind);
  if (backend === undefined) return UNAVAILABLE(t.name, t.kind, `no backend is registered for target kind '${t.kind}'`);
  try {
    // A network whose structure the hardware cannot take at all (netx: branches, max pooling)
    // is unavailable whatever its neuron semantics: found before converting it again.
    if (backend.conversion !== undefined) backend.structure?.(ctx.graphFor(t.kind, undefined).graph);
    const { graph: tg, activity: ta0 } = ctx.graphFor(t.kind, backend.conversion);
    // Hardware that runs more steps per sample than it is shown (Loihi's synaptic delays) is
    // costed for all of them.
    const ta = backend.stepsPerSample !== undefined ? stretchSteps(ta0, backend.stepsPerSample(tg, ta0.T)) : ta0;
    let program: IntProgram | undefined;
    const programOnce = (): IntProgram => (program ??= programOf(tg));
    const r = await backend.emit(tg, t as BackendTarget, { T, program: programOnce, golden: ctx.golden(tg) });
    files.push(
      ...r.files.map((f) => ({ path: f.path.startsWith(`${t.kind}/`) ? f.path.replace(`${t.kind}/`, `${t.name}/`) : `${t.name}/${f.path}`, data: f.data })),
    );
    for (const d of r.diagnostics) {
      diagnostics.push({ severity: d.severity, code: d.code, message: `${t.name}: ${d.message}`, ...(d.node !== undefined ? { node: d.node } : {}) });
    }
    const cost = backend.cost(t as BackendTarget, r.mapping, ta);
    if (!Number.isFinite(cost.energyJ) || !Number.isFinite(cost.latencyS) || cost.energyJ < 0 || cost.latencyS < 0) {
      // The cost model is arithmetic on the target's constants: a non-finite result means
      // constants whose products overflow, which is the target file's problem.
      throw fail({
        code: 'SNNC_E_TARGET',
        message: `target '${t.name}': the cost model gives energy ${cost.energyJ} J and latency ${cost.latencyS} s for this network; some of the target's constants are so large that their products overflow`,
        hint: 'check the target file against docs/targets.md (values in SI units, within physical ranges)',
      });
    }
    const acc = backend.simulate?.(tg, t as BackendTarget, { T, program: programOnce, ...ctx.hardware() });
    const res = targetResultFromCost(cost, t.kind, acc?.accuracy ?? snnAccuracy, T, baseline);
    const note = acc?.note ?? `accuracy is the float SNN simulation at T=${T}; the target's fixed-point behaviour is not simulated here`;
    return { ...res, assumptions: [note, ...res.assumptions] };
  } catch (e) {
    // A graph the backend can't express is a result for that target, not a failed compile.
    if (!isSnncError(e) || (e.code !== 'SNNC_E_BACKEND' && e.code !== 'SNNC_E_QUANTIZE')) throw e;
    return UNAVAILABLE(t.name, t.kind, `${e.message}${e.hint !== undefined ? ` (${e.hint})` : ''}`);
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
  const sim = simulateModel(g, opts);
  const snn = sim.graph;
  const last = sim.runs[sim.runs.length - 1];
  if (last === undefined) throw new Error('simulation produced no run');
  const T = last.T;
  const snnAccuracy = sim.snn[sim.snn.length - 1]?.accuracy ?? 0;
  const activity: Activity = activityFromSimulation(snn, last);
  const annAcc = sim.ann?.accuracy ?? snnAccuracy;
  const ann = annMapping(g);

  const baselineTarget = loadTarget(BASELINE_TARGET);
  if (baselineTarget.kind !== 'ann') throw new Error('baseline target is not an ANN target');
  const baseCost = annCost(baselineTarget, ann, annActivity(ann));
  const baseline = baselineFromCost(baseCost);

  const files: OutputFile[] = [{ path: 'model.snn.onnx', data: exportOnnx(snn) }];
  const diagnostics: Diagnostics = [];
  for (const d of sim.diagnostics) {
    if (d.severity === 'info' || d.severity === 'warning') {
      diagnostics.push({ severity: d.severity, code: d.code, message: d.message, ...(d.node !== undefined ? { node: d.node } : {}) });
    }
  }

  // A backend whose hardware needs other neuron semantics (Loihi: reset to zero, fire on
  // v > θ) gets its own conversion of the ANN (unless --reset was given), and the accuracy
  // difference to the default conversion is reported, not hidden.
  const conversions = new Map<string, { graph: Graph; activity: Activity }>();
  const graphFor = (kind: string, conversion: { reset: 'zero' | 'subtract'; fire: 'ge' | 'gt' } | undefined): { graph: Graph; activity: Activity } => {
    if (conversion === undefined || isConverted(g) || opts.reset !== undefined) return { graph: snn, activity };
    const key = `${kind}/${conversion.reset}/${conversion.fire}`;
    let c = conversions.get(key);
    if (c === undefined) {
      const graph = convertModel(g, { ...opts, ...conversion }).graph;
      const sem = conversionNote(snn, graph, kind, conversion, opts, T);
      diagnostics.push(sem.note);
      c = { graph, activity: sem.activity };
      conversions.set(key, c);
    }
    return c;
  };
  let hw: { data: SimData; calibration: SimData } | undefined;
  let golden: SimData | undefined;
  const ctx: TargetContext = {
    T,
    snnAccuracy,
    baseline,
    files,
    diagnostics,
    graphFor,
    ann: { mapping: ann, accuracy: annAcc },
    hardware: () => (hw ??= hardwareData(snn, opts)),
    golden: (tg) => (golden ??= firstSamples(tg, opts, 4)),
  };
  const results: TargetResult[] = [];
  for (const t of targets) results.push(await compileTarget(t, ctx));

  const ratio = adcLessRatio(results);
  if (ratio !== undefined) diagnostics.push(ratio);

  const report = reportOf(g, opts, sim, results, baseline, diagnostics);
  const json = renderJson(report);
  validateReport(JSON.parse(json));
  files.push({ path: 'report.json', data: json }, { path: 'report.md', data: renderMarkdown(report) }, { path: 'report.html', data: renderHtml(report) });
  return { report, files };
}
