// The backend registry is open: a target kind snnc does not bundle (test/backends/toy: its
// target JSON, cost function and emitter, written against the public API only) is registered
// and compileModel reports it like a bundled one — with no edit to src/.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { backendKinds, compileModel, loadModel, registerBackend } from '../../src/index.js';
import { isSnncError } from '../../src/errors.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { toyBackend } from './toy/toy-backend.js';
import type { ConvertOptions } from '../../src/index.js';

const TOY = join(ROOT, 'test', 'backends', 'toy', 'toy-target.json');

it('a registered toy target compiles through compileModel: files, report row, costs from the simulation', async () => {
  registerBackend(toyBackend);
  assert.ok(backendKinds().includes('toy'));
  const g = await loadModel(join(EXAMPLES, 'lenet.onnx'));
  const r = await compileModel(g, { targets: [TOY, 'fpga'], modelFile: 'lenet.onnx', T: [8], n: 40, calibSamples: 64, hwSamples: 4 });
  const row = r.report.targets.find((t) => t.target === 'toy-chip');
  assert.equal(row?.status, 'ok', row?.note);
  assert.equal(row?.kind, 'toy');
  // Its files land in the target's folder.
  const listing = r.files.find((f) => f.path === 'toy-chip/layers.txt');
  assert.equal(listing?.data, 'Conv conv1/linear\nAveragePool pool1\nConv conv2/linear\nGemm fc1/linear\nGemm fc2/linear\nGemm fc3\n');
  // Energy = 1 pJ per synaptic operation: the simulation's synops per sample, summed over the mapped layers.
  const synops = r.report.accuracy.snn.find((s) => s.T === 8)?.synopsPerSample ?? NaN;
  assert.ok(Math.abs((row?.energyJ ?? 0) - synops * 1e-12) <= 1e-9 * synops * 1e-12, `${row?.energyJ} J vs ${synops} synops`);
  assert.equal(row?.latencyS, 8e-6);
  // Without a hardware simulation, the accuracy is the float SNN's and the report says so.
  assert.match(row?.assumptions[0] ?? '', /float SNN simulation/);
  // Bundled targets still compile beside it.
  assert.equal(r.report.targets.find((t) => t.target === 'fpga')?.status, 'ok');
});

it('registerBackend refuses bundled kinds and schemaless records; a toy file that breaks its schema is SNNC_E_TARGET', async () => {
  assert.throws(
    () => registerBackend({ ...toyBackend, kind: 'fpga' }),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE',
  );
  const { targetSchema: _s, ...noSchema } = toyBackend;
  assert.throws(
    () => registerBackend({ ...noSchema, kind: 'toy2' }),
    (e: unknown) => isSnncError(e) && /targetSchema/.test(e.message),
  );
  registerBackend(toyBackend);
  const { loadAnyTarget } = await import('../../src/index.js');
  const { writeFileSync, mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const bad = join(mkdtempSync(join(tmpdir(), 'snnc-toy-')), 'bad.json');
  const t = JSON.parse(readFileSync(TOY, 'utf8')) as Record<string, unknown>;
  delete t['stepTime'];
  writeFileSync(bad, JSON.stringify(t));
  assert.throws(
    () => loadAnyTarget(bad),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_TARGET' && /stepTime/.test(e.message),
  );
});

it("a registered kind that asks for its own neuron semantics gets its own conversion and its own note, not Loihi's", async () => {
  registerBackend({ ...toyBackend, kind: 'toyzero', conversion: { reset: 'zero', fire: 'gt' } });
  const { writeFileSync, mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'snnc-toyzero-')), 'toy-zero.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(TOY, 'utf8')) as object), name: 'toy-zero', kind: 'toyzero' }));
  const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
  const r = await compileModel(g, { targets: [file], modelFile: 'mlp.onnx', T: [8], n: 20, calibSamples: 64, hwSamples: 4 });
  assert.equal(r.report.targets[0]?.status, 'ok');
  const note = r.report.diagnostics.find((d) => d.code === 'SNNC_I_TARGET_CONVERSION');
  assert.match(note?.message ?? '', /^'toyzero' targets use their own conversion \(reset to zero, fire on v > θ\)/);
  assert.ok(!r.report.diagnostics.some((d) => d.code === 'SNNC_I_LOIHI_SEMANTICS'));
});

it('simulate --target and explore reach a registered kind through its record: its simulation, its semantics, its mapping and cost', async () => {
  const { simulateOnTarget, simulateModel, exploreModel } = await import('../../src/index.js');
  const { writeFileSync, mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // A chip that always answers class 0 (so its accuracy is the share of zeros, whatever T),
  // resets to zero, and maps every Gemm/Conv by name.
  registerBackend({
    ...toyBackend,
    kind: 'toysim',
    conversion: { reset: 'zero', fire: 'gt' },
    simulate: (_g, _t, ctx) => ({ accuracy: Array.from(ctx.data.y).filter((y) => y === 0).length / ctx.data.y.length, note: 'toy: always class 0' }),
    map: (g) => ({ kind: 'toy' as const, layers: g.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map((n) => ({ name: n.name, op: n.op })) }),
  });
  const file = join(mkdtempSync(join(tmpdir(), 'snnc-toysim-')), 'toy-sim.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(TOY, 'utf8')) as object), name: 'toy-sim', kind: 'toysim' }));
  const mlp = join(EXAMPLES, 'mlp.onnx');
  const g = await loadModel(mlp);
  const conv: ConvertOptions = { calibSamples: 64 };
  const { backendFor, withTargetSemantics } = await import('../../src/backends/registry.js');
  const sim = simulateModel(g, { ...withTargetSemantics(backendFor('toysim'), conv), T: [4, 8], n: 30 });
  const { loadDatasetSpec, fitToModel } = await import('../../src/data/spec.js');
  const data = fitToModel(sim.graph, loadDatasetSpec('mnist', 'test', 30));
  const h = simulateOnTarget(g, sim.graph, file, data, data, { T: [4, 8], convert: conv });
  const zeros = Array.from(data.y).filter((y) => y === 0).length / 30;
  assert.equal(h.kind, 'toysim');
  assert.deepEqual(
    h.rows.map((r) => [r.T, r.hardware]),
    [
      [4, zeros],
      [8, zeros],
    ],
    'one run of the hook per T (it reports no per-step accuracy)',
  );
  assert.deepEqual(h.conversion, { reset: 'zero', fire: 'gt', targetSemantics: true });
  assert.equal(h.note, 'toy: always class 0');
  assert.throws(() => simulateOnTarget(g, sim.graph, file, data, data, { T: [4], noise: 'read=0.1' }), /device model/);
  // explore costs each configuration through the record's map and cost: 1 pJ per synop.
  const ex = await exploreModel(g, {
    ...conv,
    modelFile: mlp,
    target: file,
    weightBits: [8],
    neuronBits: [8],
    rounding: ['nearest'],
    T: [4],
    maxAccuracyDrop: 5,
    n: 30,
    workers: 2,
  });
  const row = ex.doc.rows[0];
  assert.ok(row !== undefined && row.energyJ !== null);
  assert.ok(Math.abs(row.energyJ - row.synopsPerSample * 1e-12) <= 1e-9 * row.energyJ, `${row.energyJ} J vs ${row.synopsPerSample} synops`);
  assert.equal(row.latencyS, 4e-6);
});
