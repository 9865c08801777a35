// compile runs its targets' files and hardware simulations on two threads (target-pool.ts):
// the report, every file's bytes and their set must be exactly those of a run on one thread,
// and files handed to a sink as they are made must be the same files. Also the golden-vector budget.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileModel, loadModel } from '../../src/index.js';
import { defaultHardwareSamples, goldenCount } from '../../src/api/compile.js';
import type { OutputFile } from '../../src/index.js';
import { EXAMPLES } from '../helpers/paths.js';

const hex = (d: Uint8Array | string): string => Buffer.from(typeof d === 'string' ? Buffer.from(d) : d).toString('base64');

it('two threads give the one-thread compile to the byte, and a sink receives the same files', async () => {
  const g = await loadModel(join(EXAMPLES, 'lenet.onnx'));
  const opts = { targets: ['all'], modelFile: 'lenet.onnx', T: [8], n: 40, calibSamples: 64, hwSamples: 12 } as const;
  const one = await compileModel(g, { ...opts, threads: 1 });
  const sunk: OutputFile[] = [];
  const two = await compileModel(g, { ...opts, threads: 2, sink: (f) => sunk.push(f) });
  assert.equal(two.files.length, 0, 'a sink takes every file');
  assert.deepEqual(JSON.stringify(two.report), JSON.stringify(one.report));
  // Every target ran (and ran its hardware simulation), so the threads had work to share.
  assert.ok(two.report.targets.filter((t) => t.status === 'ok' && t.kind !== 'ann').length >= 4);
  const files = (fs: readonly OutputFile[]): [string, string][] =>
    fs.map((f): [string, string] => [f.path, hex(f.data)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(files(sunk), files(one.files));
  assert.deepEqual([...two.paths].sort(), one.files.map((f) => f.path).sort());
});

for (const fault of ['exit', 'exit-after-files']) {
  it(`a worker that dies on its job (${fault}) hands it back: the compile finishes with the one-thread result, each file once`, async () => {
    const g = await loadModel(join(EXAMPLES, 'mlp.onnx'));
    const opts = { targets: ['imc-hpadc', 'imc-adcless', 'fpga'], modelFile: 'mlp.onnx', T: [4], n: 20, calibSamples: 32, hwSamples: 8 } as const;
    const one = await compileModel(g, { ...opts, threads: 1 });
    process.env['SNNC_FAULT_TARGET_WORKER'] = fault;
    try {
      const two = await compileModel(g, { ...opts, threads: 2 });
      assert.equal(JSON.stringify(two.report), JSON.stringify(one.report));
      assert.deepEqual([...two.paths].sort(), one.files.map((f) => f.path).sort());
      const files = (fs: readonly OutputFile[]): [string, string][] =>
        fs.map((f): [string, string] => [f.path, hex(f.data)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      assert.deepEqual(files(two.files), files(one.files));
    } finally {
      delete process.env['SNNC_FAULT_TARGET_WORKER'];
    }
  });
}

it('golden vectors: 4 for a LeNet, 1 for a CIFAR ResNet-18 at T = 16 (each costs MACs × T twice: simulation and C-simulation); default hardware samples by the same measure', () => {
  assert.equal(goldenCount(1.05e6, 32), 4);
  assert.equal(goldenCount(2 ** 32 / 16 / 2, 16), 2);
  assert.equal(goldenCount(0.56e9, 16), 1);
  assert.equal(goldenCount(0, 16), 4);
  // Hardware samples without --hw-samples: 100, or as many as fit 2^34 MAC-steps.
  assert.equal(defaultHardwareSamples(1.05e6, 32), 100); // LeNet
  assert.equal(defaultHardwareSamples(313725952, 16), 3); // CIFAR VGG-16: ⌊17.18 G / 5.02 G⌋
  assert.equal(defaultHardwareSamples(555422720, 16), 1); // CIFAR ResNet-18: 8.89 G per sample
  assert.equal(defaultHardwareSamples(2 ** 34 / 16 / 50, 16), 50);
  assert.equal(defaultHardwareSamples(0, 16), 100);
});
