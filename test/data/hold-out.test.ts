// holdOut: which samples retrain measures its rounds on, and that the rest keep their order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { holdOut } from '../../src/data/spec.js';
import type { Dataset } from '../../src/data/dataset.js';
import { isSnncError } from '../../src/errors.js';
import { retrainSplit } from '../../src/retrain/loop.js';
import { loadModel } from '../../src/api/load.js';
import { loadMnist } from '../../src/data/mnist.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpz } from '../../src/data/npz.js';
import { EXAMPLES } from '../helpers/paths.js';

/** N samples of 2 values each, sample s = [s, −s], label s mod 10 or sorted by class. */
function numbered(N: number, label: (s: number) => number): Dataset {
  const x = new Float32Array(2 * N);
  const y = new Int32Array(N);
  for (let s = 0; s < N; s++) {
    x[2 * s] = s;
    x[2 * s + 1] = -s;
    y[s] = label(s);
  }
  return { name: 'numbered', x: { dtype: 'float32', shape: [N, 2], data: x }, y };
}

describe('holdOut', () => {
  it('holds out the samples at ⌊(i + ½)·N/n⌋ and keeps the others in order, pixels with their labels', () => {
    const { rest, held } = holdOut(
      numbered(10, (s) => s % 10),
      3,
    );
    // (0.5, 1.5, 2.5) · 10/3 = 1.67, 5, 8.33
    assert.deepEqual([...held.x.data], [1, -1, 5, -5, 8, -8]);
    assert.deepEqual([...held.y], [1, 5, 8]);
    assert.deepEqual([...rest.y], [0, 2, 3, 4, 6, 7, 9]);
    assert.deepEqual(
      [...rest.x.data].filter((_, i) => i % 2 === 0),
      [0, 2, 3, 4, 6, 7, 9],
    );
    assert.deepEqual(held.x.shape, [3, 2]);
    assert.deepEqual(rest.x.shape, [7, 2]);
  });

  it('a file sorted by class gives every class its share', () => {
    // 10 classes of 50 samples each, in class order: 20 held out = 2 per class.
    const { held } = holdOut(
      numbered(500, (s) => Math.floor(s / 50)),
      20,
    );
    const per = new Array<number>(10).fill(0);
    for (const c of held.y) per[c] = (per[c] ?? 0) + 1;
    assert.deepEqual(per, new Array<number>(10).fill(2));
  });

  it('n = N holds out everything, n = 0 nothing', () => {
    assert.equal(
      holdOut(
        numbered(5, (s) => s),
        5,
      ).rest.y.length,
      0,
    );
    assert.equal(
      holdOut(
        numbered(5, (s) => s),
        0,
      ).held.y.length,
      0,
    );
  });

  it('retrainSplit, embedded MNIST: rounds are measured on the first test images; training takes the train split', async () => {
    const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
    const { train, probe } = retrainSplit(g, 'mnist', 40, 100);
    const test = loadMnist('test', { limit: 40 });
    assert.deepEqual(probe.x.data, test.x.data);
    assert.deepEqual(probe.y, test.y);
    assert.equal(probe.name, 'mnist:test, first 40');
    assert.deepEqual(train.x.data, loadMnist('train', { limit: 100 }).x.data);
    // The chosen round is checked on the next 40 test images, which chose nothing.
    const { check } = retrainSplit(g, 'mnist', 40, 100);
    const next = loadMnist('test', { limit: 80 });
    assert.deepEqual(check?.x.data, next.x.data.subarray(40 * 784));
    assert.deepEqual(check?.y, next.y.subarray(40));
    assert.equal(check?.name, 'mnist:test, images 40–79');
    // All but 4 of the 2,004 test images choose: the check takes the 4 left.
    assert.equal(retrainSplit(g, 'mnist', 2000, 100).check?.name, 'mnist:test, images 2000–2003');
    assert.equal(retrainSplit(g, 'mnist', 2004, 100).check, undefined);
    // --check-samples: as many as asked after the measuring ones (the rest: the bench's images), or none.
    const rest = retrainSplit(g, 'mnist', 500, 100, 1504).check;
    assert.equal(rest?.name, 'mnist:test, images 500–2003');
    assert.deepEqual(rest?.y, loadMnist('test').y.subarray(500));
    assert.equal(retrainSplit(g, 'mnist', 40, 100, 10).check?.name, 'mnist:test, images 40–49');
    assert.equal(retrainSplit(g, 'mnist', 40, 100, 0).check, undefined);
  });

  it('retrainSplit, a .npz file (its own test split): the measured images are held out of training', async () => {
    const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
    // 50 images whose first pixel is their index.
    const N = 50;
    const x = new Float32Array(N * 784);
    const y = new Int32Array(N);
    for (let s = 0; s < N; s++) {
      x[s * 784] = s;
      y[s] = s % 10;
    }
    const dir = mkdtempSync(join(tmpdir(), 'snnc-holdout-'));
    const file = join(dir, 'd.npz');
    writeFileSync(file, writeNpz({ x: { dtype: 'float32', shape: [N, 784], data: x }, y: { dtype: 'int32', shape: [N], data: y } }));
    const first = (d: Dataset): number[] => Array.from({ length: d.y.length }, (_, i) => d.x.data[i * 784] as number);
    const { train, probe, check } = retrainSplit(g, file, 5, undefined);
    // Every held-out image chooses: nothing is left to check the chosen round on.
    assert.equal(check, undefined);
    // ⌊(i + ½)·50/5⌋ = 5, 15, 25, 35, 45
    assert.deepEqual(first(probe), [5, 15, 25, 35, 45]);
    assert.equal(train.y.length, 45);
    assert.ok(!first(train).some((v) => v % 10 === 5), 'no held-out image trains');
    assert.deepEqual(first(retrainSplit(g, file, 5, 3).train), [0, 1, 2]);
    // Holding out the whole file is a usage error.
    assert.throws(
      () => retrainSplit(g, file, 50, undefined),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE' && /--hw-samples 50 leaves no training images/.test(e.message),
    );
  });
});
