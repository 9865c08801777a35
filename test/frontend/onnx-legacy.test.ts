// Older-opset forms are normalized to the newest ONNX form on import. Each case runs the
// ORIGINAL old-opset model in onnxruntime and the exported (normalized, opset-18) model,
// and requires identical outputs; the IR shape of the normalization is checked too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { compareTensors } from '../helpers/compare.js';
import { A, buildModel, floatInit, node, prng, runOrt, vi } from './onnx-helpers.js';
import type { ModelParts } from './onnx-helpers.js';

function randomF32(shape: number[], seed: number): Tensor {
  const r = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => r() * 3) };
}

/** Import the old model, export it, and compare ORT(original) with ORT(export). */
async function sameAsOrt(parts: ModelParts, feeds: Map<string, Tensor>): Promise<Graph> {
  const original = buildModel(parts);
  const g = importOnnx(original);
  const exported = exportOnnx(g);
  const want = await runOrt(original, feeds);
  const got = await runOrt(exported, feeds);
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.equal(compareTensors(got[i] as Tensor, w, { rtol: 1e-6, atol: 1e-7 }), undefined, `output ${i}`));
  // The normalized graph also re-imports unchanged.
  const g2 = importOnnx(exported);
  assert.deepEqual(g2.nodes, g.nodes);
  return g;
}

const x34 = () => new Map([['x', randomF32([3, 4], 1)]]);

describe('old-opset normalization (checked against ORT on the original model)', () => {
  it('Clip-6 min/max attributes become scalar initializer inputs', async () => {
    const g = await sameAsOrt(
      {
        nodes: [node('Clip', ['x'], ['y'], [A.f('min', -0.5), A.f('max', 1.25)])],
        inputs: [vi('x', 'float32', [3, 4])],
        outputs: [vi('y', 'float32', [3, 4])],
        opset: 6,
      },
      x34(),
    );
    const clip = g.nodes[0];
    assert.equal(clip?.op, 'Clip');
    assert.equal(clip?.inputs.length, 3);
    assert.deepEqual([...(g.initializers.get(clip?.inputs[1] ?? '')?.data ?? [])], [-0.5]);
    assert.deepEqual(g.initializers.get(clip?.inputs[2] ?? '')?.shape, []);
    // Only max given: min input is absent ('').
    const g2 = await sameAsOrt(
      {
        nodes: [node('Clip', ['x'], ['y'], [A.f('max', 0.5)])],
        inputs: [vi('x', 'float32', [3, 4])],
        outputs: [vi('y', 'float32', [3, 4])],
        opset: 6,
      },
      x34(),
    );
    assert.equal(g2.nodes[0]?.inputs[1], '');
  });

  it('Pad-2 pads/value attributes become inputs (constant and reflect)', async () => {
    const g = await sameAsOrt(
      {
        nodes: [node('Pad', ['x'], ['y'], [A.ints('pads', [1, 0, 0, 2]), A.f('value', 1.5)])],
        inputs: [vi('x', 'float32', [3, 4])],
        outputs: [vi('y', 'float32', [4, 6])],
        opset: 2,
      },
      x34(),
    );
    const pad = g.nodes[0];
    assert.equal(pad?.op === 'Pad' && pad.attrs.mode, 'constant');
    assert.deepEqual([...(g.initializers.get(pad?.inputs[1] ?? '')?.data ?? [])], [1n, 0n, 0n, 2n]);
    await sameAsOrt(
      {
        nodes: [node('Pad', ['x'], ['y'], [A.ints('pads', [0, 2, 0, 1]), A.s('mode', 'reflect')])],
        inputs: [vi('x', 'float32', [3, 4])],
        outputs: [vi('y', 'float32', [3, 7])],
        opset: 2,
      },
      x34(),
    );
  });

  it('Squeeze-11 / Unsqueeze-11 axes attributes become int64 inputs', async () => {
    const g = await sameAsOrt(
      {
        nodes: [node('Unsqueeze', ['x'], ['u'], [A.ints('axes', [0, 3])]), node('Squeeze', ['u'], ['y'], [A.ints('axes', [-1])])],
        inputs: [vi('x', 'float32', [3, 4])],
        outputs: [vi('y', 'float32', [1, 3, 4])],
        opset: 11,
      },
      x34(),
    );
    assert.deepEqual(
      g.nodes.map((n) => n.inputs.length),
      [2, 2],
    );
    assert.deepEqual(g.values.get('u')?.shape, [1, 3, 4, 1]);
  });

  it('Softmax-11 axis=1 on a 3-D input is lowered to Flatten -> Softmax(-1) -> Reshape', async () => {
    const feeds = new Map([['x', randomF32([2, 3, 4], 5)]]);
    const g = await sameAsOrt(
      {
        nodes: [node('Softmax', ['x'], ['y'], [A.i('axis', 1)], { name: 'sm' })],
        inputs: [vi('x', 'float32', [2, 3, 4])],
        outputs: [vi('y', 'float32', [2, 3, 4])],
        opset: 11,
      },
      feeds,
    );
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Flatten', 'Softmax', 'Reshape'],
    );
    // The default axis (1) of a symbolic-batch input: the batch becomes -1 in the Reshape.
    await sameAsOrt(
      {
        nodes: [node('Softmax', ['x'], ['y'])],
        inputs: [vi('x', 'float32', ['N', 3, 4])],
        outputs: [vi('y', 'float32', ['N', 3, 4])],
        opset: 11,
      },
      feeds,
    );
    // axis = last: the semantics agree, so it maps directly.
    const g3 = await sameAsOrt(
      {
        nodes: [node('Softmax', ['x'], ['y'], [A.i('axis', 2)])],
        inputs: [vi('x', 'float32', [2, 3, 4])],
        outputs: [vi('y', 'float32', [2, 3, 4])],
        opset: 11,
      },
      feeds,
    );
    assert.deepEqual(
      g3.nodes.map((n) => n.op),
      ['Softmax'],
    );
    // An intermediate input (no declared shape) is resolved by inferring what came before.
    const g4 = await sameAsOrt(
      {
        nodes: [node('Relu', ['x'], ['r']), node('Softmax', ['r'], ['y'], [A.i('axis', 0)])],
        inputs: [vi('x', 'float32', [2, 3, 4])],
        outputs: [vi('y', 'float32', [2, 3, 4])],
        opset: 11,
      },
      feeds,
    );
    assert.deepEqual(
      g4.nodes.map((n) => n.op),
      ['Relu', 'Flatten', 'Softmax', 'Reshape'],
    );
  });

  it('ReduceSum-11 and ReduceMax-13 axes attributes become inputs', async () => {
    const feeds = new Map([['x', randomF32([2, 3, 4], 9)]]);
    await sameAsOrt(
      {
        nodes: [node('ReduceSum', ['x'], ['s'], [A.ints('axes', [1]), A.i('keepdims', 0)]), node('ReduceMax', ['s'], ['y'], [A.ints('axes', [-1])])],
        inputs: [vi('x', 'float32', [2, 3, 4])],
        outputs: [vi('y', 'float32', [2, 1])],
        opset: 11,
      },
      feeds,
    );
    const g = await sameAsOrt(
      {
        nodes: [node('ReduceMax', ['x'], ['y'], [A.ints('axes', [0, 2])])],
        inputs: [vi('x', 'float32', [2, 3, 4])],
        outputs: [vi('y', 'float32', [1, 3, 1])],
        opset: 13,
      },
      feeds,
    );
    assert.equal(g.nodes[0]?.inputs.length, 2);
  });

  it('BatchNormalization-7 (spatial, momentum), Dropout-7/-11, Cast and Constant attributes', async () => {
    const feeds = new Map([['x', randomF32([1, 2, 3, 3], 11)]]);
    const bnInits = [floatInit('s', [2], [1.5, 0.5]), floatInit('b', [2], [0.1, -0.2]), floatInit('m', [2], [0.3, 0]), floatInit('v', [2], [2, 0.25])];
    const g = await sameAsOrt(
      {
        nodes: [
          node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['bn'], [A.f('epsilon', 1e-3), A.i('spatial', 1), A.f('momentum', 0.9)]),
          node('Dropout', ['bn'], ['d'], [A.f('ratio', 0.3)]),
          node('Constant', [], ['k'], [A.t('value', floatInit('', [1], [2]))]),
          node('Mul', ['d', 'k'], ['mm']),
          node('Cast', ['mm'], ['y'], [A.i('to', 6)]),
        ],
        inputs: [vi('x', 'float32', [1, 2, 3, 3])],
        outputs: [vi('y', 'int32', [1, 2, 3, 3])],
        initializers: bnInits,
        opset: 7,
      },
      feeds,
    );
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['BatchNormalization', 'Dropout', 'Mul', 'Cast'],
    );
    assert.ok(g.initializers.has('k'));
    // Opset 6 forms (is_test, consumed_inputs-era attrs) import to the same IR; ORT no longer runs them.
    const g6 = importOnnx(
      buildModel({
        nodes: [
          node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['bn'], [A.f('epsilon', 1e-3), A.i('is_test', 1), A.i('spatial', 1), A.f('momentum', 0.9)]),
          node('Dropout', ['bn'], ['d'], [A.i('is_test', 1), A.f('ratio', 0.3)]),
          node('Constant', [], ['k'], [A.t('value', floatInit('', [1], [2]))]),
          node('Mul', ['d', 'k'], ['mm'], [A.i('broadcast', 1)]),
          node('Cast', ['mm'], ['y'], [A.i('to', 6)]),
        ],
        inputs: [vi('x', 'float32', [1, 2, 3, 3])],
        outputs: [vi('y', 'int32', [1, 2, 3, 3])],
        initializers: bnInits,
        opset: 6,
      }),
    );
    assert.deepEqual(g6.nodes, g.nodes);
    await sameAsOrt(
      {
        nodes: [
          node('Dropout', ['x'], ['d'], [A.f('ratio', 0.5)]),
          node('Constant', [], ['c'], [A.floats('value_floats', [1, 2, 3])]),
          node('Add', ['d', 'c'], ['y']),
        ],
        inputs: [vi('x', 'float32', [1, 2, 3, 3])],
        outputs: [vi('y', 'float32', [1, 2, 3, 3])],
        opset: 11,
      },
      feeds,
    );
  });

  it('Conv without kernel_shape takes it from the weight; legacy Add broadcast at an axis', async () => {
    const feeds = new Map([['x', randomF32([1, 2, 5, 5], 3)]]);
    const w = randomF32([3, 2, 3, 2], 4);
    const g = await sameAsOrt(
      {
        nodes: [node('Conv', ['x', 'w'], ['y'], [A.ints('pads', [1, 0, 1, 0])])],
        inputs: [vi('x', 'float32', [1, 2, 5, 5])],
        outputs: [vi('y', 'float32', [1, 3, 5, 4])],
        initializers: [floatInit('w', [3, 2, 3, 2], [...(w.data as Float32Array)])],
        opset: 11,
      },
      feeds,
    );
    const conv = g.nodes[0];
    assert.deepEqual(conv?.op === 'Conv' && conv.attrs.kernelShape, [3, 2]);

    // Add-6 with broadcast=1, axis=1: B [2] aligns with dim 1 of A [1, 2, 5, 5].
    // ORT has no float kernel for Add-6 any more, so the expectation is computed by hand.
    const parts: ModelParts = {
      nodes: [node('Add', ['x', 'b'], ['y'], [A.i('broadcast', 1), A.i('axis', 1)])],
      inputs: [vi('x', 'float32', [1, 2, 5, 5]), vi('b', 'float32', [2])],
      outputs: [vi('y', 'float32', [1, 2, 5, 5])],
      opset: 6,
    };
    const b: Tensor = { dtype: 'float32', shape: [2], data: new Float32Array([10, 20]) };
    const gb = importOnnx(buildModel(parts));
    assert.deepEqual(
      gb.nodes.map((n) => n.op),
      ['Unsqueeze', 'Add'],
    );
    const x = feeds.get('x') as Tensor;
    const [got] = await runOrt(
      exportOnnx(gb),
      new Map([
        ['x', x],
        ['b', b],
      ]),
    );
    const want = Float32Array.from(x.data as Float32Array, (v, i) => v + (i < 25 ? 10 : 20));
    assert.equal(compareTensors(got as Tensor, { dtype: 'float32', shape: [1, 2, 5, 5], data: want }), undefined);
    // With B an initializer the unit dims are folded into the tensor instead.
    const gi = importOnnx(buildModel({ ...parts, inputs: [vi('x', 'float32', [1, 2, 5, 5])], initializers: [floatInit('b', [2], [10, 20])] }));
    assert.deepEqual(
      gi.nodes.map((n) => n.op),
      ['Add'],
    );
    assert.deepEqual(gi.initializers.get(gi.nodes[0]?.inputs[1] ?? '')?.shape, [2, 1, 1]);
  });
});
