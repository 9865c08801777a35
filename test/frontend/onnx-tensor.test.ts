// TensorProto decoding: corpus files of every integer/float width (checked through ORT),
// typed fields vs raw_data, float16, the element limit, and external data confinement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSnncError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { encodeTensor, readTensorFile, tensorFromProto } from '../../src/frontend/onnx/tensor.js';
import type { Tensor } from '../../src/ir/types.js';
import { compareTensors } from '../helpers/compare.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/paths.js';
import { runOrt } from './onnx-helpers.js';

function throwsCode(fn: () => unknown, code: ErrorCode, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSnncError(e), `not an SnncError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re !== undefined) assert.match(e.message, re);
    return true;
  });
}

const DTYPE_CASES: Record<string, string> = {
  test_add: 'float32',
  test_add_int8: 'int8',
  test_add_uint8: 'uint8',
  test_add_int16: 'int16',
  test_add_uint16: 'uint16',
  test_add_uint32: 'uint32',
  test_add_uint64: 'uint64',
  test_div_int32_trunc: 'int32',
  test_mul_int16: 'int16',
  test_sub_uint64: 'uint64',
};

describe('TensorProto files of the corpus', { skip: HAVE_CORPUS ? false : 'no corpus' }, () => {
  for (const [c, dtype] of Object.entries(DTYPE_CASES)) {
    it(`${c}: inputs decode as ${dtype}; ORT on them reproduces output_0.pb`, async () => {
      const dir = join(CORPUS, 'onnx-node', c);
      const set = join(dir, 'test_data_set_0');
      const model = readFileSync(join(dir, 'model.onnx'));
      const m = onnx.ModelProto.decode(model);
      const names = (m.graph?.input ?? []).map((v) => v.name ?? '');
      const feeds = new Map<string, Tensor>();
      names.forEach((n, i) => {
        const { name, tensor } = readTensorFile(join(set, `input_${i}.pb`));
        assert.equal(tensor.dtype, dtype);
        const declared = m.graph?.input?.[i]?.type?.tensorType?.shape?.dim?.map((d) => Number(d.dimValue));
        assert.deepEqual([...tensor.shape], declared);
        assert.ok(name === '' || name === n || name.length > 0);
        feeds.set(n, tensor);
      });
      const want = readTensorFile(join(set, 'output_0.pb')).tensor;
      const [got] = await runOrt(model, feeds);
      assert.ok(got !== undefined);
      assert.equal(compareTensors(got, want), undefined);
    });
  }

  it('int64 (reshape shape input) and float64 hand-known values', () => {
    const dir = join(CORPUS, 'onnx-node', 'test_reshape_negative_dim', 'test_data_set_0');
    const shape = readTensorFile(join(dir, 'input_1.pb')).tensor;
    assert.equal(shape.dtype, 'int64');
    assert.deepEqual([...shape.data], [2n, -1n, 2n]);
  });

  it('every input/output .pb in the corpus decodes', () => {
    let count = 0;
    for (const suite of readdirSync(CORPUS).filter((s) => !s.endsWith('.md'))) {
      for (const c of readdirSync(join(CORPUS, suite))) {
        for (const s of readdirSync(join(CORPUS, suite, c)).filter((d) => d.startsWith('test_data_set_'))) {
          for (const f of readdirSync(join(CORPUS, suite, c, s))) {
            const t = readTensorFile(join(CORPUS, suite, c, s, f)).tensor;
            assert.equal(
              t.data.length,
              t.shape.reduce((a, b) => a * b, 1),
            );
            count++;
          }
        }
      }
    }
    assert.ok(count > 500, `only ${count} files`);
  });
});

describe('TensorProto fields', () => {
  it('typed fields and raw_data give the same tensor for every dtype', () => {
    const cases: { dataType: number; fields: Record<string, unknown>; raw: Uint8Array; want: unknown[] }[] = [
      { dataType: 1, fields: { floatData: [1.5, -2] }, raw: new Uint8Array(new Float32Array([1.5, -2]).buffer), want: [1.5, -2] },
      { dataType: 11, fields: { doubleData: [0.1, -3] }, raw: new Uint8Array(new Float64Array([0.1, -3]).buffer), want: [0.1, -3] },
      { dataType: 3, fields: { int32Data: [-128, 127] }, raw: new Uint8Array(new Int8Array([-128, 127]).buffer), want: [-128, 127] },
      { dataType: 2, fields: { int32Data: [0, 255] }, raw: new Uint8Array([0, 255]), want: [0, 255] },
      { dataType: 5, fields: { int32Data: [-32768, 7] }, raw: new Uint8Array(new Int16Array([-32768, 7]).buffer), want: [-32768, 7] },
      { dataType: 4, fields: { int32Data: [65535, 1] }, raw: new Uint8Array(new Uint16Array([65535, 1]).buffer), want: [65535, 1] },
      { dataType: 6, fields: { int32Data: [-2147483648, 5] }, raw: new Uint8Array(new Int32Array([-2147483648, 5]).buffer), want: [-2147483648, 5] },
      { dataType: 12, fields: { uint64Data: [4294967295, 3] }, raw: new Uint8Array(new Uint32Array([4294967295, 3]).buffer), want: [4294967295, 3] },
      { dataType: 9, fields: { int32Data: [1, 0] }, raw: new Uint8Array([1, 0]), want: [1, 0] },
      // float16 bits: 0x3c00 = 1, 0xc000 = -2
      { dataType: 10, fields: { int32Data: [0x3c00, 0xc000] }, raw: new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), want: [1, -2] },
    ];
    for (const c of cases) {
      const a = tensorFromProto(onnx.TensorProto.decode(onnx.TensorProto.encode({ dataType: c.dataType, dims: [2], ...c.fields }).finish()));
      const b = tensorFromProto({ dataType: c.dataType, dims: [2], rawData: c.raw });
      assert.deepEqual([...a.data], c.want, `typed ${c.dataType}`);
      assert.deepEqual([...b.data], c.want, `raw ${c.dataType}`);
      assert.equal(a.dtype, b.dtype);
    }
  });

  it('64-bit integers keep every bit (int64_data / uint64_data through the wire)', () => {
    const big = onnx.TensorProto.encode({ dataType: 7, dims: [2], int64Data: [-1, 2 ** 53] }).finish();
    assert.deepEqual([...tensorFromProto(onnx.TensorProto.decode(big)).data], [-1n, 2n ** 53n]);
    const raw = new BigUint64Array([2n ** 64n - 1n]);
    const u = tensorFromProto({ dataType: 13, dims: [1], rawData: new Uint8Array(raw.buffer) });
    assert.deepEqual([...u.data], [2n ** 64n - 1n]);
  });

  it('encodeTensor round-trips every dtype', () => {
    const ts: Tensor[] = [
      { dtype: 'float16', shape: [3], data: new Float32Array([0.5, -65504, 0.0999755859375]) },
      { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
      { dtype: 'int64', shape: [1, 2], data: new BigInt64Array([-(2n ** 63n), 5n]) },
      { dtype: 'uint64', shape: [], data: new BigUint64Array([2n ** 64n - 2n]) },
      { dtype: 'float64', shape: [0], data: new Float64Array(0) },
    ];
    for (const t of ts) {
      const back = tensorFromProto(onnx.TensorProto.decode(encodeTensor(t, 'x')));
      assert.deepEqual(back, { dtype: t.dtype, shape: t.shape, data: t.data });
    }
  });

  it('rejects unsupported data types by name', () => {
    for (const [code, name] of [
      [8, 'STRING'],
      [16, 'BFLOAT16'],
      [17, 'FLOAT8E4M3FN'],
      [14, 'COMPLEX64'],
      [22, 'INT4'],
    ] as const) {
      throwsCode(() => tensorFromProto({ name: 'w', dataType: code, dims: [1], rawData: new Uint8Array(4) }), 'SNNC_E_UNSUPPORTED_DTYPE', new RegExp(name));
    }
  });

  it('rejects negative dims, data length mismatches and missing data', () => {
    throwsCode(() => tensorFromProto({ name: 'w', dataType: 1, dims: [2, -3], floatData: [] }), 'SNNC_E_BAD_SHAPE');
    throwsCode(() => tensorFromProto({ name: 'w', dataType: 1, dims: [2, 3], floatData: [1, 2, 3] }), 'SNNC_E_TENSOR_DATA', /'w'/);
    throwsCode(() => tensorFromProto({ name: 'w', dataType: 6, dims: [2], rawData: new Uint8Array(7) }), 'SNNC_E_TENSOR_DATA', /'w'/);
    throwsCode(() => tensorFromProto({ name: 'w', dataType: 1, dims: [4] }), 'SNNC_E_TENSOR_DATA');
  });

  it('rejects a [65536, 65536, 65536] tensor before allocating', () => {
    const t0 = process.hrtime.bigint();
    throwsCode(() => tensorFromProto({ name: 'huge', dataType: 1, dims: [65536, 65536, 65536] }), 'SNNC_E_LIMIT');
    // Coarse sanity bound (allocation of 2^48 floats would throw or take far longer).
    assert.ok(process.hrtime.bigint() - t0 < 1_000_000_000n);
    throwsCode(() => tensorFromProto({ name: 'w', dataType: 1, dims: [100, 100], floatData: [] }, { maxElements: 1000 }), 'SNNC_E_LIMIT');
  });

  it('readTensorFile: missing file is SNNC_E_IO, garbage is SNNC_E_TENSOR_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-tp-'));
    throwsCode(() => readTensorFile(join(dir, 'nope.pb')), 'SNNC_E_IO');
    writeFileSync(join(dir, 'bad.pb'), Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    throwsCode(() => readTensorFile(join(dir, 'bad.pb')), 'SNNC_E_TENSOR_FILE');
  });
});

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-ext-'));
  const outside = mkdtempSync(join(tmpdir(), 'snnc-out-'));
  writeFileSync(join(outside, 'secret.bin'), new Uint8Array(new Float32Array([9, 9]).buffer));
  // x.bin holds 4 floats at offset 8, after 8 junk bytes.
  const bytes = new Uint8Array(24);
  bytes.set(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), 8);
  writeFileSync(join(dir, 'x.bin'), bytes);
  const ext = (location: string, extra: Record<string, string> = {}) => ({
    name: 'w',
    dataType: 1,
    dims: [4],
    dataLocation: 1,
    externalData: [{ key: 'location', value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))],
  });

  it('reads location/offset/length relative to the model folder', () => {
    const t = tensorFromProto(ext('x.bin', { offset: '8', length: '16' }), { baseDir: dir });
    assert.deepEqual([...t.data], [1, 2, 3, 4]);
  });

  it('rejects ../, absolute paths and symlinks out of the folder', () => {
    throwsCode(() => tensorFromProto(ext('../x.bin'), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA', /leaves/);
    throwsCode(() => tensorFromProto(ext('/etc/passwd'), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA', /absolute/);
    symlinkSync(join(outside, 'secret.bin'), join(dir, 'link.bin'));
    throwsCode(() => tensorFromProto(ext('link.bin', { length: '8' }), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA', /outside/);
  });

  it('rejects missing files, short files and length mismatches', () => {
    throwsCode(() => tensorFromProto(ext('missing.bin'), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA', /not found/);
    throwsCode(() => tensorFromProto(ext('x.bin', { offset: '16' }), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA');
    throwsCode(() => tensorFromProto(ext('x.bin', { length: '12' }), { baseDir: dir }), 'SNNC_E_EXTERNAL_DATA', /length/);
    throwsCode(() => tensorFromProto(ext('x.bin')), 'SNNC_E_EXTERNAL_DATA', /folder/);
  });
});
