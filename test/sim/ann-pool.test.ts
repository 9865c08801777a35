// Pooling: hand-computed windows, ceil_mode, padding counts, argmax indices.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { f32, iota, near, one, run1, t, values, win } from './graph.js';

type W = ReturnType<typeof win>;
const maxPool = (w: W, ceilMode = false, storageOrder: 0 | 1 = 0) => ({ op: 'MaxPool', attrs: { ...w, ceilMode, storageOrder } }) as const;
const avgPool = (w: W, ceilMode = false, countIncludePad = false) => ({ op: 'AveragePool', attrs: { ...w, ceilMode, countIncludePad } }) as const;

describe('MaxPool', () => {
  it('2x2 stride 2 on a 4x4 ramp', () => {
    const y = one(maxPool(win([2, 2], { strides: [2, 2] })), [iota([1, 1, 4, 4])]);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    near(y, [5, 7, 13, 15]);
  });
  it('ceil_mode adds the partial last window', () => {
    const x = iota([1, 1, 3, 3], 1);
    assert.deepEqual(one(maxPool(win([2, 2], { strides: [2, 2] })), [x]).shape, [1, 1, 1, 1]);
    const y = one(maxPool(win([2, 2], { strides: [2, 2] }), true), [x]);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    near(y, [5, 6, 8, 9]);
  });
  it('padding is ignored (never wins) and dilation skips taps', () => {
    near(one(maxPool(win([3], { pads: [1, 1] })), [f32([1, 1, 3], [-5, -6, -7])]), [-5, -5, -6]);
    near(one(maxPool(win([2], { dilations: [2] })), [f32([1, 1, 4], [1, 9, 3, 2])]), [3, 9]);
  });
  it('Indices: row-major over N, C, spatial; storage_order 1 is column-major per plane', () => {
    // 2 channels of 2x3; one 2x2 window at (0,0) and one at (0,1).
    const x = f32([1, 2, 2, 3], [1, 2, 0, 4, 3, 5, /* c1 */ 9, 0, 0, 0, 0, 8]);
    const [y, idx] = run1(maxPool(win([2, 2])), [x], 2);
    near(y as typeof x, [4, 5, 9, 8]);
    assert.equal(idx?.dtype, 'int64');
    assert.deepEqual(values(idx as typeof x), [3n, 5n, 6n, 11n]);
    const [, cm] = run1(maxPool(win([2, 2]), false, 1), [x], 2);
    // column-major index of (h, w) in a 2x3 plane is h + 2w: (1,0)->1, (1,2)->5, (0,0)->0, (1,2)->5; plus c*6
    assert.deepEqual(values(cm as typeof x), [1n, 5n, 6n, 11n]);
  });
  it('uint8 input and 3-D windows', () => {
    assert.deepEqual(values(one(maxPool(win([2])), [t('uint8', [1, 1, 3], [7, 200, 3])])), [200, 200]);
    near(one(maxPool(win([2, 2, 2])), [iota([1, 1, 2, 2, 3])]), [10, 11]);
  });
});

describe('AveragePool', () => {
  const x2 = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const padded = win([2, 2], { pads: [1, 1, 1, 1] });
  it('count_include_pad = 0 divides by the taps inside the input', () => {
    // corners see one element, edges two, centre four.
    near(one(avgPool(padded), [x2]), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
  it('count_include_pad = 1 divides by the full padded window', () => {
    near(one(avgPool(padded, false, true), [x2]), [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
  });
  it('ceil_mode: the area beyond the padded input is not counted, even with count_include_pad', () => {
    // 3x3 ramp 1..9, kernel 2, stride 2, no pads: windows {1,2,4,5}, {3,6}, {7,8}, {9}.
    const y = one(avgPool(win([2, 2], { strides: [2, 2] }), true, true), [iota([1, 1, 3, 3], 1)]);
    near(y, [3, 4.5, 7.5, 9]);
  });
  it('dilations: only the taps the dilated kernel hits are counted', () => {
    near(one(avgPool(win([2], { dilations: [2], pads: [0, 1] }), false, true), [f32([1, 1, 4], [1, 2, 3, 4])]), [2, 3, 1.5]);
    near(one(avgPool(win([2], { dilations: [2], pads: [0, 1] }), false, false), [f32([1, 1, 4], [1, 2, 3, 4])]), [2, 3, 3]);
  });
});

describe('global pools', () => {
  it('GlobalAveragePool and GlobalMaxPool keep rank with 1s', () => {
    const x = iota([1, 2, 2, 2]);
    const a = one({ op: 'GlobalAveragePool', attrs: {} }, [x]);
    assert.deepEqual(a.shape, [1, 2, 1, 1]);
    near(a, [1.5, 5.5]);
    near(one({ op: 'GlobalMaxPool', attrs: {} }, [x]), [3, 7]);
  });
});
