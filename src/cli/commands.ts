// The command table: name, one-line summary, usage, options, examples, and the
// function that runs it. Help text is generated from this table, so it can't drift.
import type { Command } from './command.js';
import { formatOptions } from './args.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';
import { convertCommand } from './convert.js';
import { simulateCommand } from './simulate.js';
import { compileCommand } from './compile.js';
import { verifyCommand } from './verify.js';
import { quantizeCommand } from './quantize.js';
import { exploreCommand } from './explore.js';
import { retrainCommand } from './retrain.js';

export const COMMANDS: readonly Command[] = [
  compileCommand,
  inspectCommand,
  runCommand,
  convertCommand,
  simulateCommand,
  quantizeCommand,
  exploreCommand,
  retrainCommand,
  verifyCommand,
];

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'snnc — compile trained neural networks into spiking networks for neuromorphic',
    'and in-memory-computing hardware, with accuracy, energy and latency estimates.',
    '',
    'Usage: snnc <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Global options: --help, --version, --json (machine-readable output), --quiet, --debug',
    '',
    'Start here:',
    '  snnc compile examples/lenet.onnx --target all -o out   the whole job, reports in out/',
    '  snnc inspect examples/lenet.onnx          what is in a model',
    '  snnc retrain examples/lenet.onnx --target fpga --T 4 -o lenet.t4.onnx   retrain for the hardware',
    '  snnc help <command>                       options and examples for one command',
    '',
    'Exit codes: 0 success, 2 user error (bad input; see docs/errors.md), 1 internal error (a bug).',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [
    `snnc ${c.name} — ${c.summary}`,
    '',
    `Usage: ${c.usage}`,
    '',
    c.description,
    '',
    'Options:',
    formatOptions(c.options),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
    '',
    `More: docs/commands/${c.name}.md`,
  ].join('\n');
}
