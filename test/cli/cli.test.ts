// The CLI as a user meets it: exit codes, help, JSON output, and errors without stack traces.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorFile } from '../../src/frontend/onnx/tensor.js';
import { loadNpy } from '../../src/data/npy.js';
import { writeNpz } from '../../src/data/npz.js';
import { compareTensors } from '../helpers/compare.js';
import { CORPUS, HAVE_CORPUS, EXAMPLES, ROOT } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'snnc-cli-'));

describe('snnc (in process)', () => {
  it('--help lists the commands; help <cmd> shows options and examples', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /inspect/);
    assert.match(r.out, /run/);
    const h = await cli('help', 'run');
    assert.match(h.out, /--output-dir/);
    assert.match(h.out, /Examples:/);
    assert.equal((await cli('run', '--help')).out, h.out);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await cli('--version')).out.trim(), pkg.version);
  });

  it('inspect --json reports the LeNet example with hand-checked totals', async () => {
    const r = await cli('inspect', join(EXAMPLES, 'lenet.onnx'), '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { inputs: { shape: unknown[] }[]; totals: { params: number; macsPerSample: number } };
    assert.deepEqual(j.inputs[0]?.shape, ['N', 1, 28, 28]);
    // conv1 6·1·5·5+6 = 156, conv2 16·6·25+16 = 2416, fc 400·120+120, 120·84+84, 84·10+10
    assert.equal(j.totals.params, 156 + 2416 + 48120 + 10164 + 850);
    // conv1 6·28·28·25 = 117600, conv2 16·10·10·150 = 240000, fc 48000 + 10080 + 840
    assert.equal(j.totals.macsPerSample, 117600 + 240000 + 48000 + 10080 + 840);
  });

  it('unknown command, missing file and bad flags exit 2 with a code and no stack', async () => {
    for (const argv of [['frobnicate'], ['inspect', 'no-such.onnx'], ['inspect'], ['run', 'x.onnx', '--bogus'], ['inspect', join(ROOT, 'package.json')]]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /SNNC_E_[A-Z_]+/);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
  });

  it('--json errors are machine-readable on stdout', async () => {
    const r = await cli('inspect', 'no-such.onnx', '--json');
    assert.equal(r.code, 2);
    const j = JSON.parse(r.out) as { error: { code: string; file: string } };
    assert.equal(j.error.code, 'SNNC_E_IO');
    assert.equal(j.error.file, 'no-such.onnx');
  });

  it('garbage model bytes give SNNC_E_ONNX_PARSE', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.onnx'), Buffer.from('this is not a protobuf at all \x00\xff\xfe'));
    const r = await cli('inspect', join(d, 'bad.onnx'));
    assert.equal(r.code, 2);
    assert.match(r.err, /SNNC_E_ONNX_(PARSE|INVALID)/);
  });
});

describe('snnc run', { skip: HAVE_CORPUS ? false : `corpus not found at ${CORPUS}` }, () => {
  const caseDir = join(CORPUS, 'onnx-pytorch-converted', 'test_Conv2d_groups');
  it('writes outputs equal to the corpus expected output (.pb and .npy)', async () => {
    const out = join(tmp(), 'out');
    const r = await cli('run', join(caseDir, 'model.onnx'), '--input', `0=${join(caseDir, 'test_data_set_0', 'input_0.pb')}`, '-o', out, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { outputs: { name: string; file: string }[] };
    assert.equal(j.outputs.length, 1);
    const want = readTensorFile(join(caseDir, 'test_data_set_0', 'output_0.pb')).tensor;
    assert.equal(compareTensors(readTensorFile(join(out, 'output_0.pb')).tensor, want), undefined);
    assert.equal(compareTensors(loadNpy(join(out, 'output_0.npy')), want), undefined);
  });

  it('refuses a folder it did not write unless --force, and names a wrong input', async () => {
    const d = tmp();
    const out = join(d, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'precious.txt'), 'keep me');
    const input = `0=${join(caseDir, 'test_data_set_0', 'input_0.pb')}`;
    const r = await cli('run', join(caseDir, 'model.onnx'), '-i', input, '-o', out);
    assert.equal(r.code, 2);
    assert.match(r.err, /SNNC_E_OUTPUT_EXISTS/);
    assert.ok(existsSync(join(out, 'precious.txt')));
    const wrong = await cli('run', join(caseDir, 'model.onnx'), '-i', `nope=${join(caseDir, 'test_data_set_0', 'input_0.pb')}`, '-o', join(d, 'o2'));
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /SNNC_E_INPUT_MISMATCH/);
    const missing = await cli('run', join(caseDir, 'model.onnx'), '-o', join(d, 'o3'));
    assert.match(missing.err, /SNNC_E_INPUT_MISSING/);
    const shape = await cli(
      'run',
      join(caseDir, 'model.onnx'),
      '-i',
      `0=${join(CORPUS, 'onnx-node', 'test_relu', 'test_data_set_0', 'input_0.pb')}`,
      '-o',
      join(d, 'o4'),
    );
    assert.equal(shape.code, 2);
    assert.match(shape.err, /SNNC_E_INPUT_MISMATCH/);
  });
});

describe('snnc binary', () => {
  const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  it('exits 2 on user error and 0 on success as a real process', { skip: existsSync(bin) ? false : 'dist not built' }, () => {
    const bad = spawnSync(process.execPath, [bin, 'inspect', 'missing.onnx'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error SNNC_E_IO/);
    const ok = spawnSync(process.execPath, [bin, 'inspect', join(EXAMPLES, 'mlp.onnx')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Gemm/);
  });

  it(
    'every package.json bin runs as a program (shebang + executable bit, as npx snnc needs)',
    { skip: process.platform === 'win32' ? 'no exec bits on Windows' : false },
    () => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
      for (const rel of Object.values(pkg.bin)) {
        // executed directly, not through node: what npm's bin link does
        const r = spawnSync(join(ROOT, rel), ['--version'], { encoding: 'utf8' });
        assert.equal(r.error, undefined, `${rel}: ${String(r.error)}`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), pkg.version);
      }
    },
  );
});

describe('snnc verify', () => {
  it('rejects a non-HDF5 .net without library noise, and passes a converted model', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.net'), 'garbage');
    const r = await cli('verify', join(d, 'bad.net'));
    assert.equal(r.code, 2);
    assert.match(r.err, /SNNC_E_BACKEND/);
    assert.doesNotMatch(r.err, /HDF5-DIAG/);
    const ok = await cli('verify', join(EXAMPLES, 'mlp.onnx'), '--json');
    assert.equal(ok.code, 0, ok.err);
    assert.equal((JSON.parse(ok.out) as { ok: boolean }).ok, true);
  });
});

describe('snnc simulate and convert: bad input', () => {
  it('rejects T ≤ 0, absurd T, non-numbers, and a model that cannot take MNIST images', async () => {
    for (const T of ['0', '-4', '1000000', 'abc', '8,,16']) {
      const r = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--T', T, '--n', '4');
      assert.equal(r.code, 2, `--T ${T}`);
      assert.match(r.err, /SNNC_E_USAGE/);
    }
    if (HAVE_CORPUS) {
      const conv = await cli('simulate', join(CORPUS, 'onnx-pytorch-converted', 'test_Conv2d', 'model.onnx'), '--T', '4', '--n', '4');
      assert.equal(conv.code, 2);
      assert.match(conv.err, /SNNC_E_INPUT_MISMATCH|SNNC_E_CONVERT/);
    }
  });

  it('rejects a calibration file with the wrong shape, a method typo, and an empty dataset', async () => {
    const d = tmp();
    const npz = (n: number, per: number) =>
      writeNpz({ x: { dtype: 'float32', shape: [n, per], data: new Float32Array(n * per) }, y: { dtype: 'int64', shape: [n], data: new BigInt64Array(n) } });
    writeFileSync(join(d, 'wrong.npz'), npz(4, 100));
    const wrong = await cli('convert', join(EXAMPLES, 'mlp.onnx'), '--calib', join(d, 'wrong.npz'), '-o', join(d, 'm.snn.onnx'));
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /SNNC_E_INPUT_MISMATCH|SNNC_E_CALIBRATION/);
    const typo = await cli('convert', join(EXAMPLES, 'mlp.onnx'), '--method', 'percentil:99', '-o', join(d, 'm.snn.onnx'));
    assert.equal(typo.code, 2);
    assert.match(typo.err, /SNNC_E_USAGE/);
    writeFileSync(join(d, 'empty.npz'), npz(0, 784));
    const empty = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--dataset', join(d, 'empty.npz'), '--T', '4');
    assert.equal(empty.code, 2);
    assert.match(empty.err, /SNNC_E_DATASET/);
  });
});

describe('snnc simulate --target (IMC)', () => {
  it('reports crossbar accuracy with noise as mean ± std over seeds, reproducibly', async () => {
    const argv = [
      'simulate',
      join(EXAMPLES, 'mlp.onnx'),
      '--n',
      '30',
      '--T',
      '8',
      '--calib-samples',
      '64',
      '--target',
      'imc-hpadc',
      '--noise',
      'program=1,read=0.02',
      '--seeds',
      '2',
      '--hw-samples',
      '20',
      '--json',
    ];
    const a = await cli(...argv);
    assert.equal(a.code, 0, a.err);
    const j = JSON.parse(a.out) as {
      hardware: { target: string; kind: string; seeds: number[]; rows: { T: number; runs: number[]; hardware: number; std: number }[] };
    };
    assert.equal(j.hardware.target, 'imc-hpadc');
    assert.equal(j.hardware.kind, 'imc');
    assert.deepEqual(j.hardware.seeds, [0, 1]);
    const row = j.hardware.rows[0];
    assert.equal(row?.T, 8);
    assert.equal(row.runs.length, 2);
    assert.equal(row.hardware, (row.runs[0]! + row.runs[1]!) / 2);
    assert.ok(row.hardware > 0.5, `accuracy ${row.hardware}`);
    const b = await cli(...argv);
    assert.deepEqual((JSON.parse(b.out) as typeof j).hardware.rows, j.hardware.rows, 'same seeds, same numbers');
  });

  it('--target fpga runs the integer program the design runs: its column equals the integer SNN at every T', async () => {
    const r = await cli(
      'simulate',
      join(EXAMPLES, 'mlp.onnx'),
      '--n',
      '20',
      '--T',
      '4,8',
      '--calib-samples',
      '64',
      '--target',
      'fpga',
      '--hw-samples',
      '20',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const h = (JSON.parse(r.out) as { hardware: { kind: string; samples: number; rows: { T: number; int: number; hardware: number }[] } }).hardware;
    assert.equal(h.kind, 'fpga');
    assert.equal(h.samples, 20);
    assert.deepEqual(
      h.rows.map((x) => x.T),
      [4, 8],
    );
    for (const x of h.rows) assert.equal(x.hardware, x.int, `T=${x.T}`);
  });

  it('a T below the largest is its own run where the hardware is fitted per T (sense amplifiers), and the FPGA runs the stored program', async () => {
    const rowsOf = async (...extra: string[]): Promise<{ T: number; int: number; hardware: number }[]> => {
      const r = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--n', '20', '--calib-samples', '64', '--hw-samples', '20', '--json', ...extra);
      assert.equal(r.code, 0, r.err);
      return (JSON.parse(r.out) as { hardware: { rows: { T: number; int: number; hardware: number }[] } }).hardware.rows;
    };
    // Sense-amplifier references are fitted on runs of T steps: T=4 next to T=8 is the T=4 run
    // (of one network: the target chooses its thresholds' granularity at the largest T, so named here).
    const both = await rowsOf('--T', '4,8', '--target', 'imc-adcless', '--granularity', 'layer');
    const alone = await rowsOf('--T', '4', '--target', 'imc-adcless', '--granularity', 'layer');
    assert.equal(both[0]?.hardware, alone[0]?.hardware);
    // A model quantized by `snnc quantize`: the FPGA column and the integer column run its stored program, as --int does.
    const q = join(tmp(), 'q2.snn.onnx');
    const qr = await cli('quantize', join(EXAMPLES, 'mlp.onnx'), '--bits', 'w=2,th=4', '--calib-samples', '64', '-o', q);
    assert.equal(qr.code, 0, qr.err);
    const r = await cli('simulate', q, '--n', '50', '--T', '8', '--hw-samples', '50', '--int', '--target', 'fpga', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { int: { rows: { accuracy: number }[] }; hardware: { rows: { int: number; hardware: number }[] } };
    assert.equal(j.hardware.rows[0]?.hardware, j.int.rows[0]?.accuracy);
    assert.equal(j.hardware.rows[0]?.int, j.int.rows[0]?.accuracy);
  });

  it('rejects a target it cannot simulate, a noise typo, and noise without a target before simulating', async () => {
    for (const extra of [
      ['--target', 'cpu-ann'],
      ['--target', 'fpga', '--noise', 'read=0.1'],
      ['--target', 'imc-adcless', '--noise', 'reed=0.1'],
      ['--noise', 'read=0.1'],
    ]) {
      const r = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--n', '4', '--T', '4', ...extra);
      assert.equal(r.code, 2, extra.join(' '));
      assert.match(r.err, /SNNC_E_USAGE/);
    }
  });
});
