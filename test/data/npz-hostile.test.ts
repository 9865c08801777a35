// A small .npz whose x would unpack to gigabytes (issue #18 item 3: x declared (341000, 1, 28, 28)
// float64 with 20 labels took 6.4 GB before the mismatch was reported). The sample-count
// mismatch and the element limit are now found from x's header alone, before x is unpacked.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNpzDataset } from '../../src/data/npz.js';
import { writeZip } from '../../src/data/zip.js';
import { writeNpy } from '../../src/data/npy.js';
import { writeNpz } from '../../src/data/npz.js';
import { cli } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { isSnncError } from '../../src/errors.js';

function npzWithHugeX(n: number, labels: number): Uint8Array {
  // A stored (method 0) x whose header declares n samples but whose data is absent: the
  // reader must refuse from the header, before it looks at the (missing) data.
  const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${n}, 1, 28, 28), }`;
  const total = 10 + header.length + 1;
  const pad = (64 - (total % 64)) % 64;
  const head = new Uint8Array(total + pad);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length + pad + 1, true);
  head.set(new TextEncoder().encode(header), 10);
  head.fill(0x20, 10 + header.length, head.length - 1);
  head[head.length - 1] = 0x0a;
  const y = writeNpy({ dtype: 'int64', shape: [labels], data: new BigInt64Array(labels) } as never);
  return writeZip([
    { name: 'x.npy', data: head },
    { name: 'y.npy', data: y },
  ]);
}

it('x and y disagree in sample count: refused from the headers, before x is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-npz-'));
  const file = join(dir, 'bomb.npz');
  writeFileSync(file, npzWithHugeX(341000, 20));
  const before = process.memoryUsage().rss;
  assert.throws(
    () => loadNpzDataset(file),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_DATASET' && /20 labels but x has 341000 samples/.test(e.message),
  );
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'no gigabyte allocation');
});

it('an x over the element limit is refused from its header (SNNC_E_LIMIT)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-npz-'));
  const file = join(dir, 'big.npz');
  writeFileSync(file, npzWithHugeX(1000, 1000));
  assert.throws(
    () => loadNpzDataset(file, { maxElements: 10000 }),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_LIMIT',
  );
});

// Item 8: pixels that are NaN/±Inf, and labels the model cannot output, were accepted and
// turned into accuracy figures. Both are refused now; the clean dataset beside them loads.
const samples = (x: Float32Array, y: readonly number[]): string => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-ds-'));
  const file = join(dir, 'ds.npz');
  writeFileSync(
    file,
    writeNpz({
      x: { dtype: 'float32', shape: [y.length, 784], data: x },
      y: { dtype: 'int64', shape: [y.length], data: BigInt64Array.from(y.map(BigInt)) },
    }),
  );
  return file;
};

it('a NaN or infinite pixel is refused, naming the sample', () => {
  const x = new Float32Array(3 * 784).fill(0.5);
  assert.equal(loadNpzDataset(samples(x, [0, 1, 2])).y.length, 3);
  x[784 * 2 + 5] = Number.NaN;
  x[784 * 2 + 6] = Number.POSITIVE_INFINITY;
  assert.throws(
    () => loadNpzDataset(samples(x, [0, 1, 2])),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_DATASET' && /2 non-finite values .* sample 2/.test(e.message),
  );
});

it("a label outside the model's classes exits 2 with SNNC_E_DATASET; labels 0..9 run", async () => {
  const x = new Float32Array(3 * 784).fill(0.1);
  const ok = await cli('simulate', join(ROOT, 'examples', 'mlp.onnx'), '--dataset', samples(x, [0, 9, 1]), '--T', '4', '--json');
  assert.equal(ok.code, 0, ok.err);
  const bad = await cli('simulate', join(ROOT, 'examples', 'mlp.onnx'), '--dataset', samples(x, [0, 10, 1]), '--T', '4');
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /SNNC_E_DATASET/);
  assert.match(bad.err, /label 10 at index 1 is outside the model's 10 classes/);
});
