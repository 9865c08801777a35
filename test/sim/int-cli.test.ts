// snnc quantize and snnc simulate --int as a user meets them: the written file holds the
// program, the integer simulation reports next to the float one, bad flags exit 2.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/api/load.js';
import { programFromGraph } from '../../src/sim/int/serialize.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

describe('snnc quantize / simulate --int', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-q-'));
  const out = join(dir, 'lenet.q.snn.onnx');

  it('quantizes LeNet, prints the memory table and writes a file holding the program', async () => {
    const r = await cli('quantize', join(EXAMPLES, 'lenet.onnx'), '--bits', 'w=4,th=8', '--layer', 'conv1:w=6', '--calib-samples', '128', '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /layer\s+kind\s+weights/);
    assert.match(r.out, /total/);
    const p = programFromGraph(await loadModel(out));
    assert.deepEqual(
      p?.layers.map((l) => [l.name, l.kind, l.kind === 'dense' || l.kind === 'conv' ? l.weightBits : 0]),
      [
        ['conv1', 'conv', 6],
        ['pool1', 'sum-pool', 0],
        ['conv2', 'conv', 4],
        ['fc1', 'dense', 4],
        ['fc2', 'dense', 4],
        ['fc3', 'dense', 4],
      ],
    );
  });

  it('simulate --int reports the integer accuracy per T', async () => {
    const r = await cli('simulate', out, '--int', '--T', '8,16', '--n', '100', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { snn: { accuracy: number }[]; int: { rows: { T: number; accuracy: number }[] } };
    assert.deepEqual(
      j.int.rows.map((x) => x.T),
      [8, 16],
    );
    assert.ok((j.int.rows[1]?.accuracy ?? 0) > 0.9);
    assert.ok(Math.abs((j.int.rows[1]?.accuracy ?? 0) - (j.snn[1]?.accuracy ?? 0)) <= 0.05);
  });

  it('bad widths, layer names and roundings exit 2 with SNNC_E_USAGE', async () => {
    for (const args of [
      ['--bits', 'w=17'],
      ['--layer', 'nope:w=4'],
      ['--rounding', 'nearst'],
    ]) {
      const r = await cli('quantize', join(EXAMPLES, 'lenet.onnx'), ...args, '--calib-samples', '32', '-o', join(dir, 'x.snn.onnx'));
      assert.equal(r.code, 2);
      assert.match(r.err, /SNNC_E_USAGE/);
    }
  });
});
