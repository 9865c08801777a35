// Shape rules of the neural-network ops (Conv, pools, Gemm, MatMul, BatchNorm),
// every expectation computed by hand from the ONNX operator spec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avgPoolAttrs, convAttrs, gemmAttrs, maxPoolAttrs } from '../../src/ir/build.js';
import { resolveWindow } from '../../src/ir/window.js';
import { run, shapeOf, throwsCode } from './helpers.js';

const f32 = 'float32' as const;

describe('Conv', () => {
  it('3x3 with pad 1 keeps the spatial size; batch symbol flows through', () => {
    const s = shapeOf(
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { x: [f32, ['N', 3, 32, 32]], w: [f32, [16, 3, 3, 3]], b: [f32, [16]] },
    );
    assert.deepEqual(s, ['N', 16, 32, 32]);
  });

  it('SAME_UPPER / SAME_LOWER with stride 2: out = ceil(in / stride), odd padding split differently', () => {
    const a = (autoPad: 'SAME_UPPER' | 'SAME_LOWER') => convAttrs({ kernelShape: [3, 3], strides: [2, 2], autoPad });
    assert.deepEqual(
      shapeOf({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: a('SAME_UPPER') }, { x: [f32, [1, 1, 7, 7]], w: [f32, [1, 1, 3, 3]] }),
      [1, 1, 4, 4],
    );
    assert.deepEqual(
      shapeOf({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: a('SAME_LOWER') }, { x: [f32, [1, 1, 6, 6]], w: [f32, [1, 1, 3, 3]] }),
      [1, 1, 3, 3],
    );
    // in 6, k 3, s 2: total pad = (3-1)*2 + 3 - 6 = 1 -> upper puts it at the end, lower at the start.
    assert.deepEqual(resolveWindow([6], { ...a('SAME_UPPER'), kernelShape: [3], strides: [2], pads: [], dilations: [1] }).padsBegin, [0]);
    assert.deepEqual(resolveWindow([6], { ...a('SAME_LOWER'), kernelShape: [3], strides: [2], pads: [], dilations: [1] }).padsBegin, [1]);
  });

  it('depthwise (group = channels), dilation, 1-D with stride', () => {
    assert.deepEqual(
      shapeOf(
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], group: 8 }) },
        { x: [f32, ['N', 8, 10, 10]], w: [f32, [8, 1, 3, 3]] },
      ),
      ['N', 8, 8, 8],
    );
    // dilated extent (3-1)*2+1 = 5 -> 10 - 5 + 1 = 6
    assert.deepEqual(
      shapeOf(
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], dilations: [2, 2] }) },
        { x: [f32, [1, 1, 10, 10]], w: [f32, [1, 1, 3, 3]] },
      ),
      [1, 1, 6, 6],
    );
    // floor((20 - 5) / 3) + 1 = 6
    assert.deepEqual(
      shapeOf(
        { op: 'Conv', inputs: ['x', 'w', ''], outputs: ['y'], attrs: convAttrs({ kernelShape: [5], strides: [3] }) },
        { x: [f32, [2, 4, 20]], w: [f32, [6, 4, 5]] },
      ),
      [2, 6, 6],
    );
  });

  it('kernel_shape may be left empty (taken from W)', () => {
    const attrs = { ...convAttrs({ kernelShape: [3, 3] }), kernelShape: [] };
    assert.deepEqual(shapeOf({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }, { x: [f32, [1, 2, 5, 5]], w: [f32, [4, 2, 3, 3]] }), [1, 4, 3, 3]);
  });

  it('rejects channel/group mismatch, wrong bias, mixed dtypes, kernel larger than input', () => {
    const node = { name: 'c1', op: 'Conv' as const, inputs: ['x', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [3, 3], group: 8 }) };
    throwsCode(() => run(node, { x: [f32, ['N', 8, 10, 10]], w: [f32, [8, 2, 3, 3]] }), 'SNNC_E_BAD_SHAPE', 'c1', /\[N, 8, 10, 10\].*expects 16/);
    throwsCode(
      () =>
        run({ ...node, inputs: ['x', 'w', 'b'], attrs: convAttrs({ kernelShape: [3, 3] }) }, { x: [f32, [1, 2, 5, 5]], w: [f32, [4, 2, 3, 3]], b: [f32, [3]] }),
      'SNNC_E_BAD_SHAPE',
      'c1',
    );
    throwsCode(
      () => run({ ...node, attrs: convAttrs({ kernelShape: [3, 3] }) }, { x: [f32, [1, 2, 5, 5]], w: ['float64', [4, 2, 3, 3]] }),
      'SNNC_E_BAD_DTYPE',
      'c1',
    );
    throwsCode(() => run({ ...node, attrs: convAttrs({ kernelShape: [3, 3] }) }, { x: [f32, [1, 2, 2, 2]], w: [f32, [4, 2, 3, 3]] }), 'SNNC_E_BAD_SHAPE', 'c1');
  });
});

describe('pooling', () => {
  it('MaxPool ceil_mode: 4x4, k3 s2 gives 2x2 (floor would give 1x1)', () => {
    const n = { op: 'MaxPool' as const, inputs: ['x'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [3, 3], strides: [2, 2], ceilMode: true }) };
    assert.deepEqual(shapeOf(n, { x: [f32, [1, 1, 4, 4]] }), [1, 1, 2, 2]);
    assert.deepEqual(shapeOf({ ...n, attrs: { ...n.attrs, ceilMode: false } }, { x: [f32, [1, 1, 4, 4]] }), [1, 1, 1, 1]);
  });

  it('ceil_mode drops a last window that would start inside the end padding', () => {
    // in 5, k 2, s 3, pads 1/1: ceil((5+2-2)/3)+1 = 3, but window 2 starts at 6 >= 5 + 1 -> 2.
    const n = { op: 'MaxPool' as const, inputs: ['x'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [2], strides: [3], pads: [1, 1], ceilMode: true }) };
    assert.deepEqual(shapeOf(n, { x: [f32, [1, 1, 5]] }), [1, 1, 2]);
  });

  it('MaxPool Indices output is int64 of the same shape; symbolic spatial dims get fresh names', () => {
    const outs = run(
      { name: 'mp', op: 'MaxPool', inputs: ['x'], outputs: ['y', 'idx'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      { x: [f32, ['N', 3, 'H', 32]] },
    );
    assert.deepEqual(
      outs.map((o) => [o.name, o.dtype, o.shape]),
      [
        ['y', 'float32', ['N', 3, 'mp:0:2', 16]],
        ['idx', 'int64', ['N', 3, 'mp:0:2', 16]],
      ],
    );
  });

  it('AveragePool, global pools; pools need a kernel per spatial dim', () => {
    assert.deepEqual(
      shapeOf(
        { op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
        { x: [f32, ['N', 3, 32, 32]] },
      ),
      ['N', 3, 16, 16],
    );
    assert.deepEqual(shapeOf({ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }, { x: [f32, ['N', 512, 7, 7]] }), ['N', 512, 1, 1]);
    assert.deepEqual(shapeOf({ op: 'GlobalMaxPool', inputs: ['x'], outputs: ['y'] }, { x: [f32, [2, 5, 9]] }), [2, 5, 1]);
    throwsCode(
      () => run({ name: 'p', op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: avgPoolAttrs({ kernelShape: [2] }) }, { x: [f32, [1, 3, 8, 8]] }),
      'SNNC_E_BAD_SHAPE',
      'p',
    );
    throwsCode(
      () => run({ name: 'p', op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i', 'extra'], attrs: maxPoolAttrs({ kernelShape: [2] }) }, { x: [f32, [1, 3, 8]] }),
      'SNNC_E_BAD_SHAPE',
      'p',
      /1\.\.2 outputs/,
    );
  });
});

describe('Gemm / MatMul / BatchNormalization', () => {
  it('Gemm with transB and a broadcast bias', () => {
    assert.deepEqual(
      shapeOf(
        { op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
        { a: [f32, ['N', 784]], b: [f32, [10, 784]], c: [f32, [10]] },
      ),
      ['N', 10],
    );
    assert.deepEqual(
      shapeOf({ op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attrs: gemmAttrs({ transA: true }) }, { a: [f32, [784, 4]], b: [f32, [784, 10]] }),
      [4, 10],
    );
    for (const c of [[1, 10], [4, 1], []]) {
      assert.deepEqual(
        shapeOf({ op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: gemmAttrs() }, { a: [f32, [4, 5]], b: [f32, [5, 10]], c: [f32, c] }),
        [4, 10],
      );
    }
  });

  it('Gemm rejects inner-dim mismatch and a C that only broadcasts the other way', () => {
    throwsCode(
      () => run({ name: 'g', op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attrs: gemmAttrs() }, { a: [f32, [4, 5]], b: [f32, [6, 7]] }),
      'SNNC_E_BAD_SHAPE',
      'g',
      /\[4, 5\].*\[6, 7\]/,
    );
    throwsCode(
      () =>
        run({ name: 'g', op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: gemmAttrs() }, { a: [f32, [4, 5]], b: [f32, [5, 10]], c: [f32, [3, 10]] }),
      'SNNC_E_BAD_SHAPE',
      'g',
    );
    throwsCode(() => run({ name: 'g', op: 'Gemm', inputs: ['a'], outputs: ['y'], attrs: gemmAttrs() }, { a: [f32, [4, 5]] }), 'SNNC_E_BAD_SHAPE', 'g');
  });

  it('MatMul follows numpy, including 1-D operands and batch broadcasting', () => {
    const mm = (a: number[], b: number[]) => shapeOf({ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }, { a: [f32, a], b: [f32, b] });
    assert.deepEqual(mm([2, 3, 4], [4, 5]), [2, 3, 5]);
    assert.deepEqual(mm([4], [4, 5]), [5]);
    assert.deepEqual(mm([3, 4], [4]), [3]);
    assert.deepEqual(mm([4], [4]), []);
    assert.deepEqual(mm([2, 1, 3, 4], [5, 4, 6]), [2, 5, 3, 6]);
    throwsCode(() => mm([3, 4], [5, 6]), 'SNNC_E_BAD_SHAPE');
    throwsCode(() => run({ name: 'm', op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }, { a: [f32, [3, 4]], b: ['int64', [4, 2]] }), 'SNNC_E_BAD_DTYPE', 'm');
  });

  it('BatchNormalization keeps the shape and wants one parameter per channel', () => {
    const ins = ['x', 's', 'b', 'm', 'v'];
    const p = [f32, [16]] as const;
    assert.deepEqual(
      shapeOf({ op: 'BatchNormalization', inputs: ins, outputs: ['y'], attrs: { epsilon: 1e-5 } }, { x: [f32, ['N', 16, 8, 8]], s: p, b: p, m: p, v: p }),
      ['N', 16, 8, 8],
    );
    throwsCode(
      () =>
        run(
          { name: 'bn', op: 'BatchNormalization', inputs: ins, outputs: ['y'], attrs: { epsilon: 1e-5 } },
          { x: [f32, ['N', 16, 8, 8]], s: p, b: p, m: [f32, [8]], v: p },
        ),
      'SNNC_E_BAD_SHAPE',
      'bn',
    );
  });
});
