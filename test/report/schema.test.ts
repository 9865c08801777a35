// docs/report.schema.json accepts a realistic report and rejects broken ones, naming the
// JSON pointer; the builders produce entries that validate.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isSnncError } from '../../src/errors.js';
import { renderJson, targetResultFromCost, UNAVAILABLE, validateReport, baselineFromCost } from '../../src/report/index.js';
import type { CompileReport } from '../../src/report/index.js';
import type { CostReport } from '../../src/costmodel/types.js';
import { lenetReport, hostileReport } from './fixtures.js';

function rejects(data: unknown, pointer: string, words: string): void {
  assert.throws(
    () => validateReport(data),
    (e: unknown) => {
      assert.ok(isSnncError(e), 'expected an SnncError');
      assert.equal(e.code, 'SNNC_E_REPORT');
      assert.ok(e.message.includes(`${pointer}: `), `message should name ${pointer}:\n${e.message}`);
      assert.ok(e.message.includes(words), `message should say "${words}":\n${e.message}`);
      return true;
    },
  );
}

/** JSON copy of the fixture with one change applied. */
function broken(edit: (r: Record<string, unknown> & { targets: Record<string, unknown>[] }) => void): unknown {
  const r = JSON.parse(renderJson(lenetReport())) as Record<string, unknown> & { targets: Record<string, unknown>[] };
  edit(r);
  return r;
}

it('accepts the fixture, its JSON text, and the hostile-name variant', () => {
  validateReport(lenetReport());
  validateReport(JSON.parse(renderJson(lenetReport())));
  validateReport(hostileReport());
});

it('rejects broken reports with the JSON pointer of the problem', () => {
  rejects(
    broken((r) => delete r['baseline']),
    '/',
    "must have property 'baseline'",
  );
  rejects(
    broken((r) => (r['schemaVersion'] = 2)),
    '/schemaVersion',
    'must be equal to constant',
  );
  rejects(
    broken((r) => ((r.targets[0] as Record<string, unknown>)['energyJ'] = -1)),
    '/targets/0/energyJ',
    'must be >= 0',
  );
  rejects(
    broken((r) => ((r['accuracy'] as Record<string, unknown>)['ann'] = 98.5)),
    '/accuracy/ann',
    'must be <= 1',
  );
  // Any registered kind is a lower-case name (registerBackend); other strings are refused.
  rejects(
    broken((r) => ((r.targets[1] as Record<string, unknown>)['kind'] = 'GPU!')),
    '/targets/1/kind',
    'must match pattern',
  );
  rejects(
    broken((r) => ((r.targets[2] as Record<string, unknown>)['energyJ'] = 1e-6)),
    '/targets/2/energyJ',
    'must be null',
  );
  rejects(
    broken((r) => delete (r.targets[2] as Record<string, unknown>)['note']),
    '/targets/2',
    "must have property 'note'",
  );
  rejects(
    broken((r) => ((r.targets[0] as Record<string, unknown>)['energyJ'] = null)),
    '/targets/0/energyJ',
    'must be number',
  );
  rejects(
    broken((r) => ((r.targets[0] as Record<string, unknown>)['breakdown'] = { synops: 'a lot' })),
    '/targets/0/breakdown/synops',
    'must be number',
  );
  rejects(
    broken((r) => ((r['model'] as Record<string, unknown>)['nmae'] = 'typo')),
    '/model',
    'additional properties (nmae)',
  );
  rejects(
    broken((r) => (r['diagnostics'] = [{ severity: 'error', code: 'X', message: 'm' }])),
    '/diagnostics/0/severity',
    'allowed values',
  );
  rejects(null, '/', 'must be object');
});

it('targetResultFromCost copies the cost report and computes baseline / this', () => {
  const zero = { synops: 0, macs: 0, neuronUpdates: 0, routing: 0, memory: 0, adc: 0, dac: 0, peripherals: 0, static: 0 };
  const cost: CostReport = {
    target: 'imc-hpadc',
    energyJ: 8e-7,
    latencyS: 2e-5,
    perStep: { energyJ: 1e-7, latencyS: 2.5e-6 },
    breakdown: { ...zero, adc: 6e-7, memory: 2e-7 },
    layers: [
      { name: 'fc1', energyJ: 5e-7, latencyS: 1e-5, breakdown: { ...zero, adc: 4e-7, memory: 1e-7 } },
      { name: 'fc2', energyJ: 3e-7, latencyS: 1e-5, breakdown: { ...zero, adc: 2e-7, memory: 1e-7 } },
    ],
    area: { mm2: 0.5 },
    assumptions: ['a'],
  };
  const base: CostReport = { ...cost, target: 'cpu-ann', energyJ: 4e-5, latencyS: 1e-5, area: { mm2: 0 } };
  const t = targetResultFromCost(cost, 'imc', 0.97, 8, baselineFromCost(base));
  assert.deepEqual(t, {
    target: 'imc-hpadc',
    kind: 'imc',
    status: 'ok',
    accuracy: 0.97,
    timesteps: 8,
    energyJ: 8e-7,
    latencyS: 2e-5,
    breakdown: { ...zero, adc: 6e-7, memory: 2e-7 },
    layers: [
      { name: 'fc1', energyJ: 5e-7, latencyS: 1e-5 },
      { name: 'fc2', energyJ: 3e-7, latencyS: 1e-5 },
    ],
    area: { mm2: 0.5 },
    vsBaseline: { energy: 4e-5 / 8e-7, latency: 0.5 },
    assumptions: ['a'],
  });
  // a zero-energy cost has no finite ratio, so vsBaseline is left out
  const free = targetResultFromCost({ ...cost, energyJ: 0 }, 'imc', null, 8, { energyJ: 1, latencyS: 1 });
  assert.equal(free.vsBaseline, undefined);

  const r: CompileReport = { ...lenetReport(), targets: [t, free, UNAVAILABLE('loihi1', 'loihi', 'no backend')], baseline: baselineFromCost(base) };
  validateReport(JSON.parse(renderJson(r)));
});
