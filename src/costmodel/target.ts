// Hardware targets: JSON files validated by targets/schema.json (ajv, JSON Schema
// 2020-12). A bundled name ('loihi1') resolves to <package>/targets/<name>.json; anything
// that looks like a path is read as a user file. Failures are SNNC_E_TARGET errors that
// name the file and the JSON pointer of the problem.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Import from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { fail, isSnncError } from '../errors.js';

export type Status = 'confirmed' | 'secondary' | 'assumption';
export type Unit = 'J' | 's' | 'W' | 'Hz' | 'V' | 'S' | 'ohm' | 'bits' | 'bytes' | 'count' | 'ratio' | 'um2' | 'mm2' | 'nm';

/** One sourced number. */
export interface Constant {
  readonly value: number;
  readonly unit: Unit;
  readonly source: string;
  readonly status: Status;
  readonly note?: string;
}

interface TargetBase {
  readonly schemaVersion: 1;
  readonly name: string;
  readonly description: string;
}

export interface LoihiTarget extends TargetBase {
  readonly kind: 'loihi';
  readonly chip: {
    readonly cores: Constant;
    readonly coresPerTile: Constant;
    readonly meshWidth: Constant;
    readonly meshHeight: Constant;
    readonly compartmentsPerCore: Constant;
    readonly axonsInPerCore: Constant;
    readonly axonsOutPerCore: Constant;
    readonly synapseBitsPerCore: Constant;
    readonly weightBits: Constant;
  };
  readonly energy: Readonly<Record<LoihiEvent, Constant>> & { readonly staticPower?: Constant };
  readonly time: Readonly<Record<LoihiEvent, Constant>> & {
    readonly barrier: readonly { readonly tiles: number; readonly latency: Constant }[];
  };
}
export type LoihiEvent = 'synopDense' | 'synopConv' | 'neuronAccess' | 'neuronUpdate' | 'spikeGen' | 'axonOut' | 'hopEastWest' | 'hopNorthSouth';

export type ImcAdc =
  | {
      readonly type: 'sar';
      readonly bits: Constant;
      readonly columnsPerAdc: Constant;
      readonly biasPowerPerBit: Constant;
      readonly biasPowerOffset: Constant;
      readonly timePerBit: Constant;
      readonly area: Constant;
    }
  | {
      readonly type: 'sense-amp';
      readonly bits: Constant;
      readonly columnsPerAdc: Constant;
      readonly energy: Constant;
      readonly latency: Constant;
      readonly area: Constant;
      /**
       * References of a layer whose input is the same every step step through T offsets of this
       * width (in levels; sense-amp.ts ditheredRefs); absent or 0: fixed references.
       */
      readonly referenceDither?: Constant;
    };

export interface ImcTarget extends TargetBase {
  readonly kind: 'imc';
  readonly crossbar: { readonly rows: Constant; readonly cols: Constant; readonly cellBits: Constant; readonly technology: Constant };
  readonly device: {
    readonly readVoltage: Constant;
    readonly readPulse: Constant;
    readonly rOn: Constant;
    readonly rOff: Constant;
    readonly onFraction: Constant;
    readonly inputOneFraction: Constant;
  };
  readonly adc: ImcAdc;
  readonly digital: {
    readonly addEnergy: Constant;
    readonly addLatency: Constant;
    readonly bufferEnergyPerBit: Constant;
    readonly neuronUpdateEnergy: Constant;
    readonly neuronUpdateLatency: Constant;
    /** Energy per bit sent between chips (optional: without it, inter-chip traffic is not costed). */
    readonly interChipEnergyPerBit?: Constant;
  };
  readonly area: { readonly cell: Constant };
}

export interface FpgaTarget extends TargetBase {
  readonly kind: 'fpga';
  readonly board: { readonly name: string; readonly part: string; readonly document: string };
  readonly resources: { readonly luts: Constant; readonly ffs: Constant; readonly dsps: Constant; readonly bram36: Constant; readonly uram: Constant };
  readonly clock: Constant;
  readonly pipelineOverheadCycles: Constant;
  readonly power: {
    readonly static: Constant;
    readonly multiplierPerCycle: Constant;
    readonly adderPerCycle: Constant;
    readonly bramPer36KbPerCycle: Constant;
  };
}

export interface AnnTarget extends TargetBase {
  readonly kind: 'ann';
  readonly energy: { readonly mac: Constant };
  readonly macRate: Constant;
  readonly memory: { readonly accessEnergy: Constant; readonly accessBits: Constant; readonly valueBits: Constant };
}

export type Target = LoihiTarget | ImcTarget | FpgaTarget | AnnTarget;

/** A target of a kind registered from outside snnc (registerBackend): common fields + its own. */
export interface CustomTarget extends TargetBase {
  readonly kind: string;
  readonly [field: string]: unknown;
}

// ---------------------------------------------------------------- locating files

function findPackageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'targets'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error('snnc package root (package.json + targets/) not found above ' + fileURLToPath(import.meta.url));
    d = up;
  }
}

/** Folder holding the bundled target files and schema.json. */
export function targetsDir(): string {
  return join(findPackageRoot(), 'targets');
}

/** Names of the bundled targets, sorted. */
export function bundledTargetNames(): string[] {
  return readdirSync(targetsDir())
    .filter((f) => f.endsWith('.json') && f !== 'schema.json')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

// ---------------------------------------------------------------- validation

// ajv ships CommonJS; under NodeNext its default export arrives as the module object.
type AjvCtor = new (opts: Record<string, unknown>) => { compile(schema: unknown): ValidateFunction };
const Ajv2020 = ((Ajv2020Import as unknown as { default?: AjvCtor }).default ?? Ajv2020Import) as unknown as AjvCtor;

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  if (validator === undefined) {
    const schema: unknown = JSON.parse(readFileSync(join(targetsDir(), 'schema.json'), 'utf8'));
    // strictTypes is off because if/then branches carry `properties` without `type`.
    validator = new Ajv2020({ allErrors: true, strict: true, strictTypes: false }).compile(schema);
  }
  return validator;
}

/** `/energy/synop/unit: must be equal to one of the allowed values (J, s, ...)` */
function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '/' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  let msg = e.message ?? e.keyword;
  if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) msg += ` (${params['allowedValues'].join(', ')})`;
  if (e.keyword === 'const') msg += ` (${JSON.stringify(params['allowedValue'])})`;
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    const p = params['additionalProperty'] ?? params['unevaluatedProperty'];
    msg += ` (${String(p)})`;
  }
  return `${at}: ${msg}`;
}

/** Kinds described by targets/schema.json (the cost-only 'ann' baselines included). */
export const BUNDLED_KINDS: ReadonlySet<string> = new Set(['loihi', 'imc', 'fpga', 'ann']);
const customKinds = new Map<string, ValidateFunction>();

/**
 * Accept target files of a kind snnc does not bundle (called by registerBackend): they must
 * have the common fields and match `schema` (JSON Schema 2020-12).
 */
export function registerTargetKind(kind: string, schema: Readonly<Record<string, unknown>>): void {
  let v: ValidateFunction;
  try {
    v = new Ajv2020({ allErrors: true, strict: false }).compile({
      allOf: [
        {
          type: 'object',
          required: ['schemaVersion', 'name', 'kind', 'description'],
          properties: {
            schemaVersion: { const: 1 },
            name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
            kind: { const: kind },
            description: { type: 'string', minLength: 1 },
          },
        },
        schema,
      ],
    });
  } catch (e) {
    throw fail({
      code: 'SNNC_E_TARGET',
      message: `the target schema of kind '${kind}' does not compile: ${(e as Error).message}`,
      hint: 'give a JSON Schema 2020-12 object',
    });
  }
  customKinds.set(kind, v);
}

function customKindOf(data: unknown): ValidateFunction | undefined {
  const kind = typeof data === 'object' && data !== null ? (data as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && !BUNDLED_KINDS.has(kind) ? customKinds.get(kind) : undefined;
}

/** Validate parsed JSON as a target; `file` is used in the error message. */
function validateTarget(data: unknown, file: string): Target {
  const v = getValidator();
  if (v(data)) return data as Target;
  return fromErrors(v, file);
}

/** A bundled target, or one of a registered kind (registerBackend). */
function validateAnyTarget(data: unknown, file: string): Target | CustomTarget {
  const custom = customKindOf(data);
  if (custom === undefined) return validateTarget(data, file);
  if (custom(data)) return data as CustomTarget;
  return fromErrors(custom, file);
}

function fromErrors(v: ValidateFunction, file: string): never {
  // if/then wrappers only repeat the inner error; and when a branch fails, ajv also calls
  // that branch's properties 'unevaluated', so those are reported only when alone.
  let errors = (v.errors ?? []).filter((e) => e.keyword !== 'if');
  const real = errors.filter((e) => e.keyword !== 'unevaluatedProperties');
  if (real.length > 0) errors = real;
  const lines = [...new Set(errors.map(describeError))];
  throw fail({
    code: 'SNNC_E_TARGET',
    message: `target file does not match targets/schema.json:\n  ${lines.join('\n  ')}`,
    file,
    hint: 'Every numeric constant is { "value", "unit", "source", "status" }; compare with a bundled target and docs/targets.md.',
  });
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || s.endsWith('.json');
}

/** Load a bundled target by name ('imc-adcless') or a user target file by path. */
export function loadTarget(nameOrPath: string): Target {
  const t = loadAnyTarget(nameOrPath);
  if (!BUNDLED_KINDS.has(t.kind))
    throw fail({
      code: 'SNNC_E_TARGET',
      message: `target '${t.name}' is of kind '${t.kind}', which this command cannot use`,
      hint: 'compile uses registered kinds; other commands take loihi, imc, fpga and ann targets',
    });
  return t as Target;
}

/** loadTarget, also for kinds registered with registerBackend. */
export function loadAnyTarget(nameOrPath: string): Target | CustomTarget {
  let file: string;
  if (looksLikePath(nameOrPath)) {
    file = resolve(nameOrPath);
  } else {
    const names = bundledTargetNames();
    if (!names.includes(nameOrPath)) {
      throw fail({
        code: 'SNNC_E_TARGET',
        message: `unknown target '${nameOrPath}'; bundled targets: ${names.join(', ')}`,
        hint: 'Pass one of the bundled names, or a path to your own target file (e.g. ./mychip.json).',
      });
    }
    file = join(targetsDir(), `${nameOrPath}.json`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fail({ code: 'SNNC_E_TARGET', message: `cannot read target file: ${(e as Error).message}`, file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    if (isSnncError(e)) throw e;
    throw fail({ code: 'SNNC_E_TARGET', message: `target file is not valid JSON: ${(e as Error).message}`, file });
  }
  return validateAnyTarget(data, file);
}
