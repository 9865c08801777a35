// The option schema's machinery: an option is declared once — its API key, its flag, its help
// line, and the rule its value obeys — and both doors go through that rule. The command line
// parses text with `parse` into the typed value the API takes; a library caller's value goes
// through `check`. So `snnc compile --n 0` and `compileModel(g, { n: 0 })` fail with the same
// SNNC_E_USAGE sentence (the flag named as `--n`, the key as `n`), and --help is generated from
// the same declarations (src/cli/args.ts). The shared declarations are in declarations.ts.
import { fail, isSnncError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

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

export function usage(message: string, hint?: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, ...(hint !== undefined ? { hint } : {}) });
}

/** `calibSamples` → `calib-samples`; a one-letter key (`T`, `n`) stays as it is. */
export function flagOf(key: string, def: Pick<OptionDef<unknown>, 'flag'>): string {
  return def.flag ?? (key.length === 1 ? key : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
}

export type Spec = Omit<OptionDef<unknown>, 'parse' | 'check'>;

function last(texts: readonly string[]): string {
  return texts[texts.length - 1] ?? '';
}

/** A single-valued option whose text parser also checks a library caller's strings. */
export function fromText<T>(spec: Spec, parse: (s: string, where: string) => T, check: (v: unknown, where: string) => T): OptionDef<T> {
  return { ...spec, parse: (t, w) => parse(last(t), w), check };
}

interface Range {
  readonly min: number;
  readonly max: number;
}

/** A number in [min, max] (an integer when `integer`); `shown` is what the message quotes (the user's text). */
function ranged(v: unknown, where: string, r: Range, integer: boolean, shown: string = String(v)): number {
  if (typeof v !== 'number' || !(integer ? Number.isInteger(v) : Number.isFinite(v)) || v < r.min || v > r.max) {
    throw usage(`${where} must be ${integer ? 'an integer' : 'a number'} from ${r.min} to ${r.max}, got '${shown}'`);
  }
  return v;
}

function rangedOption(spec: Spec & Range, integer: boolean): OptionDef<number> {
  return fromText(
    spec,
    (s, w) => ranged(textNumber(s), w, spec, integer, s),
    (v, w) => ranged(v, w, spec, integer),
  );
}

export function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw usage(`${where} must be a string, got ${typeof v}`);
  return v;
}

/** Number(' ') is 0 and Number('') is 0: text must look like a number before it is one. */
function textNumber(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

export function intList(v: unknown, where: string, min: number, max: number): readonly number[] {
  if (!Array.isArray(v) || v.length === 0) throw usage(`${where} must be a non-empty list of integers, got '${String(v)}'`, 'e.g. 8,16,32');
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)
      throw usage(`${where}: ${String(x)} is not an integer from ${min} to ${max}`, 'e.g. 8,16,32');
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
  int(spec: Spec & Range): OptionDef<number> {
    return rangedOption(spec, true);
  },
  number(spec: Spec & Range): OptionDef<number> {
    return rangedOption(spec, false);
  },
  choice<const C extends readonly string[]>(spec: Spec & { readonly values: C }): OptionDef<C[number]> {
    const check = (v: unknown, where: string): C[number] => {
      if (typeof v !== 'string' || !spec.values.includes(v)) throw usage(`${where} must be one of ${spec.values.join(', ')}, got '${String(v)}'`);
      return v;
    };
    return fromText(spec, check, check);
  },
  /** "8,16,32" on the command line, [8, 16, 32] in the API. */
  intList(spec: Spec & Range): OptionDef<readonly number[]> {
    return fromText(
      spec,
      (s, w) => {
        const parts = s.split(',').map((x) => x.trim());
        const xs = parts.map(Number);
        if (parts.some((p) => p === '') || xs.some((x) => !Number.isFinite(x))) throw usage(`${w} expects comma-separated numbers, got '${s}'`, 'e.g. 8,16,32');
        return intList(xs, w, spec.min, spec.max);
      },
      (v, w) => intList(v, w, spec.min, spec.max),
    );
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
      if (code !== 'SNNC_E_USAGE' && isSnncError(e) && e.code === 'SNNC_E_USAGE')
        throw fail({ code, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
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

/** The options of `values` that `schema` declares (for handing one part of a command's options to one call). */
export function pick<S extends OptionSchema>(values: object, schema: S): OptionValues<S> {
  const from = values as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) if (from[key] !== undefined) out[key] = from[key];
  return out as OptionValues<S>;
}
