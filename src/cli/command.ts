// What every command module shares: the Command record, the CLI's I/O, and the positional
// check. Kept apart from the command table (commands.ts), which imports every command, so the
// commands do not import the table back (no import cycle).
import { fail } from '../errors.js';
import type { OptionSchema } from '../options/schema.js';

export interface CliIO {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly isTTY: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly description: string;
  readonly options: OptionSchema;
  readonly examples: readonly string[];
  readonly run: (argv: readonly string[], io: CliIO) => Promise<number>;
}

export function requirePositional(pos: readonly string[], n: number, what: string, command: string): string {
  const v = pos[n];
  if (v === undefined) {
    throw fail({ code: 'SNNC_E_USAGE', message: `missing ${what}`, hint: `usage: see 'snnc ${command} --help'` });
  }
  return v;
}
