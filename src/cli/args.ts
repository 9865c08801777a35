// The command line's side of the option schema (src/options/schema.ts): node:util parseArgs for
// the syntax, the schema for the values (typed, checked by the same rules as the API), the
// options every command shares, and --help rows generated from the same declarations.
import { parseArgs } from 'node:util';
import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';
import { fail, isSnncError } from '../errors.js';
import { memoryLimit, parseBytes, setMemoryLimit } from '../ir/memory.js';
import type { OptionSchema, OptionValues } from '../options/schema.js';
import { flagOf, opt, parseOption } from '../options/schema.js';

export const COMMON_OPTIONS = {
  help: opt.switch({ short: 'h', help: 'show help for this command' }),
  json: opt.switch({ help: 'print machine-readable JSON on stdout (errors too)' }),
  quiet: opt.switch({ short: 'q', help: 'print nothing but errors' }),
  debug: opt.switch({ help: 'print stack traces for errors' }),
  maxElements: opt.int({ value: 'n', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'largest tensor any stage may allocate (default 268435456 = 2^28)' }),
  maxMemory: opt.parsed<number>(
    { value: 'size', help: 'stop with SNNC_E_LIMIT once memory use passes this, e.g. 1.5GB (default: 80 % of RAM)' },
    parseMemory,
    (v, w) => parseMemory(String(v), w),
  ),
} satisfies OptionSchema;

export interface ParsedArgs<S extends OptionSchema> {
  readonly positionals: readonly string[];
  readonly values: OptionValues<S> & OptionValues<typeof COMMON_OPTIONS>;
}

/** Parses a command's arguments into the typed values of its schema (SNNC_E_USAGE on any mistake). */
export function parseCommandArgs<S extends OptionSchema>(argv: readonly string[], schema: S, command: string): ParsedArgs<S> {
  const all: OptionSchema = { ...COMMON_OPTIONS, ...schema };
  const syntax: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  const keyOf = new Map<string, string>();
  for (const [key, def] of Object.entries(all)) {
    const flag = flagOf(key, def);
    keyOf.set(flag, key);
    syntax[flag] = {
      type: def.value === undefined ? 'boolean' : 'string',
      ...(def.short !== undefined ? { short: def.short } : {}),
      ...(def.repeatable === true ? { multiple: true } : {}),
    };
  }
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args: [...argv], options: syntax, allowPositionals: true, strict: true });
  } catch (e) {
    if (isSnncError(e)) throw e;
    throw fail({
      code: 'SNNC_E_USAGE',
      message: (e as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
      hint: `run 'snnc ${command} --help' for the options`,
    });
  }
  const values: Record<string, unknown> = {};
  for (const [flag, raw] of Object.entries(r.values)) {
    const key = keyOf.get(flag);
    const def = key !== undefined ? all[key] : undefined;
    if (key === undefined || def === undefined || raw === undefined) continue;
    values[key] = parseOption(key, def, raw as string | boolean | readonly string[]);
  }
  // --max-memory applies to every command, so it is taken here, where every command's options pass.
  const mem = values['maxMemory'];
  if (typeof mem === 'number') setMemoryLimit(mem);
  else if (memoryLimit() === undefined) setMemoryLimit(defaultMemoryLimit());
  return { positionals: r.positionals, values: values as ParsedArgs<S>['values'] };
}

/** The value of a required option, or SNNC_E_USAGE naming it. */
export function required<T>(v: T | undefined, what: string, command: string): T {
  if (v === undefined) throw fail({ code: 'SNNC_E_USAGE', message: `missing ${what}`, hint: `see 'snnc ${command} --help'` });
  return v;
}

export function formatOptions(schema: OptionSchema): string {
  const rows = Object.entries({ ...schema, ...COMMON_OPTIONS }).map(([key, s]) => {
    const left = `${s.short !== undefined ? `-${s.short}, ` : '    '}--${flagOf(key, s)}${s.value !== undefined ? ` <${s.value}>` : ''}`;
    return [left, s.help + (s.repeatable === true ? ' (repeatable)' : '')] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(w)}${r}`).join('\n');
}

function parseMemory(s: string, where: string): number {
  const bytes = parseBytes(s);
  if (bytes === undefined || bytes < 2 ** 20) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `${where} must be a size such as 800MB or 1.5GB, got '${s}'`,
      hint: 'units: B, KB, MB, GB, TB (powers of 1024); at least 1MB',
    });
  }
  return bytes;
}

/** 80 % of the memory this process may use: the cgroup limit when there is one, else the RAM. */
function defaultMemoryLimit(): number {
  const cgroup = constrainedMemory();
  const total = totalmem();
  return Math.floor((cgroup > 0 && cgroup < total ? cgroup : total) * 0.8);
}
