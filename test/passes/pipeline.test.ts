import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { isSnncError } from '../../src/errors.js';
import { loadOnnx } from '../../src/frontend/onnx/read.js';
import { readTensorFile } from '../../src/frontend/onnx/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { collectingContext } from '../../src/passes/context.js';
import type { Pass } from '../../src/passes/context.js';
import { ANN_PASSES, runPipeline } from '../../src/passes/pipeline.js';
import { compareTensors, DEFAULT_TOL } from '../helpers/compare.js';
import type { Tolerance } from '../helpers/compare.js';
import { CORPUS, HAVE_CORPUS, ROOT } from '../helpers/paths.js';
import { throwsCode } from '../ir/helpers.js';
import { assertSameOutputs, ops, prng, randomFeeds } from './equivalence.js';
import { pytorchStyle } from './pytorch-fixture.js';

test('PyTorch-style model: canonicalize + fold-batchnorm leave no BN/Dropout/Identity, same outputs', () => {
  const g = pytorchStyle();
  const ctx = collectingContext();
  const { graph, timings } = runPipeline(g, ANN_PASSES, ctx, { verify: true });
  assert.deepEqual(
    timings.map((t) => t.pass),
    ['canonicalize', 'fold-batchnorm'],
  );
  assert.deepEqual(ops(graph), ['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'Conv', 'Add', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  assert.equal(graph.nodes[0]?.inputs[0], 'input', 'the normalization folded into the unpadded stem Conv');
  assert.deepEqual(ctx.diagnostics, []);
  assertSameOutputs(g, graph, randomFeeds(g, prng(1), 3), { rtol: 1e-5, atol: 1e-5 });
});

test('runPipeline reports each pass, dumps the IR after the named pass, and verifies', () => {
  const g = pytorchStyle();
  const seen: [string, number][] = [];
  const dumps: [string, string][] = [];
  runPipeline(g, ANN_PASSES, collectingContext(), {
    verify: true,
    dumpAfter: 'canonicalize',
    onPass: (name, ms) => seen.push([name, ms]),
    onDump: (name, text) => dumps.push([name, text]),
  });
  assert.deepEqual(
    seen.map(([n]) => n),
    ['canonicalize', 'fold-batchnorm'],
  );
  assert.ok(seen.every(([, ms]) => ms >= 0));
  assert.equal(dumps.length, 1);
  assert.equal(dumps[0]?.[0], 'canonicalize');
  assert.match(dumps[0]?.[1] ?? '', /^graph "resnet_tiny"/);
  assert.match(dumps[0]?.[1] ?? '', /BatchNormalization/, 'dumped before fold-batchnorm ran');
});

test('an unknown --dump-ir-after name is SNNC_E_USAGE listing the passes', () => {
  throwsCode(() => runPipeline(pytorchStyle(), ANN_PASSES, collectingContext(), { dumpAfter: 'fold-bn' }), 'SNNC_E_USAGE');
  try {
    runPipeline(pytorchStyle(), ANN_PASSES, collectingContext(), { dumpAfter: 'fold-bn' });
  } catch (e) {
    assert.ok(isSnncError(e));
    assert.match(e.hint ?? '', /canonicalize, fold-batchnorm/);
  }
});

test('verify catches a pass that breaks the graph', () => {
  // Leaves a stale shape in `values`: only the verifier notices.
  const broken: Pass = {
    name: 'broken',
    run: (g) => ({ ...g, values: new Map([...g.values].map(([k, v]) => [k, k === 'logits' ? { ...v, shape: [1, 1] } : v])) }),
  };
  assert.doesNotThrow(() => runPipeline(pytorchStyle(), [broken], collectingContext()));
  throwsCode(() => runPipeline(pytorchStyle(), [broken], collectingContext(), { verify: true }), 'SNNC_E_VERIFY');
});

// --- the ONNX corpus: the passes keep every supported model's expected outputs ---------

const unsupported = JSON.parse(readFileSync(join(ROOT, 'test', 'conformance', 'unsupported.json'), 'utf8')) as Record<string, unknown>;
const tolerances = JSON.parse(readFileSync(join(ROOT, 'test', 'conformance', 'tolerances.json'), 'utf8')) as Record<string, Tolerance>;

function readSet(dir: string, prefix: 'input' | 'output'): Tensor[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)))
    .map((f) => readTensorFile(join(dir, f)).tensor);
}

function checkCase(dir: string, tol: Tolerance): void {
  const g = loadOnnx(join(dir, 'model.onnx'));
  const { graph } = runPipeline(g, ANN_PASSES, collectingContext(), { verify: true });
  assert.deepEqual([...graph.outputs], [...g.outputs]);
  for (const s of readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()) {
    const inputs = readSet(join(dir, s), 'input');
    const got = runGraph(graph, new Map(graph.inputs.map((name, i) => [name, inputs[i] as Tensor])));
    readSet(join(dir, s), 'output').forEach((want, i) => {
      const t = got.get(graph.outputs[i] ?? '');
      assert.ok(t !== undefined, `${s}: output ${i} missing`);
      const diff = compareTensors(t, want, tol);
      assert.equal(diff, undefined, `${s} output ${i}: ${diff ?? ''}`);
    });
  }
}

describe('ANN passes on the ONNX corpus keep the expected outputs', { skip: HAVE_CORPUS ? false : `corpus not found at ${CORPUS}` }, () => {
  const suites = HAVE_CORPUS
    ? readdirSync(CORPUS)
        .filter((s) => !s.endsWith('.md'))
        .sort()
    : [];
  for (const suite of suites) {
    for (const c of readdirSync(join(CORPUS, suite)).sort()) {
      const dir = join(CORPUS, suite, c);
      if (!existsSync(join(dir, 'model.onnx')) || unsupported[c] !== undefined) continue;
      const override = tolerances[c];
      const tol = override === undefined ? DEFAULT_TOL : { rtol: Math.max(DEFAULT_TOL.rtol, override.rtol), atol: Math.max(DEFAULT_TOL.atol, override.atol) };
      it(`${suite}/${c}`, () => checkCase(dir, tol));
    }
  }
});

describe('the conversion as one list (issue #13)', () => {
  it('convertModel runs canonicalize → fold-batchnorm → calibrate → convert → fold-avgpool, and --dump-ir-after reaches each', async () => {
    const { loadModel } = await import('../../src/api/load.js');
    const { convertModel } = await import('../../src/api/convert.js');
    const { loadMnist } = await import('../../src/data/mnist.js');
    const g = await loadModel(join(ROOT, 'examples', 'lenet.onnx'));
    const calibData = loadMnist('train', { limit: 32 });
    const dumps = new Map<string, string>();
    for (const pass of ['canonicalize', 'fold-batchnorm', 'calibrate', 'convert', 'fold-avgpool']) {
      const r = convertModel(g, { calibData, verify: true, dumpAfter: pass, onDump: (name, text) => dumps.set(name, text) });
      assert.ok(dumps.has(pass), `no dump after ${pass}`);
      if (pass === 'fold-avgpool') assert.equal(r.graph.nodes.filter((n) => n.op === 'IF').length, g.nodes.filter((n) => n.op === 'Relu').length);
    }
    // Before convert there are ReLUs and no neurons; after it, neurons (the spiking op IF).
    assert.match(dumps.get('calibrate') ?? '', /Relu/);
    assert.doesNotMatch(dumps.get('calibrate') ?? '', /\bIF\b/);
    assert.match(dumps.get('convert') ?? '', /\bIF\b/);
    // fold-avgpool merges LeNet's average pools into the synaptic layer after them.
    assert.ok((dumps.get('convert')?.match(/AveragePool/g) ?? []).length > (dumps.get('fold-avgpool')?.match(/AveragePool/g) ?? []).length);
    assert.throws(
      () => convertModel(g, { calibData, dumpAfter: 'quantise' }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE' && /calibrate, convert, fold-avgpool/.test(e.hint ?? ''),
    );
  });
});
