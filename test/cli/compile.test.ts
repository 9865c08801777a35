// The main job end to end on the bundled LeNet (few samples and steps to stay fast):
// every report file is written, report.json validates against its schema, the Loihi files
// read back as netx expects, and targets without a backend say so.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateReport } from '../../src/report/schema.js';
import type { CompileReport } from '../../src/report/types.js';
import { verifyNetx } from '../../src/backends/loihi/index.js';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

it('snnc compile examples/lenet.onnx --target all writes every report', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'snnc-compile-')), 'out');
  const r = await cli('compile', join(EXAMPLES, 'lenet.onnx'), '--target', 'all', '--n', '60', '--T', '4,8', '--calib-samples', '64', '-o', out);
  assert.equal(r.code, 0, r.err);
  for (const f of [
    'report.json',
    'report.md',
    'report.html',
    'model.snn.onnx',
    'loihi2/network.net',
    'loihi2/mapping.json',
    'fpga/script.tcl',
    'imc-adcless/config.json',
  ]) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompileReport;
  validateReport(report);
  assert.equal(report.settings.samples, 60);
  assert.deepEqual(report.settings.timesteps, [4, 8]);
  const byName = new Map(report.targets.map((t) => [t.target, t]));
  const loihi = byName.get('loihi2');
  assert.equal(loihi?.status, 'ok');
  assert.ok((loihi?.energyJ ?? 0) > 0 && (loihi?.latencyS ?? 0) > 0);
  assert.equal(loihi?.timesteps, 8);
  assert.equal(byName.get('fpga')?.status, 'ok');
  // The ADC-less vs HP-ADC ratio is reported next to the seed paper's ranges.
  const hp = byName.get('imc-hpadc');
  const al = byName.get('imc-adcless');
  assert.equal(hp?.status, 'ok');
  assert.equal(al?.status, 'ok');
  const ratio = report.diagnostics.find((d) => d.code === 'SNNC_I_ADCLESS_RATIO');
  assert.ok(ratio !== undefined && ratio.message.includes('2–7×') && ratio.message.includes('8.9–24.6×'));
  assert.ok(ratio.message.includes(`${((hp?.energyJ ?? 0) / (al?.energyJ ?? 1)).toFixed(2)}× less energy`));
  assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('8.9–24.6×'));
  for (const t of report.targets) {
    if (t.status === 'unavailable') assert.ok((t.note ?? '').length > 0, `${t.target} says why it is unavailable`);
  }
  // The Loihi file is what netx reads (readback verifier), the converted model reloads.
  await verifyNetx(readFileSync(join(out, 'loihi2', 'network.net')));
  const snn = importOnnx(readFileSync(join(out, 'model.snn.onnx')));
  assert.equal(snn.meta['snnc.kind'], 'snn');
  // The HTML names the model and shows the same total energy as the JSON.
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.ok(html.includes(`data-value="${String(loihi?.energyJ)}"`), 'loihi2 energy shown in the HTML');
});

it('compile rejects a bad target name and refuses to overwrite a foreign folder', async () => {
  const bad = await cli('compile', join(EXAMPLES, 'lenet.onnx'), '--target', 'loihi9', '-o', join(tmpdir(), 'snnc-never'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /SNNC_E_TARGET/);
  const noOut = await cli('compile', join(EXAMPLES, 'lenet.onnx'));
  assert.equal(noOut.code, 2);
  assert.match(noOut.err, /SNNC_E_USAGE/);
});

it('compile --target fpga --csim compiles the emitted C++ with g++ and finds it bit-exact', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'snnc-csim-')), 'out');
  const r = await cli(
    'compile',
    join(EXAMPLES, 'mlp.onnx'),
    '--target',
    'fpga',
    '--n',
    '10',
    '--T',
    '4',
    '--calib-samples',
    '32',
    '--csim',
    '-o',
    out,
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { checks: string[] };
  const line = j.checks[0] ?? '';
  assert.ok(/bit-exact/.test(line) || /g\+\+ is not installed/.test(line), line);
});
