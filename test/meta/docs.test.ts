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
