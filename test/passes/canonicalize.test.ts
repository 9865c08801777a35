import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildGraph, convAttrs, float32Tensor, gemmAttrs, int64Tensor } from '../../src/ir/build.js';
import { printGraph } from '../../src/ir/print.js';
import { verifyGraph } from '../../src/ir/verify.js';
import type { Graph } from '../../src/ir/types.js';
import { canonicalize } from '../../src/passes/canonicalize.js';
import { collectingContext } from '../../src/passes/context.js';
import { assertSameOutputs, ops, prng, rand, randomFeeds } from './equivalence.js';
import { randomGraph, STEP_KINDS } from './random-graphs.js';

function canon(g: Graph): { g: Graph; diags: ReturnType<typeof collectingContext>['diagnostics'] } {
  const ctx = collectingContext();
  const out = canonicalize.run(g, ctx);
  verifyGraph(out);
  return { g: out, diags: ctx.diagnostics };
}

test('constant subgraphs fold to one initializer (hand-computed values)', () => {
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3] }],
    initializers: { a: float32Tensor([3], [1, 2, 3]), b: float32Tensor([3], [10, 20, 30]) },
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['s'] },
      { op: 'Neg', inputs: ['s'], outputs: ['n'] },
      { op: 'Relu', inputs: ['n'], outputs: ['r'] },
      { op: 'Sub', inputs: ['x', 'n'], outputs: ['y'] },
    ],
    outputs: ['y', 'r'],
  });
  const { g: out } = canon(g);
  assert.deepEqual(ops(out), ['Sub']);
  assert.deepEqual([...(out.initializers.get('n')?.data ?? [])], [-11, -22, -33]);
  // A constant graph output becomes an initializer under its own name.
  assert.deepEqual([...(out.initializers.get('r')?.data ?? [])], [0, 0, 0]);
  assert.deepEqual([...out.initializers.keys()].sort(), ['n', 'r']);
  assertSameOutputs(g, out, randomFeeds(g, prng(1)));
});

test('constant folding skips spiking ops and results over 2^20 elements', () => {
  const big = { dtype: 'float32', shape: [1025, 1024], data: new Float32Array(1025 * 1024) } as const;
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1025, 1024] }],
    initializers: { a: big, b: big, cur: float32Tensor([4]), thr: float32Tensor([], [1]) },
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['s'] },
      { op: 'Add', inputs: ['x', 's'], outputs: ['y'] },
      { op: 'IF', inputs: ['cur', 'thr'], outputs: ['spk'], attrs: { reset: 'subtract', vInit: 0, fire: 'ge', refractory: 0 } },
    ],
    outputs: ['y', 'spk'],
  });
  assert.deepEqual(ops(canon(g).g), ['Add', 'Add', 'IF']);
});

test('Identity and Dropout go away; graph output names stay', () => {
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r1'] },
      { op: 'Identity', inputs: ['r1'], outputs: ['i1'] },
      { op: 'Dropout', inputs: ['i1'], outputs: ['d1', ''] },
      { op: 'Relu', inputs: ['d1'], outputs: ['r2'] },
      { op: 'Identity', inputs: ['r2'], outputs: ['out'] },
    ],
    outputs: ['out'],
  });
  const { g: out } = canon(g);
  assert.deepEqual(ops(out), ['Relu', 'Relu']);
  assert.deepEqual(out.nodes[1]?.outputs, ['out']);
  assertSameOutputs(g, out, randomFeeds(g, prng(2)));
});

test('an Identity from a graph input to a graph output, and a Dropout whose mask is read, stay', () => {
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['y'] },
      { op: 'Dropout', inputs: ['x'], outputs: ['d', 'mask'] },
    ],
    outputs: ['y', 'd', 'mask'],
  });
  assert.deepEqual(ops(canon(g).g), ['Identity', 'Dropout']);
});

test('Reshape to [0, -1] / [N, -1] of a 4-D value becomes Flatten(axis=1); chains collapse; no-op reshapes vanish', () => {
  const g = buildGraph({
    inputs: [
      { name: 'x', dtype: 'float32', shape: ['N', 2, 3, 4] },
      { name: 'z', dtype: 'float32', shape: [2, 2, 3, 4] },
    ],
    initializers: { s0: int64Tensor([0, -1]), s1: int64Tensor([2, -1]), s2: int64Tensor([0, 6, 4]), s3: int64Tensor([0, 2, 3, 4]) },
    nodes: [
      { op: 'Reshape', inputs: ['x', 's0'], outputs: ['a'], attrs: { allowzero: false } },
      { op: 'Reshape', inputs: ['z', 's1'], outputs: ['b'], attrs: { allowzero: false } },
      { op: 'Reshape', inputs: ['x', 's2'], outputs: ['m'], attrs: { allowzero: false } },
      { op: 'Flatten', inputs: ['m'], outputs: ['c'], attrs: { axis: 1 } },
      { op: 'Reshape', inputs: ['m', 's3'], outputs: ['same'], attrs: { allowzero: false } },
      { op: 'Relu', inputs: ['same'], outputs: ['d'] },
    ],
    outputs: ['a', 'b', 'c', 'd'],
  });
  const { g: out } = canon(g);
  const byOut = (v: string) => out.nodes.find((n) => n.outputs[0] === v);
  assert.deepEqual(byOut('a'), { name: 'Reshape_0', op: 'Flatten', inputs: ['x'], outputs: ['a'], attrs: { axis: 1 } });
  assert.deepEqual(byOut('b'), { name: 'Reshape_1', op: 'Flatten', inputs: ['z'], outputs: ['b'], attrs: { axis: 1 } });
  assert.deepEqual(byOut('c')?.inputs, ['x']);
  assert.equal(byOut('c')?.op, 'Flatten');
  assert.deepEqual(byOut('d')?.inputs, ['x'], 'Reshape back to the original shape is removed');
  assert.equal(out.nodes.length, 4);
  const rnd = prng(3);
  assertSameOutputs(
    g,
    out,
    new Map([
      ['x', rand([2, 2, 3, 4], rnd)],
      ['z', rand([2, 2, 3, 4], rnd)],
    ]),
  );
});

test('Mul/Div/Add/Sub by a per-channel constant after Conv/Gemm fold into weights and bias', () => {
  const rnd = prng(4);
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 4, 4] }],
    initializers: {
      w: rand([3, 2, 3, 3], rnd),
      b: rand([3], rnd),
      s: rand([1, 3, 1, 1], rnd, 0.5, 2),
      t: rand([3, 1, 1], rnd),
      gw: rand([3, 5], rnd),
      d: float32Tensor([], [4]),
      gb: rand([1, 5], rnd),
      e: rand([5], rnd),
    },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', ''], outputs: ['c'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'Mul', inputs: ['s', 'c'], outputs: ['c1'] },
      { op: 'Add', inputs: ['c1', 't'], outputs: ['c2'] },
      { op: 'Sub', inputs: ['t', 'c2'], outputs: ['c3'] },
      { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'gw', 'gb'], outputs: ['g'], attrs: gemmAttrs({ alpha: 0.5, beta: 2 }) },
      { op: 'Div', inputs: ['g', 'd'], outputs: ['g1'] },
      { op: 'Sub', inputs: ['g1', 'e'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
  const { g: out } = canon(g);
  assert.deepEqual(ops(out), ['Conv', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  assert.equal(out.nodes[0]?.outputs[0], 'c3');
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('a constant varying along a spatial axis, or a Conv output read twice, is not folded', () => {
  const rnd = prng(5);
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }],
    initializers: { w: rand([3, 2, 1, 1], rnd), s: rand([1, 1, 1, 4], rnd), t: rand([3, 1, 1], rnd) },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', ''], outputs: ['c'], attrs: convAttrs({ kernelShape: [1, 1] }) },
      { op: 'Mul', inputs: ['c', 's'], outputs: ['y'] },
      { op: 'Add', inputs: ['c', 't'], outputs: ['z'] },
    ],
    outputs: ['y', 'z'],
  });
  assert.deepEqual(ops(canon(g).g), ['Conv', 'Mul', 'Add']);
});

test('input normalization (x − mean)/std folds into a Conv without padding and a Gemm', () => {
  const rnd = prng(6);
  const g = buildGraph({
    inputs: [
      { name: 'x', dtype: 'float32', shape: ['N', 3, 5, 5] },
      { name: 'v', dtype: 'float32', shape: ['N', 4] },
    ],
    initializers: {
      mean: float32Tensor([1, 3, 1, 1], [0.485, 0.456, 0.406]),
      std: float32Tensor([1, 3, 1, 1], [0.229, 0.224, 0.225]),
      w: rand([2, 3, 3, 3], rnd),
      b: rand([2], rnd),
      m2: float32Tensor([], [0.5]),
      s2: rand([4], rnd, 0.5, 2),
      gw: rand([2, 4], rnd),
    },
    nodes: [
      { op: 'Sub', inputs: ['x', 'mean'], outputs: ['xc'] },
      { op: 'Div', inputs: ['xc', 'std'], outputs: ['xn'] },
      { op: 'Conv', inputs: ['xn', 'w', 'b'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3] }) },
      { op: 'Sub', inputs: ['v', 'm2'], outputs: ['vc'] },
      { op: 'Div', inputs: ['vc', 's2'], outputs: ['vn'] },
      { op: 'Gemm', inputs: ['vn', 'gw', ''], outputs: ['z'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y', 'z'],
  });
  const { g: out, diags } = canon(g);
  assert.deepEqual(ops(out), ['Conv', 'Gemm']);
  assert.deepEqual(
    out.nodes.map((n) => n.inputs[0]),
    ['x', 'v'],
  );
  assert.deepEqual(diags, []);
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('with zero padding only the scale folds; the shift stays and an info diagnostic says why', () => {
  const rnd = prng(7);
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 5, 5] }],
    initializers: { mean: rand([3, 1, 1], rnd), std: rand([3, 1, 1], rnd, 0.5, 2), w: rand([2, 3, 3, 3], rnd) },
    nodes: [
      { op: 'Sub', inputs: ['x', 'mean'], outputs: ['xc'] },
      { op: 'Div', inputs: ['xc', 'std'], outputs: ['xn'] },
      { op: 'Conv', inputs: ['xn', 'w', ''], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
    ],
    outputs: ['y'],
  });
  const { g: out, diags } = canon(g);
  assert.deepEqual(ops(out), ['Sub', 'Conv']);
  assert.equal(diags.length, 1);
  assert.equal(diags[0]?.severity, 'info');
  assert.equal(diags[0]?.code, 'SNNC_I_SHIFT_NOT_FOLDED');
  assert.equal(diags[0]?.node, 'Sub_0');
  assertSameOutputs(g, out, randomFeeds(g, rnd));
});

test('canonicalize never mutates its input', () => {
  const g = randomGraph(11, ['conv', 'arith', 'identity', 'flatten', 'gemm', 'arith']);
  const before = printGraph(g);
  const data = [...g.initializers.values()].map((t) => [...t.data]);
  canon(g);
  assert.equal(printGraph(g), before);
  assert.deepEqual(
    [...g.initializers.values()].map((t) => [...t.data]),
    data,
  );
});

test('property: canonicalize keeps outputs (rtol 1e-5), verifies, and is idempotent', () => {
  fc.assert(
    fc.property(fc.nat(), fc.array(fc.constantFrom(...STEP_KINDS), { minLength: 1, maxLength: 8 }), (seed, kinds) => {
      const g = randomGraph(seed, kinds);
      const once = canon(g).g;
      assertSameOutputs(g, once, randomFeeds(g, prng(seed + 1)), { rtol: 1e-5, atol: 1e-5 });
      const twice = canon(once).g;
      assert.equal(printGraph(twice), printGraph(once));
      for (const [name, t] of once.initializers) assert.deepEqual(twice.initializers.get(name)?.data, t.data, name);
      // Only an input→output Identity/Dropout may stay (removing it would rename an output).
      for (const n of once.nodes) {
        if (n.op === 'Identity' || n.op === 'Dropout') assert.deepEqual([n.inputs[0], n.outputs[0]], ['x', once.outputs[0]]);
      }
    }),
    { numRuns: 150, seed: 42 },
  );
});
