// AveragePool folded into the next Conv / Flatten→Gemm: same outputs (the composition is
// linear and exact), pool gone, and cases where it would not be exact left alone.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { avgPoolAttrs, buildGraph, convAttrs, float32Tensor, gemmAttrs } from '../../src/ir/build.js';
import { foldAvgPool } from '../../src/passes/fold-avgpool.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { verifyGraph } from '../../src/ir/verify.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { compareTensors } from '../helpers/compare.js';

function rand(seed: number, n: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function lenetTail(pads: number[], transB: boolean, H = 8): Graph {
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, H, H] }],
    initializers: {
      w: float32Tensor([3, 2, 3, 3], rand(1, 54)),
      b: float32Tensor([3], [0.1, -0.2, 0.3]),
      g: float32Tensor(transB ? [4, 12] : [12, 4], rand(2, 48)),
    },
    nodes: [
      { name: 'p1', op: 'AveragePool', attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }), inputs: ['x'], outputs: ['a'] },
      { name: 'c', op: 'Conv', attrs: convAttrs({ kernelShape: [3, 3], pads }), inputs: ['a', 'w', 'b'], outputs: ['y'] },
      { name: 'p2', op: 'AveragePool', attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }), inputs: ['y'], outputs: ['q'] },
      { name: 'f', op: 'Flatten', attrs: { axis: 1 }, inputs: ['q'], outputs: ['fl'] },
      { name: 'fc', op: 'Gemm', attrs: gemmAttrs({ transB }), inputs: ['fl', 'g'], outputs: ['out'] },
    ],
    outputs: ['out'],
  });
}

function same(g: Graph, h: Graph, x: Tensor): void {
  const a = runGraph(g, new Map([['x', x]])).get('out');
  const b = runGraph(h, new Map([['x', x]])).get('out');
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(compareTensors(b, a, { rtol: 1e-5, atol: 1e-6 }), undefined);
}

it('folds pool→conv and pool→flatten→gemm exactly (unpadded conv, both Gemm layouts)', () => {
  for (const transB of [false, true]) {
    // 8×8 → pool 4×4 → conv 3×3 pad 1 → 4×4 → pool 2×2 → Gemm over 12 features
    const g = lenetTail([1, 1, 1, 1], transB);
    const h = foldAvgPool(g, { conv: true });
    verifyGraph(h);
    assert.deepEqual(
      h.nodes.map((n) => n.op),
      ['Conv', 'Flatten', 'Gemm'],
    );
    const c = h.nodes[0];
    assert.ok(c?.op === 'Conv');
    assert.deepEqual(c.attrs.kernelShape, [6, 6]);
    assert.deepEqual(c.attrs.strides, [2, 2]);
    assert.deepEqual(c.attrs.pads, [2, 2, 2, 2]);
    const x = float32Tensor(
      [2, 2, 8, 8],
      rand(3, 256).map((v) => (v > 0 ? 1 : 0)),
    );
    same(g, h, x);
  }
});

it('by default folds only into dense layers', () => {
  const g = lenetTail([1, 1, 1, 1], true);
  const h = foldAvgPool(g);
  assert.deepEqual(
    h.nodes.map((n) => n.op),
    ['AveragePool', 'Conv', 'Flatten', 'Gemm'],
  );
  same(g, h, float32Tensor([1, 2, 8, 8], rand(5, 128)));
});

it('leaves a pool before a Conv whose input size is not a multiple of its kernel', () => {
  const g = lenetTail([1, 1, 1, 1], true, 9);
  const h = foldAvgPool(g, { conv: true });
  assert.ok(h.nodes.some((n) => n.name === 'p1'));
  same(g, h, float32Tensor([1, 2, 9, 9], rand(4, 162)));
});

it('folds a pool that drops trailing rows into the dense layer after it: those rows get weight 0', () => {
  for (const transB of [false, true]) {
    // 10×10 → pool 5×5 → conv 3×3 pad 1 → 5×5 → pool 2×2 (drops row and column 4) → Gemm over 12 features
    const g = lenetTail([1, 1, 1, 1], transB, 10);
    const h = foldAvgPool(g);
    verifyGraph(h);
    assert.deepEqual(
      h.nodes.map((n) => n.name),
      ['p1', 'c', 'f', 'fc'],
    );
    const fc = h.nodes[3];
    assert.ok(fc?.op === 'Gemm');
    const w = h.initializers.get(fc.inputs[1] ?? '');
    assert.ok(w !== undefined);
    assert.deepEqual(w.shape, transB ? [4, 75] : [75, 4]);
    // Feature (c, y, x) of the 3×5×5 map: weight 0 on y = 4 or x = 4, else the pooled weight / 4.
    const B = g.initializers.get('g');
    assert.ok(B !== undefined);
    const at = (t: Tensor, o: number, f: number, F: number): number => (t.data as Float32Array)[transB ? o * F + f : f * 4 + o] as number;
    for (let o = 0; o < 4; o++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 5; y++)
          for (let x = 0; x < 5; x++) {
            const want: number = y === 4 || x === 4 ? 0 : at(B, o, (c * 2 + (y >> 1)) * 2 + (x >> 1), 12) / 4;
            assert.equal(at(w, o, (c * 5 + y) * 5 + x, 75), Math.fround(want), `o ${o} c ${c} y ${y} x ${x}`);
          }
    same(g, h, float32Tensor([2, 2, 10, 10], rand(6, 400)));
  }
  // A padded pool (count_include_pad or not) still stays.
  const padded = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 4, 4] }],
    initializers: { g: float32Tensor([9, 2], rand(7, 18)) },
    nodes: [
      { name: 'p', op: 'AveragePool', attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }), inputs: ['x'], outputs: ['q'] },
      { name: 'f', op: 'Flatten', attrs: { axis: 1 }, inputs: ['q'], outputs: ['fl'] },
      { name: 'fc', op: 'Gemm', attrs: gemmAttrs({}), inputs: ['fl', 'g'], outputs: ['out'] },
    ],
    outputs: ['out'],
  });
  assert.ok(foldAvgPool(padded).nodes.some((n) => n.name === 'p'));
});

it('folds a 3×3 pool of a non-square map (7×8 → 2×2) into the dense layer: same outputs, 0 on the dropped row and columns', () => {
  const g = buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 7, 8] }],
    initializers: { g: float32Tensor([8, 3], rand(8, 24)) },
    nodes: [
      { name: 'p', op: 'AveragePool', attrs: avgPoolAttrs({ kernelShape: [3, 3], strides: [3, 3] }), inputs: ['x'], outputs: ['q'] },
      { name: 'f', op: 'Flatten', attrs: { axis: 1 }, inputs: ['q'], outputs: ['fl'] },
      { name: 'fc', op: 'Gemm', attrs: gemmAttrs({}), inputs: ['fl', 'g'], outputs: ['out'] },
    ],
    outputs: ['out'],
  });
  const h = foldAvgPool(g);
  verifyGraph(h);
  assert.deepEqual(
    h.nodes.map((n) => n.op),
    ['Flatten', 'Gemm'],
  );
  const w = h.initializers.get(h.nodes[1]?.inputs[1] ?? '');
  assert.ok(w !== undefined);
  assert.deepEqual(w.shape, [112, 3]);
  const d = w.data as Float32Array;
  for (let c = 0; c < 2; c++)
    for (let y = 0; y < 7; y++)
      for (let x = 0; x < 8; x++)
        for (let o = 0; o < 3; o++) {
          const v = d[((c * 7 + y) * 8 + x) * 3 + o] as number;
          if (y >= 6 || x >= 6) assert.equal(v, 0, `c ${c} y ${y} x ${x}`);
          else assert.notEqual(v, 0, `c ${c} y ${y} x ${x}`);
        }
  same(g, h, float32Tensor([2, 2, 7, 8], rand(9, 224)));
});
