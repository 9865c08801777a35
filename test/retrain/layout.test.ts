// A Keras-layout model (NHWC input behind a Transpose to NCHW, which canonicalization turns into
// a Reshape when C = 1) retrains like its NCHW twin: the TF.js forward equals onnxruntime on the
// model as exported, and the training shifts move the image, not its channels — so the twin and
// the NHWC model, the same function with the same weights, train to the same weights.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { fitToModel } from '../../src/data/spec.js';
import { loadMnist } from '../../src/data/mnist.js';
import { forwardTf } from '../../src/retrain/forward.js';
import { createTrainer, trainableAnn } from '../../src/retrain/train.js';
import { initTf } from '../../src/retrain/tf.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { compareTensors } from '../helpers/compare.js';
import { EXAMPLES } from '../helpers/paths.js';
import { runOrt } from '../frontend/onnx-helpers.js';
import { zooModels } from '../zoo/models.js';

const nhwcBytes = (): Uint8Array => {
  const bytes = zooModels().find((m) => m.name === 'tf-nhwc')?.bytes;
  assert.ok(bytes !== undefined);
  return bytes;
};

it('TF.js forward of the NHWC model (its layout change a Reshape to [N, 1, 28, 28]) matches onnxruntime', async () => {
  const tf = await initTf();
  const bytes = nhwcBytes();
  const g = trainableAnn(importOnnx(bytes)).graph;
  assert.ok(g.nodes.some((n) => n.op === 'Reshape' && g.values.get(n.outputs[0] ?? '')?.shape.length === 4));
  const d = loadMnist('test', { limit: 6 });
  const x: Tensor = { ...d.x, shape: [6, 28, 28, 1] }; // one channel: NCHW and NHWC data are the same
  const [want] = await runOrt(bytes, new Map([[g.inputs[0] ?? '', x]]));
  const got = forwardTf(tf, g, tf.tensor(x.data as Float32Array, [...x.shape])).outputs.get(g.outputs[0] ?? '');
  assert.ok(want !== undefined && got !== undefined);
  const gotT: Tensor = { dtype: 'float32', shape: got.shape, data: Float32Array.from(got.dataSync()) };
  assert.equal(compareTensors(gotT, want, { rtol: 1e-4, atol: 1e-4 }), undefined);
});

it('the NHWC model and its NCHW twin (LeNet) train to the same weights with the same shifted images', async () => {
  const tf = await initTf();
  const trained = (g: Graph): Map<string, Float32Array> => {
    const calib = fitToModel(g, loadMnist('train', { limit: 64 }));
    const trainer = createTrainer(tf, trainableAnn(g), calib, { levels: 4, seed: 3 });
    trainer.epoch(fitToModel(g, loadMnist('train', { limit: 256 })), 0);
    const out = trainer.exportGraph({});
    trainer.dispose();
    return new Map(
      out.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map((n) => [n.name, out.initializers.get(n.inputs[1] ?? '')?.data as Float32Array]),
    );
  };
  const lenet = trained(await loadModel(join(EXAMPLES, 'lenet.onnx')));
  const nhwc = trained(importOnnx(nhwcBytes()));
  assert.equal(lenet.size, 5);
  for (const [name, w] of lenet) {
    const v = nhwc.get(name);
    assert.ok(v !== undefined, name);
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs((w[i] as number) - (v[i] as number)));
    assert.ok(worst <= 1e-5, `${name}: weights differ by ${worst}`);
  }
});
