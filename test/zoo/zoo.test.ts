// The exporter-pattern zoo (models.ts) end to end:
// 1. each model computes what onnxruntime computes (the independent reference);
// 2. after canonicalize each model is the network its twin is (same ops, same windows), so
//    conversion gives the same accuracy and the same synops as the network written without
//    the exporter pattern;
// 3. each compiles for every target with exit 0, a target unavailable only for a hardware
//    limit it names;
// 4. the padded-pool PyTorch LeNet runs on the FPGA (g++ C-simulation bit-exact with the
//    integer simulation) and on Loihi with the accuracy of the same network without Pad.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { loadDatasetSpec } from '../../src/data/spec.js';
import { quantizeModel } from '../../src/api/quantize.js';
import { simulateModel } from '../../src/api/simulate.js';
import { ANN_PASSES, runPipeline } from '../../src/passes/pipeline.js';
import { collectingContext } from '../../src/passes/context.js';
import { runGraph } from '../../src/sim/ann/run.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { CompileReport } from '../../src/report/types.js';
import { runOrt } from '../frontend/onnx-helpers.js';
import { compareTensors } from '../helpers/compare.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';
import { csimProgram, expected, mnistInputs, NO_GXX } from '../backends/fpga-util.js';
import { zooModels } from './models.js';

const ZOO = zooModels();
const dir = mkdtempSync(join(tmpdir(), 'snnc-zoo-'));
const fileOf = (name: string): string => (ZOO.some((z) => z.name === name) ? join(dir, `${name}.onnx`) : join(EXAMPLES, `${name}.onnx`));

before(() => {
  for (const z of ZOO) writeFileSync(join(dir, `${z.name}.onnx`), z.bytes);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function mnistFeed(g: Graph, n: number): Map<string, Tensor> {
  const d = loadDatasetSpec('mnist', 'test', n);
  const name = g.inputs[0] as string;
  const shape = (g.values.get(name)?.shape ?? []).map((s, i) => (i === 0 ? n : (s as number)));
  return new Map([[name, { dtype: 'float32', shape, data: d.x.data as Float32Array }]]);
}

describe('zoo models match onnxruntime', () => {
  for (const z of ZOO) {
    it(`${z.name} (${z.pattern})`, async () => {
      const g = await loadModel(fileOf(z.name));
      const feeds = mnistFeed(g, 8);
      const ours = runGraph(g, feeds);
      const ref = await runOrt(z.bytes, feeds);
      const diff = compareTensors(ours.get(g.outputs[0] as string) as Tensor, ref[0] as Tensor, { rtol: 1e-4, atol: 1e-4 });
      assert.equal(diff, undefined, diff);
    });
  }
});

/**
 * The canonical form, names aside: op, attributes and output shapes of every node in order.
 * A Reshape of the graph input itself is left out: it only relabels the input layout
 * (tf-nhwc's one-channel NHWC input), which is the model's interface, not its network.
 */
async function canonicalForm(name: string): Promise<string[]> {
  const g = await loadModel(fileOf(name));
  const c = runPipeline(g, ANN_PASSES, collectingContext()).graph;
  return c.nodes
    .filter((n) => !(n.op === 'Reshape' && c.inputs.includes(n.inputs[0] ?? '')))
    .map((n) => `${n.op} ${JSON.stringify(n.attrs)} ${n.outputs.map((o) => JSON.stringify(c.values.get(o)?.shape)).join(' ')}`);
}

describe('after canonicalize, a zoo model is its twin', () => {
  for (const z of ZOO.filter((x) => x.twin !== undefined)) {
    it(`${z.name} ≡ ${z.twin}: same nodes, accuracy and synops`, async () => {
      assert.deepEqual(await canonicalForm(z.name), await canonicalForm(z.twin as string));
      const opts = { n: 64, T: [8], calibSamples: 64 };
      const a = simulateModel(await loadModel(fileOf(z.name)), opts);
      const b = simulateModel(await loadModel(fileOf(z.twin as string)), opts);
      assert.ok(Math.abs((a.ann?.macsPerSample ?? 0) - (b.ann?.macsPerSample ?? 0)) < 1e-9, 'same MACs');
      const [ra, rb] = [a.snn[0], b.snn[0]];
      assert.ok(ra !== undefined && rb !== undefined);
      assert.ok(Math.abs(ra.accuracy - rb.accuracy) <= 1 / 64 + 1e-9, `accuracy ${ra.accuracy} vs ${rb.accuracy}`);
      assert.ok(ra.synopsPerSample > 0, 'synops are counted');
      assert.ok(Math.abs(ra.synopsPerSample - rb.synopsPerSample) <= 1e-3 * rb.synopsPerSample, `synops ${ra.synopsPerSample} vs ${rb.synopsPerSample}`);
    });
  }
});

// The hardware limits a target may name for a zoo model (the same ones the examples hit).
const ALLOWED: readonly [RegExp, string, RegExp][] = [
  [/maxpool|bn/, 'loihi', /max pooling has no netx layer/],
  [/reducemean/, 'loihi', /the graph branches \(netx has no merge layers/],
];
const FAST = ['--n', '40', '--hw-samples', '4', '--T', '8', '--calib-samples', '64'];

describe('every zoo model compiles for every target', () => {
  for (const z of ZOO) {
    it(`${z.name} × --target all`, async () => {
      const out = join(dir, `out-${z.name}`);
      const r = await cli('compile', fileOf(z.name), '--target', 'all', ...FAST, '-o', out, '--quiet');
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompileReport;
      for (const t of report.targets) {
        if (t.status === 'ok') continue;
        const why = ALLOWED.find(([m, k, re]) => m.test(z.name) && t.kind === k && re.test(t.note ?? ''));
        assert.ok(why !== undefined, `${z.name} on ${t.target} is unavailable: ${t.note ?? '(no reason)'}`);
      }
    });
  }
});

describe('the padded-pool PyTorch LeNet (Pad + AveragePool) on hardware', () => {
  it('Loihi and FPGA rows equal those of the same network written without Pad', async () => {
    const rows = async (name: string): Promise<Map<string, number | null>> => {
      const r = await cli(
        'compile',
        fileOf(name),
        '--target',
        'loihi2',
        '--target',
        'fpga',
        '--n',
        '100',
        '--hw-samples',
        '100',
        '--T',
        '16',
        '-o',
        join(dir, `hw-${name}`),
        '--json',
      );
      assert.equal(r.code, 0, r.err);
      const rep = (JSON.parse(r.out) as { report: CompileReport }).report;
      return new Map(rep.targets.map((t) => [t.target, t.status === 'ok' ? t.accuracy : null]));
    };
    const padded = await rows('pt-pad-avgpool');
    const plain = await rows('pt-avgpool-pads');
    for (const [target, acc] of plain) {
      assert.notEqual(acc, null, `${target} runs the network without Pad`);
      const got = padded.get(target);
      assert.ok(got !== null && got !== undefined && Math.abs(got - (acc as number)) <= 0.003, `${target}: ${got} vs ${acc}`);
    }
  });

  it('g++ C-simulation equals the integer simulation bit for bit', { skip: NO_GXX }, async () => {
    const T = 8;
    const N = 10;
    const g = await loadModel(fileOf('pt-pad-avgpool'));
    const { program } = quantizeModel(g, { calib: 'mnist', calibSamples: 64, bits: { w: 8 }, granularity: 'layer' });
    const { inputs } = mnistInputs(program, N);
    const r = await csimProgram(program, { T, goldenInputs: inputs, reuseFactor: 4 });
    assert.equal(r.ok, true, r.stdout.split('\n').slice(-5).join('\n'));
    inputs.forEach((x, s) => assert.deepEqual(r.results[s]?.sums, expected(program, x, T, s).sums, `sample ${s}`));
  });
});
