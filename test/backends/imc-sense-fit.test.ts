// Sense-amplifier references fitted for a layer whose references dither (sense-amp.ts
// fitRampRefs): checked against the compares the simulation makes (ditherOffsets,
// ditheredRefs: a column fires at step t when its sum reaches that step's reference) and against
// hand-computed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ditherOffsets, ditheredRefs, mapGraph, simulateImc } from '../../src/backends/imc/index.js';
import type { SenseAmpRefs } from '../../src/backends/imc/index.js';
import { fitRampRefs } from '../../src/backends/imc/sense-amp.js';
import { adcless, convNet, lcg } from './imc-graphs.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../src/api/compile.js';
import { convertModel } from '../../src/api/convert.js';
import { loadModel } from '../../src/api/load.js';
import { loadAnyTarget } from '../../src/costmodel/target.js';
import type { ImcTarget } from '../../src/costmodel/target.js';
import { loadMnist } from '../../src/data/mnist.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';

/** What a column of sum v reads over T dithered steps: level · #{t : v ≥ ref_t} / T. */
function read(r: SenseAmpRefs, v: number, width: number, T: number): number {
  let n = 0;
  for (const u of ditherOffsets(T)) if (v >= (ditheredRefs(r, u, width).ref[0] as number)) n++;
  return ((r.level[0] as number) * n) / T;
}

test('ramp fit: sums 0..8 read back exactly over 32 steps (width 1), at half scale with width 2', () => {
  const hist = [Float64Array.from({ length: 20 }, (_, v) => (v <= 8 ? 10 : 0))];
  const one = fitRampRefs(hist, 1, 32);
  assert.deepEqual([one.ref[0], one.level[0]], [4, 8]);
  for (let v = 0; v <= 8; v++) assert.equal(read(one, v, 1, 32), v);
  const two = fitRampRefs(hist, 2, 32);
  assert.deepEqual([two.ref[0], two.level[0]], [4, 4]);
  for (let v = 0; v <= 8; v++) assert.equal(read(two, v, 2, 32), v / 2);
});

test('ramp fit: a rare large sum does not stretch the ramp over the common ones', () => {
  // 1,000 sums of 1 and one of 20, T = 4. By hand: level 4 reads 1 exactly and 20 as 4
  // (error 256); level 4.25 reads 1 as 1.0625 and 20 as 4.25 (1000 · 0.0625² + 15.75² = 251.97);
  // 4.5: 255.6; 20 (no saturation) reads 1 as 0 (error 1,000).
  const hist = new Float64Array(21);
  hist[1] = 1000;
  hist[20] = 1;
  const r = fitRampRefs([hist], 1, 4);
  assert.deepEqual([r.ref[0], r.level[0]], [2.125, 4.25]);
  assert.equal(read(r, 1, 1, 4), 1.0625);
  assert.equal(read(r, 20, 1, 4), 4.25);
  // Width 2 reads psum/2: the same sums fitted as sums of 0.5 and 10 at width 1 would be —
  // level 2.125 (0.5 read as 0.53125, 10 as 2.125: 0.98 + 62.02), ref w·level/2.
  const wide = fitRampRefs([hist], 2, 4);
  assert.deepEqual([wide.ref[0], wide.level[0]], [2.125, 2.125]);
  assert.equal(read(wide, 1, 2, 4), 0.53125);
  // An empty histogram keeps the neutral pair.
  const empty = fitRampRefs([new Float64Array(5)], 1, 4);
  assert.deepEqual([empty.ref[0], empty.level[0]], [0.5, 1]);
});

test('calibration fits the ramp for the dithered (static) layer only', () => {
  const g = convNet();
  const net = mapGraph(g, adcless(), { rows: 16, cols: 16 });
  const data = { x: { dtype: 'float32' as const, shape: [1, 1, 6, 6], data: Float32Array.from(lcg(36, 3, 0, 1)) }, y: new Int32Array(1) };
  const calibration = { x: { dtype: 'float32' as const, shape: [8, 1, 6, 6], data: Float32Array.from(lcg(8 * 36, 99, 0, 1)) }, y: new Int32Array(8) };
  const fixed = simulateImc(g, net, data, { T: 12, calibration }).senseRefs ?? {};
  const dithered = simulateImc(g, net, data, { T: 12, calibration, senseDither: 1 }).senseRefs ?? {};
  const [analog, spiking] = net.layers.map((m) => m.layer.name) as [string, string];
  // The 1-bit fit puts references halfway between integers; the ramp at half its level.
  const a = dithered[analog] as { ref: number[]; level: number[] };
  // (Slices without sums keep the neutral pair ½, 1; the last pair is the offset column's.)
  const used = a.ref.slice(0, -1).flatMap((ref, s) => (ref === 0.5 && a.level[s] === 1 ? [] : [[ref, a.level[s] as number] as const]));
  assert.ok(used.length > 0, 'the analog layer has slices with sums');
  for (const [ref, level] of used) assert.equal(ref, level / 2);
  assert.notDeepEqual(a, fixed[analog]);
  // Layers fed by spikes do not dither: their references are the 1-bit fit either way.
  assert.deepEqual(dithered[spiking], fixed[spiking]);
});

test('a target with adc.referenceDither: compile simulates and emits an unretrained model with that dither', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-dither-'));
  try {
    const base = JSON.parse(readFileSync(join(ROOT, 'targets', 'imc-adcless.json'), 'utf8')) as { name: string; adc: Record<string, unknown> };
    const file = join(dir, 'adcless-dither.json');
    const width = { value: 1, unit: 'ratio', source: 'test: one level', status: 'assumption' };
    writeFileSync(file, JSON.stringify({ ...base, name: 'adcless-dither', adc: { ...base.adc, referenceDither: width } }));
    const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
    const n = 100;
    // Thresholds per channel named, so that the target does not choose (test/api/target-granularity.test.ts covers that).
    const r = await compileModel(g, { targets: [file], modelFile: 'mlp', T: [8], n, hwSamples: n, granularity: 'channel' });
    const row = r.report.targets.find((t) => t.kind === 'imc');
    assert.equal(row?.status, 'ok');
    assert.match(row?.assumptions[0] ?? '', /fitted on 64 calibration images \(the analog layer's reference dithered over the steps, width 1\)/);
    // The same run by hand: the converted graph on this target's mapping, compile's calibration
    // images (the first 64 training images) and test images, the dither given explicitly.
    const { graph } = convertModel(g, {});
    const net = mapGraph(graph, loadAnyTarget(file) as ImcTarget, {});
    const test = loadMnist('test', { limit: n });
    const calibration = loadMnist('train', { limit: 64 });
    const accuracy = (senseDither: number): number => {
      const s = simulateImc(graph, net, test, { T: 8, calibration, senseDither });
      return s.predictions.filter((p, i) => p === test.y[i]).length / n;
    };
    assert.equal(row?.accuracy, accuracy(1));
    assert.notEqual(accuracy(1), accuracy(0));
    const config = r.files.find((f) => f.path === 'adcless-dither/config.json');
    const layers = (JSON.parse(Buffer.from(config?.data ?? new Uint8Array()).toString('utf8')) as { layers: { referenceDither?: { width: number } }[] }).layers;
    assert.deepEqual(
      layers.map((l) => l.referenceDither?.width),
      [1, undefined, undefined],
    );
    // The schema bounds the width.
    writeFileSync(file, JSON.stringify({ ...base, name: 'adcless-dither', adc: { ...base.adc, referenceDither: { ...width, value: 5 } } }));
    assert.throws(
      () => loadAnyTarget(file),
      (e: Error & { code?: string }) => e.code === 'SNNC_E_TARGET',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
