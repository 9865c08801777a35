// Thin wrapper over node:util parseArgs that turns its errors into SNNC_E_USAGE
// and adds the options every command shares.
import { parseArgs } from 'node:util';
import { fail, isSnncError } from '../errors.js';
import { memoryLimit, parseBytes, setMemoryLimit } from '../ir/memory.js';
import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** One line for --help; `<value>` names the argument. */
  readonly help: string;
  readonly value?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export const COMMON_OPTIONS: OptionTable = {
  help: { type: 'boolean', short: 'h', help: 'show help for this command' },
  json: { type: 'boolean', help: 'print machine-readable JSON on stdout (errors too)' },
  quiet: { type: 'boolean', short: 'q', help: 'print nothing but errors' },
  debug: { type: 'boolean', help: 'print stack traces for errors' },
  'max-elements': { type: 'string', value: 'n', help: 'largest tensor any stage may allocate (default 268435456 = 2^28)' },
  'max-memory': { type: 'string', value: 'size', help: 'stop with SNNC_E_LIMIT once memory use passes this, e.g. 1.5GB (default: 80 % of RAM)' },
};

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
}

export function parseCommandArgs(argv: readonly string[], table: OptionTable, command: string): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...COMMON_OPTIONS, ...table })) {
    options[name] = {
      type: spec.type,
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  try {
    const r = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    const mem = r.values['max-memory'];
    if (typeof mem === 'string') applyMaxMemory(mem);
    else if (memoryLimit() === undefined) setMemoryLimit(defaultMemoryLimit());
    return { positionals: r.positionals, values: r.values as ParsedArgs['values'] };
  } catch (e) {
    if (isSnncError(e)) throw e;
    throw fail({
      code: 'SNNC_E_USAGE',
      message: (e as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
      hint: `run 'snnc ${command} --help' for the options`,
    });
  }
}

export function stringOpt(a: ParsedArgs, name: string): string | undefined {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOpt(a: ParsedArgs, name: string): readonly string[] {
  const v = a.values[name];
  if (Array.isArray(v)) return v as readonly string[];
  return typeof v === 'string' ? [v] : [];
}

export function flag(a: ParsedArgs, name: string): boolean {
  return a.values[name] === true;
}

export function intOpt(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const s = stringOpt(a, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw fail({ code: 'SNNC_E_USAGE', message: `--${name} must be an integer from ${min} to ${max}, got '${s}'` });
  }
  return n;
}

export function numberOpt(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const s = stringOpt(a, name);
  if (s === undefined) return undefined;
  const x = Number(s);
  if (!Number.isFinite(x) || x < min || x > max) {
    throw fail({ code: 'SNNC_E_USAGE', message: `--${name} must be a number from ${min} to ${max}, got '${s}'` });
  }
  return x;
}

export function formatOptions(table: OptionTable): string {
  const rows = Object.entries({ ...table, ...COMMON_OPTIONS }).map(([name, s]) => {
    const left = `${s.short !== undefined ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` <${s.value ?? 'value'}>` : ''}`;
    return [left, s.help + (s.multiple === true ? ' (repeatable)' : '')] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `  ${l.padEnd(w)}${r}`).join('\n');
}

/** --max-memory applies to every command, so it is taken here, where every command's options pass. */
function applyMaxMemory(s: string): void {
  const bytes = parseBytes(s);
  if (bytes === undefined || bytes < 2 ** 20) {
    throw fail({ code: 'SNNC_E_USAGE', message: `--max-memory must be a size such as 800MB or 1.5GB, got '${s}'`, hint: 'units: B, KB, MB, GB, TB (powers of 1024); at least 1MB' });
  }
  setMemoryLimit(bytes);
}

/** 80 % of the memory this process may use: the cgroup limit when there is one, else the RAM. */
function defaultMemoryLimit(): number {
  const cgroup = constrainedMemory();
  const total = totalmem();
  return Math.floor((cgroup > 0 && cgroup < total ? cgroup : total) * 0.8);
}
