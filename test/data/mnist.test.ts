// The embedded MNIST split: sizes, label balance, pixel range, determinism.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadMnist, parseDataArray } from '../../src/data/mnist.js';

describe('loadMnist', () => {
  const train = loadMnist('train');
  const test = loadMnist('test');
  it('splits each class 80/20 (7,996 + 2,004 = 10,000 images)', () => {
    // Per-class counts in the package: 1001 1127 991 1032 980 863 1014 1070 944 978.
    assert.equal(train.y.length, 7996);
    assert.equal(test.y.length, 2004);
    assert.deepEqual(train.x.shape, [7996, 1, 28, 28]);
    assert.deepEqual(test.x.shape, [2004, 1, 28, 28]);
    const count = (y: Int32Array, d: number): number => y.filter((v) => v === d).length;
    assert.equal(count(train.y, 0), 800);
    assert.equal(count(test.y, 0), 201);
    assert.equal(count(train.y, 5), 690);
    assert.equal(count(test.y, 5), 173);
  });
  it('interleaves classes so a prefix is balanced', () => {
    const head = loadMnist('test', { limit: 20 });
    assert.deepEqual([...head.y], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...head.x.data], [...test.x.data.subarray(0, 20 * 784)]);
  });
  it('keeps the package pixels: [0, 1], NCHW, first train image = first image of 0.json', () => {
    const file = createRequire(import.meta.url).resolve('mnist/src/digits/0.json');
    const raw = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    assert.deepEqual([...train.x.data.subarray(0, 784)], raw.slice(0, 784).map(Math.fround));
    // Test split of class 0 starts at image 800 of the file.
    assert.deepEqual([...test.x.data.subarray(0, 784)], raw.slice(800 * 784, 801 * 784).map(Math.fround));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of train.x.data as Float32Array) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.equal(lo, 0);
    assert.ok(hi <= 1 && hi > 0.99);
  });
  it('is deterministic and rejects a bad limit', () => {
    assert.deepEqual(loadMnist('train', { limit: 50 }).y, train.y.subarray(0, 50));
    assert.throws(() => loadMnist('train', { limit: 0 }), /positive integer/);
  });
});

describe('parseDataArray (the fast reader of the digit files)', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('gives exactly the float32 values JSON.parse gives, for every pixel of every digit file', () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    for (let d = 0; d < 10; d++) {
      const bytes = readFileSync(join(dir, `${d}.json`));
      const want = Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
      const got = parseDataArray(bytes);
      assert.ok(got !== undefined && got.length === want.length, `digit ${d}`);
      assert.ok(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `digit ${d}: bits differ`);
    }
  });
  it('reads exponents, negatives, long digit runs and whitespace as JSON does', () => {
    const text = '{ "data" : [ 0, -0.5,1e-3 , 2.5E2,0.12345678901234567, 7 ,\n 0.1 ] }';
    const want = Float32Array.from((JSON.parse(text) as { data: number[] }).data);
    assert.deepEqual([...(parseDataArray(enc(text)) ?? [])], [...want]);
    assert.deepEqual([...(parseDataArray(enc('{"data":[]}')) ?? [1])], []);
  });
  it('returns undefined for text of another shape', () => {
    for (const bad of ['{"x":[1]}', '{"data":[1,,2]}', '{"data":[1 2]}', '{"data":[a]}', '{"data":[1', '[1,2]']) {
      assert.equal(parseDataArray(enc(bad)), undefined, bad);
    }
  });
});
