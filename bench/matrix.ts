// The deployment matrix: every example, every zoo model (test/zoo) and two CIFAR-shape
// networks (bench/models/cifar.ts: ResNet-18 and VGG-16, random weights, fixed seeds) through
// `snnc compile --target all`, each in its own process: exit code, status and accuracy per
// target, wall time and peak resident memory (VmHWM from /proc, polled) →
// bench/results/matrix.json and a Markdown table on stdout (the README's).
//
//   npm run bench:matrix [-- --only resnet18,lenet]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, projectRoot, resultsDir, writeResult } from './harness.js';
import { randomCifarNpz, resnet18, vgg16 } from './models/cifar.js';
import { zooModels } from '../test/zoo/models.js';

const SMALL = ['--n', '200', '--hw-samples', '50', '--T', '16', '--calib-samples', '256'];

interface Row {
  readonly model: string;
  readonly kind: 'example' | 'zoo' | 'cifar';
  readonly params?: number;
  readonly exit: number;
  readonly seconds: number;
  readonly peakMb: number;
  readonly targets: readonly { readonly target: string; readonly status: string; readonly accuracy: number | null; readonly note?: string }[];
  readonly error?: string;
}

function peakOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Run the CLI in a child process; resolve with its exit code, output, seconds and peak MB. */
function runCli(args: readonly string[]): Promise<{ code: number; out: string; err: string; seconds: number; peakMb: number }> {
  const main = join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
  const t0 = performance.now();
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let peak = 0;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const poll = setInterval(() => {
    peak = Math.max(peak, peakOf(child.pid ?? 0));
  }, 100);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code: code ?? -1, out, err, seconds: (performance.now() - t0) / 1000, peakMb: peak });
    });
  });
}

export async function runMatrixBench(only?: readonly string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-matrix-bench-'));
  try {
    const cifarData = join(dir, 'cifar-random.npz');
    writeFileSync(cifarData, randomCifarNpz(64));
    const cifar = ['--n', '8', '--T', '16', '--dataset', cifarData, '--calib', cifarData, '--calib-samples', '64'];
    const jobs: { model: string; kind: Row['kind']; file: string; args: readonly string[]; params?: number }[] = [];
    for (const e of ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny'])
      jobs.push({ model: e, kind: 'example', file: join(projectRoot(), 'examples', `${e}.onnx`), args: SMALL });
    for (const z of zooModels()) {
      const file = join(dir, `${z.name}.onnx`);
      writeFileSync(file, z.bytes);
      jobs.push({ model: z.name, kind: 'zoo', file, args: SMALL });
    }
    for (const [name, make] of [
      ['resnet18', resnet18],
      ['vgg16', vgg16],
    ] as const) {
      if (only !== undefined && !only.includes(name)) continue;
      const m = make();
      const file = join(dir, `${name}.onnx`);
      writeFileSync(file, m.bytes);
      jobs.push({ model: name, kind: 'cifar', file, args: cifar, params: m.params });
    }
    const rows: Row[] = [];
    for (const j of jobs.filter((x) => only === undefined || only.includes(x.model))) {
      const out = join(dir, `out-${j.model}`);
      const r = await runCli(['compile', j.file, '--target', 'all', ...j.args, '-o', out, '--json']);
      let targets: Row['targets'] = [];
      if (r.code === 0) {
        const rep = (JSON.parse(r.out) as { report: { targets: { target: string; status: string; accuracy: number | null; note?: string }[] } }).report;
        targets = rep.targets.map((t) => ({
          target: t.target,
          status: t.status,
          accuracy: t.accuracy,
          ...(t.status !== 'ok' && t.note !== undefined ? { note: t.note } : {}),
        }));
      }
      const row: Row = {
        model: j.model,
        kind: j.kind,
        ...(j.params !== undefined ? { params: j.params } : {}),
        exit: r.code,
        seconds: Number(r.seconds.toFixed(1)),
        peakMb: Math.round(r.peakMb),
        targets,
        ...(r.code !== 0 ? { error: r.err.split('\n')[0] ?? '' } : {}),
      };
      rows.push(row);
      // Written after every model (a long run that stops keeps what it measured); with --only,
      // the other models' rows of the last full run stay.
      save(rows, only !== undefined);
      console.log(`${j.model}: exit ${r.code}, ${row.seconds} s, ${row.peakMb} MB, ${targets.map((t) => `${t.target} ${t.status}`).join(', ')}`);
      rmSync(out, { recursive: true, force: true });
    }
    console.log(table(save(rows, only !== undefined)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SETTINGS = { small: SMALL.join(' '), cifar: '--n 8 --T 16 (hardware samples: the default for their size, 1 and 3), random CIFAR-shape data (64 images)' };

/** Write matrix.json; `merge` keeps the rows of models not measured in this run. */
function save(rows: readonly Row[], merge: boolean): Row[] {
  let all = [...rows];
  const file = join(resultsDir(), 'matrix.json');
  if (merge && existsSync(file)) {
    const old = (JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }).rows;
    const order = old.map((r) => r.model);
    all = [...old.filter((r) => !rows.some((n) => n.model === r.model)), ...rows].sort(
      (a, b) => (order.indexOf(a.model) + 1 || 1e9) - (order.indexOf(b.model) + 1 || 1e9),
    );
  }
  writeResult('matrix', { machine: machine(), settings: SETTINGS, rows: all });
  return all;
}

/** The README table: one row per model, one column per target (accuracy, or why not). */
export function table(rows: readonly Row[]): string {
  const targets = [...new Set(rows.flatMap((r) => r.targets.map((t) => t.target)))];
  const cell = (r: Row, name: string): string => {
    const t = r.targets.find((x) => x.target === name);
    if (t === undefined) return r.exit === 0 ? '' : `exit ${r.exit}`;
    if (t.status !== 'ok') return 'n/a';
    return r.kind === 'cifar' ? 'ok' : t.accuracy === null ? 'ok' : `${(100 * t.accuracy).toFixed(0)} %`;
  };
  const head = `| model | ${targets.join(' | ')} | time | peak RSS |`;
  const sep = `|${' --- |'.repeat(targets.length + 3)}`;
  const lines = rows.map((r) => `| ${r.model} | ${targets.map((t) => cell(r, t)).join(' | ')} | ${r.seconds} s | ${r.peakMb} MB |`);
  return [head, sep, ...lines].join('\n');
}

if (process.argv[1]?.endsWith('matrix.js') === true) {
  const i = process.argv.indexOf('--only');
  await runMatrixBench(i > 0 ? (process.argv[i + 1] ?? '').split(',') : undefined);
}
