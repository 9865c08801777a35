import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeSpec } from '../../src/ir/build.js';
import { buildGraph, convAttrs, float32Tensor, gemmAttrs, maxPoolAttrs } from '../../src/ir/build.js';
import { verifyGraph } from '../../src/ir/verify.js';
import type { Dim, Graph, Tensor } from '../../src/ir/types.js';
import { collectingContext } from '../../src/passes/context.js';
import { foldBatchnorm } from '../../src/passes/fold-batchnorm.js';
import { assertSameOutputs, ops, prng, rand, randomFeeds } from './equivalence.js';

function fold(g: Graph): { g: Graph; diags: ReturnType<typeof collectingContext>['diagnostics'] } {
  const ctx = collectingContext();
  const out = foldBatchnorm.run(g, ctx);
  verifyGraph(out);
  return { g: out, diags: ctx.diagnostics };
}

/** BN parameters for `c` channels, named <p>_g, _b, _m, _v. */
function bnParams(p: string, c: number, rnd: () => number): Record<string, Tensor> {
  return {
    [`${p}_g`]: rand([c], rnd, 0.5, 1.5),
    [`${p}_b`]: rand([c], rnd),
    [`${p}_m`]: rand([c], rnd),
    [`${p}_v`]: rand([c], rnd, 0.2, 2),
  };
}
const bn = (p: string, x: string, y: string): NodeSpec => ({
  op: 'BatchNormalization',
  name: p,
  inputs: [x, `${p}_g`, `${p}_b`, `${p}_m`, `${p}_v`],
  outputs: [y],
  attrs: { epsilon: 1e-5 },
});

function graph(shape: readonly Dim[], inits: Record<string, Tensor>, nodes: NodeSpec[], outputs: string[]): Graph {
  return buildGraph({ inputs: [{ name: 'x', dtype: 'float32', shape }], initializers: inits, nodes, outputs });
}

test("Conv+BN: W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β (hand-computed)", () => {
  const g = graph(
    [1, 1, 2, 2],
    {
      w: float32Tensor([1, 1, 1, 1], [2]),
      b: float32Tensor([1], [1]),
      bn_g: float32Tensor([1], [3]),
      bn_b: float32Tensor([1], [0.5]),
      bn_m: float32Tensor([1], [1]),
      bn_v: float32Tensor([1], [3]),
    },
    [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: convAttrs({ kernelShape: [1, 1] }) },
      { op: 'BatchNormalization', name: 'bn', inputs: ['c', 'bn_g', 'bn_b', 'bn_m', 'bn_v'], outputs: ['y'], attrs: { epsilon: 1 } },
    ],
    ['y'],
  );
  const { g: out, diags } = fold(g);
  assert.deepEqual(ops(out), ['Conv']);
  assert.deepEqual(diags, []);
  const conv = out.nodes[0];
  assert.ok(conv !== undefined);
  assert.deepEqual(conv.outputs, ['y']);
  // s = 3/√(3+1) = 1.5 → W' = 3, b' = (1 − 1)·1.5 + 0.5 = 0.5
  assert.deepEqual([...(out.initializers.get(conv.inputs[1] ?? '')?.data ?? [])], [3]);
  assert.deepEqual([...(out.initializers.get(conv.inputs[2] ?? '')?.data ?? [])], [0.5]);
});

test('Conv+BN, Conv(groups)+BN, Gemm+BN (both layouts, with alpha/beta) fold backward with equal outputs', () => {
  const rnd = prng(10);
  const g = graph(
    ['N', 4, 6, 6],
    {
      w1: rand([6, 4, 3, 3], rnd),
      b1: rand([6], rnd),
      ...bnParams('bn1', 6, rnd),
      w2: rand([6, 2, 3, 3], rnd),
      ...bnParams('bn2', 6, rnd),
      g1: rand([6, 5], rnd),
      c1: rand([1, 5], rnd),
      ...bnParams('bn3', 5, rnd),
      g2: rand([3, 5], rnd),
      ...bnParams('bn4', 3, rnd),
    },
    [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1o'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      bn('bn1', 'c1o', 'n1'),
      { op: 'Conv', inputs: ['n1', 'w2', ''], outputs: ['c2o'], attrs: convAttrs({ kernelShape: [3, 3], group: 3, strides: [2, 2] }) },
      bn('bn2', 'c2o', 'n2'),
      { op: 'GlobalAveragePool', inputs: ['n2'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'g1', 'c1'], outputs: ['h1'], attrs: gemmAttrs({ alpha: 0.7, beta: 1.5 }) },
      bn('bn3', 'h1', 'n3'),
      { op: 'Gemm', inputs: ['n3', 'g2', ''], outputs: ['h2'], attrs: gemmAttrs({ transB: true }) },
      bn('bn4', 'h2', 'y'),
    ],
    ['y'],
  );
  const { g: out, diags } = fold(g);
  assert.deepEqual(ops(out), ['Conv', 'Conv', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Gemm']);
  assert.deepEqual(diags, []);
  assertSameOutputs(g, out, randomFeeds(g, rnd, 3));
});

test('BN after MaxPool folds forward into a Conv without padding', () => {
  const rnd = prng(11);
  const g = graph(
    ['N', 3, 6, 6],
    { w: rand([4, 3, 2, 2], rnd), b: rand([4], rnd), ...bnParams('bn', 3, rnd) },
    [
      { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      bn('bn', 'p', 'n'),
      { op: 'Conv', name: 'conv', inputs: ['n', 'w', 'b'], outputs: ['y'], attrs: convAttrs({ kernelShape: [2, 2] }) },
    ],
    ['y'],
  );
  const { g: out, diags } = fold(g);
  assert.deepEqual(ops(out), ['MaxPool', 'Conv']);
  assert.equal(out.nodes[1]?.inputs[0], 'p');
  assert.deepEqual(diags, []);
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('BN after Add folds forward into a grouped Conv, a Gemm, and through Flatten into a Gemm', () => {
  const rnd = prng(12);
  const g = graph(
    ['N', 4, 3, 3],
    {
      ...bnParams('bnA', 4, rnd),
      wg: rand([4, 2, 1, 1], rnd),
      ...bnParams('bnB', 4, rnd),
      gw: rand([36, 3], rnd),
      gb: rand([3], rnd),
      ...bnParams('bnC', 3, rnd),
      gw2: rand([2, 3], rnd),
    },
    [
      { op: 'Add', inputs: ['x', 'x'], outputs: ['a'] },
      bn('bnA', 'a', 'na'),
      { op: 'Conv', inputs: ['na', 'wg', ''], outputs: ['c'], attrs: convAttrs({ kernelShape: [1, 1], group: 2 }) },
      { op: 'Add', inputs: ['c', 'x'], outputs: ['r'] },
      bn('bnB', 'r', 'nb'),
      { op: 'Flatten', inputs: ['nb'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'gw', 'gb'], outputs: ['h'], attrs: gemmAttrs({ alpha: 0.5 }) },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      bn('bnC', 'hr', 'nc'),
      { op: 'Gemm', inputs: ['nc', 'gw2', ''], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    ['y'],
  );
  const { g: out, diags } = fold(g);
  assert.deepEqual(ops(out), ['Add', 'Conv', 'Add', 'Flatten', 'Gemm', 'Relu', 'Gemm']);
  assert.deepEqual(diags, []);
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('a BN that cannot fold stays, with SNNC_W_BN_NOT_FOLDED naming it', () => {
  const rnd = prng(13);
  const g = graph(
    [1, 2, 4, 4],
    { w: rand([2, 2, 3, 3], rnd), ...bnParams('bnPad', 2, rnd), ...bnParams('bnRelu', 2, rnd), ...bnParams('bnTwice', 2, rnd) },
    [
      { op: 'Add', inputs: ['x', 'x'], outputs: ['a'] },
      // Shift before a zero-padded Conv: not exact.
      bn('bnPad', 'a', 'na'),
      { op: 'Conv', inputs: ['na', 'w', ''], outputs: ['c'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'Add', inputs: ['c', 'x'], outputs: ['r'] },
      bn('bnRelu', 'r', 'nr'),
      { op: 'Relu', inputs: ['nr'], outputs: ['y'] },
      // A Conv output read by the BN and by something else cannot change.
      bn('bnTwice', 'c', 'z'),
    ],
    ['y', 'z'],
  );
  const { g: out, diags } = fold(g);
  assert.equal(ops(out).filter((o) => o === 'BatchNormalization').length, 3);
  assert.deepEqual(
    diags.map((d) => [d.severity, d.code, d.node]),
    [
      ['warning', 'SNNC_W_BN_NOT_FOLDED', 'bnPad'],
      ['warning', 'SNNC_W_BN_NOT_FOLDED', 'bnRelu'],
      ['warning', 'SNNC_W_BN_NOT_FOLDED', 'bnTwice'],
    ],
  );
  assert.match(diags[0]?.message ?? '', /after Add 'Add_0'/);
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('fold-batchnorm shares no storage with its input graph', () => {
  const rnd = prng(14);
  const g = graph(
    [1, 2, 3, 3],
    { w: rand([2, 2, 1, 1], rnd), ...bnParams('bn', 2, rnd) },
    [{ op: 'Conv', inputs: ['x', 'w', ''], outputs: ['c'], attrs: convAttrs({ kernelShape: [1, 1] }) }, bn('bn', 'c', 'y')],
    ['y'],
  );
  const before = [...(g.initializers.get('w')?.data ?? [])];
  fold(g);
  assert.deepEqual([...(g.initializers.get('w')?.data ?? [])], before);
  assert.equal(g.nodes.length, 2);
});
