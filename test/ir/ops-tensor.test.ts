// Shape rules of the tensor-manipulation and elementwise ops, with the tricky cases
// from the ONNX operator docs; every expectation computed by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { int64Tensor, reduceAttrs } from '../../src/ir/build.js';
import type { Tensor } from '../../src/ir/types.js';
import { run, shapeOf, throwsCode } from './helpers.js';

const f32 = 'float32' as const;
const i64 = 'int64' as const;

describe('Flatten / Reshape / Transpose', () => {
  it('Flatten at axes 0, 2, -1, rank, and with a batch symbol', () => {
    const fl = (shape: (number | string)[], axis: number) =>
      shapeOf({ name: 'fl', op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs: { axis } }, { x: [f32, shape] });
    assert.deepEqual(fl([2, 3, 4, 5], 0), [1, 120]);
    assert.deepEqual(fl([2, 3, 4, 5], 2), [6, 20]);
    assert.deepEqual(fl([2, 3, 4, 5], -1), [24, 5]);
    assert.deepEqual(fl([2, 3, 4, 5], 4), [120, 1]);
    assert.deepEqual(fl(['N', 3, 4], 1), ['N', 12]);
    assert.deepEqual(fl(['N', 3, 4], 2), ['fl:0:0', 4]); // N*3 is not a known dim
    throwsCode(() => fl([2, 3], 3), 'SNNC_E_BAD_SHAPE', 'fl');
  });

  it('Reshape: 0 copies, -1 infers, allowzero keeps a real 0 (ONNX doc cases)', () => {
    const rs = (shape: (number | string)[], spec: number[], allowzero = false) =>
      shapeOf({ name: 'r', op: 'Reshape', inputs: ['x', 's'], outputs: ['y'], attrs: { allowzero } }, { x: [f32, shape] }, { s: int64Tensor(spec) });
    assert.deepEqual(rs([2, 3, 4], [2, 0, 4, 1]), [2, 3, 4, 1]); // reshape_zero_dim
    assert.deepEqual(rs([2, 3, 4], [2, 0, 1, -1]), [2, 3, 1, 4]); // reshape_zero_and_negative_dim
    assert.deepEqual(rs([2, 3, 4], [-1, 2, 3, 4]), [1, 2, 3, 4]); // reshape_negative_extended_dims
    assert.deepEqual(rs([2, 3, 4], [4, -1]), [4, 6]);
    assert.deepEqual(rs([0, 3, 4], [3, 4, 0], true), [3, 4, 0]); // reshape_allowzero_reordered
    assert.deepEqual(rs(['N', 3, 4], [0, -1]), ['N', 12]);
    assert.deepEqual(rs(['N', 3, 4], [-1, 12]), ['N', 12]);
    assert.deepEqual(rs(['N', 3, 4], [-1, 6]), ['r:0:0', 6]);
    throwsCode(() => rs([2, 3, 4], [5, 5]), 'SNNC_E_BAD_SHAPE', 'r', /\[2, 3, 4\]/);
    throwsCode(() => rs([2, 3, 4], [-1, -1]), 'SNNC_E_BAD_SHAPE', 'r');
    throwsCode(() => rs([2, 3, 4], [5, -1]), 'SNNC_E_BAD_SHAPE', 'r');
  });

  it('Reshape with a run-time shape: rank from the shape input, dims fresh; unknown rank is DYNAMIC', () => {
    const n = { name: 'r', op: 'Reshape' as const, inputs: ['x', 's'], outputs: ['y'], attrs: { allowzero: false } };
    assert.deepEqual(shapeOf(n, { x: [f32, ['N', 12]], s: [i64, [3]] }), ['r:0:0', 'r:0:1', 'r:0:2']);
    throwsCode(() => run(n, { x: [f32, ['N', 12]], s: [i64, ['K']] }), 'SNNC_E_DYNAMIC', 'r');
    throwsCode(() => run(n, { x: [f32, ['N', 12]], s: ['int32', [2]] }), 'SNNC_E_BAD_DTYPE', 'r');
  });

  it('Transpose: absent perm reverses; bad perm is rejected', () => {
    assert.deepEqual(shapeOf({ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: {} }, { x: [f32, [2, 3, 4]] }), [4, 3, 2]);
    assert.deepEqual(shapeOf({ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [1, 0, 2] } }, { x: [f32, ['N', 3, 4]] }), [3, 'N', 4]);
    throwsCode(
      () => run({ name: 't', op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 0, 1] } }, { x: [f32, [2, 3, 4]] }),
      'SNNC_E_BAD_SHAPE',
      't',
    );
  });
});

describe('Squeeze / Unsqueeze / Concat / Pad', () => {
  it('Squeeze without axes removes every static 1; with axes only those (which must be 1)', () => {
    const sq = (shape: (number | string)[], axes?: number[]) =>
      shapeOf({ name: 'sq', op: 'Squeeze', inputs: axes ? ['x', 'a'] : ['x'], outputs: ['y'] }, { x: [f32, shape] }, axes ? { a: int64Tensor(axes) } : {});
    assert.deepEqual(sq([1, 3, 1, 5]), [3, 5]);
    assert.deepEqual(sq([1, 3, 1, 5], [-2]), [1, 3, 5]);
    assert.deepEqual(sq(['N', 1, 4]), ['N', 4]);
    throwsCode(() => sq([1, 3, 1, 5], [1]), 'SNNC_E_BAD_SHAPE', 'sq');
    // Run-time axes: the rank follows from the axes length, the dims do not.
    assert.deepEqual(shapeOf({ name: 'sq', op: 'Squeeze', inputs: ['x', 'a'], outputs: ['y'] }, { x: [f32, [1, 3]], a: [i64, [1]] }), ['sq:0:0']);
    throwsCode(() => run({ name: 'sq', op: 'Squeeze', inputs: ['x', 'a'], outputs: ['y'] }, { x: [f32, [1, 3]], a: [i64, ['K']] }), 'SNNC_E_DYNAMIC', 'sq');
  });

  it('Unsqueeze axes index the output (negative included); duplicates are rejected', () => {
    const us = (shape: number[], axes: number[]) =>
      shapeOf({ name: 'us', op: 'Unsqueeze', inputs: ['x', 'a'], outputs: ['y'] }, { x: [f32, shape] }, { a: int64Tensor(axes) });
    assert.deepEqual(us([3, 4], [0, 3]), [1, 3, 4, 1]);
    assert.deepEqual(us([1, 3, 1, 5], [-2]), [1, 3, 1, 1, 5]); // unsqueeze_negative_axes
    assert.deepEqual(us([3, 4], [-1]), [3, 4, 1]);
    throwsCode(() => us([3, 4], [1, 1]), 'SNNC_E_BAD_SHAPE', 'us');
    throwsCode(() => us([3, 4], [3]), 'SNNC_E_BAD_SHAPE', 'us');
  });

  it('Concat sums the axis and needs all other dims equal', () => {
    const n = { name: 'cat', op: 'Concat' as const, inputs: ['a', 'b'], outputs: ['y'], attrs: { axis: 1 } };
    assert.deepEqual(shapeOf(n, { a: [f32, ['N', 3, 8, 8]], b: [f32, ['N', 5, 8, 8]] }), ['N', 8, 8, 8]);
    assert.deepEqual(shapeOf({ ...n, attrs: { axis: -3 } }, { a: [f32, ['N', 3, 8, 8]], b: [f32, [2, 5, 8, 8]] }), [2, 8, 8, 8]);
    throwsCode(() => run(n, { a: [f32, ['N', 3, 8, 8]], b: [f32, ['N', 5, 4, 8]] }), 'SNNC_E_BAD_SHAPE', 'cat');
    throwsCode(() => run(n, { a: [f32, [1, 3]], b: [i64, [1, 5]] }), 'SNNC_E_BAD_DTYPE', 'cat');
  });

  it('Pad with positive, negative and axes-restricted pads', () => {
    const pd = (shape: number[], pads: number[], axes?: number[]) => {
      const consts: Record<string, Tensor> = { p: int64Tensor(pads) };
      if (axes) consts['a'] = int64Tensor(axes);
      return shapeOf(
        { name: 'pad', op: 'Pad', inputs: axes ? ['x', 'p', '', 'a'] : ['x', 'p'], outputs: ['y'], attrs: { mode: 'constant' } },
        { x: [f32, shape] },
        consts,
      );
    };
    assert.deepEqual(pd([1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 3, 4]), [1, 3, 8, 11]);
    assert.deepEqual(pd([1, 3, 4, 5], [0, 0, -1, -1, 0, 0, -1, -1]), [1, 3, 2, 3]);
    assert.deepEqual(pd([1, 3, 4, 5], [1, 1, 1, 1], [2, 3]), [1, 3, 6, 7]);
    assert.deepEqual(pd([1, 3, 4, 5], [2, 3], [-1]), [1, 3, 4, 10]);
    throwsCode(() => pd([1, 3, 4, 5], [0, 0, -3, 0, 0, 0, -2, 0]), 'SNNC_E_BAD_SHAPE', 'pad');
    throwsCode(() => pd([1, 3], [1, 1]), 'SNNC_E_BAD_SHAPE', 'pad');
  });
});

describe('elementwise, Where, reductions, casts', () => {
  it('binary ops broadcast (symbols too) and need one numeric dtype', () => {
    const add = (a: (number | string)[], b: (number | string)[]) =>
      shapeOf({ name: 'add', op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }, { a: [f32, a], b: [f32, b] });
    assert.deepEqual(add(['N', 3, 1], [4]), ['N', 3, 4]);
    assert.deepEqual(add(['N'], [5]), [5]);
    assert.deepEqual(add(['N', 1], [1, 5]), ['N', 5]);
    assert.deepEqual(add(['N', 1], ['N', 1]), ['N', 1]);
    throwsCode(() => add([2, 3], [4, 3]), 'SNNC_E_BAD_SHAPE', 'add', /\[2, 3\].*\[4, 3\]/);
    throwsCode(() => run({ name: 'add', op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }, { a: [f32, [2]], b: [i64, [2]] }), 'SNNC_E_BAD_DTYPE', 'add');
    throwsCode(() => run({ name: 'd', op: 'Div', inputs: ['a', 'b'], outputs: ['y'] }, { a: ['bool', [2]], b: ['bool', [2]] }), 'SNNC_E_BAD_DTYPE', 'd');
    throwsCode(() => run({ name: 'm', op: 'Mul', inputs: ['a'], outputs: ['y'] }, { a: [f32, [2]] }), 'SNNC_E_BAD_SHAPE', 'm');
  });

  it('Max is variadic; Less gives bool; Where broadcasts three ways', () => {
    assert.deepEqual(shapeOf({ op: 'Max', inputs: ['a', 'b', 'c'], outputs: ['y'] }, { a: [f32, [3, 1]], b: [f32, [1, 4]], c: [f32, [4]] }), [3, 4]);
    assert.deepEqual(shapeOf({ op: 'Max', inputs: ['a'], outputs: ['y'] }, { a: [f32, [3, 1]] }), [3, 1]);
    const less = run({ op: 'Less', inputs: ['a', 'b'], outputs: ['y'] }, { a: [i64, [2, 1]], b: [i64, [3]] })[0];
    assert.deepEqual([less?.dtype, less?.shape], ['bool', [2, 3]]);
    const w = run({ op: 'Where', inputs: ['c', 'x', 'y'], outputs: ['o'] }, { c: ['bool', [3, 1]], x: [f32, [1, 4]], y: [f32, [4]] })[0];
    assert.deepEqual([w?.dtype, w?.shape], [f32, [3, 4]]);
    throwsCode(
      () => run({ name: 'w', op: 'Where', inputs: ['c', 'x', 'y'], outputs: ['o'] }, { c: [f32, [3]], x: [f32, [3]], y: [f32, [3]] }),
      'SNNC_E_BAD_DTYPE',
      'w',
    );
  });

  it('unary ops keep the shape and check their dtype; Softmax checks its axis', () => {
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Neg', 'Identity'] as const) {
      assert.deepEqual(shapeOf({ op, inputs: ['x'], outputs: ['y'] }, { x: [f32, ['N', 7]] }), ['N', 7]);
    }
    assert.deepEqual(shapeOf({ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: 0.1 } }, { x: [f32, [2]] }), [2]);
    assert.deepEqual(shapeOf({ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }, { x: [f32, [2, 3]], lo: [f32, []], hi: [f32, []] }), [2, 3]);
    assert.deepEqual(shapeOf({ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] }, { x: [f32, [2, 3]], hi: [f32, []] }), [2, 3]);
    throwsCode(() => run({ name: 's', op: 'Sigmoid', inputs: ['x'], outputs: ['y'] }, { x: ['int32', [2]] }), 'SNNC_E_BAD_DTYPE', 's');
    throwsCode(() => run({ name: 'n', op: 'Neg', inputs: ['x'], outputs: ['y'] }, { x: ['uint8', [2]] }), 'SNNC_E_BAD_DTYPE', 'n');
    throwsCode(() => run({ name: 'r', op: 'Relu', inputs: ['x', 'z'], outputs: ['y'] }, { x: [f32, [2]], z: [f32, [2]] }), 'SNNC_E_BAD_SHAPE', 'r');
    assert.deepEqual(shapeOf({ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: -1 } }, { x: [f32, ['N', 10]] }), ['N', 10]);
    throwsCode(() => run({ name: 'sm', op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }, { x: [f32, ['N', 10]] }), 'SNNC_E_BAD_SHAPE', 'sm');
  });

  it('ReduceSum/ReduceMax: keepdims, absent axes, noop_with_empty_axes, run-time axes', () => {
    const red = (axes: number[] | undefined, keepdims: boolean, noop = false, op: 'ReduceSum' | 'ReduceMax' = 'ReduceSum') =>
      shapeOf(
        { name: 'red', op, inputs: axes ? ['x', 'a'] : ['x'], outputs: ['y'], attrs: reduceAttrs({ keepdims, noopWithEmptyAxes: noop }) },
        { x: [f32, [2, 3, 4]] },
        axes ? { a: int64Tensor(axes) } : {},
      );
    assert.deepEqual(red([1], true), [2, 1, 4]);
    assert.deepEqual(red([1], false), [2, 4]);
    assert.deepEqual(red(undefined, true), [1, 1, 1]);
    assert.deepEqual(red(undefined, false), []);
    assert.deepEqual(red([], false), []);
    assert.deepEqual(red(undefined, false, true), [2, 3, 4]);
    assert.deepEqual(red([-1], false, false, 'ReduceMax'), [2, 3]);
    const n = { name: 'red', op: 'ReduceSum' as const, inputs: ['x', 'a'], outputs: ['y'], attrs: reduceAttrs({ keepdims: false }) };
    assert.deepEqual(shapeOf(n, { x: [f32, [2, 3]], a: [i64, [1]] }), ['red:0:0']);
    throwsCode(() => run(n, { x: [f32, [2, 3]], a: [i64, ['K']] }), 'SNNC_E_DYNAMIC', 'red');
    assert.deepEqual(shapeOf({ ...n, attrs: reduceAttrs({ keepdims: true }) }, { x: [f32, [2, 3]], a: [i64, [1]] }), ['red:0:0', 'red:0:1']);
  });

  it('Cast, CastLike, Dropout (with mask)', () => {
    const c = run({ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 'int64' } }, { x: [f32, ['N', 3]] })[0];
    assert.deepEqual([c?.dtype, c?.shape], ['int64', ['N', 3]]);
    const cl = run({ op: 'CastLike', inputs: ['x', 'l'], outputs: ['y'] }, { x: [f32, [3]], l: ['float16', [1]] })[0];
    assert.deepEqual([cl?.dtype, cl?.shape], ['float16', [3]]);
    const d = run({ op: 'Dropout', inputs: ['x', '', ''], outputs: ['y', 'mask'] }, { x: [f32, [2, 5]] });
    assert.deepEqual(
      d.map((o) => [o.name, o.dtype, o.shape]),
      [
        ['y', f32, [2, 5]],
        ['mask', 'bool', [2, 5]],
      ],
    );
    // An absent optional output ('') gets no info.
    assert.equal(
      run(
        {
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['y', ''],
          attrs: { kernelShape: [1], strides: [1], pads: [0, 0], dilations: [1], autoPad: 'NOTSET', ceilMode: false, storageOrder: 0 },
        },
        { x: [f32, [1, 1, 3]] },
      ).length,
      1,
    );
  });
});
