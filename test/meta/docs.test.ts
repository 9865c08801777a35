// Generated docs must be committed up to date.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorsDoc } from '../../scripts/gen-errors-doc.js';
import { ROOT } from '../helpers/paths.js';

it('docs/errors.md matches src/errors.ts (run npm run docs:errors)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8'), renderErrorsDoc());
});

it('every SNNC_ code in the source is in the tables of src/errors.ts, and every table code is used', async () => {
  const { readdirSync, statSync } = await import('node:fs');
  const { DIAGNOSTIC_CODES, ERROR_CODES } = await import('../../src/errors.js');
  const known = new Set([...Object.keys(ERROR_CODES), ...Object.keys(DIAGNOSTIC_CODES)]);
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => {
      const p = join(d, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  const used = new Map<string, string>();
  for (const f of walk(join(ROOT, 'src'))) {
    if (f.endsWith(join('src', 'errors.ts'))) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/SNNC_[EWI]_[A-Z0-9_]+/g)) used.set(m[0], f.slice(ROOT.length + 1));
  }
  const missing = [...used].filter(([c]) => !known.has(c)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, [], 'add these codes with a one-line meaning to ERROR_CODES or DIAGNOSTIC_CODES in src/errors.ts, then npm run docs:errors');
  const unused = [...known].filter((c) => !used.has(c));
  assert.deepEqual(unused, [], 'these table codes are used nowhere in src/: remove them or use them');
});
