// What `import net from './model.onnx?snn'` turns into: the model compiled through the
// library API (the same calls as `snnc quantize` and `snnc compile`), packed as plain data,
// and cached — in memory so parallel imports compile once, on disk so an unchanged rebuild
// does not compile at all. The bundler glue (index.ts) only calls `buildModel`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { compileDevices, compileModel } from '../api/compile.js';
import type { CompileOptions } from '../api/compile.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { loadModel } from '../api/load.js';
import { quantizeModel } from '../api/quantize.js';
import { packageVersion } from '../api/version.js';
import { fail, isSnncError } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import type { BitWidths } from '../passes/quantize-config.js';
import { parseBits } from '../passes/quantize-config.js';
import { checkBudget, describeMiss, parseBudget } from '../report/budget.js';
import type { OptionSchema } from '../options/schema.js';
import { BUDGET, COMPILE_OPTIONS, CONVERT_OPTIONS, DATA_OPTIONS, HW_SAMPLES, QUANTIZE_OPTIONS } from '../options/declarations.js';
import { checkOptions, opt } from '../options/schema.js';
import { MAX_T } from '../sim/snn/simulate.js';
import type { CompileReport } from '../report/types.js';
import type { PackedProgram } from '../runtime/pack.js';
import { packProgram } from '../runtime/pack.js';

/** Options of the plugin: the names and meanings of the CLI's (`snnc compile`, `snnc quantize`). */
export interface SnncPluginOptions {
  /** Targets for the report (names, target JSON files, or 'all'; default 'all'). An empty list skips compile. */
  readonly targets?: string | readonly string[];
  /** Time steps for the report and the default of `run()` (default 32). */
  readonly T?: number;
  /** Bit widths of the program `run()` executes, as `--bits` ("w=4,th=8") or an object (default w=8,th=16). */
  readonly bits?: string | Partial<BitWidths>;
  readonly rounding?: Rounding;
  /** Calibration data: 'mnist', a .npz path, or 'synthetic' (default mnist). */
  readonly calib?: string;
  readonly calibSamples?: number;
  /** Calibration method, e.g. 'percentile:99.9'. */
  readonly method?: string;
  /** Labelled data for the report's accuracy (default mnist test split) and how many samples. */
  readonly dataset?: string;
  readonly n?: number;
  readonly hwSamples?: number;
  /** IMC targets: measure on chips with device non-idealities, as `snnc compile --noise` ("program=1,stuck=0.001"). */
  readonly noise?: string;
  /** With `noise`: how many chips each IMC accuracy is the mean over (default 3). */
  readonly seeds?: number;
  /** Fail the build unless every compiled target meets it, e.g. "accuracy>=97%,energy<=5uJ". */
  readonly budget?: string;
  /** Emit the target artifacts (netx, HLS project, crossbar configs) as build assets (default false). */
  readonly emit?: boolean;
  /** Disk cache folder (default node_modules/.cache/snnc under the current folder); false disables it. */
  readonly cacheDir?: string | false;
  /** Told where each model import came from (for logs and tests); not part of the cache key. */
  readonly onBuild?: (info: BuildInfo) => void;
}

export interface BuildInfo {
  readonly model: string;
  /** 'compile': compiled now; 'disk-cache': read from cacheDir; 'shared': joined a build already running. */
  readonly source: 'compile' | 'disk-cache' | 'shared';
}

export interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
}

/** What a build of one model produced; also the disk cache entry. */
export interface ModelBuild {
  readonly key: string;
  readonly model: string;
  readonly T: number;
  readonly packed: PackedProgram;
  readonly report: CompileReport | null;
  readonly manifest: {
    readonly model: string;
    readonly inputShape: readonly number[];
    readonly classes: number;
    readonly T: number;
    readonly bits: Partial<BitWidths>;
    readonly targets: readonly string[];
    readonly files: readonly ManifestFile[];
    readonly snncVersion: string;
  };
  /** Every file the model was read from, with its sha256: the watch list and cache check. */
  readonly inputs: readonly { readonly path: string; readonly sha256: string }[];
  readonly warnings: readonly string[];
  /** Target artifacts (only with `emit`), base64 so the entry stays JSON. */
  readonly assets: readonly { readonly path: string; readonly base64: string }[];
}

const CACHE_FORMAT = 1;

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_PLUGIN', message, hint });
}

interface Normalized {
  readonly targets: readonly string[];
  readonly T: number;
  readonly bits: Partial<BitWidths>;
  readonly rest: Omit<SnncPluginOptions, 'targets' | 'T' | 'bits' | 'cacheDir' | 'onBuild'>;
}

/**
 * The checked options, declared with the CLI's own definitions (src/options/declarations.ts): a value
 * `snnc compile`/`snnc quantize` refuses, the plugin refuses with the same message, at
 * configuration time, as SNNC_E_PLUGIN.
 */
const PLUGIN_OPTIONS = {
  T: opt.int({ value: 'steps', min: 1, max: MAX_T, help: 'time steps of the report and of run() (default 32)' }),
  bits: QUANTIZE_OPTIONS.bits,
  rounding: QUANTIZE_OPTIONS.rounding,
  calib: CONVERT_OPTIONS.calib,
  calibSamples: CONVERT_OPTIONS.calibSamples,
  method: CONVERT_OPTIONS.method,
  ...DATA_OPTIONS,
  hwSamples: HW_SAMPLES,
  budget: BUDGET,
  noise: opt.string({ value: 'spec', help: 'IMC targets: device non-idealities of the chips measured' }),
  seeds: opt.int({ value: 'n', min: 1, max: 100, help: 'with noise: chips each IMC accuracy is the mean over (default 3)' }),
  emit: opt.switch({ help: 'emit the target artifacts as build assets' }),
} satisfies OptionSchema;

/** Options in one canonical form (the cache key is built from it). */
export function normalizeOptions(o: SnncPluginOptions): Normalized {
  checkOptions(PLUGIN_OPTIONS, o, 'SNNC_E_PLUGIN');
  const targets = o.targets === undefined ? ['all'] : typeof o.targets === 'string' ? [o.targets] : [...o.targets];
  checkOptions({ targets: COMPILE_OPTIONS.targets }, { targets }, 'SNNC_E_PLUGIN');
  const T = o.T ?? 32;
  const bits = typeof o.bits === 'string' ? parseBits(o.bits, 'bits') : { ...(o.bits ?? {}) };
  if (o.budget !== undefined && targets.length === 0) throw usage('a budget needs at least one target to check', "set targets, e.g. ['fpga']");
  devicesOf(targets, o);
  const { targets: _t, T: _T, bits: _b, cacheDir: _c, onBuild: _o, ...rest } = o;
  return { targets, T, bits, rest };
}

/** `noise`/`seeds` as compile takes them; their misuse is the plugin's configuration error. */
function devicesOf(targets: readonly string[], o: Pick<SnncPluginOptions, 'noise' | 'seeds'>): CompileOptions['devices'] {
  try {
    return compileDevices(targets, o.noise, o.seeds, { noise: 'noise', seeds: 'seeds', target: 'targets:' });
  } catch (e) {
    if (isSnncError(e)) throw usage(e.message, e.hint ?? '');
    throw e;
  }
}

function stable(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(stable).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

/** Cache key: the model's bytes, the normalized options and the snnc version. */
export function cacheKey(modelPath: string, o: Normalized): string {
  return sha256(`${sha256(readFileSync(modelPath))}\n${stable(o)}\n${packageVersion()}\n${CACHE_FORMAT}`);
}

export function defaultCacheDir(): string {
  return resolve('node_modules', '.cache', 'snnc');
}

function readCache(dir: string, key: string, modelPath: string): ModelBuild | undefined {
  const file = join(dir, `${key}.json`);
  if (!existsSync(file)) return undefined;
  const model = resolve(modelPath);
  try {
    const b = JSON.parse(readFileSync(file, 'utf8')) as ModelBuild;
    // Files besides the model (external data, shards) are not in the key: check them here
    // (the model's own bytes are, so it is not read a second time).
    if (b.key !== key || b.inputs.some((i) => i.path !== model && (!existsSync(i.path) || sha256(readFileSync(i.path)) !== i.sha256))) return undefined;
    return b;
  } catch {
    return undefined; // a damaged entry is rebuilt, never trusted
  }
}

async function compileFresh(modelPath: string, o: Normalized, key: string): Promise<ModelBuild> {
  const read = new Set<string>();
  const g = await loadModel(modelPath, { onRead: (p) => read.add(resolve(p)) });
  read.add(resolve(modelPath));
  const r = o.rest;
  const convert = await withSyntheticCalibration(g, {
    ...(r.calib !== undefined ? { calib: r.calib } : {}),
    ...(r.calibSamples !== undefined ? { calibSamples: r.calibSamples } : {}),
    ...(r.method !== undefined ? { method: r.method } : {}),
  });
  const q = quantizeModel(g, { ...convert, bits: o.bits, ...(r.rounding !== undefined ? { rounding: r.rounding } : {}) });
  const warnings: string[] = q.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.code}: ${d.message}`);
  let report: CompileReport | null = null;
  let files: readonly { path: string; data: Uint8Array | string }[] = [];
  if (o.targets.length > 0) {
    const devices = devicesOf(o.targets, r);
    const c = await compileModel(g, {
      ...convert,
      modelFile: basename(modelPath),
      targets: o.targets,
      T: [o.T],
      ...(r.dataset !== undefined ? { dataset: r.dataset } : {}),
      ...(r.n !== undefined ? { n: r.n } : {}),
      ...(r.hwSamples !== undefined ? { hwSamples: r.hwSamples } : {}),
      ...(devices !== undefined ? { devices } : {}),
    });
    report = c.report;
    files = c.files;
    warnings.push(...c.report.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.code}: ${d.message}`));
  }
  const program = q.program;
  const out = program.layers.find((l) => l.name === program.output);
  const bytes = (d: Uint8Array | string): Uint8Array => (typeof d === 'string' ? new TextEncoder().encode(d) : d);
  return {
    key,
    model: basename(modelPath),
    T: o.T,
    packed: packProgram(program),
    report,
    manifest: {
      model: basename(modelPath),
      inputShape: [...program.input.shape],
      classes: out === undefined ? 0 : out.outShape.reduce((a, b) => a * b, 1),
      T: o.T,
      bits: o.bits,
      targets: report === null ? [] : report.targets.map((t) => t.target),
      files: files.map((f) => ({ path: f.path, bytes: bytes(f.data).length })),
      snncVersion: packageVersion(),
    },
    inputs: [...read].sort().map((p) => ({ path: p, sha256: sha256(readFileSync(p)) })),
    warnings: [...new Set(warnings)],
    assets: o.rest.emit === true ? files.map((f) => ({ path: f.path, base64: Buffer.from(bytes(f.data)).toString('base64') })) : [],
  };
}

/** Fails with SNNC_E_BUDGET_UNMET (measured vs required, per target) when the budget does not hold. */
export function enforceBudget(b: ModelBuild, budget: string | undefined): void {
  if (budget === undefined || b.report === null) return;
  const misses = checkBudget(b.report, parseBudget(budget, 'budget'));
  if (misses.length > 0) {
    throw fail({
      code: 'SNNC_E_BUDGET_UNMET',
      message: `${b.model} misses its budget: ${misses.map(describeMiss).join('; ')}`,
      file: b.model,
      hint: 'retrain or quantize for the target (snnc retrain, snnc explore), or relax the budget',
    });
  }
}

const inflight = new Map<string, Promise<ModelBuild>>();

/** Compile (or fetch from the caches) one model with the plugin's options. */
export function buildModel(modelPath: string, opts: SnncPluginOptions): Promise<ModelBuild> {
  const o = normalizeOptions(opts);
  if (!existsSync(modelPath))
    return Promise.reject(fail({ code: 'SNNC_E_IO', message: 'model file not found', file: modelPath, hint: 'check the import path' }));
  const key = cacheKey(modelPath, o);
  const running = inflight.get(key);
  if (running !== undefined) {
    opts.onBuild?.({ model: modelPath, source: 'shared' });
    return running;
  }
  const dir = opts.cacheDir === false ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const p = (async () => {
    const hit = dir !== undefined ? readCache(dir, key, modelPath) : undefined;
    if (hit !== undefined) {
      opts.onBuild?.({ model: modelPath, source: 'disk-cache' });
      return hit;
    }
    const b = await compileFresh(modelPath, o, key);
    opts.onBuild?.({ model: modelPath, source: 'compile' });
    if (dir !== undefined) writeFileAtomic(join(dir, `${key}.json`), JSON.stringify(b));
    return b;
  })();
  inflight.set(key, p);
  // Forget failures (so a fixed model is retried) and finished builds (the disk cache has them).
  p.then(
    () => inflight.delete(key),
    () => inflight.delete(key),
  );
  return p;
}

/** The JavaScript module an `?snn` import becomes. */
export function moduleCode(b: ModelBuild, runtimePath: string): string {
  const lit = (x: unknown): string => `JSON.parse(${JSON.stringify(JSON.stringify(x))})`;
  return [
    `import { createNet } from ${JSON.stringify(runtimePath)};`,
    `export const report = ${lit(b.report)};`,
    `export const manifest = ${lit(b.manifest)};`,
    `export const net = createNet(${lit(b.packed)}, { T: ${b.T} });`,
    'export function run(x, opts) { return net.run(x, opts); }',
    'export default { report, manifest, net, run };',
    '',
  ].join('\n');
}
