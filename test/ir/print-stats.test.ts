import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, convAttrs, float32Tensor, gemmAttrs, maxPoolAttrs } from '../../src/ir/build.js';
import { printGraph } from '../../src/ir/print.js';
import { graphStats } from '../../src/ir/stats.js';

const f32 = 'float32' as const;

describe('printGraph', () => {
  it('prints a tiny graph in the documented form', () => {
    const g = buildGraph({
      name: 'tiny',
      meta: { producer: 'test' },
      inputs: [{ name: 'x', dtype: f32, shape: ['N', 4] }],
      // Inserted out of name order on purpose: the printer sorts initializers.
      initializers: { w: float32Tensor([3, 4]), hi: float32Tensor([], [6]), b: float32Tensor([3]) },
      nodes: [
        { name: 'fc', op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
        { name: 'act', op: 'Relu', inputs: ['y'], outputs: ['z'] },
        { name: 'clip', op: 'Clip', inputs: ['z', '', 'hi'], outputs: ['out'] },
      ],
      outputs: ['out'],
    });
    assert.equal(
      printGraph(g),
      [
        'graph "tiny"',
        '  meta producer = "test"',
        '  input x : float32[N, 4]',
        '  init b : float32[3]',
        '  init hi : float32[]',
        '  init w : float32[3, 4]',
        '  fc = Gemm(x, w, b) {alpha=1, beta=1, transA=false, transB=true} -> y : float32[N, 3]',
        '  act = Relu(y) -> z : float32[N, 3]',
        "  clip = Clip(z, '', hi) -> out : float32[N, 3]",
        '  output out : float32[N, 3]',
        '',
      ].join('\n'),
    );
  });
});

describe('graphStats', () => {
  it('counts params, MACs, elementwise ops and activation bytes of a Conv+Gemm net by hand', () => {
    // x[N,1,5,5] -Conv(2x1x3x3)-> [N,2,3,3] -Relu-> -Flatten-> [N,18] -Gemm(4x18)-> [N,4]
    const g = buildGraph({
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
    const s = graphStats(g);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.params, n.macs, n.elementwiseOps, n.activationBytes]),
      [
        // conv: 18+2 params; 18 outputs x (1 in-channel x 3 x 3) = 162 MACs; 18 floats = 72 B
        ['conv', 20, 162, 0, 72],
        ['relu', 0, 0, 18, 72],
        ['flat', 0, 0, 0, 72],
        // fc: 72+4 params; M=1 per sample, K=18, N=4 -> 72 MACs; 4 floats = 16 B
        ['fc', 76, 72, 0, 16],
      ],
    );
    assert.equal(s.params, 96);
    assert.equal(s.paramBytes, 384);
    assert.equal(s.macs, 234);
    assert.equal(s.elementwiseOps, 18);
    assert.equal(s.activationBytes, 232);
    assert.deepEqual(s.unknown, { macs: 0, elementwiseOps: 0, activationBytes: 0 });
    assert.deepEqual(s.histogram, { Conv: 1, Flatten: 1, Gemm: 1, Relu: 1 });
  });

  it('counts pooling windows, and reports non-batch symbolic dims as unknown', () => {
    const g = buildGraph({
      inputs: [
        { name: 'x', dtype: f32, shape: ['N', 2, 4, 4] },
        { name: 'v', dtype: f32, shape: ['N', 'T'] },
      ],
      nodes: [
        { name: 'mp', op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
        { name: 'e', op: 'Exp', inputs: ['v'], outputs: ['w'] },
      ],
      outputs: ['y', 'w'],
    });
    const s = graphStats(g);
    // [N,2,2,2] = 8 outputs per sample, 4 window elements each
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.elementwiseOps, n.activationBytes]),
      [
        ['mp', 32, 32],
        ['e', null, null],
      ],
    );
    assert.equal(s.elementwiseOps, 32);
    assert.deepEqual(s.unknown, { macs: 0, elementwiseOps: 1, activationBytes: 1 });
  });
});
