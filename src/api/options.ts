// One option schema for the command line, the library API and the bundler plugin. Each option
// is declared once — its API key, its flag, its help line, and the rules its value obeys — and
// both doors go through the same rules: `snnc compile --n 0` and `compileModel(g, { n: 0 })`
// fail with the same SNNC_E_USAGE message (the flag named as `--n`, the key as `n`). The CLI
// parses text into the typed values the API takes, so a command spreads its parsed options
// straight into the API call, and `--help` is generated from the same declarations.
import { fail, isSnncError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import { parseMethod, METHODS_HELP } from '../passes/calibrate.js';
import type { BitWidths } from '../passes/quantize-config.js';
import { BIT_KEYS, checkBits, parseBits, parseLayerOverride, parseRounding } from '../passes/quantize-config.js';
import type { Budget } from '../report/budget.js';
import { parseBudget } from '../report/budget.js';
import { MAX_T } from '../sim/snn/simulate.js';
import type { Shard } from './explore-space.js';
import { parseBitList, parseRoundingList, parseShard } from './explore-space.js';

export interface OptionDef<T> {
  /** The flag on the command line when it is not the key in kebab case (`calibSamples` → `--calib-samples`). */
  readonly flag?: string;
  readonly short?: string;
  /** Placeholder of the value in --help; absent for a switch (a boolean flag). */
  readonly value?: string;
  readonly help: string;
  /** The flag may be given several times; `parse` sees every occurrence. */
  readonly repeatable?: boolean;
  /** Command-line text (every occurrence, in order) → the value. */
  readonly parse: (texts: readonly string[], where: string) => T;
  /** A library caller's value → the same value by the same rules (or SNNC_E_USAGE). */
  readonly check: (value: unknown, where: string) => T;
}

export type OptionSchema = Readonly<Record<string, OptionDef<unknown>>>;

/** The typed values a schema describes: what the CLI parses and the API takes. */
export type OptionValues<S extends OptionSchema> = { readonly [K in keyof S]?: S[K] extends OptionDef<infer T> ? T : never };

function usage(message: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, ...(hint !== undefined ? { hint } : {}) });
}

/** `calibSamples` → `calib-samples`; a one-letter key (`T`, `n`) stays as it is. */
export function flagOf(key: string, def: Pick<OptionDef<unknown>, 'flag'>): string {
  return def.flag ?? (key.length === 1 ? key : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
}

type Spec = Omit<OptionDef<unknown>, 'parse' | 'check'>;

function last(texts: readonly string[]): string {
  return texts[texts.length - 1] ?? '';
}

/** A single-valued option whose text parser also checks a library caller's strings. */
function fromText<T>(spec: Spec, parse: (s: string, where: string) => T, check: (v: unknown, where: string) => T): OptionDef<T> {
  return { ...spec, parse: (t, w) => parse(last(t), w), check };
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw usage(`${where} must be an integer from ${min} to ${max}, got '${String(v)}'`);
  }
  return v;
}

function num(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw usage(`${where} must be a number from ${min} to ${max}, got '${String(v)}'`);
  }
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw usage(`${where} must be a string, got ${typeof v}`);
  return v;
}

/** Number(' ') is 0 and Number('') is 0: text must look like a number before it is one. */
function textNumber(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

function intList(v: unknown, where: string, min: number, max: number): readonly number[] {
  if (!Array.isArray(v) || v.length === 0) throw usage(`${where} must be a non-empty list of integers, got '${String(v)}'`, 'e.g. 8,16,32');
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw usage(`${where}: ${String(x)} is not an integer from ${min} to ${max}`, 'e.g. 8,16,32');
  }
  return v as readonly number[];
}

/** The builders every option is declared with. */
export const opt = {
  switch(spec: Omit<Spec, 'value'>): OptionDef<boolean> {
    const check = (v: unknown, where: string): boolean => {
      if (typeof v !== 'boolean') throw usage(`${where} must be true or false, got '${String(v)}'`);
      return v;
    };
    return { ...spec, parse: () => true, check };
  },
  string(spec: Spec): OptionDef<string> {
    return fromText(spec, (s) => s, str);
  },
  /** A repeatable flag whose API value is a list of strings. */
  strings(spec: Spec): OptionDef<readonly string[]> {
    const check = (v: unknown, where: string): readonly string[] => {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw usage(`${where} must be a list of strings`);
      return v as readonly string[];
    };
    return { ...spec, repeatable: true, parse: (t) => [...t], check };
  },
  int(spec: Spec & { readonly min: number; readonly max: number }): OptionDef<number> {
    return fromText(spec, (s, w) => {
      const n = textNumber(s);
      if (!Number.isInteger(n)) throw usage(`${w} must be an integer from ${spec.min} to ${spec.max}, got '${s}'`);
      return int(n, w, spec.min, spec.max);
    }, (v, w) => int(v, w, spec.min, spec.max));
  },
  number(spec: Spec & { readonly min: number; readonly max: number }): OptionDef<number> {
    return fromText(spec, (s, w) => {
      const x = textNumber(s);
      if (!Number.isFinite(x)) throw usage(`${w} must be a number from ${spec.min} to ${spec.max}, got '${s}'`);
      return num(x, w, spec.min, spec.max);
    }, (v, w) => num(v, w, spec.min, spec.max));
  },
  choice<const C extends readonly string[]>(spec: Spec & { readonly values: C }): OptionDef<C[number]> {
    const check = (v: unknown, where: string): C[number] => {
      if (typeof v !== 'string' || !spec.values.includes(v)) throw usage(`${where} must be one of ${spec.values.join(', ')}, got '${String(v)}'`);
      return v;
    };
    return fromText(spec, check, check);
  },
  /** "8,16,32" on the command line, [8, 16, 32] in the API. */
  intList(spec: Spec & { readonly min: number; readonly max: number }): OptionDef<readonly number[]> {
    return fromText(spec, (s, w) => {
      const parts = s.split(',').map((x) => x.trim());
      const xs = parts.map(Number);
      if (parts.some((p) => p === '') || xs.some((x) => !Number.isFinite(x))) throw usage(`${w} expects comma-separated numbers, got '${s}'`, 'e.g. 8,16,32');
      return intList(xs, w, spec.min, spec.max);
    }, (v, w) => intList(v, w, spec.min, spec.max));
  },
  /** Text parsed by `parse`; a library caller passes either that text or the parsed value (checked by `checkValue`). */
  parsed<T>(spec: Spec, parse: (s: string, where: string) => T, checkValue: (v: unknown, where: string) => T): OptionDef<T> {
    return fromText(spec, parse, (v, w) => (typeof v === 'string' ? parse(v, w) : checkValue(v, w)));
  },
};

/**
 * Checks the options a library caller passed against a schema (keys the schema does not
 * declare are the caller's own business and pass through). `code` lets the bundler plugin
 * report its bad options as SNNC_E_PLUGIN.
 */
export function checkOptions(schema: OptionSchema, opts: object, code: ErrorCode = 'SNNC_E_USAGE'): void {
  const values = opts as Readonly<Record<string, unknown>>;
  for (const [key, def] of Object.entries(schema)) {
    const v = values[key];
    if (v === undefined) continue;
    try {
      def.check(v, key);
    } catch (e) {
      if (code !== 'SNNC_E_USAGE' && isSnncError(e) && e.code === 'SNNC_E_USAGE') throw fail({ code, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
      throw e;
    }
  }
}

/** The value of one option from its command-line occurrences. */
export function parseOption<T>(key: string, def: OptionDef<T>, raw: string | boolean | readonly string[]): T {
  const where = `--${flagOf(key, def)}`;
  if (typeof raw === 'boolean') return def.check(raw, where);
  return def.parse(typeof raw === 'string' ? [raw] : raw, where);
}

// ---- Shared declarations -------------------------------------------------------------------

const MAX_SAMPLES = 10_000_000;

function checkBitsObject(v: unknown, where: string): Partial<BitWidths> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage(`${where} must be "k=b,…" or an object such as { w: 4, th: 8 }`);
  for (const [k, b] of Object.entries(v as Record<string, unknown>)) {
    if (!(BIT_KEYS as readonly string[]).includes(k)) throw usage(`${where}: unknown key '${k}'`, 'keys: w (weights), th (thresholds), b (biases), v (membrane), in (input)');
    checkBits(k, b as number | 'auto', where);
  }
  return v as Partial<BitWidths>;
}

function checkNumberList(v: unknown, where: string, min: number, max: number): readonly number[] {
  return intList(v, where, min, max);
}

function checkRoundingList(v: unknown, where: string): readonly Rounding[] {
  if (!Array.isArray(v) || v.length === 0) throw usage(`${where} must be a non-empty list of roundings`, 'trunc, nearest, stochastic');
  return v.map((x) => parseRounding(str(x, where), where));
}

function checkBudget(v: unknown, where: string): Budget {
  if (!Array.isArray(v)) throw usage(`${where} must be text such as "accuracy>=97%,energy<=5uJ" or a parsed budget`);
  return v as Budget;
}

/** How a model file is read (loadModel). */
export const LOAD_OPTIONS = {
  nirDt: opt.number({ value: 'seconds', min: 1e-12, max: 1e6, help: 'NIR input only: the time step its constants are read with (default 1e-4; Sinabs files: 1, Rockpool: its dt, e.g. 1e-3)' }),
} satisfies OptionSchema;

/** ANN → SNN conversion (convertModel, and everything that converts first). */
export const CONVERT_OPTIONS = {
  calib: opt.string({ value: 'mnist|file.npz', help: "calibration data: the embedded MNIST train split (default), a .npz with x, y, or 'synthetic' (data-free)" }),
  calibSamples: opt.int({ value: 'n', min: 1, max: 1_000_000, help: 'calibration samples (default 512)' }),
  method: fromText({ value: 'm', help: `threshold balancing statistic: ${METHODS_HELP} (default percentile:99.99)` }, (s, w) => { parseMethod(s, w); return s; }, (v, w) => { parseMethod(str(v, w), w); return v as string; }),
  granularity: opt.choice({ value: 'layer|channel', values: ['layer', 'channel'], help: 'one threshold per layer or per channel (default channel)' }),
  reset: opt.choice({ value: 'subtract|zero', values: ['subtract', 'zero'], help: 'membrane reset after a spike (default subtract)' }),
  coding: opt.choice({ value: 'direct|poisson', values: ['direct', 'poisson'], help: 'input coding (default direct: the analog input every step)' }),
  maxpool: opt.choice({ value: 'gate|avg', values: ['gate', 'avg'], help: 'MaxPool as spike-count gating (default) or replaced by AvgPool' }),
  seed: opt.int({ value: 'n', min: 0, max: 2 ** 31 - 1, help: 'seed for every random choice (default 0)' }),
  verify: opt.switch({ help: 'verify the IR after every pass' }),
  dumpAfter: opt.string({ flag: 'dump-ir-after', value: 'pass', help: 'print the IR after a pass (canonicalize, fold-batchnorm, calibrate, convert, fold-avgpool)' }),
} satisfies OptionSchema;

/** Time steps as a list (simulate, compile, explore); each command states its own default. */
export const TIMESTEPS = opt.intList({ value: 'list', min: 1, max: MAX_T, help: 'time steps, comma-separated' });

/** Evaluation data. */
export const DATA_OPTIONS = {
  dataset: opt.string({ value: 'mnist|file.npz', help: 'labelled test data (default mnist: the embedded test split, 2,004 images)' }),
  n: opt.int({ value: 'samples', min: 1, max: MAX_SAMPLES, help: 'use only the first n samples' }),
} satisfies OptionSchema;

/** Samples for a target's own simulation (IMC functional, Loihi bit-accurate). */
export const HW_SAMPLES = opt.int({ value: 'n', min: 1, max: MAX_SAMPLES, help: 'samples for the target simulations' });

/** Quantization (quantizeModel, explore's fixed settings). */
export const QUANTIZE_OPTIONS = {
  bits: opt.parsed<Partial<BitWidths>>({ value: 'k=b,…', help: 'bit widths for every layer, e.g. w=4,th=8 (defaults w=8,th=16,b=16,v=auto,in=8)' }, (s, w) => parseBits(s, w), checkBitsObject),
  rounding: opt.parsed<Rounding>({ value: 'trunc|nearest|stochastic', help: 'rounding of every parameter (default nearest)' }, (s, w) => parseRounding(s, w), (v, w) => parseRounding(str(v, w), w)),
  layers: {
    flag: 'layer', value: 'name:k=b,…', repeatable: true, help: 'widths for one layer, e.g. conv1:w=6',
    parse: (texts, where) => {
      const out: Record<string, Partial<BitWidths>> = {};
      for (const t of texts) {
        const [name, bits] = parseLayerOverride(t, where);
        out[name] = { ...out[name], ...bits };
      }
      return out;
    },
    check: (v, where) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage(`${where} must map layer names to bit widths, e.g. { conv1: { w: 6 } }`);
      for (const [name, b] of Object.entries(v as Record<string, unknown>)) checkBitsObject(b, `${where} ${name}`);
      return v as Readonly<Record<string, Partial<BitWidths>>>;
    },
  } satisfies OptionDef<Readonly<Record<string, Partial<BitWidths>>>>,
  pow2: opt.switch({ help: 'power-of-two scales (shift-only hardware)' }),
  overflow: opt.choice({ value: 'saturate|wrap', values: ['saturate', 'wrap'], help: 'membrane overflow (default saturate)' }),
} satisfies OptionSchema;

/** The sweep of `snnc explore`. */
export const SWEEP_OPTIONS = {
  weightBits: opt.parsed<readonly number[]>({ flag: 'bits', value: 'list', help: 'weight bits: a range and/or list, e.g. 2..8 or 2,4,8 (default 2..8)' }, (s, w) => parseBitList(s, w), (v, w) => checkNumberList(v, w, 1, 16)),
  neuronBits: opt.parsed<readonly number[]>({ value: 'list', help: 'threshold and bias bits, same syntax (default 8)' }, (s, w) => parseBitList(s, w), (v, w) => checkNumberList(v, w, 1, 16)),
  rounding: opt.parsed<readonly Rounding[]>({ value: 'list', help: "trunc, nearest, stochastic, comma-separated, or 'all' (default all)" }, (s, w) => parseRoundingList(s, w), checkRoundingList),
  maxAccuracyDrop: opt.number({ value: 'pp', min: 0, max: 100, help: 'allowed accuracy loss in percentage points (default 0.5)' }),
  reference: opt.choice({ value: 'snn|ann', values: ['snn', 'ann'], help: 'what the drop is measured against: the float SNN at the largest T (default) or the ANN' }),
  workers: opt.int({ value: 'n', min: 1, max: 256, help: 'parallel worker threads (default: the number of cores, at most 8)' }),
  shard: opt.parsed<Shard>({ value: 'i/n', help: 'run only shard i of n of the sweep (then snnc explore merge)' }, (s, w) => parseShard(s, w), (v, w) => {
    const s = v as Partial<Shard> | null;
    if (s === null || typeof s !== 'object' || typeof s.index !== 'number' || typeof s.count !== 'number') throw usage(`${w} must be "i/n" or { index, count }`);
    return parseShard(`${s.index}/${s.count}`, w);
  }),
} satisfies OptionSchema;

/** A budget: "accuracy>=97%,energy<=5uJ,latency<=1ms". */
export const BUDGET = opt.parsed<Budget>({ value: 'limits', help: 'e.g. "accuracy>=98%,energy<=5uJ,latency<=1ms"' }, (s, w) => parseBudget(s, w), checkBudget);

/** The options of `values` that `schema` declares (for handing one part of a command's options to one call). */
export function pick<S extends OptionSchema>(values: object, schema: S): OptionValues<S> {
  const from = values as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) if (from[key] !== undefined) out[key] = from[key];
  return out as OptionValues<S>;
}

/** simulateModel. */
export const SIMULATE_OPTIONS = {
  ...DATA_OPTIONS,
  T: TIMESTEPS,
  earlyExit: opt.number({ value: 'margin', min: 0, max: Number.MAX_VALUE, help: 'stop a sample once top-1 minus top-2 of its mean readout reaches this margin' }),
  mode: opt.choice({ value: 'time-stepped|event-driven', values: ['time-stepped', 'event-driven'], help: 'simulation engine (identical results; default event-driven, the faster on the examples)' }),
  ...CONVERT_OPTIONS,
} satisfies OptionSchema;

/** compileModel. */
export const COMPILE_OPTIONS = {
  targets: opt.strings({ flag: 'target', short: 't', value: 'name', help: "target name, target JSON file, or 'all' (default all)" }),
  ...DATA_OPTIONS,
  T: TIMESTEPS,
  hwSamples: HW_SAMPLES,
  ...CONVERT_OPTIONS,
} satisfies OptionSchema;

/** The target whose cost model explore uses when none is given. */
export const DEFAULT_EXPLORE_TARGET = 'fpga';

/** exploreModel (its conversion options too). */
export const EXPLORE_OPTIONS = {
  ...DATA_OPTIONS,
  ...SWEEP_OPTIONS,
  T: { ...TIMESTEPS, help: 'time steps, comma-separated (default 8,16,32)' },
  target: opt.string({ value: 'name', help: `target whose cost model gives energy and latency (default ${DEFAULT_EXPLORE_TARGET}; loihi2, imc-hpadc, imc-adcless or a JSON file)` }),
  overflow: QUANTIZE_OPTIONS.overflow,
  ...CONVERT_OPTIONS,
} satisfies OptionSchema;

/** Knowledge distillation from the original ANN (retrainModel's `kd`). */
export interface Distillation {
  readonly teacherTemp: number;
  readonly studentTemp: number;
  readonly weight: number;
}

/** "teacher=4,student=1,weight=0.7" → KD settings (weight default 0.5). */
export function parseKd(s: string, where = '--kd'): Distillation {
  const kv = new Map<string, number>();
  for (const part of s.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(teacher|student|weight)=([0-9]*\.?[0-9]+)$/.exec(part);
    if (m === null) throw fail({ code: 'SNNC_E_USAGE', message: `${where}: '${part}' is not teacher=<T>, student=<T> or weight=<w>`, hint: 'e.g. --kd teacher=4,student=1,weight=0.7' });
    kv.set(m[1] ?? '', Number(m[2]));
  }
  const teacherTemp = kv.get('teacher') ?? 1;
  const studentTemp = kv.get('student') ?? teacherTemp;
  const weight = kv.get('weight') ?? 0.5;
  if (teacherTemp <= 0 || studentTemp <= 0) throw fail({ code: 'SNNC_E_USAGE', message: `${where} temperatures must be positive`, hint: 'e.g. --kd teacher=4,student=1' });
  if (weight < 0 || weight > 1) throw fail({ code: 'SNNC_E_USAGE', message: `${where} weight must be in [0, 1], got ${weight}` });
  return { teacherTemp, studentTemp, weight };
}


function checkKd(v: unknown, where: string): Distillation {
  const k = v as Partial<Distillation> | null;
  if (k === null || typeof k !== 'object') throw usage(`${where} must be "teacher=4,student=1,weight=0.5" or { teacherTemp, studentTemp, weight }`);
  return parseKd(`teacher=${String(k.teacherTemp)},student=${String(k.studentTemp)},weight=${String(k.weight)}`, where);
}

/** retrainModel. */
export const RETRAIN_OPTIONS = {
  target: opt.string({ short: 't', value: 'name', help: 'the target to train for: loihi1, loihi2, imc-hpadc, fpga, or a target JSON file' }),
  T: opt.int({ value: 'steps', min: 1, max: MAX_T, help: 'time steps the network will run (default 32)' }),
  budget: { ...BUDGET, help: 'e.g. "accuracy>=98%,energy<=5uJ,latency<=1ms"; stops once it holds' },
  rounds: opt.int({ value: 'n', min: 1, max: 100, help: 'training rounds, each measured on the hardware simulation (default 3)' }),
  epochsPerRound: opt.int({ flag: 'epochs', value: 'n', min: 1, max: 1000, help: 'epochs per round (default 2)' }),
  levels: opt.int({ value: 'L', min: 0, max: 1024, help: 'quantization levels of each activation (QCFS; default T when T ≤ 16, else 0 = plain clip)' }),
  weightBits: opt.int({ value: 'b', min: 2, max: 16, help: 'weight bits to train for and deploy with (default 8)' }),
  kd: opt.parsed<Distillation>({ value: 'teacher=4,student=1,weight=0.5', help: 'distil from the original ANN with these temperatures' }, parseKd, checkKd),
  rateWeight: opt.number({ value: 'x', min: 0, max: 100, help: 'penalty on the mean firing rate (fewer spikes, less energy; default 0)' }),
  learningRate: opt.number({ flag: 'lr', value: 'rate', min: 1e-8, max: 1, help: 'Adam learning rate of the weights (default 1e-4; 1e-3 for --weight-bits 2)' }),
  clipLearningRate: opt.number({ flag: 'clip-lr', value: 'rate', min: 0, max: 1, help: 'Adam learning rate of the clips, in log scale (default 1e-2)' }),
  dataset: { ...DATA_OPTIONS.dataset, help: 'train split trains, test split measures (default mnist)' },
  trainSamples: opt.int({ value: 'n', min: 1, max: MAX_SAMPLES, help: 'training images per epoch (default all)' }),
  hwSamples: { ...HW_SAMPLES, help: 'test images each round is measured on (default 500)' },
  seed: { ...CONVERT_OPTIONS.seed, help: 'seed of shuffling and conversion (default 0)' },
} satisfies OptionSchema;

/** quantizeModel (its conversion options too). */
export const QUANTIZE_MODEL_OPTIONS = {
  ...QUANTIZE_OPTIONS,
  scheme: opt.choice({ value: 'after-conversion|ann-first', values: ['after-conversion', 'ann-first'], help: 'quantize the converted SNN (default) or the ANN before converting' }),
  ...CONVERT_OPTIONS,
} satisfies OptionSchema;
