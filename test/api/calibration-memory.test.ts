// Issue #18 item 7: a deep Relu/Add chain took 2.1–2.6 GB in `convert` (its 5,000-node form)
// because calibration kept every activation alive, and the per-channel percentile histograms
// grew with depth (sites × channels × 4,096 bins). Now each activation is read as it is
// computed and freed after its last consumer, and the histograms stay under a fixed budget;
// --max-memory stops a run that still grows too large with SNNC_E_LIMIT, writing nothing.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { buildGraph } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/types.js';
import { convertModel } from '../../src/api/convert.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { cli } from '../helpers/cli.js';

/** x[N,784] → (Relu → Add c) × depth, as the chain (c a scalar, as `h + 0.001`). */
function chain(depth: number): Graph {
  const nodes: NodeSpec[] = [];
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    nodes.push({ op: 'Relu', name: `relu${i}`, inputs: [prev], outputs: [`r${i}`] });
    nodes.push({ op: 'Add', name: `add${i}`, inputs: [`r${i}`, 'c'], outputs: [`h${i}`] });
    prev = `h${i}`;
  }
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 784] }],
    initializers: { c: { dtype: 'float32', shape: [1], data: new Float32Array([0.001]) } },
    nodes,
    outputs: [prev],
  });
}

it('converting a 1,000-node chain per channel peaks far below the 6 GB its histograms used to take', () => {
  // 500 sites × 784 channels × 4,096 bins × 4 B = 6.4 GB of counters before the fix.
  const r = convertModel(chain(500), { calibSamples: 64, granularity: 'channel' });
  assert.equal(r.graph.nodes.filter((n) => n.op === 'IF').length, 500);
  const peakMb = resourceUsage().maxRSS / 1024;
  assert.ok(peakMb < 1200, `peak RSS ${peakMb.toFixed(0)} MB`);
});

it('--max-memory below what the run needs exits 2 with SNNC_E_LIMIT and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-mem-'));
  const model = join(dir, 'chain.onnx');
  writeFileSync(model, exportOnnx(chain(20)));
  const out = join(dir, 'out.snn.onnx');
  const r = await cli('convert', model, '--calib-samples', '64', '--max-memory', '1MB', '-o', out);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /SNNC_E_LIMIT/);
  assert.match(r.err, /over the limit of 1 MB/);
  assert.ok(!existsSync(out));
  const bad = await cli('convert', model, '--max-memory', 'lots', '-o', out);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /SNNC_E_USAGE.*--max-memory/);
  const ok = await cli('convert', model, '--calib-samples', '64', '--max-memory', '4GB', '-o', out);
  assert.equal(ok.code, 0, ok.err);
  assert.ok(existsSync(out));
});
