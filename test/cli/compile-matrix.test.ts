// Every bundled example compiles for every bundled target without an internal error, and twice
// gives byte-identical files; a target may only be unavailable for a reason it names. Also regressions of the seams between
// simulator, backends and cost models (issue #13's bugs 3 and 4).
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompileReport } from '../../src/report/types.js';
import { DIAGNOSTIC_CODES } from '../../src/errors.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';
import { fileTree } from '../helpers/tree.js';
import { NO_GXX } from '../backends/fpga-util.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-matrix-'));

after(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--n', '40', '--hw-samples', '4', '--T', '8', '--calib-samples', '64'];

// The reasons a bundled target may give today (each names the node and what the hardware lacks).
const ALLOWED: readonly [string, string, RegExp][] = [
  ['cnn-bn', 'loihi', /max pooling has no netx layer/],
  ['resnet-tiny', 'loihi', /the graph branches \(netx has no merge layers/],
];

for (const model of ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny']) {
  it(`${model} × --target all: exit 0, every target ok or unavailable with its reason`, async () => {
    const out = join(dir, model);
    const r = await cli('compile', join(EXAMPLES, `${model}.onnx`), '--target', 'all', ...FAST, '-o', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompileReport;
    assert.equal(report.targets.length, 5, 'five SNN targets');
    // Every code the compile emitted is documented (docs/errors.md is generated from this table).
    for (const d of report.diagnostics) assert.ok(d.code in DIAGNOSTIC_CODES, `${d.code} is not in DIAGNOSTIC_CODES`);
    // Loihi's own conversion (reset to zero, v > θ) runs only for a network netx can take: one
    // it cannot (max pooling, branches) is refused on the default conversion first.
    assert.equal(
      report.diagnostics.some((d) => d.code === 'SNNC_I_LOIHI_SEMANTICS'),
      report.targets.some((t) => t.kind === 'loihi' && t.status === 'ok'),
      'the Loihi conversion note appears exactly when Loihi is available',
    );
    for (const t of report.targets) {
      if (t.status === 'ok') continue;
      const why = ALLOWED.find(([m, k, re]) => m === model && t.kind === k && re.test(t.note ?? ''));
      assert.ok(why !== undefined, `${model} on ${t.target} is unavailable: ${t.note ?? '(no reason)'}`);
    }
    // Deterministic: the same compile again gives the same bytes in every file (issue #18).
    const again = join(dir, `${model}-again`);
    assert.equal((await cli('compile', join(EXAMPLES, `${model}.onnx`), '--target', 'all', ...FAST, '-o', again, '--quiet')).code, 0);
    const a = fileTree(out);
    const b = fileTree(again);
    assert.deepEqual([...b.keys()], [...a.keys()], 'same files');
    for (const [file, bytes] of a) assert.ok(bytes.equals(b.get(file) as Buffer), `${model}: ${file} differs between two compiles`);
  });
}

it('a network with max pooling costs on the FPGA (its max-pool layer has an activity record)', async () => {
  const r = await cli('compile', join(EXAMPLES, 'cnn-bn.onnx'), '--target', 'fpga', ...FAST, '-o', join(dir, 'cnn-fpga'), '--json');
  assert.equal(r.code, 0, r.err);
  const report = (JSON.parse(r.out) as { report: CompileReport }).report;
  const fpga = report.targets.find((t) => t.target === 'fpga');
  assert.equal(fpga?.status, 'ok');
  assert.ok(
    fpga?.layers.some((l) => l.name === 'pool1'),
    'pool1 is costed',
  );
});

it('a residual net converted per layer costs on the FPGA (its add layer has an activity record; found by the fuzzer)', async () => {
  const r = await cli(
    'compile',
    join(EXAMPLES, 'resnet-tiny.onnx'),
    '--target',
    'fpga',
    '--granularity',
    'layer',
    ...FAST,
    '-o',
    join(dir, 'res-fpga'),
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const fpga = (JSON.parse(r.out) as { report: CompileReport }).report.targets.find((t) => t.target === 'fpga');
  assert.equal(fpga?.status, 'ok');
  assert.ok(
    fpga?.layers.some((l) => l.name === 'block1_out'),
    'the residual sum layer is costed',
  );
});

it('--csim runs in the folder of a custom FPGA target file, named after it', { skip: NO_GXX }, async () => {
  const t = JSON.parse(readFileSync(join(ROOT, 'targets', 'fpga.json'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, 'myboard.json');
  writeFileSync(file, JSON.stringify({ ...t, name: 'myboard' }));
  const out = join(dir, 'custom');
  const r = await cli('compile', join(EXAMPLES, 'mlp.onnx'), '--target', file, ...FAST, '--csim', '-o', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /myboard C-simulation \(g\+\+\): bit-exact/);
  const none = await cli('compile', join(EXAMPLES, 'mlp.onnx'), '--target', 'imc-hpadc', ...FAST, '--csim', '-o', join(dir, 'no-fpga'));
  assert.equal(none.code, 2);
  assert.match(none.err, /--csim needs an FPGA target/);
});

it('compile reads back the program snnc quantize stored: 4-bit weights are emitted and costed as 4-bit', async () => {
  const q = join(dir, 'q4.snn.onnx');
  assert.equal((await cli('quantize', join(EXAMPLES, 'lenet.onnx'), '--bits', 'w=4,th=8', '--calib-samples', '64', '-o', q, '--quiet')).code, 0);
  const out = join(dir, 'q4');
  const r = await cli('compile', q, '--target', 'fpga', ...FAST, '-o', out, '--json');
  assert.equal(r.code, 0, r.err);
  const header = readFileSync(join(out, 'fpga', 'lenet_weights.h'), 'utf8');
  const widths = [...header.matchAll(/\/\/ weights \[[^\]]*\], (\d+)-bit/g)].map((m) => Number(m[1]));
  assert.ok(widths.length >= 4 && widths.every((w) => w === 4), `weight widths ${widths.join(', ')}`);
  // The same model compiled from the ANN (default 8 bits) needs more BRAM bits: the cost model saw the difference.
  const r8 = await cli('compile', join(EXAMPLES, 'lenet.onnx'), '--target', 'fpga', ...FAST, '-o', join(dir, 'q8'), '--json');
  const bram = (s: string): number =>
    Number((JSON.parse(s) as { report: CompileReport }).report.targets.find((t) => t.target === 'fpga')?.resources?.['bram36'] ?? NaN);
  assert.ok(bram(r.out) < bram(r8.out), `4-bit BRAM ${bram(r.out)} < 8-bit ${bram(r8.out)}`);
});

it('compile --calib synthetic works for IMC targets (the sense amplifiers are fitted on the synthetic images)', async () => {
  const r = await cli(
    'compile',
    join(EXAMPLES, 'mlp.onnx'),
    '--calib',
    'synthetic',
    '--calib-samples',
    '32',
    '--target',
    'imc-adcless',
    ...FAST,
    '-o',
    join(dir, 'syn'),
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const report = (JSON.parse(r.out) as { report: CompileReport }).report;
  const row = report.targets.find((t) => t.target === 'imc-adcless');
  assert.equal(row?.status, 'ok');
  // simulate --target takes the same synthetic images for the references and the choice of granularity.
  const note = report.diagnostics.find((d) => d.code === 'SNNC_I_THRESHOLD_GRANULARITY')?.message ?? '';
  const s = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--calib', 'synthetic', '--calib-samples', '32', '--target', 'imc-adcless', ...FAST, '--json');
  assert.equal(s.code, 0, s.err);
  const h = (
    JSON.parse(s.out) as {
      hardware: {
        granularity: { granularity: string; layer: number; channel: number; images: number; onlyLayer: number; onlyChannel: number };
        rows: { hardware: number }[];
      };
    }
  ).hardware;
  const pct = (a: number): string => `${(100 * a).toFixed(1)} %`;
  assert.ok(
    note.includes(
      `one threshold per ${h.granularity.granularity} (its simulation on the ${h.granularity.images} calibration images at T=8: ${pct(h.granularity.layer)} per layer, ${pct(h.granularity.channel)} per channel; ${h.granularity.onlyLayer} read right only per layer, ${h.granularity.onlyChannel} only per channel`,
    ),
    note,
  );
  assert.equal(h.rows[0]?.hardware, row?.accuracy);
});
