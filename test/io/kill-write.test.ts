// Issue #18: a compile killed (SIGKILL) at any point of its write phase leaves the output
// folder holding the complete old output or the complete new one, and the next write leaves
// no temp folder or lock behind. The kill points are the write's file-system steps
// (SNNC_FAULT_KILL_AT=k kills the process just before its k-th change; see src/io/atomic.ts),
// 20 spread over the file writes plus every step of the final swap, from before the temp folder to after the swap.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_MARKER, probeOutput, releaseOutputs, writeDirAtomic } from '../../src/io/atomic.js';
import { ROOT } from '../helpers/paths.js';
import { fileTree, sameTree } from '../helpers/tree.js';

const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MODEL = join(ROOT, 'examples', 'mlp.onnx');

function compile(out: string, T: string, killAt?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((done) => {
    const env = { ...process.env, ...(killAt !== undefined ? { SNNC_FAULT_KILL_AT: String(killAt) } : {}) };
    const p = spawn(process.execPath, [MAIN, 'compile', MODEL, '--target', 'fpga', '--n', '20', '--T', T, '-o', out, '--quiet'], { env, stdio: 'ignore' });
    p.on('exit', (code, signal) => done({ code, signal }));
  });
}

it('a compile killed at 25 points of its write phase leaves the whole old or the whole new output', async () => {
  const root = mkdtempSync(join(tmpdir(), 'snnc-kill-'));
  mkdirSync(join(root, 'old'));
  mkdirSync(join(root, 'new'));
  assert.equal((await compile(join(root, 'old', 'out'), '8')).code, 0);
  assert.equal((await compile(join(root, 'new', 'out'), '4')).code, 0);
  const oldTree = fileTree(join(root, 'old', 'out'));
  const newTree = fileTree(join(root, 'new', 'out'));
  assert.ok(!sameTree(oldTree, newTree), 'the two outputs must differ for the test to tell them apart');
  // Steps: parent mkdir, tmp rm, tmp mkdir, 2 per file, marker, 3 for the swap.
  const steps = 3 + 2 * (newTree.size - 1) + 1 + 3;
  // 20 points spread over the file writes, then every step of the swap and one past the end.
  const spread = Array.from({ length: 20 }, (_, i) => 1 + Math.round((i * (steps - 5)) / 19));
  const points = [...new Set([...spread, steps - 3, steps - 2, steps - 1, steps, steps + 1])];
  assert.ok(points.length >= 20, `${points.length} kill points`);
  let sawOld = 0;
  let sawNew = 0;
  let sawAside = 0;
  const runs = points.map((k) => async (): Promise<void> => {
    const dir = join(root, `k${k}`);
    const out = join(dir, 'out');
    cpSync(join(root, 'old', 'out'), out, { recursive: true });
    const r = await compile(out, '4', k);
    if (k <= steps) assert.equal(r.signal, 'SIGKILL', `kill point ${k} of ${steps} was not reached`);
    const left = readdirSync(dir);
    if (existsSync(out)) {
      const t = fileTree(out);
      assert.ok(sameTree(t, oldTree) || sameTree(t, newTree), `kill point ${k}: the output is neither the old nor the new one`);
      if (sameTree(t, newTree)) sawNew++;
      else sawOld++;
    } else {
      // Killed between moving the old output aside and moving the new one in: the old one is
      // complete beside it, and the next write puts it back first.
      const aside = left.filter((n) => n.endsWith('-old'));
      assert.equal(aside.length, 1, `kill point ${k}: no output and no old output aside (${left.join(', ')})`);
      assert.ok(sameTree(fileTree(join(dir, aside[0] as string)), oldTree), `kill point ${k}: the output set aside is not the complete old one`);
      sawAside++;
    }
    // The next write (as any snnc command writing this output would do it) cleans up.
    probeOutput(out);
    writeDirAtomic(
      out,
      [...newTree].filter(([p]) => p !== OUTPUT_MARKER).map(([path, data]) => ({ path, data })),
    );
    releaseOutputs();
    assert.deepEqual(readdirSync(dir), ['out'], `kill point ${k}: litter after the next write`);
    assert.ok(sameTree(fileTree(out), newTree));
  });
  // Two at a time: the machine has two cores.
  for (let i = 0; i < runs.length; i += 2) await Promise.all(runs.slice(i, i + 2).map((run) => run()));
  assert.ok(sawOld > 0 && sawNew > 0 && sawAside === 1, `old ${sawOld}, new ${sawNew}, set aside ${sawAside}`);
});
