import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, convAttrs, float32Tensor, gemmAttrs } from '../../src/ir/build.js';
import { inferShapes } from '../../src/ir/infer.js';
import { verifyGraph } from '../../src/ir/verify.js';
import type { Graph, Node, ValueInfo } from '../../src/ir/types.js';
import { throwsCode } from './helpers.js';

const f32 = 'float32' as const;

/** x[N,1,5,5] -> Conv(2x1x3x3) -> Relu -> Flatten -> Gemm(4x18) -> y[N,4] */
function tinyNet(): Graph {
  return buildGraph({
    name: 'tiny',
    inputs: [{ name: 'x', dtype: f32, shape: ['N', 1, 5, 5] }],
    initializers: { w1: float32Tensor([2, 1, 3, 3]), b1: float32Tensor([2]), w2: float32Tensor([4, 18]), b2: float32Tensor([4]) },
    nodes: [
      { name: 'conv', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c'], attrs: convAttrs({ kernelShape: [3, 3] }) },
      { name: 'relu', op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { name: 'flat', op: 'Flatten', inputs: ['r'], outputs: ['f'], attrs: { axis: 1 } },
      { name: 'fc', op: 'Gemm', inputs: ['f', 'w2', 'b2'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
  });
}

const info = (g: Graph, v: string) => {
  const i = g.values.get(v);
  return i === undefined ? undefined : [i.dtype, i.shape];
};

describe('inferShapes', () => {
  it('fills every value: inputs, initializers (from tensors), node outputs', () => {
    const g = tinyNet();
    assert.deepEqual(info(g, 'w1'), [f32, [2, 1, 3, 3]]);
    assert.deepEqual(info(g, 'c'), [f32, ['N', 2, 3, 3]]);
    assert.deepEqual(info(g, 'f'), [f32, ['N', 18]]);
    assert.deepEqual(info(g, 'y'), [f32, ['N', 4]]);
    assert.deepEqual([...g.values.keys()], ['x', 'w1', 'b1', 'w2', 'b2', 'c', 'r', 'f', 'y']);
    verifyGraph(g);
  });

  it('sorts unsorted nodes and never mutates its input', () => {
    const g = tinyNet();
    const shuffled: Graph = { ...g, nodes: [...g.nodes].reverse(), values: new Map([['x', g.values.get('x') as ValueInfo]]) };
    const before = { nodes: [...shuffled.nodes], size: shuffled.values.size };
    const out = inferShapes(shuffled);
    assert.deepEqual(
      out.nodes.map((n) => n.name),
      ['conv', 'relu', 'flat', 'fc'],
    );
    assert.deepEqual(shuffled.nodes, before.nodes);
    assert.equal(shuffled.values.size, before.size);
    verifyGraph(out);
  });

  it('allows a graph with no nodes, and absent optional inputs', () => {
    const g = buildGraph({ inputs: [{ name: 'x', dtype: f32, shape: [2] }], nodes: [], outputs: ['x'] });
    verifyGraph(g);
    const h = buildGraph({
      inputs: [{ name: 'x', dtype: f32, shape: [1, 1, 4, 4] }],
      initializers: { w: float32Tensor([1, 1, 2, 2]) },
      nodes: [{ op: 'Conv', inputs: ['x', 'w', ''], outputs: ['y'], attrs: convAttrs({ kernelShape: [2, 2] }) }],
      outputs: ['y'],
    });
    assert.deepEqual(info(h, 'y'), [f32, [1, 1, 3, 3]]);
  });

  it('checks declared value infos: symbols match anything, numbers must agree', () => {
    const spec = (declared: ValueInfo) => ({
      inputs: [{ name: 'x', dtype: f32, shape: ['N', 3] as (number | string)[] }],
      nodes: [{ name: 'r', op: 'Relu' as const, inputs: ['x'], outputs: ['y'] }],
      outputs: ['y'],
      values: [declared],
    });
    const g = buildGraph(spec({ name: 'y', dtype: f32, shape: ['batch', 3] }));
    assert.deepEqual(info(g, 'y'), [f32, ['N', 3]]); // the inferred form is kept
    throwsCode(() => buildGraph(spec({ name: 'y', dtype: f32, shape: ['batch', 4] })), 'SNNC_E_BAD_SHAPE', 'r', /\[batch, 4\].*\[N, 3\]/);
    throwsCode(() => buildGraph(spec({ name: 'y', dtype: f32, shape: [3] })), 'SNNC_E_BAD_SHAPE', 'r');
    throwsCode(() => buildGraph(spec({ name: 'y', dtype: 'float64', shape: ['N', 3] })), 'SNNC_E_BAD_DTYPE', 'r');
  });

  it('rejects duplicate node names, undefined outputs, inputs without info, bad dims', () => {
    const base = { inputs: [{ name: 'x', dtype: f32, shape: [2] }], outputs: ['b'] };
    throwsCode(
      () =>
        buildGraph({
          ...base,
          nodes: [
            { name: 'a', op: 'Relu', inputs: ['x'], outputs: ['a'] },
            { name: 'a', op: 'Relu', inputs: ['a'], outputs: ['b'] },
          ],
        }),
      'SNNC_E_DUPLICATE_NAME',
      'a',
    );
    throwsCode(() => buildGraph({ ...base, nodes: [] }), 'SNNC_E_UNDEFINED_VALUE', undefined, /'b'/);
    const g = buildGraph({ ...base, outputs: ['x'], nodes: [] });
    throwsCode(() => inferShapes({ ...g, values: new Map() }), 'SNNC_E_UNDEFINED_VALUE', undefined, /'x'/);
    throwsCode(() => buildGraph({ ...base, inputs: [{ name: 'x', dtype: f32, shape: [-1] }], outputs: ['x'], nodes: [] }), 'SNNC_E_BAD_SHAPE');
  });

  it('rejects a [2^20, 2^20] shape by the element limit, before anything is allocated', () => {
    const big = 2 ** 20;
    throwsCode(() => buildGraph({ inputs: [{ name: 'x', dtype: f32, shape: [big, big] }], nodes: [], outputs: ['x'] }), 'SNNC_E_LIMIT');
    // The same shape produced by a node (broadcast [2^20, 1] + [1, 2^20]) names the node.
    throwsCode(
      () =>
        buildGraph({
          inputs: [
            { name: 'a', dtype: f32, shape: [big, 1] },
            { name: 'b', dtype: f32, shape: [1, big] },
          ],
          nodes: [{ name: 'outer', op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
          outputs: ['y'],
        }),
      'SNNC_E_LIMIT',
      'outer',
    );
    // The limit is configurable.
    throwsCode(
      () =>
        buildGraph(
          { inputs: [{ name: 'x', dtype: f32, shape: [10, 10] }], nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'] }], outputs: ['y'] },
          { maxElements: 99 },
        ),
      'SNNC_E_LIMIT',
    );
  });
});

describe('verifyGraph', () => {
  it('catches a stored output shape that no longer matches inference', () => {
    const g = tinyNet();
    const values = new Map(g.values);
    values.set('f', { name: 'f', dtype: f32, shape: ['N', 20] });
    throwsCode(() => verifyGraph({ ...g, values }), 'SNNC_E_VERIFY', 'flat', /\[N, 20\].*\[N, 18\]/);
  });

  it('catches unsorted nodes, a dangling value, a mismatched initializer, an undefined input', () => {
    const g = tinyNet();
    throwsCode(() => verifyGraph({ ...g, nodes: [...g.nodes].reverse() }), 'SNNC_E_VERIFY', 'fc');
    throwsCode(
      () => verifyGraph({ ...g, values: new Map([...g.values, ['zombie', { name: 'zombie', dtype: f32, shape: [1] }]]) }),
      'SNNC_E_VERIFY',
      undefined,
      /zombie/,
    );
    const inits = new Map(g.initializers);
    inits.set('b2', float32Tensor([5]));
    throwsCode(() => verifyGraph({ ...g, initializers: inits }), 'SNNC_E_VERIFY', undefined, /'b2'/);
    const nodes = g.nodes.map((n): Node => (n.name === 'relu' ? { ...n, inputs: ['nope'] } : n));
    throwsCode(() => verifyGraph({ ...g, nodes }), 'SNNC_E_UNDEFINED_VALUE', 'relu');
    throwsCode(() => verifyGraph({ ...g, outputs: ['y', 'missing'] }), 'SNNC_E_UNDEFINED_VALUE');
  });

  it('catches a duplicated producer and a duplicated node name', () => {
    const g = tinyNet();
    const dupOut = g.nodes.map((n): Node => (n.name === 'relu' ? { ...n, outputs: ['c'] } : n));
    throwsCode(() => verifyGraph({ ...g, nodes: dupOut }), 'SNNC_E_DUPLICATE_NAME', 'relu');
    const dupName = g.nodes.map((n): Node => (n.name === 'relu' ? { ...n, name: 'conv' } : n));
    throwsCode(() => verifyGraph({ ...g, nodes: dupName }), 'SNNC_E_DUPLICATE_NAME', 'conv');
  });
});
