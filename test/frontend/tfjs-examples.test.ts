// The committed example ONNX files, checked end to end by independent runtimes: the
// TF.js model they came from (tfjs-layers predict, NHWC) against onnxruntime running
// the exported file (NCHW) on the first 100 embedded test images.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { loadMnist } from '../../src/data/mnist.js';
import { initTfjs, loadLayersModelFile } from '../../scripts/tfjs-env.js';
import { EXAMPLES } from '../helpers/paths.js';

before(async () => {
  await initTfjs();
});

describe('examples/*.onnx', () => {
  const test = loadMnist('test', { limit: 100 });
  const x = test.x.data as Float32Array;
  for (const name of ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny']) {
    const onnxPath = join(EXAMPLES, `${name}.onnx`);
    const tfjsPath = join(EXAMPLES, 'tfjs', name, 'model.json');
    it(
      `${name}.onnx in onnxruntime matches its TF.js model within 1e-4 and is under 1 MB`,
      { skip: !(existsSync(onnxPath) && existsSync(tfjsPath)) && 'examples not built' },
      async () => {
        assert.ok(statSync(onnxPath).size < 1 << 20);
        const session = await ort.InferenceSession.create(onnxPath);
        const feeds = { [session.inputNames[0] ?? '']: new ort.Tensor('float32', x, [100, 1, 28, 28]) };
        const res = await session.run(feeds);
        const ours = res[session.outputNames[0] ?? '']?.data as Float32Array;
        const model = await loadLayersModelFile(tfjsPath);
        const input = tf.tensor4d(x, [100, 28, 28, 1]); // one channel: NCHW and NHWC bytes coincide
        const ref = await (model.predict(input) as tf.Tensor).data();
        input.dispose();
        model.dispose();
        assert.equal(ours.length, ref.length);
        let d = 0;
        for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs((ours[i] ?? NaN) - (ref[i] ?? 0)));
        assert.ok(d < 1e-4, `max abs difference ${d}`);
      },
    );
  }
});
