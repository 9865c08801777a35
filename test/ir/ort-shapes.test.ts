// Independent check of the tricky shape rules: build a one-node ONNX model, run it in
// onnxruntime on zero inputs, and compare the output dims with our inference.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { avgPoolAttrs, buildGraph, convAttrs, int64Tensor, maxPoolAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';

const { onnx } = onnxProto;
type IAttr = onnxProto.onnx.IAttributeProto;

const ints = (name: string, v: number[]): IAttr => ({ name, type: 7, ints: v });
const int = (name: string, i: number): IAttr => ({ name, type: 2, i });
const str = (name: string, s: string): IAttr => ({ name, type: 3, s: new TextEncoder().encode(s) });

interface Case {
  readonly title: string;
  readonly opType: string;
  readonly attrs: IAttr[];
  /** Float32 runtime inputs. */
  readonly inputs: Record<string, number[]>;
  /** int64 constant inputs (initializers). */
  readonly consts?: Record<string, number[]>;
  /** Input names in ONNX order, '' for absent. */
  readonly order: string[];
  readonly node: NodeSpec;
}

async function ortDims(c: Case): Promise<number[]> {
  const tensorType = (dims: number[], elemType: number) => ({ tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'g',
      node: [{ opType: c.opType, input: c.order, output: ['y'], attribute: c.attrs }],
      input: Object.entries(c.inputs).map(([name, dims]) => ({ name, type: tensorType(dims, 1) })),
      initializer: Object.entries(c.consts ?? {}).map(([name, v]) => ({ name, dataType: 7, dims: [v.length], int64Data: v })),
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, dims] of Object.entries(c.inputs)) {
    feeds[name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  const out = await session.run(feeds);
  return [...(out['y']?.dims ?? [])];
}

function ourDims(c: Case): (number | string)[] {
  const consts = Object.fromEntries(Object.entries(c.consts ?? {}).map(([k, v]) => [k, int64Tensor(v)]));
  const g = buildGraph({
    inputs: Object.entries(c.inputs).map(([name, shape]) => ({ name, dtype: 'float32' as const, shape })),
    initializers: consts,
    nodes: [c.node],
    outputs: ['y'],
  });
  return [...(g.values.get('y')?.shape ?? [])];
}

const cases: Case[] = [
  {
    title: 'MaxPool ceil_mode dropping the last window (in 5, k 2, s 3, pads 1/1)',
    opType: 'MaxPool',
    attrs: [ints('kernel_shape', [2]), ints('strides', [3]), ints('pads', [1, 1]), int('ceil_mode', 1)],
    inputs: { x: [1, 1, 5] },
    order: ['x'],
    node: { op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [2], strides: [3], pads: [1, 1], ceilMode: true }) },
  },
  {
    title: 'MaxPool ceil_mode with dilation',
    opType: 'MaxPool',
    attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('dilations', [2, 2]), int('ceil_mode', 1)],
    inputs: { x: [1, 1, 10, 11] },
    order: ['x'],
    node: { op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [3, 3], strides: [2, 2], dilations: [2, 2], ceilMode: true }) },
  },
  {
    title: 'AveragePool SAME_UPPER stride 2',
    opType: 'AveragePool',
    attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), str('auto_pad', 'SAME_UPPER')],
    inputs: { x: [1, 2, 7, 8] },
    order: ['x'],
    node: { op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: avgPoolAttrs({ kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }) },
  },
  {
    title: 'Conv SAME_LOWER stride 2',
    opType: 'Conv',
    attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), str('auto_pad', 'SAME_LOWER')],
    inputs: { x: [1, 1, 6, 5], w: [3, 1, 3, 3] },
    order: ['x', 'w'],
    node: { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_LOWER' }) },
  },
  {
    title: 'Conv with asymmetric pads, stride, dilation and groups',
    opType: 'Conv',
    attrs: [ints('kernel_shape', [3, 2]), ints('pads', [1, 0, 2, 1]), ints('strides', [2, 3]), ints('dilations', [2, 1]), int('group', 2)],
    inputs: { x: [1, 4, 11, 9], w: [6, 2, 3, 2] },
    order: ['x', 'w'],
    node: {
      op: 'Conv',
      inputs: ['x', 'w'],
      outputs: ['y'],
      attrs: convAttrs({ kernelShape: [3, 2], pads: [1, 0, 2, 1], strides: [2, 3], dilations: [2, 1], group: 2 }),
    },
  },
  {
    title: 'Reshape with 0 and -1',
    opType: 'Reshape',
    attrs: [],
    inputs: { x: [2, 3, 4] },
    consts: { s: [2, 0, 1, -1] },
    order: ['x', 's'],
    node: { op: 'Reshape', inputs: ['x', 's'], outputs: ['y'], attrs: { allowzero: false } },
  },
  {
    title: 'Flatten axis 0',
    opType: 'Flatten',
    attrs: [int('axis', 0)],
    inputs: { x: [2, 3, 4] },
    order: ['x'],
    node: { op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } },
  },
  {
    title: 'Squeeze without axes',
    opType: 'Squeeze',
    attrs: [],
    inputs: { x: [1, 3, 1, 5] },
    order: ['x'],
    node: { op: 'Squeeze', inputs: ['x'], outputs: ['y'] },
  },
  {
    title: 'Pad with negative pads and axes',
    opType: 'Pad',
    attrs: [str('mode', 'constant')],
    inputs: { x: [1, 3, 4, 5] },
    consts: { p: [-1, 2, 0, -2], a: [2, 3] },
    order: ['x', 'p', '', 'a'],
    node: { op: 'Pad', inputs: ['x', 'p', '', 'a'], outputs: ['y'], attrs: { mode: 'constant' } },
  },
  {
    title: 'MatMul of a 1-D vector by a batch of matrices',
    opType: 'MatMul',
    attrs: [],
    inputs: { a: [4], b: [2, 4, 5] },
    order: ['a', 'b'],
    node: { op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] },
  },
  {
    title: 'ReduceSum over a negative axis without keepdims',
    opType: 'ReduceSum',
    attrs: [int('keepdims', 0)],
    inputs: { x: [2, 3, 4] },
    consts: { a: [-2] },
    order: ['x', 'a'],
    node: { op: 'ReduceSum', inputs: ['x', 'a'], outputs: ['y'], attrs: { keepdims: false, noopWithEmptyAxes: false } },
  },
];

describe('shape inference agrees with onnxruntime', () => {
  for (const c of cases) {
    it(c.title, async () => {
      assert.deepEqual(ourDims(c), await ortDims(c));
    });
  }
});
