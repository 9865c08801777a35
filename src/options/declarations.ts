// The options snnc's commands, API functions and bundler plugin share, each declared once
// (src/options/schema.ts says how): conversion, data, time steps, quantization, the explore
// sweep, retraining. A command's own options (its output folder, its switches) are declared
// beside the command; everything an API function takes is here, so the API checks it too.
import { fail } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import { parseMethod, METHODS_HELP } from '../passes/calibrate.js';
import type { BitWidths } from '../passes/quantize-config.js';
import { BIT_KEYS, checkBits, parseBits, parseLayerOverride, parseRounding } from '../passes/quantize-config.js';
import type { Budget } from '../report/budget.js';
import { parseBudget } from '../report/budget.js';
import { MAX_T } from '../sim/snn/simulate.js';
import type { OptionDef, OptionSchema } from './schema.js';
import { fromText, intList, opt, str, usage } from './schema.js';

const MAX_SAMPLES = 10_000_000;

function checkBitsObject(v: unknown, where: string): Partial<BitWidths> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage(`${where} must be "k=b,…" or an object such as { w: 4, th: 8 }`);
  for (const [k, b] of Object.entries(v as Record<string, unknown>)) {
    if (!(BIT_KEYS as readonly string[]).includes(k))
      throw usage(`${where}: unknown key '${k}'`, 'keys: w (weights), th (thresholds), b (biases), v (membrane), in (input)');
    checkBits(k, b as number | 'auto', where);
  }
  return v as Partial<BitWidths>;
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
  nirDt: opt.number({
    value: 'seconds',
    min: 1e-12,
    max: 1e6,
    help: 'NIR input only: the time step its constants are read with (default 1e-4; Sinabs files: 1, Rockpool: its dt, e.g. 1e-3)',
  }),
} satisfies OptionSchema;

/** ANN → SNN conversion (convertModel, and everything that converts first). */
export const CONVERT_OPTIONS = {
  calib: opt.string({
    value: 'mnist|file.npz',
    help: "calibration data: the embedded MNIST train split (default), a .npz with x, y, or 'synthetic' (data-free)",
  }),
  calibSamples: opt.int({ value: 'n', min: 1, max: 1_000_000, help: 'calibration samples (default 512)' }),
  method: fromText(
    { value: 'm', help: `threshold balancing statistic: ${METHODS_HELP} (default percentile:99.99)` },
    (s, w) => {
      parseMethod(s, w);
      return s;
    },
    (v, w) => {
      parseMethod(str(v, w), w);
      return v as string;
    },
  ),
  granularity: opt.choice({
    value: 'layer|channel',
    values: ['layer', 'channel'],
    help: 'one threshold per layer or per channel (default channel; compile and simulate --target let IMC and Loihi targets choose by their simulation)',
  }),
  reset: opt.choice({ value: 'subtract|zero', values: ['subtract', 'zero'], help: 'membrane reset after a spike (default subtract)' }),
  coding: opt.choice({ value: 'direct|poisson', values: ['direct', 'poisson'], help: 'input coding (default direct: the analog input every step)' }),
  maxpool: opt.choice({ value: 'gate|avg', values: ['gate', 'avg'], help: 'MaxPool as spike-count gating (default) or replaced by AvgPool' }),
  seed: opt.int({ value: 'n', min: 0, max: 2 ** 31 - 1, help: 'seed for every random choice (default 0)' }),
  verify: opt.switch({ help: 'verify the IR after every pass' }),
  dumpAfter: opt.string({
    flag: 'dump-ir-after',
    value: 'pass',
    help: 'print the IR after a pass (canonicalize, fold-batchnorm, calibrate, convert, fold-avgpool)',
  }),
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
  bits: opt.parsed<Partial<BitWidths>>(
    { value: 'k=b,…', help: 'bit widths for every layer, e.g. w=4,th=8 (defaults w=8,th=16,b=16,v=auto,in=8)' },
    (s, w) => parseBits(s, w),
    checkBitsObject,
  ),
  rounding: opt.parsed<Rounding>(
    { value: 'trunc|nearest|stochastic', help: 'rounding of every parameter (default nearest)' },
    (s, w) => parseRounding(s, w),
    (v, w) => parseRounding(str(v, w), w),
  ),
  layers: {
    flag: 'layer',
    value: 'name:k=b,…',
    repeatable: true,
    help: 'widths for one layer, e.g. conv1:w=6',
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

// ---- The sweep of `snnc explore` ----

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export const MAX_UNITS = 4096;

/** "2..8" → [2, …, 8]; "2,4,8" → [2, 4, 8]; each a width in 1–16 (via checkBits). */
export function parseBitList(s: string, option: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',').map((x) => x.trim())) {
    const m = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    if (m !== null) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      checkBits('w', a, option);
      checkBits('w', b, option);
      if (a > b) throw usage(`${option}: range '${part}' is empty`, 'write the smaller width first, e.g. 2..8');
      for (let k = a; k <= b; k++) out.push(k);
      continue;
    }
    if (!/^\d+$/.test(part)) throw usage(`${option}: '${part}' is not a bit width or a range`, 'e.g. 2..8 or 2,4,8 (widths 1–16)');
    const v = Number(part);
    checkBits('w', v, option);
    out.push(v);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** "trunc,nearest" → ['trunc', 'nearest']; 'all' = every rounding; a typo names the closest. */
export function parseRoundingList(s: string, where = '--rounding'): Rounding[] {
  if (s.trim() === 'all') return ['trunc', 'nearest', 'stochastic'];
  const out = s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((x) => parseRounding(x, where));
  if (out.length === 0) throw usage(`${where}: no rounding given`, 'e.g. --rounding nearest,stochastic');
  return [...new Set(out)];
}

/** "2/4" → { index: 2, count: 4 }. */
export function parseShard(s: string, where = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || !(count >= 1) || !(index >= 1) || index > count || count > MAX_UNITS) {
    throw usage(`${where} '${s}' is not i/n with 1 ≤ i ≤ n`, 'e.g. --shard 1/2 on one machine and --shard 2/2 on another, then snnc explore merge');
  }
  return { index, count };
}

/** The sweep of `snnc explore`. */
const SWEEP_OPTIONS = {
  weightBits: opt.parsed<readonly number[]>(
    { flag: 'bits', value: 'list', help: 'weight bits: a range and/or list, e.g. 2..8 or 2,4,8 (default 2..8)' },
    (s, w) => parseBitList(s, w),
    (v, w) => intList(v, w, 1, 16),
  ),
  neuronBits: opt.parsed<readonly number[]>(
    { value: 'list', help: 'threshold and bias bits, same syntax (default 8)' },
    (s, w) => parseBitList(s, w),
    (v, w) => intList(v, w, 1, 16),
  ),
  rounding: opt.parsed<readonly Rounding[]>(
    { value: 'list', help: "trunc, nearest, stochastic, comma-separated, or 'all' (default all)" },
    (s, w) => parseRoundingList(s, w),
    checkRoundingList,
  ),
  maxAccuracyDrop: opt.number({ value: 'pp', min: 0, max: 100, help: 'allowed accuracy loss in percentage points (default 0.5)' }),
  reference: opt.choice({
    value: 'snn|ann',
    values: ['snn', 'ann'],
    help: 'what the drop is measured against: the float SNN at the largest T (default) or the ANN',
  }),
  workers: opt.int({ value: 'n', min: 1, max: 256, help: 'parallel worker threads (default: the number of cores, at most 8)' }),
  shard: opt.parsed<Shard>(
    { value: 'i/n', help: 'run only shard i of n of the sweep (then snnc explore merge)' },
    (s, w) => parseShard(s, w),
    (v, w) => {
      const s = v as Partial<Shard> | null;
      if (s === null || typeof s !== 'object' || typeof s.index !== 'number' || typeof s.count !== 'number')
        throw usage(`${w} must be "i/n" or { index, count }`);
      return parseShard(`${s.index}/${s.count}`, w);
    },
  ),
} satisfies OptionSchema;

/** A budget: "accuracy>=97%,energy<=5uJ,latency<=1ms". */
export const BUDGET = opt.parsed<Budget>({ value: 'limits', help: 'e.g. "accuracy>=98%,energy<=5uJ,latency<=1ms"' }, (s, w) => parseBudget(s, w), checkBudget);

/** simulateModel. */
export const SIMULATE_OPTIONS = {
  ...DATA_OPTIONS,
  T: TIMESTEPS,
  earlyExit: opt.number({
    value: 'margin',
    min: 0,
    max: Number.MAX_VALUE,
    help: 'stop a sample once top-1 minus top-2 of its mean readout reaches this margin',
  }),
  mode: opt.choice({
    value: 'time-stepped|event-driven',
    values: ['time-stepped', 'event-driven'],
    help: 'simulation engine (identical results; default event-driven, the faster on the examples)',
  }),
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
  target: opt.string({
    value: 'name',
    help: `target whose cost model gives energy and latency (default ${DEFAULT_EXPLORE_TARGET}; loihi2, imc-hpadc, imc-adcless or a JSON file)`,
  }),
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
function parseKd(s: string, where = '--kd'): Distillation {
  const kv = new Map<string, number>();
  for (const part of s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const m = /^(teacher|student|weight)=([0-9]*\.?[0-9]+)$/.exec(part);
    if (m === null)
      throw fail({
        code: 'SNNC_E_USAGE',
        message: `${where}: '${part}' is not teacher=<T>, student=<T> or weight=<w>`,
        hint: 'e.g. --kd teacher=4,student=1,weight=0.7',
      });
    kv.set(m[1] ?? '', Number(m[2]));
  }
  const teacherTemp = kv.get('teacher') ?? 1;
  const studentTemp = kv.get('student') ?? teacherTemp;
  const weight = kv.get('weight') ?? 0.5;
  if (teacherTemp <= 0 || studentTemp <= 0)
    throw fail({ code: 'SNNC_E_USAGE', message: `${where} temperatures must be positive`, hint: 'e.g. --kd teacher=4,student=1' });
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
  target: opt.string({ short: 't', value: 'name', help: 'the target to train for: loihi1, loihi2, imc-hpadc, imc-adcless, fpga, or a target JSON file' }),
  T: opt.int({ value: 'steps', min: 1, max: MAX_T, help: 'time steps the network will run (default 32)' }),
  budget: { ...BUDGET, help: 'e.g. "accuracy>=98%,energy<=5uJ,latency<=1ms"; stops once it holds' },
  rounds: opt.int({ value: 'n', min: 1, max: 100, help: 'training rounds, each measured on the hardware simulation (default 3)' }),
  epochsPerRound: opt.int({ flag: 'epochs', value: 'n', min: 1, max: 1000, help: 'epochs per round (default 2; 1 for imc-adcless)' }),
  levels: opt.int({ value: 'L', min: 0, max: 1024, help: 'quantization levels of each activation (QCFS; default T when T ≤ 16, else 0 = plain clip)' }),
  weightBits: opt.int({ value: 'b', min: 2, max: 16, help: 'weight bits to train for and deploy with (default 8)' }),
  senseDither: opt.number({
    value: 'w',
    min: 0,
    max: 4,
    help: "imc-adcless: reference dither of the analog first layer, in levels (default: the target file's adc.referenceDither, else 1; 0 = fixed references)",
  }),
  hardwareForward: opt.switch({
    help: 'imc-adcless: run every training batch on the functional simulation and train on its values (slower; physics-aware training)',
  }),
  stepByStep: opt.switch({
    help: 'imc-adcless: train the spiking network itself, T steps of binary spikes through the sense amplifiers (surrogate gradients; slower, and the training forward then reads what the hardware reads)',
  }),
  progressive: opt.switch({
    help: 'imc-adcless: before the rounds, bring the sense amplifiers in one layer at a time, the later layers exact meanwhile (Apolinario et al. 2023)',
  }),
  noise: opt.string({
    value: 'spec',
    help: 'IMC device non-idealities to train against and measure with, keys as snnc simulate --noise (e.g. program=3,stuck=0.01): every training batch draws the cells anew, every round is the mean over --seeds chips',
  }),
  deviceSeeds: opt.int({
    flag: 'seeds',
    value: 'n',
    min: 1,
    max: 100,
    help: 'with --noise: chips (device seeds 0…n−1) each round is measured on (default 2); the check measures the chosen round on n other chips',
  }),
  kd: opt.parsed<Distillation>(
    {
      value: 'teacher=4,student=1,weight=0.5',
      help: 'distil from the original ANN with these temperatures; a student cooler than its teacher asks for fewer spikes (clips held, fewest-spike round within 0.2 pp)',
    },
    parseKd,
    checkKd,
  ),
  rateWeight: opt.number({ value: 'x', min: 0, max: 100, help: 'penalty on the mean firing rate (fewer spikes, less energy; default 0)' }),
  learningRate: opt.number({
    flag: 'lr',
    value: 'rate',
    min: 1e-8,
    max: 1,
    help: 'Adam learning rate of the weights (default 1e-4; 1e-3 for --weight-bits 2; 5e-4 on Loihi at T ≤ 16)',
  }),
  clipLearningRate: opt.number({
    flag: 'clip-lr',
    value: 'rate',
    min: 0,
    max: 1,
    help: 'Adam learning rate of the clips, in log scale (default 1e-2; 0, clips held, with --kd student < teacher and no --rate-weight)',
  }),
  dataset: {
    ...DATA_OPTIONS.dataset,
    help: "labelled data: the train split trains, the test split's first --hw-samples measure the rounds (default mnist; a .npz file is both, those images held out of training)",
  },
  trainSamples: opt.int({ value: 'n', min: 1, max: MAX_SAMPLES, help: 'training images per epoch (default all; the first 2000 for imc-adcless)' }),
  hwSamples: { ...HW_SAMPLES, help: 'images each round is measured on (default 500: the first test images; a .npz file holds them out of training)' },
  checkSamples: opt.int({
    value: 'n',
    min: 0,
    max: MAX_SAMPLES,
    help: 'test images after those the chosen round is measured on once more (embedded MNIST; default --hw-samples; 0: none; 1504 after 500: the rest of the split)',
  }),
  seed: { ...CONVERT_OPTIONS.seed, help: 'seed of shuffling and conversion (default 0)' },
} satisfies OptionSchema;

/** quantizeModel (its conversion options too). */
export const QUANTIZE_MODEL_OPTIONS = {
  ...QUANTIZE_OPTIONS,
  scheme: opt.choice({
    value: 'after-conversion|ann-first',
    values: ['after-conversion', 'ann-first'],
    help: 'quantize the converted SNN (default) or the ANN before converting',
  }),
  ...CONVERT_OPTIONS,
} satisfies OptionSchema;
