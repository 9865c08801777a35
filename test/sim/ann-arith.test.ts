// Element-wise arithmetic, broadcasting, dtype semantics (wrap, truncation, float16).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { f32, near, one, t, values } from './graph.js';

const bin = (op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Less' | 'Max') => ({ op, attrs: {} }) as const;

describe('integer semantics', () => {
  it('Div truncates toward zero for negative operands', () => {
    const y = one(bin('Div'), [t('int32', [4], [-7, 7, -7, 7]), t('int32', [4], [2, -2, -2, 2])]);
    assert.deepEqual(values(y), [-3, -3, 3, 3]);
    const z = one(bin('Div'), [t('int64', [2], [-7, -9007199254740993n]), t('int64', [2], [2, 2])]);
    assert.deepEqual(values(z), [-3n, -4503599627370496n]);
  });
  it('uint8 Add wraps modulo 256; int8 Sub wraps too', () => {
    assert.deepEqual(values(one(bin('Add'), [t('uint8', [2], [200, 255]), t('uint8', [2], [100, 1])])), [44, 0]);
    assert.deepEqual(values(one(bin('Sub'), [t('int8', [1], [-128]), t('int8', [1], [1])])), [127]);
  });
  it('int32 / uint32 Mul keep the exact low 32 bits', () => {
    const a = 123456789;
    const b = 987654321;
    const want = Number(BigInt.asIntN(32, BigInt(a) * BigInt(b)));
    assert.deepEqual(values(one(bin('Mul'), [t('int32', [1], [a]), t('int32', [1], [b])])), [want]);
    assert.deepEqual(values(one(bin('Mul'), [t('uint32', [1], [65536]), t('uint32', [1], [65537])])), [65536]);
  });
  it('int64 Add is exact beyond 2^53 and wraps at 2^63', () => {
    const y = one(bin('Add'), [t('int64', [2], [9007199254740993n, 2n ** 62n]), t('int64', [2], [1n, 2n ** 62n])]);
    assert.deepEqual(values(y), [9007199254740994n, -(2n ** 63n)]);
    const u = one(bin('Sub'), [t('uint64', [1], [0n]), t('uint64', [1], [1n])]);
    assert.deepEqual(values(u), [2n ** 64n - 1n]);
  });
  it('Div by zero on integers gives 0 (numpy) instead of throwing', () => {
    assert.deepEqual(values(one(bin('Div'), [t('int32', [1], [5]), t('int32', [1], [0])])), [0]);
    assert.deepEqual(values(one(bin('Div'), [t('int64', [1], [5]), t('int64', [1], [0])])), [0n]);
  });
});

describe('float semantics', () => {
  it('float16 Add rounds to half precision (ties to even)', () => {
    // 1 + 2^-11 is a tie -> 1; 1 + 3*2^-12 is above the tie -> 1 + 2^-10.
    const y = one(bin('Add'), [t('float16', [2], [1, 1]), t('float16', [2], [2 ** -11, 3 * 2 ** -12])]);
    assert.equal(y.dtype, 'float16');
    assert.deepEqual(values(y), [1, 1 + 2 ** -10]);
  });
  it('float16 overflow goes to infinity', () => {
    assert.deepEqual(values(one(bin('Mul'), [t('float16', [1], [60000]), t('float16', [1], [2])])), [Infinity]);
  });
  it('float32 results are stored in float32', () => {
    const y = one(bin('Add'), [f32([1], [0.1]), f32([1], [0.2])]);
    assert.ok(y.data instanceof Float32Array);
    assert.equal(y.data[0], Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
});

describe('broadcasting', () => {
  it('[2,3] + [3] and [2,1] * [1,3]', () => {
    near(one(bin('Add'), [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])]), [11, 22, 33, 14, 25, 36]);
    near(one(bin('Mul'), [f32([2, 1], [1, 2]), f32([1, 3], [3, 4, 5])]), [3, 4, 5, 6, 8, 10]);
  });
  it('[3,1,2] - [4,1] matches the index definition', () => {
    const a = f32([3, 1, 2], [1, 2, 3, 4, 5, 6]);
    const b = f32([4, 1], [10, 20, 30, 40]);
    const y = one(bin('Sub'), [a, b]);
    assert.deepEqual(y.shape, [3, 4, 2]);
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) want.push((a.data[i * 2 + k] as number) - (b.data[j] as number));
    near(y, want);
  });
  it('scalar operand and empty result', () => {
    near(one(bin('Div'), [f32([3], [2, 4, 6]), f32([], [2])]), [1, 2, 3]);
    const e = one(bin('Add'), [f32([0, 3], []), f32([3], [1, 2, 3])]);
    assert.deepEqual(e.shape, [0, 3]);
  });
  it('incompatible shapes fail with SNNC_E_BAD_SHAPE', () => {
    assert.throws(() => one(bin('Add'), [f32([2], [1, 2]), f32([3], [1, 2, 3])]), { code: 'SNNC_E_BAD_SHAPE' });
  });
});

describe('Max, Less, Where', () => {
  it('Max is variadic, broadcasts and propagates NaN', () => {
    const y = one({ op: 'Max', attrs: {} }, [f32([3], [1, 5, NaN]), f32([1], [3]), f32([2, 1], [0, 4])]);
    assert.deepEqual(y.shape, [2, 3]);
    assert.ok(Number.isNaN(y.data[2] as number) && Number.isNaN(y.data[5] as number));
    assert.deepEqual(values(y).slice(0, 2), [3, 5]);
    assert.deepEqual(values(y).slice(3, 5), [4, 5]);
  });
  it('Less gives bool, also for int64', () => {
    const y = one(bin('Less'), [t('int64', [3], [1, 2, 3]), t('int64', [1], [2])]);
    assert.equal(y.dtype, 'bool');
    assert.deepEqual(values(y), [1, 0, 0]);
  });
  it('Where picks element-wise with broadcasting, for any dtype', () => {
    const y = one({ op: 'Where', attrs: {} }, [t('bool', [2, 1], [1, 0]), t('int64', [2], [1, 2]), t('int64', [1], [9])]);
    assert.deepEqual(y.shape, [2, 2]);
    assert.deepEqual(values(y), [1n, 2n, 9n, 9n]);
  });
});

describe('unary', () => {
  it('Relu keeps NaN and zeros negatives; LeakyRelu scales them', () => {
    const y = one({ op: 'Relu', attrs: {} }, [f32([3], [-1, 2, NaN])]);
    assert.deepEqual(values(y).slice(0, 2), [0, 2]);
    assert.ok(Number.isNaN(y.data[2] as number));
    near(one({ op: 'LeakyRelu', attrs: { alpha: 0.1 } }, [f32([2], [-10, 3])]), [-1, 3]);
  });
  it('Sigmoid is stable at both ends; Tanh, Exp, Neg', () => {
    near(one({ op: 'Sigmoid', attrs: {} }, [f32([3], [0, -1000, 1000])]), [0.5, 0, 1]);
    near(one({ op: 'Tanh', attrs: {} }, [f32([1], [1])]), [Math.tanh(1)]);
    near(one({ op: 'Exp', attrs: {} }, [f32([1], [1])]), [Math.E]);
    assert.deepEqual(values(one({ op: 'Neg', attrs: {} }, [t('int8', [2], [-128, 5])])), [-128, -5]);
  });
  it('Clip with runtime min/max, absent min, ints and min > max', () => {
    near(one({ op: 'Clip', attrs: {} }, [f32([3], [-5, 0, 5]), f32([], [-1]), f32([], [1])]), [-1, 0, 1]);
    near(one({ op: 'Clip', attrs: {} }, [f32([3], [-5, 0, 5]), undefined, f32([], [1])]), [-5, 0, 1]);
    assert.deepEqual(values(one({ op: 'Clip', attrs: {} }, [t('int64', [2], [-5, 5]), t('int64', [], [0]), undefined])), [0n, 5n]);
    near(one({ op: 'Clip', attrs: {} }, [f32([2], [-5, 5]), f32([], [2]), f32([], [1])]), [1, 1]);
  });
});
