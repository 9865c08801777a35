// snnc explore end to end: activity from the integer simulation (hand-computed), rows that
// equal separate quantize + integer-simulation runs, workers and shards that change nothing,
// and the CLI's errors and files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { activityFromInt } from '../../src/explore/evaluate.js';
import { exploreModel } from '../../src/api/explore.js';
import type { ExploreOptions } from '../../src/api/explore.js';
import { mergeDocs } from '../../src/explore/select.js';
import { convertModel } from '../../src/api/convert.js';
import { fitToModel, loadDatasetSpec } from '../../src/data/spec.js';
import { loadModel } from '../../src/api/load.js';
import { memoryReport } from '../../src/sim/int/memory.js';
import type { Graph } from '../../src/ir/types.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { renderJson } from '../../src/report/json.js';
import type { ExploreDoc } from '../../src/report/explore.js';
import { validateExploreDoc } from '../../src/report/schema.js';
import type { IntProgram } from '../../src/sim/int/program.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { activityRecorder } from '../../src/sim/int/activity.js';
import { prepare } from '../../src/sim/int/kernels.js';
import { simulate } from '../../src/sim/snn/simulate.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

const MLP = join(EXAMPLES, 'mlp.onnx');

/** x(2, direct 2-bit) → h: dense [[2,−1],[1,1]] + [1,0], IF θ=[4,3], vInit [0,1] → out: dense [[1,−1],[0,2]]. */
const twoLayer: IntProgram = {
  version: 1,
  name: 'two',
  input: { name: 'x', shape: [2], coding: 'direct', bits: 2, scale: 1 / 3 },
  layers: [
    {
      name: 'h',
      kind: 'dense',
      inputs: ['x'],
      inShape: [2],
      outShape: [2],
      weights: Int32Array.of(2, -1, 1, 1),
      weightShape: [2, 2],
      weightBits: 3,
      shift: 0,
      bias: Int32Array.of(1, 0),
      biasBits: 4,
      accBits: 8,
      unit: [1],
      outBits: 1,
      neuron: {
        threshold: Int32Array.of(4, 3),
        thresholdBits: 3,
        reset: 'subtract',
        vReset: 0,
        fire: 'ge',
        vInit: Int32Array.of(0, 1),
        leakShift: null,
        refractory: 0,
        membraneBits: 4,
        overflow: 'saturate',
      },
    },
    {
      name: 'out',
      kind: 'dense',
      inputs: ['h'],
      inShape: [2],
      outShape: [2],
      weights: Int32Array.of(1, -1, 0, 2),
      weightShape: [2, 2],
      weightBits: 3,
      shift: 0,
      bias: new Int32Array(0),
      biasBits: 4,
      accBits: 8,
      neuron: null,
      unit: [1],
      outBits: 8,
    },
  ],
  output: 'out',
};

describe('explore: activity from the integer simulation', () => {
  it('hand-computed: x_q = [1, 2] makes h spike 1,1,1,2 times in steps 1–4', () => {
    // (trace worked out in test/sim/int-simulate.test.ts: spikes per step [1,1,1,2,1])
    const r = simulateInt(
      twoLayer,
      { x: { dtype: 'float32', shape: [1, 2], data: Float32Array.of(1 / 3, 2 / 3) }, y: Int32Array.of(1) },
      { T: 5, activity: true },
    );
    const a = activityFromInt(twoLayer, r, 4, new Map([['h', 'h_if']]));
    assert.equal(a.T, 4);
    const by = new Map(a.layers.map((l) => [l.name, l]));
    // h reads the analog input: 4 MACs per step × 4 steps, no synops; it emits 5 spikes
    assert.deepEqual(by.get('h'), { name: 'h', kind: 'dense', inputSpikes: 0, synops: 0, macs: 16, neurons: 2, neuronUpdates: 8, outputSpikes: 5 });
    // the same record under the neuron's name, for backends that name layers by neuron
    assert.deepEqual(by.get('h_if'), { ...by.get('h'), name: 'h_if' });
    // out reads 5 spikes, each reaching its 2 outputs
    assert.deepEqual(by.get('out'), { name: 'out', kind: 'dense', inputSpikes: 5, synops: 10, macs: 0, neurons: 2, neuronUpdates: 8, outputSpikes: 0 });
  });
});

describe('explore: synaptic operations per input spike (exact fan-out, borders included)', () => {
  // input (Poisson spikes, 1×3×3) → conv 3×3, pad 1, 2 output channels → sum-pool 3×3 (a global pool)
  const geo = (k: number, pad: number) => ({
    kernel: [k, k] as [number, number],
    strides: [1, 1] as [number, number],
    pads: [pad, pad, pad, pad] as [number, number, number, number],
    dilations: [1, 1] as [number, number],
    group: 1,
  });
  const p: IntProgram = {
    version: 1,
    name: 'cover',
    input: { name: 'x', shape: [1, 3, 3], coding: 'poisson', bits: 8, scale: 1 / 255 },
    layers: [
      {
        name: 'c',
        kind: 'conv',
        inputs: ['x'],
        inShape: [1, 3, 3],
        outShape: [2, 3, 3],
        weights: new Int32Array(18).fill(1),
        weightShape: [2, 1, 3, 3],
        weightBits: 4,
        shift: 0,
        bias: new Int32Array(0),
        biasBits: 4,
        geometry: geo(3, 1),
        accBits: 8,
        unit: [1],
        outBits: 1,
        neuron: {
          threshold: Int32Array.of(1),
          thresholdBits: 2,
          reset: 'zero',
          vReset: 0,
          fire: 'ge',
          vInit: Int32Array.of(0),
          leakShift: null,
          refractory: 0,
          membraneBits: 8,
          overflow: 'saturate',
        },
      },
      {
        name: 'g',
        kind: 'sum-pool',
        inputs: ['c'],
        inShape: [2, 3, 3],
        outShape: [2, 1, 1],
        weights: new Int32Array(0),
        weightShape: [],
        weightBits: 1,
        shift: 0,
        bias: new Int32Array(0),
        biasBits: 1,
        geometry: geo(3, 0),
        accBits: 6,
        neuron: null,
        unit: [1],
        outBits: 6,
      },
    ],
    output: 'g',
  };
  it('a corner spike reaches 2·4 outputs, the centre 2·9; each spike into a global pool counts once', () => {
    const rec = activityRecorder(
      p,
      p.layers.map((l) => prepare(l)),
      1,
    );
    const x = Int32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 0);
    const conv = Int32Array.of(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1); // 3 spikes
    rec.onStep(0, [conv, Int32Array.of(2, 1)], x, Int32Array.of(3));
    const [c, g] = rec.result();
    assert.deepEqual(c?.synopsPerStep, [2 * 4 + 2 * 9]);
    assert.deepEqual(g?.synopsPerStep, [3]);
    assert.deepEqual(c?.nonzeroPerStep, [3]);
    assert.deepEqual(g?.nonzeroPerStep, [2]);
  });
});

describe('explore: the sweep (MLP example, 40 images)', () => {
  let g: Graph;
  let base: ExploreOptions;
  let doc: ExploreDoc;
  before(async () => {
    g = await loadModel(MLP);
    base = { modelFile: MLP, n: 40, weightBits: [2, 6], neuronBits: [8], rounding: ['nearest', 'stochastic'], T: [4, 8], maxAccuracyDrop: 1, seed: 3 };
    doc = (await exploreModel(g, base)).doc;
  });

  it('every row equals its own quantize + integer simulation; memory equals the memory report', () => {
    const snn = convertModel(g, { seed: 3 }).graph;
    const data = fitToModel(snn, loadDatasetSpec('mnist', 'test', 40));
    assert.equal(doc.rows.length, 2 * 2 * 2);
    for (const w of [2, 6]) {
      for (const rounding of ['nearest', 'stochastic'] as const) {
        const p = quantizeGraph(snn, { bits: { w, th: 8, b: 8 }, rounding, seed: 3 }).program;
        const r = simulateInt(p, data, { T: 8, seed: 3 });
        for (const T of [4, 8]) {
          const row = doc.rows.find((x) => x.id === `w${w}-p8-${rounding}-T${T}`);
          assert.ok(row !== undefined);
          assert.equal(row.accuracy, r.accuracyPerStep[T - 1]);
          assert.equal(row.memoryBits, memoryReport(p).total.totalBits);
          assert.ok(row.energyJ !== null && row.energyJ > 0);
        }
      }
    }
    const f = simulate(snn, data, { T: 8 });
    assert.deepEqual(doc.reference.snn, [
      { T: 4, accuracy: f.accuracyPerStep[3] },
      { T: 8, accuracy: f.accuracyPerStep[7] },
    ]);
    assert.equal(doc.reference.accuracy, f.accuracyPerStep[7]);
    for (const r of doc.rows) assert.equal(r.drop, Math.round((doc.reference.accuracy - r.accuracy) * 100 * 1e9) / 1e9);
  });

  it('selection: the least memory within 1 pp; the selected row is on the Pareto front', () => {
    const within = doc.rows.filter((r) => r.drop <= 1);
    const sel = doc.rows.find((r) => r.selected);
    if (within.length === 0) {
      assert.equal(sel, undefined);
      assert.ok(doc.closest !== null);
    } else {
      assert.ok(sel !== undefined);
      assert.equal(sel.memoryBits, Math.min(...within.map((r) => r.memoryBits)));
      assert.ok(sel.pareto);
    }
  });

  it('shared quantizer settings (--pow2 --per-layer --overflow wrap) reach every configuration', async () => {
    const d = (await exploreModel(g, { ...base, weightBits: [6], rounding: ['nearest'], T: [8], pow2: true, perChannel: false, overflow: 'wrap' })).doc;
    const snn = convertModel(g, { seed: 3 }).graph;
    const data = fitToModel(snn, loadDatasetSpec('mnist', 'test', 40));
    const p = quantizeGraph(snn, { bits: { w: 6, th: 8, b: 8 }, rounding: 'nearest', seed: 3, pow2: true, perChannel: false, overflow: 'wrap' }).program;
    assert.equal(d.rows[0]?.accuracy, simulateInt(p, data, { T: 8, seed: 3 }).accuracyPerStep[7]);
    assert.equal(d.rows[0]?.memoryBits, memoryReport(p).total.totalBits);
    assert.deepEqual([d.space.pow2, d.space.perChannel, d.space.overflow], [true, false, 'wrap']);
    // a different program from the defaults' (its memory differs)
    assert.notEqual(d.rows[0]?.memoryBits, doc.rows.find((r) => r.config === 'w6-p8-nearest')?.memoryBits);
  });

  it('two workers write the same bytes as one', async () => {
    const two = (await exploreModel(g, { ...base, workers: 2 })).doc;
    assert.equal(renderJson(two), renderJson(doc));
  });

  it("IMC targets: the crossbar mapping finds every layer's activity (energy for every row)", async () => {
    const d = (await exploreModel(g, { ...base, weightBits: [4], rounding: ['nearest'], T: [4], target: 'imc-hpadc' })).doc;
    assert.equal(d.rows.length, 1);
    assert.ok(
      d.rows.every((r) => r.energyJ !== null && r.energyJ > 0),
      JSON.stringify(d.rows),
    );
  });

  it('a target that cannot run the network leaves energy empty and says why (Loihi and max pooling)', async () => {
    const cnn = join(EXAMPLES, 'cnn-bn.onnx');
    const d = (await exploreModel(await loadModel(cnn), { ...base, modelFile: cnn, n: 10, weightBits: [4], rounding: ['nearest'], T: [4], target: 'loihi2' }))
      .doc;
    assert.equal(d.rows.length, 1);
    assert.equal(d.rows[0]?.energyJ, null);
    assert.match(d.targetNote, /loihi2 cannot run this network/);
  });

  it('--shard 1/2 + --shard 2/2 + merge equals the unsharded run', async () => {
    const a = (await exploreModel(g, { ...base, shard: { index: 1, count: 2 } })).doc;
    const b = (await exploreModel(g, { ...base, shard: { index: 2, count: 2 } })).doc;
    assert.equal(a.shard, '1/2');
    assert.ok(a.rows.length > 0 && b.rows.length > 0);
    assert.equal(
      renderJson(
        mergeDocs([
          { doc: b, file: 'b' },
          { doc: a, file: 'a' },
        ]),
      ),
      renderJson(doc),
    );
  });
});

describe('snnc explore (CLI)', () => {
  it('bad input: exit 2 with a code and no stack trace, before the model is read', async () => {
    const o = join(mkdtempSync(join(tmpdir(), 'snnc-explore-')), 'x');
    const cases: [string[], RegExp][] = [
      [['--bits', '0..4'], /SNNC_E_USAGE.*1–16/],
      [['--bits', '2..17'], /SNNC_E_USAGE.*1–16/],
      [['--neuron-bits', '20'], /SNNC_E_USAGE.*--neuron-bits/],
      [['--rounding', 'nearst'], /SNNC_E_USAGE[\s\S]*did you mean 'nearest'/],
      [['--max-accuracy-drop=-1'], /SNNC_E_USAGE.*--max-accuracy-drop must be a number from 0 to 100/],
      [['--max-accuracy-drop', 'lots'], /SNNC_E_USAGE.*'lots'/],
      [['--shard', '3/2'], /SNNC_E_USAGE.*--shard/],
      [['--reference', 'cpu'], /SNNC_E_USAGE.*--reference/],
      [['--target', 'cpu-ann'], /SNNC_E_USAGE.*ANN baseline/],
    ];
    for (const [args, re] of cases) {
      const r = await cli('explore', MLP, '-o', o, '--n', '5', '--T', '2', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.err, re, args.join(' '));
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
    const m = await cli('explore', 'merge', join(o, 'none'), '-o', o);
    assert.equal(m.code, 2);
    assert.match(m.err, /SNNC_E_IO.*no explore.json/);
    // a tampered shard: a clear error naming the file and the JSON pointer, never a crash
    const bad = join(mkdtempSync(join(tmpdir(), 'snnc-explore-')), 'shard');
    mkdirSync(bad);
    writeFileSync(join(bad, 'explore.json'), JSON.stringify({ format: 'snnc-explore', version: 1, shard: 2, rows: [null] }));
    const t = await cli('explore', 'merge', bad, '-o', o);
    assert.equal(t.code, 2, t.err);
    assert.match(t.err, /SNNC_E_IO: explore.json does not match docs\/explore.schema.json/);
    assert.match(t.err, /\/rows\/0: must be object/);
    assert.match(t.err, /\/shard: must be string/);
    assert.doesNotMatch(t.err, /\n\s+at /);
  });

  it('a sweep with nothing within the drop says so, names the closest, and still writes its files', async () => {
    const o = join(mkdtempSync(join(tmpdir(), 'snnc-explore-')), 'out');
    const r = await cli('explore', MLP, '-o', o, '--n', '30', '--bits', '1', '--rounding', 'nearest', '--T', '2', '--max-accuracy-drop', '0', '--workers', '1');
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(readFileSync(join(o, 'explore.json'), 'utf8')) as ExploreDoc;
    const row = doc.rows[0];
    assert.ok(row !== undefined);
    // 1-bit weights on the MLP at T=2 land far below the float SNN (60 % vs 100 % on these 30 images)
    assert.ok(row.drop > 10, `drop ${row.drop}`);
    assert.match(r.out, /SNNC_W_EXPLORE_NONE: no configuration stays within 0 pp/);
    assert.match(r.out, /closest is w1-p8-nearest at T=2/);
    assert.equal(doc.selected, null);
    assert.equal(doc.closest, row.id);
    validateExploreDoc(doc, 'explore.json'); // what explore writes, merge reads back
    const csv = readFileSync(join(o, 'explore.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(csv.length, 1 + doc.rows.length);
    const svg = readFileSync(join(o, 'explore.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    // one mark per row in each panel, each carrying its row's exact accuracy
    const marks = [...svg.matchAll(/data-id="([^"]+)" data-value="([^"]+)"/g)];
    assert.equal(marks.length, 2 * doc.rows.length);
    for (const [, id, v] of marks) assert.equal(Number(v), doc.rows.find((x) => x.id === id)?.accuracy);
  });
});
