// The cluster recipes in docs/recipes run as written: the Slurm array-task and merge scripts
// (with the array index a real array task would get), the Kubernetes Indexed Job's shard and
// merge commands (with each pod's JOB_COMPLETION_INDEX), and the Slurm submit script against a
// stand-in `sbatch`. Each way must write exactly what one unsharded `snnc explore` writes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES, ROOT } from '../helpers/paths.js';

const RECIPES = join(ROOT, 'docs', 'recipes');
const CLI = `${process.execPath} ${join(ROOT, 'dist', 'src', 'cli', 'main.js')}`;
const SHARDS = 3;
const SWEEP = '--bits 4..6 --rounding nearest --T 4 --n 30 --calib-samples 64';
const FILES = ['explore.json', 'explore.csv', 'explore.svg'];

function run(shell: string, args: readonly string[], env: Record<string, string>): void {
  const r = spawnSync(shell, args, {
    env: { ...process.env, SNNC: CLI, MODEL: join(EXAMPLES, 'mlp.onnx'), SHARDS: String(SHARDS), EXPLORE_ARGS: SWEEP, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${shell} ${args.join(' ')}\n${r.stderr}`);
}

/** The shell command of a Job's container (the line under `args:`). */
function jobCommand(file: string): string {
  const lines = readFileSync(join(RECIPES, file), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.trim() === 'args:');
  const cmd = /^\s*- (.*)$/.exec(lines[at + 1] ?? '')?.[1];
  assert.ok(cmd !== undefined, `${file}: no command under args:`);
  return cmd;
}

function sameFiles(a: string, b: string, what: string): void {
  for (const f of FILES) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${what}: ${f} differs from the unsharded run`);
}

it('the Slurm and Kubernetes recipes shard and merge into exactly the unsharded sweep', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-recipes-'));
  const whole = join(dir, 'whole');
  run('bash', ['-c', `$SNNC explore "$MODEL" $EXPLORE_ARGS -o ${whole} --quiet`], {});

  // Slurm: each array task runs the shard script with its SLURM_ARRAY_TASK_ID, then the merge.
  const slurm = join(dir, 'slurm');
  for (let i = 1; i <= SHARDS; i++)
    run('bash', [join(RECIPES, 'explore-shard.sbatch')], { OUT: slurm, SLURM_ARRAY_TASK_ID: String(i), SLURM_CPUS_PER_TASK: '1' });
  run('bash', [join(RECIPES, 'explore-merge.sbatch')], { OUT: slurm });
  sameFiles(join(slurm, 'merged'), whole, 'slurm');

  // Kubernetes: every pod runs the Job's command with its 0-based JOB_COMPLETION_INDEX.
  const k8s = join(dir, 'k8s');
  const shard = jobCommand('explore-k8s.yaml');
  for (let i = 0; i < SHARDS; i++) run('sh', ['-c', shard], { OUT: k8s, JOB_COMPLETION_INDEX: String(i) });
  run('sh', ['-c', jobCommand('explore-k8s-merge.yaml')], { OUT: k8s });
  sameFiles(join(k8s, 'merged'), whole, 'kubernetes');
});

it('the Kubernetes Job runs as many pods as it has shards; the Slurm submit script chains the merge after the array', () => {
  const job = readFileSync(join(RECIPES, 'explore-k8s.yaml'), 'utf8');
  const shards = /name: SHARDS, value: "(\d+)"/.exec(job)?.[1];
  assert.equal(/completions: (\d+)/.exec(job)?.[1], shards);
  assert.equal(/parallelism: (\d+)/.exec(job)?.[1], shards);
  assert.equal(/name: SHARDS, value: "(\d+)"/.exec(readFileSync(join(RECIPES, 'explore-k8s-merge.yaml'), 'utf8'))?.[1], shards);
  // A stand-in sbatch that logs its arguments and answers with a job id.
  const bin = mkdtempSync(join(tmpdir(), 'snnc-sbatch-'));
  const log = join(bin, 'calls.txt');
  writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "$*" >> ${log}\necho 4242\n`);
  chmodSync(join(bin, 'sbatch'), 0o755);
  run('bash', [join(RECIPES, 'explore-slurm.sh')], { OUT: join(bin, 'out'), PATH: `${bin}:${process.env['PATH'] ?? ''}` });
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(calls.length, 2);
  assert.match(calls[0] ?? '', new RegExp(`--parsable --array=1-${SHARDS} .*explore-shard\\.sbatch$`));
  assert.match(calls[1] ?? '', /--dependency=afterok:4242 .*explore-merge\.sbatch$/);
});
