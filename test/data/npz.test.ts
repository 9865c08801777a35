// .npz archives and .npz datasets, checked against archives numpy wrote
// (np.savez: stored entries with ZIP64 local headers; np.savez_compressed: deflate).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNpz, loadNpz, loadNpzDataset, readNpz, writeNpz } from '../../src/data/npz.js';
import { isSnncError } from '../../src/errors.js';
import { ROOT } from '../helpers/paths.js';

const FIX = join(ROOT, 'test', 'data', 'fixtures');
const fix = (name: string): string => join(FIX, name);

function throwsCode(fn: () => unknown, code: string, text?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSnncError(e), `expected SnncError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (text !== undefined) assert.match(e.message, text);
    return true;
  });
}

// x = arange(12).reshape(3,1,2,2) / 16, y = [2, 0, 1]
const X = Array.from({ length: 12 }, (_, i) => i / 16);

describe('readNpz', () => {
  it('reads stored entries written by np.savez', () => {
    const a = loadNpz(fix('ds.npz'));
    assert.deepEqual([...a.keys()], ['x', 'y']);
    assert.deepEqual(a.get('x')?.shape, [3, 1, 2, 2]);
    assert.deepEqual([...(a.get('x')?.data ?? [])], X);
    assert.deepEqual([...(a.get('y')?.data ?? [])], [2n, 0n, 1n]);
  });
  it('reads deflated entries written by np.savez_compressed', () => {
    const a = loadNpz(fix('ds-deflate.npz'));
    assert.equal(a.get('x')?.dtype, 'float64');
    assert.deepEqual([...(a.get('x')?.data ?? [])], X);
    assert.deepEqual([...(a.get('y')?.data ?? [])], [2, 0, 1]);
  });
  it('rejects truncated and corrupted archives', () => {
    const bytes = readFileSync(fix('ds.npz'));
    throwsCode(() => readNpz(bytes.subarray(0, 200)), 'SNNC_E_NPY');
    const flipped = Uint8Array.from(bytes);
    flipped[200] = (flipped[200] ?? 0) ^ 0xff; // inside x's data
    throwsCode(() => readNpz(flipped), 'SNNC_E_NPY', /CRC/);
  });
  it('guards the inflated size', () => {
    const bytes = readFileSync(fix('ds-deflate.npz'));
    throwsCode(() => readNpz(bytes, { maxElements: 0 }), 'SNNC_E_LIMIT');
  });
});

describe('writeNpz', () => {
  it('round-trips and is deterministic', () => {
    const arrays = loadNpz(fix('ds-deflate.npz'));
    const a = writeNpz(arrays);
    const b = writeNpz(arrays);
    assert.deepEqual(a, b);
    assert.deepEqual(listNpz(a), ['x', 'y']);
    const back = readNpz(a);
    assert.deepEqual([...(back.get('x')?.data ?? [])], X);
    assert.equal(back.get('y')?.dtype, 'uint8');
  });
});

describe('loadNpzDataset', () => {
  it('loads x as float32 and y as int32 labels, from float64 too', () => {
    for (const f of ['ds.npz', 'ds-deflate.npz']) {
      const d = loadNpzDataset(fix(f), { expectShape: [1, 2, 2] });
      assert.equal(d.x.dtype, 'float32');
      assert.ok(d.x.data instanceof Float32Array);
      assert.deepEqual(d.x.shape, [3, 1, 2, 2]);
      assert.deepEqual([...d.x.data], X);
      assert.deepEqual([...d.y], [2, 0, 1]);
    }
  });
  it('names the missing or malformed array', () => {
    throwsCode(() => loadNpzDataset(fix('ds-no-y.npz')), 'SNNC_E_DATASET', /'y'.*missing.*x, labels/);
    throwsCode(() => loadNpzDataset(fix('ds-float-y.npz')), 'SNNC_E_DATASET', /'y'.*float64/);
    throwsCode(() => loadNpzDataset(fix('ds-mismatch.npz')), 'SNNC_E_DATASET', /'y'.*2 labels.*3 samples/);
    throwsCode(() => loadNpzDataset(fix('ds-negative.npz')), 'SNNC_E_DATASET', /'y'.*-1.*index 1/);
    throwsCode(() => loadNpzDataset(fix('ds-empty.npz')), 'SNNC_E_DATASET', /'x'.*no samples/);
    throwsCode(() => loadNpzDataset(fix('ds-int-x.npz')), 'SNNC_E_DATASET', /'x'.*int32/);
    throwsCode(() => loadNpzDataset(fix('ds.npz'), { expectShape: [1, 28, 28] }), 'SNNC_E_DATASET', /\[1, 2, 2\].*\[1, 28, 28\]/);
  });
  it('reports an unreadable file and a non-ZIP file', () => {
    throwsCode(() => loadNpzDataset(fix('nope.npz')), 'SNNC_E_IO');
    const dir = mkdtempSync(join(tmpdir(), 'snnc-npz-'));
    try {
      const p = join(dir, 'bad.npz');
      writeFileSync(p, 'definitely not a zip archive');
      throwsCode(() => loadNpzDataset(p), 'SNNC_E_NPY', /ZIP/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
