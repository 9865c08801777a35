#!/usr/bin/env node
// The snnc command line: a thin shell over the library API. It maps SnncError to
// exit code 2 and a plain message, anything else (a bug) to exit code 1.
import { packageVersion } from '../api/version.js';
import { isSnncError } from '../errors.js';
import { releaseOutputs } from '../io/atomic.js';
import { COMMANDS, commandHelp, mainHelp } from './commands.js';
import type { CliIO } from './command.js';

export function version(): string {
  return packageVersion();
}

export type { CliIO } from './command.js';

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY === true,
};

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      const cmd = topic !== undefined ? COMMANDS.find((c) => c.name === topic) : undefined;
      io.stdout((cmd !== undefined ? commandHelp(cmd) : mainHelp()) + '\n');
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout(version() + '\n');
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd === undefined) {
      io.stderr(`error SNNC_E_USAGE: unknown command '${name}'\n  hint: run 'snnc --help' for the list of commands\n`);
      if (json) io.stdout(JSON.stringify({ error: { code: 'SNNC_E_USAGE', message: `unknown command '${name}'` } }) + '\n');
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(commandHelp(cmd) + '\n');
      return 0;
    }
    try {
      return await cmd.run(rest, io);
    } finally {
      releaseOutputs();
    }
  } catch (e) {
    if (isSnncError(e)) {
      io.stderr(e.describe() + '\n');
      if (debug && e.stack !== undefined) io.stderr(e.stack + '\n');
      if (json) io.stdout(JSON.stringify({ error: e.toJSON() }) + '\n');
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr(`internal error (this is a bug in snnc, please report it): ${err.message}\n`);
    io.stderr(debug && err.stack !== undefined ? err.stack + '\n' : '  run again with --debug for a stack trace\n');
    return 1;
  }
}

// Run when executed directly (the `snnc` bin), not when imported by tests.
const entry = process.argv[1];
if (entry !== undefined && /(?:^|[/\\])(?:main\.[jt]s|snnc)$/.test(entry)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`internal error: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
