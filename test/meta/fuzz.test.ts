// A seeded slice of the fuzz harness (`npm run fuzz` runs 10,000 cases; bench/results/fuzz.json):
// 300 mutants of our models, data and target files through inspect / run / convert / simulate /
// compile, each in a worker process with a watchdog. None may end in an internal error, a hang
// or memory over 1.5 GB. The unmutated seeds must pass every command, so the slice is known to
// reach past the readers into conversion, simulation and the backends.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../bench/fuzz/harness.js';
import type { CaseKind } from '../../bench/fuzz/cases.js';
import { ROOT } from '../helpers/paths.js';

it('the unmutated seeds pass every command of their case', async () => {
  for (const kind of ['onnx', 'tfjs', 'nir', 'npy', 'npz', 'target'] as const satisfies readonly CaseKind[]) {
    const s = await runFuzz({ root: ROOT, cases: 2, seed: 7, workers: 2, clean: kind });
    assert.deepEqual(s.counts, { ok: 2, refused: 0, internal: 0, hang: 0, memory: 0 }, `${kind}: ${JSON.stringify(s.failures)}`);
  }
});

it('300 seeded mutants: no internal error, hang or memory blow-up', async () => {
  const s = await runFuzz({ root: ROOT, cases: 300, seed: 20261203, workers: 2, timeoutS: 120 });
  assert.equal(s.failures.length, 0, JSON.stringify(s.failures, null, 1));
  assert.equal(s.counts.ok + s.counts.refused, 300);
  // Every refusal carries a documented code (the CLI's exit 2 contract).
  assert.ok(!('SNNC_E_?' in s.codes), 'an exit 2 without a code');
  assert.ok(s.counts.refused > 100 && s.counts.ok > 10, JSON.stringify(s.counts));
});
