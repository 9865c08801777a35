// Regenerates docs/errors.md from the ERROR_CODES table in src/errors.ts.
// Run: npm run docs:errors. A test fails when the committed file is stale.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTIC_CODES, ERROR_CODES } from '../src/errors.js';

function rowsOf(table: Readonly<Record<string, string>>): string[] {
  return Object.entries(table)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, text]) => `| \`${code}\` | ${text} |`);
}

export function renderErrorsDoc(): string {
  const rows = rowsOf(ERROR_CODES);
  const diag = rowsOf(DIAGNOSTIC_CODES);
  return [
    '# Error codes',
    '',
    'Every failure a user can cause is reported with one of these stable codes, the file',
    'and/or node it concerns, and a hint. The CLI prints them on stderr and exits with',
    'status 2 (no stack trace unless `--debug`); with `--json` the error is also printed on',
    'stdout as `{ "error": { "code", "message", "file"?, "node"?, "hint"? } }`. Exit status 1',
    'means an internal error — a bug in snnc; please report it with the `--debug` output.',
    '',
    'This file is generated from `src/errors.ts` by `npm run docs:errors`.',
    '',
    '| code | meaning |',
    '|---|---|',
    ...rows,
    '',
    '## Warnings and notes',
    '',
    'Warnings (`SNNC_W_…`) and notes (`SNNC_I_…`) never stop a command: they are printed on',
    'stderr, listed in `report.json` under `diagnostics`, and included in `--json` output. Each',
    'names the node it concerns and, where one helps, a hint.',
    '',
    '| code | meaning |',
    '|---|---|',
    ...diag,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Works from scripts/ (tsx) and dist/scripts/ (compiled): find the package root.
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const target = join(root, 'docs', 'errors.md');
  writeFileSync(target, renderErrorsDoc());
  console.log(`wrote ${target}`);
}
