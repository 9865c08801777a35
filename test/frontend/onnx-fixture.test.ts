// A PyTorch-style CNN built directly in our IR (Conv+BN+ReLU+MaxPool, a residual Add,
// GlobalAveragePool+Flatten+Gemm) with seeded weights: exportOnnx must give a model that
// onnxruntime loads and runs, deterministically, and that re-imports to the same graph.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { inferShapes } from '../../src/ir/infer.js';
import type { Graph, Node, Tensor, WindowAttrs } from '../../src/ir/types.js';
import { assertSameGraph, prng, runOrt } from './onnx-helpers.js';

type Gen = (shape: number[], scale?: number, offset?: number) => Tensor;
const generator = (seed: number): Gen => {
  const rand = prng(seed);
  return (shape, scale = 0.5, offset = 0) => ({
    dtype: 'float32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + rand() * scale),
  });
};
const win = (k: number, s: number, p: number): WindowAttrs => ({
  kernelShape: [k, k],
  strides: [s, s],
  pads: [p, p, p, p],
  dilations: [1, 1],
  autoPad: 'NOTSET',
});

function buildNet(seed: number): Graph {
  const f32 = generator(seed);
  const inits = new Map<string, Tensor>([
    ['w1', f32([8, 3, 3, 3])],
    ['b1', f32([8], 0.1)],
    ['bn1.s', f32([8], 0.2, 1)],
    ['bn1.b', f32([8], 0.1)],
    ['bn1.m', f32([8], 0.1)],
    ['bn1.v', f32([8], 0.2, 1)],
    ['w2', f32([8, 8, 3, 3], 0.2)],
    ['bn2.s', f32([8], 0.2, 1)],
    ['bn2.b', f32([8], 0.1)],
    ['bn2.m', f32([8], 0.1)],
    ['bn2.v', f32([8], 0.2, 1)],
    ['fc.w', f32([10, 8])],
    ['fc.b', f32([10], 0.1)],
  ]);
  const eps = Math.fround(1e-5);
  const nodes: Node[] = [
    { name: 'conv1', op: 'Conv', attrs: { ...win(3, 1, 1), group: 1 }, inputs: ['x', 'w1', 'b1'], outputs: ['c1'] },
    { name: 'bn1', op: 'BatchNormalization', attrs: { epsilon: eps }, inputs: ['c1', 'bn1.s', 'bn1.b', 'bn1.m', 'bn1.v'], outputs: ['n1'] },
    { name: 'relu1', op: 'Relu', attrs: {}, inputs: ['n1'], outputs: ['r1'] },
    { name: 'pool', op: 'MaxPool', attrs: { ...win(2, 2, 0), ceilMode: false, storageOrder: 0 }, inputs: ['r1'], outputs: ['p1'] },
    { name: 'conv2', op: 'Conv', attrs: { ...win(3, 1, 1), group: 1 }, inputs: ['p1', 'w2'], outputs: ['c2'] },
    { name: 'bn2', op: 'BatchNormalization', attrs: { epsilon: eps }, inputs: ['c2', 'bn2.s', 'bn2.b', 'bn2.m', 'bn2.v'], outputs: ['n2'] },
    { name: 'residual', op: 'Add', attrs: {}, inputs: ['n2', 'p1'], outputs: ['a2'] },
    { name: 'relu2', op: 'Relu', attrs: {}, inputs: ['a2'], outputs: ['r2'] },
    { name: 'gap', op: 'GlobalAveragePool', attrs: {}, inputs: ['r2'], outputs: ['g'] },
    { name: 'flatten', op: 'Flatten', attrs: { axis: 1 }, inputs: ['g'], outputs: ['f'] },
    { name: 'fc', op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: false, transB: true }, inputs: ['f', 'fc.w', 'fc.b'], outputs: ['logits'] },
  ];
  return inferShapes({
    name: 'resnetish',
    inputs: ['x'],
    outputs: ['logits'],
    nodes,
    initializers: inits,
    values: new Map([['x', { name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }]]),
    meta: { source: 'test' },
  });
}

describe('PyTorch-style fixture through exportOnnx', () => {
  const g = buildNet(2024);
  const bytes = exportOnnx(g);

  it('is deterministic and declares opset 18, IR 8, a symbolic batch and intermediate shapes', () => {
    assert.deepEqual(exportOnnx(buildNet(2024)), bytes);
    assert.notDeepEqual(exportOnnx(buildNet(2025)), bytes);
    const m = onnx.ModelProto.decode(bytes);
    assert.equal(Number(m.irVersion), 8);
    assert.equal(Number(m.opsetImport[0]?.version), 18);
    assert.equal(m.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam, 'N');
    assert.equal(m.graph?.valueInfo?.length, 10);
    assert.deepEqual(
      m.metadataProps.map((p) => p.key),
      ['source'],
    );
  });

  it('loads in onnxruntime; batch rows equal single-sample runs', async () => {
    const s = await ort.InferenceSession.create(bytes);
    assert.deepEqual(s.inputNames, ['x']);
    await s.release();
    const xs = generator(99)([3, 3, 8, 8], 2);
    const [batch] = await runOrt(bytes, new Map([['x', xs]]));
    assert.deepEqual(batch?.shape, [3, 10]);
    const all = batch?.data as Float32Array;
    assert.ok(all.every(Number.isFinite));
    for (let b = 0; b < 3; b++) {
      const one: Tensor = { dtype: 'float32', shape: [1, 3, 8, 8], data: (xs.data as Float32Array).slice(b * 192, (b + 1) * 192) };
      const [row] = await runOrt(bytes, new Map([['x', one]]));
      const r = row?.data as Float32Array;
      for (let k = 0; k < 10; k++) assert.ok(Math.abs((r[k] ?? NaN) - (all[b * 10 + k] ?? NaN)) < 1e-5);
    }
  });

  it('round-trips: import(export(g)) is the same graph', () => {
    assertSameGraph(g, importOnnx(bytes));
  });
});
