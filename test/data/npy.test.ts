// .npy reader/writer, checked against files numpy wrote (test/data/fixtures, made with
// numpy 2.x: np.save and numpy.lib.format.write_array) and hand-written values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNpy, readNpy, writeNpy } from '../../src/data/npy.js';
import { isSnncError } from '../../src/errors.js';
import type { Tensor } from '../../src/ir/types.js';
import { ROOT } from '../helpers/paths.js';

const FIX = join(ROOT, 'test', 'data', 'fixtures');
const fix = (name: string): string => join(FIX, name);

function throwsCode(fn: () => unknown, code: string, text?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSnncError(e), `expected SnncError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (text !== undefined) assert.match(`${e.message} ${e.file ?? ''}`, text);
    return true;
  });
}

describe('readNpy', () => {
  it('reads float32 in C order', () => {
    const t = loadNpy(fix('f4.npy'));
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual([...t.data], [1.5, -2, 3.25, 0, Math.fround(1e-3), -7]);
  });
  it('reads int64 without rounding', () => {
    const t = loadNpy(fix('i8.npy'));
    assert.equal(t.dtype, 'int64');
    assert.deepEqual([...t.data], [-(2n ** 40n), 0n, 2n ** 40n + 3n]);
  });
  it('reads float16 (incl. max and a subnormal)', () => {
    const t = loadNpy(fix('f2.npy'));
    assert.equal(t.dtype, 'float16');
    // 1e-7 rounds to the subnormal 2 * 2^-24.
    assert.deepEqual([...t.data], [0.5, -1, 65504, 2 * 2 ** -24]);
  });
  it('reads bool, uint8 3-d, a scalar, and a version 2.0 header', () => {
    const b = loadNpy(fix('b1.npy'));
    assert.equal(b.dtype, 'bool');
    assert.deepEqual([...b.data], [1, 0, 0, 1]);
    const u = loadNpy(fix('u1.npy'));
    assert.deepEqual(u.shape, [1, 2, 3]);
    assert.deepEqual([...u.data], [0, 1, 2, 3, 4, 5]);
    const s = loadNpy(fix('scalar.npy'));
    assert.deepEqual(s.shape, []);
    assert.deepEqual([...s.data], [3.5]);
    const v2 = loadNpy(fix('v2.npy'));
    assert.equal(v2.dtype, 'uint16');
    assert.deepEqual([...v2.data], [0, 1, 2, 3]);
  });
  it('rejects Fortran order and big-endian data', () => {
    throwsCode(() => loadNpy(fix('fortran.npy')), 'SNNC_E_NPY', /Fortran/);
    throwsCode(() => loadNpy(fix('bigendian.npy')), 'SNNC_E_NPY', /big-endian/);
  });
  it('names the file when the data is truncated', () => {
    const bytes = readFileSync(fix('f4.npy'));
    throwsCode(() => readNpy(bytes.subarray(0, bytes.length - 4), { file: 'cut.npy' }), 'SNNC_E_NPY', /truncated.*cut\.npy/);
  });
  it('rejects garbage, unknown dtypes and hostile shapes before allocating', () => {
    throwsCode(() => readNpy(new TextEncoder().encode('hello world, not numpy')), 'SNNC_E_NPY', /magic/);
    const header = (dict: string): Uint8Array => {
      const h = dict.padEnd(117, ' ') + '\n';
      const out = new Uint8Array(10 + h.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]);
      for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
      return out;
    };
    throwsCode(() => readNpy(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }")), 'SNNC_E_NPY', /c8/);
    throwsCode(() => readNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }")), 'SNNC_E_LIMIT');
    throwsCode(() => readNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")), 'SNNC_E_NPY', /-1/);
  });
});

describe('writeNpy', () => {
  it('writes the same bytes numpy writes (v1.0 header padded to 64)', () => {
    for (const f of ['f4.npy', 'i8.npy', 'f2.npy', 'b1.npy', 'u1.npy', 'scalar.npy']) {
      const original = readFileSync(fix(f));
      assert.deepEqual(Buffer.from(writeNpy(loadNpy(fix(f)))), original, f);
    }
  });
  it('round-trips every dtype', () => {
    const cases: Tensor[] = [
      { dtype: 'float64', shape: [2], data: new Float64Array([1 / 3, -0]) },
      { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      { dtype: 'int16', shape: [1, 1], data: new Int16Array([-300]) },
      { dtype: 'int32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
      { dtype: 'uint32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
      { dtype: 'uint64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
      { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
    ];
    for (const t of cases) {
      const back = readNpy(writeNpy(t));
      assert.equal(back.dtype, t.dtype);
      assert.deepEqual(back.shape, t.shape);
      assert.deepEqual([...back.data], [...t.data]);
    }
  });
  it('refuses data of the wrong kind for its dtype', () => {
    throwsCode(() => writeNpy({ dtype: 'int32', shape: [1], data: new Float32Array(1) }), 'SNNC_E_TENSOR_DATA');
  });
});
