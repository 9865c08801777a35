// Softmax, reductions, structural ops, Pad, Cast, BatchNormalization, Dropout, and
// runGraph itself (feed validation, symbolic dims, limits, output ownership), and the output
// buffers the SNN recycles between steps.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Node, Tensor, ValueInfo } from '../../src/ir/types.js';
import { StepBuffers } from '../../src/sim/ann/kernel.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { f32, i64, iota, near, one, oneNode, run1, t, values } from './graph.js';

describe('Softmax', () => {
  it('is stable on large inputs', () => {
    const z = Math.exp(-2) + Math.exp(-1) + 1;
    near(one({ op: 'Softmax', attrs: { axis: -1 } }, [f32([3], [1000, 1001, 1002])]), [Math.exp(-2) / z, Math.exp(-1) / z, 1 / z]);
  });
  it('normalizes along the given axis only', () => {
    const y = one({ op: 'Softmax', attrs: { axis: 0 } }, [f32([2, 2], [0, 1, 0, 3])]);
    const e = 1 / (1 + Math.exp(2));
    near(y, [0.5, e, 0.5, 1 - e]);
  });
});

describe('ReduceSum / ReduceMax', () => {
  const x = iota([2, 3]);
  it('axes from a runtime input, keepdims on and off', () => {
    const y = one({ op: 'ReduceSum', attrs: { keepdims: true, noopWithEmptyAxes: false } }, [x, i64([1])]);
    assert.deepEqual(y.shape, [2, 1]);
    near(y, [3, 12]);
    const m = one({ op: 'ReduceMax', attrs: { keepdims: false, noopWithEmptyAxes: false } }, [x, i64([-2])]);
    assert.deepEqual(m.shape, [3]);
    near(m, [3, 4, 5]);
  });
  it('no axes reduces everything unless noop_with_empty_axes', () => {
    near(one({ op: 'ReduceSum', attrs: { keepdims: false, noopWithEmptyAxes: false } }, [x]), [15]);
    near(one({ op: 'ReduceSum', attrs: { keepdims: true, noopWithEmptyAxes: true } }, [x, i64([])]), [0, 1, 2, 3, 4, 5]);
  });
  it('int64 sums are exact bigint', () => {
    const y = one({ op: 'ReduceSum', attrs: { keepdims: false, noopWithEmptyAxes: false } }, [t('int64', [2], [2n ** 60n, 1n])]);
    assert.deepEqual(values(y), [2n ** 60n + 1n]);
  });
});

describe('structural ops (any dtype)', () => {
  it('Reshape with 0 (copy dim) and -1 (infer)', () => {
    const y = one({ op: 'Reshape', attrs: { allowzero: false } }, [t('int64', [2, 3, 4], new Array(24).fill(1)), i64([0, -1])]);
    assert.deepEqual(y.shape, [2, 12]);
  });
  it('Transpose matches the index definition', () => {
    const x = t(
      'int16',
      [2, 3, 4],
      Array.from({ length: 24 }, (_, i) => i),
    );
    const y = one({ op: 'Transpose', attrs: { perm: [2, 0, 1] } }, [x]);
    assert.deepEqual(y.shape, [4, 2, 3]);
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    assert.deepEqual(values(y), want);
    assert.deepEqual(one({ op: 'Transpose', attrs: {} }, [f32([2, 2], [1, 2, 3, 4])]).shape, [2, 2]);
  });
  it('Concat along axis 1 of bool and int64 tensors', () => {
    const y = one({ op: 'Concat', attrs: { axis: 1 } }, [t('int64', [2, 1], [1, 2]), t('int64', [2, 2], [3, 4, 5, 6])]);
    assert.deepEqual(values(y), [1n, 3n, 4n, 2n, 5n, 6n]);
    const b = one({ op: 'Concat', attrs: { axis: -1 } }, [t('bool', [1], [1]), t('bool', [0], []), t('bool', [1], [0])]);
    assert.deepEqual(values(b), [1, 0]);
  });
  it('Squeeze / Unsqueeze read runtime axes; Flatten', () => {
    assert.deepEqual(one({ op: 'Squeeze', attrs: {} }, [iota([1, 3, 1]), i64([-1])]).shape, [1, 3]);
    assert.deepEqual(one({ op: 'Squeeze', attrs: {} }, [iota([1, 3, 1])]).shape, [3]);
    assert.deepEqual(one({ op: 'Unsqueeze', attrs: {} }, [iota([3]), i64([0, -1])]).shape, [1, 3, 1]);
    assert.deepEqual(one({ op: 'Flatten', attrs: { axis: 2 } }, [iota([2, 3, 4, 5])]).shape, [6, 20]);
    assert.throws(() => one({ op: 'Squeeze', attrs: {} }, [iota([2, 3]), i64([0])]), { code: 'SNNC_E_BAD_SHAPE' });
  });
});

describe('Pad', () => {
  const x = f32([3], [1, 2, 3]);
  const pad = (mode: 'constant' | 'reflect' | 'edge' | 'wrap') => ({ op: 'Pad', attrs: { mode } }) as const;
  it('reflect, edge and wrap (numpy.pad semantics)', () => {
    near(one(pad('reflect'), [x, i64([2, 2])]), [3, 2, 1, 2, 3, 2, 1]);
    near(one(pad('edge'), [x, i64([2, 2])]), [1, 1, 1, 2, 3, 3, 3]);
    near(one(pad('wrap'), [x, i64([2, 2])]), [2, 3, 1, 2, 3, 1, 2]);
    near(one(pad('reflect'), [x, i64([5, 0])]), [2, 1, 2, 3, 2, 1, 2, 3]);
  });
  it('constant value, negative pads crop, axes select dims', () => {
    near(one(pad('constant'), [x, i64([2, 1]), f32([], [9])]), [9, 9, 1, 2, 3, 9]);
    near(one(pad('constant'), [x, i64([-1, 1])]), [2, 3, 0]);
    const y = one(pad('constant'), [iota([2, 2]), i64([1, 0]), undefined, i64([-1])]);
    assert.deepEqual(y.shape, [2, 3]);
    near(y, [0, 0, 1, 0, 2, 3]);
  });
  it('int64 data with the default constant', () => {
    assert.deepEqual(values(one(pad('constant'), [t('int64', [1], [7]), i64([1, 0])])), [0n, 7n]);
  });
});

describe('Cast, BatchNormalization, Dropout, Identity', () => {
  const cast = (to: 'int32' | 'uint8' | 'float16' | 'bool' | 'int64' | 'float32') => ({ op: 'Cast', attrs: { to } }) as const;
  it('Cast truncates floats, wraps ints, rounds to half, tests != 0 for bool', () => {
    assert.deepEqual(values(one(cast('int32'), [f32([3], [-1.7, 1.7, 2.5])])), [-1, 1, 2]);
    assert.deepEqual(values(one(cast('uint8'), [t('int32', [2], [300, -1])])), [44, 255]);
    assert.deepEqual(values(one(cast('float16'), [f32([1], [1 + 2 ** -12])])), [1]);
    assert.deepEqual(values(one(cast('bool'), [f32([3], [0, -0.5, NaN])])), [0, 1, 1]);
    assert.deepEqual(values(one(cast('int64'), [f32([1], [-3.9])])), [-3n]);
    assert.deepEqual(values(one(cast('int32'), [t('int64', [1], [2n ** 32n + 5n])])), [5]);
    assert.equal(one({ op: 'CastLike', attrs: {} }, [f32([1], [2]), t('int64', [0], [])]).dtype, 'int64');
  });
  it('BatchNormalization: (x - mean) / sqrt(var + eps) * scale + bias per channel', () => {
    const y = one({ op: 'BatchNormalization', attrs: { epsilon: 1e-5 } }, [
      f32([1, 2, 1, 2], [1, 2, 3, 4]),
      f32([2], [1, 2]),
      f32([2], [0, 1]),
      f32([2], [1, 3]),
      f32([2], [4, 1]),
    ]);
    const s0 = Math.sqrt(4 + 1e-5);
    const s1 = Math.sqrt(1 + 1e-5);
    near(y, [0, 1 / s0, 1, 1 + 2 / s1]);
  });
  it('Dropout is the identity in inference, with an all-true mask', () => {
    const [y, mask] = run1({ op: 'Dropout', attrs: {} }, [f32([2], [1, 2]), f32([], [0.5])], 2);
    near(y as Tensor, [1, 2]);
    assert.deepEqual(values(mask as Tensor), [1, 1]);
    assert.throws(() => run1({ op: 'Dropout', attrs: {} }, [f32([2], [1, 2]), f32([], [0.5]), t('bool', [], [1])]), { code: 'SNNC_E_UNSUPPORTED_ATTR' });
  });
  it('graph outputs never alias the caller feeds', () => {
    const x = f32([2], [1, 2]);
    const y = one({ op: 'Identity', attrs: {} }, [x]);
    assert.notEqual(y.data, x.data);
    near(y, [1, 2]);
  });
});

describe('runGraph', () => {
  const v = (name: string, dtype: ValueInfo['dtype'], shape: ValueInfo['shape']): [string, ValueInfo] => [name, { name, dtype, shape }];
  // y = relu(a + b) with a symbolic batch dim N shared by both inputs.
  const g: Graph = {
    name: 'g',
    inputs: ['a', 'b'],
    outputs: ['y', 's'],
    nodes: [
      { name: 'add', op: 'Add', attrs: {}, inputs: ['a', 'b'], outputs: ['s'] },
      { name: 'relu', op: 'Relu', attrs: {}, inputs: ['s'], outputs: ['y'] },
    ],
    values: new Map([v('a', 'float32', ['N', 2]), v('b', 'float32', ['N', 2]), v('s', 'float32', ['N', 2]), v('y', 'float32', ['N', 2])]),
    initializers: new Map(),
    meta: {},
  };
  it('runs with any batch size bound consistently, returns every output', () => {
    const out = runGraph(
      g,
      new Map([
        ['a', f32([1, 2], [1, -5])],
        ['b', f32([1, 2], [1, 1])],
      ]),
    );
    near(out.get('y') as Tensor, [2, 0]);
    near(out.get('s') as Tensor, [2, -4]);
    const big = runGraph(
      g,
      new Map([
        ['a', iota([3, 2])],
        ['b', iota([3, 2])],
      ]),
    );
    assert.deepEqual(big.get('y')?.shape, [3, 2]);
  });
  it('rejects missing inputs, wrong dtype, wrong dims and inconsistent symbols', () => {
    assert.throws(() => runGraph(g, new Map([['a', iota([1, 2])]])), { code: 'SNNC_E_INPUT_MISSING' });
    assert.throws(
      () =>
        runGraph(
          g,
          new Map([
            ['a', iota([1, 2])],
            ['b', t('float64', [1, 2], [1, 2])],
          ]),
        ),
      (e: unknown) => (e as { code?: string }).code === 'SNNC_E_INPUT_MISMATCH' && /'b'.*float32.*float64/.test((e as Error).message),
    );
    assert.throws(
      () =>
        runGraph(
          g,
          new Map([
            ['a', iota([1, 3])],
            ['b', iota([1, 3])],
          ]),
        ),
      { code: 'SNNC_E_INPUT_MISMATCH' },
    );
    assert.throws(
      () =>
        runGraph(
          g,
          new Map([
            ['a', iota([1, 2])],
            ['b', iota([2, 2])],
          ]),
        ),
      (e: unknown) => (e as { code?: string }).code === 'SNNC_E_INPUT_MISMATCH' && /'N'/.test((e as Error).message),
    );
  });
  it('enforces the element limit on intermediates', () => {
    const { g: og, feeds } = oneNode({ op: 'Add', attrs: {} }, [iota([100, 1]), iota([1, 100])]);
    assert.throws(() => runGraph(og, feeds, { maxElements: 5000 }), { code: 'SNNC_E_LIMIT' });
    assert.equal(runGraph(og, feeds, { maxElements: 10000 }).get('out0')?.data.length, 10000);
  });
});

test('StepBuffers: a node gets the same zeroed buffers every step, distinct ones within a step', () => {
  const bufs = new StepBuffers();
  const a = { op: 'Add', name: 'a', inputs: [], outputs: ['y'] } as unknown as Node;
  const b = { op: 'Add', name: 'b', inputs: [], outputs: ['y'] } as unknown as Node;
  bufs.step();
  const a1 = bufs.take(a, 'float32', 8, 1e6) as Float32Array;
  const a2 = bufs.take(a, 'float32', 8, 1e6) as Float32Array; // a second allocation of the same node in the same step
  const b1 = bufs.take(b, 'int32', 8, 1e6) as Int32Array;
  assert.notEqual(a1, a2);
  a1.fill(3);
  a2.fill(4);
  b1.fill(5);
  bufs.step();
  const a1n = bufs.take(a, 'float32', 8, 1e6);
  const a2n = bufs.take(a, 'float32', 8, 1e6);
  assert.equal(a1n, a1, 'recycled');
  assert.equal(a2n, a2, 'recycled in order');
  assert.deepEqual([...a1n, ...a2n], new Array<number>(16).fill(0), 'zeroed');
  const b1n = bufs.take(b, 'float32', 8, 1e6); // another dtype: a new buffer
  assert.ok(b1n instanceof Float32Array && (b1n as unknown) !== b1);
  assert.notEqual(bufs.take(a, 'float32', 9, 1e6), a1, 'another size: a new buffer');
  assert.throws(() => bufs.take(a, 'float32', 1e7, 1e6), { code: 'SNNC_E_LIMIT' });
  // zeroed = false (a caller that writes every element): the buffer comes back as it was left.
  const c = { op: 'Conv', name: 'c', inputs: [], outputs: ['y'] } as unknown as Node;
  bufs.step();
  (bufs.take(c, 'float32', 4, 1e6, false) as Float32Array).fill(7);
  bufs.step();
  assert.deepEqual([...(bufs.take(c, 'float32', 4, 1e6, false) as Float32Array)], [7, 7, 7, 7], 'not zeroed');
});
