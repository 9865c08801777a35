// Hostile target values (issue #18 items 2 and 6): a Loihi target with weightBits ≈ 1e308 made
// core allocation loop forever. The schema now caps every constant (below 1e15, bits ≤ 64), and
// the allocator never plans more cores than neurons, so even a target object built in code
// ends in a named SNNC_E_ error.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTarget } from '../../src/costmodel/target.js';
import type { LoihiTarget } from '../../src/costmodel/target.js';
import { allocate } from '../../src/backends/loihi/allocate.js';
import { isSnncError } from '../../src/errors.js';
import { ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-hostile-'));

it('a target file with chip.weightBits = 1e308 is refused by the schema (SNNC_E_TARGET, JSON pointer)', () => {
  const t = JSON.parse(readFileSync(join(ROOT, 'targets', 'loihi2.json'), 'utf8')) as { chip: { weightBits: { value: number } } };
  t.chip.weightBits.value = 1e308;
  const file = join(dir, 'huge.json');
  writeFileSync(file, JSON.stringify(t));
  assert.throws(
    () => loadTarget(file),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_TARGET' && /\/chip\/weightBits\/value/.test(e.message),
  );
});

it('the allocator ends (SNNC_E_BACKEND) for an absurd target object that skipped the schema', () => {
  const base = loadTarget('loihi2') as LoihiTarget;
  const t: LoihiTarget = { ...base, chip: { ...base.chip, weightBits: { ...base.chip.weightBits, value: 1e308 } } };
  const layer = { name: 'fc1', neurons: 120, fanIn: 400, sources: 400, kind: 'dense' as const };
  assert.throws(
    () => allocate([layer], t),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_BACKEND' && e.node === 'fc1',
  );
});
