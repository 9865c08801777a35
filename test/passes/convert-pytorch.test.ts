// A PyTorch-style export (input normalization, Conv+BN+ReLU, MaxPool, residual Add, Dropout,
// Identity, GlobalAveragePool, Reshape, Gemm) goes through the whole user path without edits:
// ONNX file → convertModel (calibration from a .npz) → SNN simulation, and the spiking
// network's decisions follow the ANN's.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../../src/api/convert.js';
import { loadModel } from '../../src/api/load.js';
import { argmaxRows } from '../../src/sim/ann/accuracy.js';
import { writeNpz } from '../../src/data/npz.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { float32Tensor } from '../../src/ir/build.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { simulate } from '../../src/sim/snn/simulate.js';
import { prng } from './equivalence.js';
import { pytorchStyle } from './pytorch-fixture.js';

it('a PyTorch-style ResNet export converts and simulates without manual edits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-pt-'));
  writeFileSync(join(dir, 'model.onnx'), exportOnnx(pytorchStyle()));
  const g = await loadModel(join(dir, 'model.onnx'));
  const rnd = prng(7);
  const image = (n: number) =>
    float32Tensor(
      [n, 3, 10, 10],
      Array.from({ length: n * 300 }, () => rnd()),
    );
  writeFileSync(join(dir, 'calib.npz'), writeNpz({ x: image(64), y: { dtype: 'int64', shape: [64], data: new BigInt64Array(64) } }));
  const c = convertModel(g, { calib: join(dir, 'calib.npz'), method: 'max', granularity: 'layer' });
  const ops = c.graph.nodes.map((n) => n.op);
  assert.ok(ops.includes('IF') && ops.includes('SpikeMaxPool') && ops.includes('Add'), ops.join(','));
  assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Dropout') && !ops.includes('Relu'));
  const x = image(24);
  const annPred = argmaxRows(runGraph(g, new Map([['input', x]])).get('logits') ?? x);
  const r = simulate(c.graph, { x, y: annPred }, { T: 256 });
  // Accuracy against the ANN's own predictions: a converted net must mostly agree.
  const agree = r.accuracyPerStep[255] ?? 0;
  assert.ok(agree >= 0.75, `SNN agrees with the ANN on ${(100 * agree).toFixed(0)} % of inputs`);
});
