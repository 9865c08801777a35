// `snnc convert x.nir -o y.nir` (and through *.snn.onnx) rewrites a spiking network in another
// format without converting it again: the files it writes simulate identically. --nir-dt reads
// a per-step file.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { simulate } from '../../src/sim/snn/index.js';
import type { Graph } from '../../src/ir/types.js';
import { cli } from '../helpers/cli.js';
import { handNir, tinyAffineLif } from '../frontend/nir-helpers.js';
import { fileOf, makeNet } from '../frontend/nir-cuba-net.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-nir-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function spikes(g: Graph): number[] {
  const x = { dtype: 'float32' as const, shape: [2, 1, 4, 4], data: Float32Array.from({ length: 32 }, (_, i) => ((i * 7) % 5) / 4) };
  return simulate(g, { x, y: Int32Array.of(0, 1) }, { T: 12 }).layers.map((l) => l.spikes);
}

it('convert x.nir -o y.nir -o z.snn.onnx -o w.nir: every file simulates like the original', async () => {
  const { nodes, edges } = fileOf(makeNet());
  const src = join(dir, 'cuba.nir');
  writeFileSync(src, await handNir(nodes, edges));
  const want = spikes(await loadModel(src));
  assert.ok(want.some((s) => s > 0));
  let prev = src;
  for (const name of ['again.nir', 'again.snn.onnx', 'back.nir']) {
    const out = join(dir, name);
    const r = await cli('convert', prev, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 spiking layers/);
    assert.deepEqual(spikes(await loadModel(out)), want, name);
    prev = out;
  }
  // Rewriting snnc's own NIR file gives the same bytes (deterministic, nothing drifts).
  assert.equal((await cli('convert', join(dir, 'again.nir'), '-o', join(dir, 'again2.nir'))).code, 0);
  assert.deepEqual(readFileSync(join(dir, 'again2.nir')), readFileSync(join(dir, 'again.nir')));
});

it('--nir-dt reads a per-step file; a bad value exits 2', async () => {
  const { nodes, edges } = tinyAffineLif();
  const file = join(dir, 'tiny.nir');
  writeFileSync(file, await handNir(nodes, edges));
  const ok = await cli('convert', file, '--nir-dt', '1e-4', '-o', join(dir, 'tiny2.nir'));
  assert.equal(ok.code, 0, ok.err);
  const bad = await cli('convert', file, '--nir-dt', '-3', '-o', join(dir, 'tiny3.nir'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /SNNC_E_USAGE/);
});
