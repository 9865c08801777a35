import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  broadcastShapes,
  flattenShape,
  normalizeAxis,
  padShape,
  reshapeTarget,
  squeezeShape,
  transposeShape,
  unsqueezeShape,
} from '../../src/ir/shape-utils.js';
import type { Dim } from '../../src/ir/types.js';
import { throwsCode } from './helpers.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Two broadcast-compatible shapes: each dim pair is (d, d), (1, d) or (d, 1); ranks may differ. */
const compatiblePair = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom('both', 'a1', 'b1')), { maxLength: 5 })
  .chain((dims) => fc.tuple(fc.constant(dims), fc.nat({ max: dims.length }), fc.nat({ max: dims.length })))
  .map(([dims, dropA, dropB]) => {
    const a = dims.map(([d, k]) => (k === 'a1' ? 1 : d));
    const b = dims.map(([d, k]) => (k === 'b1' ? 1 : d));
    return [a.slice(dropA), b.slice(dropB)] as const;
  });

describe('shape-utils', () => {
  it('broadcasting is symmetric and matches the per-dim numpy rule (property)', () => {
    fc.assert(
      fc.property(compatiblePair, ([a, b]) => {
        const ab = broadcastShapes(a, b);
        assert.deepEqual(ab, broadcastShapes(b, a));
        const r = Math.max(a.length, b.length);
        for (let i = 0; i < r; i++) {
          const x = a[a.length - r + i] ?? 1;
          const y = b[b.length - r + i] ?? 1;
          assert.equal(ab[i], x === 1 ? y : x);
        }
      }),
    );
  });

  it('broadcasting with symbols: symbol vs 1 keeps the symbol, vs n > 1 gives n', () => {
    assert.deepEqual(broadcastShapes(['N', 1, 'C'], [1, 4, 1]), ['N', 4, 'C']);
    assert.deepEqual(broadcastShapes(['N', 3], [5, 3]), [5, 3]);
    assert.deepEqual(broadcastShapes(['B'], ['A']), broadcastShapes(['A'], ['B']));
    throwsCode(() => broadcastShapes([2, 3], [3, 3], 'n1'), 'SNNC_E_BAD_SHAPE', 'n1');
  });

  it('Transpose by perm then by its inverse restores the shape (property)', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.shuffledSubarray(
          shape.map((_, i) => i),
          { minLength: shape.length },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([shape, perm]) => {
        const inv: number[] = [];
        perm.forEach((p, i) => {
          inv[p] = i;
        });
        assert.deepEqual(transposeShape(transposeShape(shape, perm), inv), shape);
      }),
    );
  });

  it('Unsqueeze then Squeeze of the same axes restores the shape (property)', () => {
    const arb = fc
      .array(fc.integer({ min: 2, max: 9 }), { maxLength: 4 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.uniqueArray(fc.nat({ max: shape.length + 1 }), { minLength: 1, maxLength: 2 })))
      .filter(([shape, axes]) => axes.every((a) => a < shape.length + axes.length));
    fc.assert(
      fc.property(arb, ([shape, axes]) => {
        const up = unsqueezeShape(shape, axes);
        assert.equal(up.length, shape.length + axes.length);
        assert.deepEqual(squeezeShape(up, axes), shape);
      }),
    );
  });

  it('Reshape with one -1 and Flatten preserve the element count (property)', () => {
    const arb = fc
      .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.nat({ max: shape.length - 1 }), fc.nat({ max: shape.length })));
    fc.assert(
      fc.property(arb, ([shape, at, axis]) => {
        const spec = shape.map((d, i) => (i === at ? -1 : d));
        assert.deepEqual(reshapeTarget([prod(shape)], spec, false), shape);
        assert.equal(prod(flattenShape(shape, axis)), prod(shape));
      }),
    );
  });

  it('normalizeAxis and padShape edge cases', () => {
    assert.equal(normalizeAxis(-1, 4), 3);
    assert.equal(normalizeAxis(0, 1), 0);
    throwsCode(() => normalizeAxis(4, 4, 'x'), 'SNNC_E_BAD_SHAPE', 'x');
    throwsCode(() => normalizeAxis(-5, 4), 'SNNC_E_BAD_SHAPE');
    const sym: Dim[] = ['N', 3, 4];
    assert.deepEqual(padShape(sym, [0, 1, 1, 0, 1, 1]), ['N', 5, 6]);
    assert.deepEqual(
      padShape(sym, [1, 0, 0, 0, 0, 0], undefined, 'p', (ax) => `p:0:${ax}`),
      ['p:0:0', 3, 4],
    );
    assert.deepEqual(padShape([4], [-4, 0]), [0]);
  });
});
