// TF.js layers import checked against TF.js itself: each model is run by tfjs-layers
// (`model.predict`, NHWC input) and by snnc's interpreter on the imported NCHW graph.
// Models are the committed examples plus small ones built here that cover every layer
// kind and padding rule the importer handles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist } from '../../src/data/mnist.js';
import { importTfjs } from '../../src/frontend/tfjs/index.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { prng } from '../../scripts/example-models.js';
import { initTfjs, loadLayersModelFile, saveLayersModel, writeTfjsFolder } from '../../scripts/tfjs-env.js';
import { EXAMPLES } from '../helpers/paths.js';

let dir = '';
before(async () => {
  await initTfjs();
  dir = mkdtempSync(join(tmpdir(), 'snnc-tfjs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** NHWC [n, h, w, c] data → NCHW tensor. */
function toNchw(x: Float32Array, n: number, h: number, w: number, c: number): Tensor {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let z = 0; z < w; z++)
        for (let k = 0; k < c; k++) {
          out[((b * c + k) * h + y) * w + z] = x[((b * h + y) * w + z) * c + k] ?? 0;
        }
  return { dtype: 'float32', shape: [n, c, h, w], data: out };
}

/** Max |ours − TF.js| over the model's single output for an NHWC batch. */
async function compare(model: tfl.LayersModel, g: Graph, x: Float32Array, shape: [number, number, number, number]): Promise<number> {
  const input = tf.tensor4d(x, shape);
  const theirs = model.predict(input) as tf.Tensor;
  const ref = await theirs.data();
  const refShape = theirs.shape;
  input.dispose();
  theirs.dispose();
  const feeds = new Map([[g.inputs[0] ?? '', toNchw(x, ...shape)]]);
  const ours = runGraph(g, feeds).get(g.outputs[0] ?? '');
  assert.ok(ours !== undefined);
  // Outputs of rank 2 are compared directly; rank-4 outputs go back to NHWC first.
  let got = ours.data as Float32Array;
  if (ours.shape.length === 4) {
    const [n, c, h, w] = ours.shape as [number, number, number, number];
    got = new Float32Array(got.length);
    for (let b = 0; b < n; b++)
      for (let k = 0; k < c; k++)
        for (let y = 0; y < h; y++)
          for (let z = 0; z < w; z++) {
            got[((b * h + y) * w + z) * c + k] = (ours.data as Float32Array)[((b * c + k) * h + y) * w + z] ?? 0;
          }
    assert.deepEqual([n, h, w, c], refShape);
  } else {
    assert.deepEqual(ours.shape, refShape);
  }
  let d = 0;
  for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs((got[i] ?? NaN) - (ref[i] ?? 0)));
  return d;
}

function randomize(model: tfl.LayersModel, seed: number): void {
  const rand = prng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () => rand() - 0.5),
          w.shape,
        ),
      ),
    );
  }
  // moving_variance must stay positive: set BN weights explicitly.
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [g, b, m, v] = layer.getWeights();
    if (g === undefined || b === undefined || m === undefined || v === undefined) continue;
    const n = v.size;
    layer.setWeights([
      g,
      b,
      m,
      tf.tensor(
        Float32Array.from({ length: n }, () => 0.2 + rand()),
        v.shape,
      ),
    ]);
  }
}

async function roundTrip(name: string, model: tfl.LayersModel, inShape: [number, number, number], seed = 1): Promise<number> {
  randomize(model, seed);
  const folder = join(dir, name);
  writeTfjsFolder(folder, await saveLayersModel(model));
  const g = importTfjs(join(folder, 'model.json'));
  const [h, w, c] = inShape;
  const n = 3;
  const rand = prng(seed + 100);
  const x = Float32Array.from({ length: n * h * w * c }, () => rand() * 2 - 1);
  return compare(model, g, x, [n, h, w, c]);
}

describe('importTfjs on the example models', () => {
  const names = ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny'];
  for (const name of names) {
    const path = join(EXAMPLES, 'tfjs', name, 'model.json');
    it(`${name}: matches tfjs-layers predict on 100 test images within 1e-4`, { skip: !existsSync(path) && 'not trained yet' }, async () => {
      const model = await loadLayersModelFile(path);
      const g = importTfjs(path);
      assert.deepEqual(g.values.get(g.inputs[0] ?? '')?.shape, ['N', 1, 28, 28]);
      const test = loadMnist('test', { limit: 100 });
      const d = await compare(model, g, test.x.data as Float32Array, [100, 28, 28, 1]);
      model.dispose();
      assert.ok(d < 1e-4, `max abs difference ${d}`);
    });
  }
});

describe('importTfjs layer coverage (random weights, compared with tfjs-layers)', () => {
  it('Conv2D same/valid, strides, dilation, DepthwiseConv2D, pools with same padding, Flatten → Dense (HWC→CHW rows)', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [9, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, padding: 'same' }));
    m.add(tfl.layers.conv2d({ filters: 5, kernelSize: 2, dilationRate: 2, padding: 'valid', useBias: false, activation: 'tanh' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }));
    m.add(tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dropout({ rate: 0.5 }));
    m.add(tfl.layers.dense({ units: 7, activation: 'sigmoid' }));
    m.add(tfl.layers.dense({ units: 4, activation: 'softmax' }));
    const d = await roundTrip('conv-mix', m, [9, 8, 3]);
    assert.ok(d < 1e-5, `max abs difference ${d}`);
  });

  it('functional: BatchNormalization, ReLU(max_value), LeakyReLU, Add, Concatenate, GlobalMax/AveragePooling2D', async () => {
    const input = tfl.input({ shape: [6, 6, 2] });
    const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    const bn = tfl.layers.batchNormalization({ epsilon: 0.01 }).apply(a) as tfl.SymbolicTensor;
    const r = tfl.layers.reLU({ maxValue: 0.6 }).apply(bn) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const lk = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(b) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([r, lk]) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ axis: -1 }).apply([sum, a]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({}).apply(cat) as tfl.SymbolicTensor;
    const gmp = tfl.layers.globalMaxPooling2d({}).apply(cat) as tfl.SymbolicTensor;
    const both = tfl.layers.concatenate().apply([gap, gmp]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3 }).apply(both) as tfl.SymbolicTensor;
    const d = await roundTrip('functional', tfl.model({ inputs: input, outputs: out }), [6, 6, 2], 7);
    assert.ok(d < 1e-5, `max abs difference ${d}`);
  });

  it('Flatten → BatchNormalization → Dense, and a flattened graph output keep the Keras element order', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [4, 5, 1], filters: 3, kernelSize: 2, padding: 'valid' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.batchNormalization({}));
    m.add(tfl.layers.activation({ activation: 'relu' }));
    m.add(tfl.layers.dense({ units: 2 }));
    assert.ok((await roundTrip('flat-bn', m, [4, 5, 1], 3)) < 1e-5);
    const m2 = tfl.sequential();
    m2.add(tfl.layers.conv2d({ inputShape: [3, 3, 2], filters: 3, kernelSize: 2 }));
    m2.add(tfl.layers.flatten());
    assert.ok((await roundTrip('flat-out', m2, [3, 3, 2], 4)) < 1e-5);
  });

  it('a channel-axis Concatenate on images and a rank-4 output (NCHW back to NHWC)', async () => {
    const input = tfl.input({ shape: [5, 4, 3] });
    const a = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.activation({ activation: 'relu6' }).apply(input) as tfl.SymbolicTensor;
    const cat = tfl.layers
      .concatenate({ axis: 2 })
      .apply([a, tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c2' }).apply(b) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
    assert.ok((await roundTrip('cat-w', tfl.model({ inputs: input, outputs: cat }), [5, 4, 3], 5)) < 1e-5);
  });
});
