// The TF.js forward pass equals the reference interpreter on the example models, and the
// data-free calibration images are deterministic, in [0, 1], and classified as intended.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { argmaxRows } from '../../src/sim/ann/accuracy.js';
import { loadMnist } from '../../src/data/mnist.js';
import { forwardTf } from '../../src/retrain/forward.js';
import { synthesizeCalibration } from '../../src/retrain/synthesize.js';
import { initTf } from '../../src/retrain/tf.js';
import { runGraph } from '../../src/sim/ann/run.js';
import type { Tensor } from '../../src/ir/types.js';
import { compareTensors } from '../helpers/compare.js';
import { CORPUS, EXAMPLES, HAVE_CORPUS } from '../helpers/paths.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const CORPUS_OUT = mkdtempSync(join(tmpdir(), 'snnc-synth-'));

it('TF.js forward pass matches the interpreter on every example model', async () => {
  const tf = await initTf();
  for (const name of ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny']) {
    const g = await loadModel(join(EXAMPLES, `${name}.onnx`));
    const d = loadMnist('test', { limit: 6 });
    const x: Tensor = g.values.get(g.inputs[0] ?? '')?.shape.length === 2 ? { ...d.x, shape: [6, 784] } : d.x;
    const want = runGraph(g, new Map([[g.inputs[0] ?? '', x]])).get(g.outputs[0] ?? '');
    const got = forwardTf(tf, g, tf.tensor(x.data as Float32Array, [...x.shape])).outputs.get(g.outputs[0] ?? '');
    assert.ok(want !== undefined && got !== undefined);
    const gotT: Tensor = { dtype: 'float32', shape: got.shape, data: Float32Array.from(got.dataSync()) };
    assert.equal(compareTensors(gotT, want, { rtol: 1e-4, atol: 1e-4 }), undefined, name);
  }
});

it('synthetic calibration images are reproducible, in [0, 1], and hit their target classes', async () => {
  const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
  const a = await synthesizeCalibration(g, { n: 10, steps: 40, seed: 3 });
  const b = await synthesizeCalibration(g, { n: 10, steps: 40, seed: 3 });
  assert.deepEqual(Array.from(a.data as Float32Array), Array.from(b.data as Float32Array));
  assert.ok((a.data as Float32Array).every((v) => v >= 0 && v <= 1));
  const pred = argmaxRows(runGraph(g, new Map([[g.inputs[0] ?? '', a]])).get(g.outputs[0] ?? '') ?? a);
  const hits = Array.from(pred).filter((p, i) => p === i % 10).length;
  assert.ok(hits >= 8, `${hits}/10 synthetic images classified as their target`);
});

it('a model whose output is not [N, classes] is refused with SNNC_E_CALIBRATION, not a crash (issue #18 item 1)', async () => {
  const { buildGraph } = await import('../../src/ir/build.js');
  const { isSnncError } = await import('../../src/errors.js');
  // Rank-3 output (as onnx's test_leakyrelu), and a fixed-batch output whose first dim is not the batch (test_flatten_axis2).
  const rank3 = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4, 5] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    outputs: ['y'],
  });
  const flat = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }],
    nodes: [{ op: 'Flatten', attrs: { axis: 2 }, inputs: ['x'], outputs: ['y'] }],
    outputs: ['y'],
  });
  for (const g of [rank3, flat]) {
    await assert.rejects(
      synthesizeCalibration(g, { n: 4, steps: 1 }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION' && /\[N, classes\]/.test(e.message) && /--calib/.test(e.hint ?? ''),
    );
  }
});

it(
  'the corpus models that crashed convert --calib synthetic now exit 2 with SNNC_E_CALIBRATION',
  { skip: HAVE_CORPUS ? false : '../shared/corpus is absent' },
  async () => {
    const { cli } = await import('../helpers/cli.js');
    for (const t of [
      'onnx-node/test_leakyrelu',
      'onnx-node/test_softmax_axis_1',
      'onnx-node/test_flatten_axis2',
      'onnx-pytorch-converted/test_BatchNorm2d_eval',
    ]) {
      const r = await cli('convert', join(CORPUS, t, 'model.onnx'), '--calib', 'synthetic', '-o', join(CORPUS_OUT, 'x.snn.onnx'));
      assert.equal(r.code, 2, `${t}: ${r.err}`);
      assert.match(r.err, /SNNC_E_CALIBRATION/);
    }
  },
);
