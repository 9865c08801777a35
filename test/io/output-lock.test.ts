// Output safety (issue #18 items 5 and 9): a second snnc writing the same output while the
// first runs gets SNNC_E_OUTPUT_BUSY; locks and temp folders of killed processes are cleaned
// on the next run, and a kill between the two renames never leaves the user without output.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { probeOutput, releaseOutputs, writeDirAtomic } from '../../src/io/atomic.js';
import { isSnncError } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { EXAMPLES } from '../helpers/paths.js';

/** The id of a process that has just ended (so it is certainly dead). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid ?? 0;
}

it("an output locked by a live process is busy (exit 2, SNNC_E_OUTPUT_BUSY); a dead owner's lock is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-lock-'));
  const out = join(dir, 'out');
  writeFileSync(join(dir, '.snnc-lock-out'), '1\n'); // pid 1 is always alive
  const r = await cli('convert', join(EXAMPLES, 'mlp.onnx'), '--calib-samples', '32', '-o', out);
  assert.equal(r.code, 2);
  assert.match(r.err, /SNNC_E_OUTPUT_BUSY/);
  assert.match(r.err, /process 1/);
  writeFileSync(join(dir, '.snnc-lock-out'), `${deadPid()}\n`);
  const ok = await cli('convert', join(EXAMPLES, 'mlp.onnx'), '--calib-samples', '32', '-o', out);
  assert.equal(ok.code, 0, ok.err);
  assert.ok(!existsSync(join(dir, '.snnc-lock-out')), 'the lock is released after the command');
});

it('within one process the lock is reentrant, and released by releaseOutputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-lock-'));
  probeOutput(join(dir, 'o'));
  probeOutput(join(dir, 'o'));
  assert.equal(readFileSync(join(dir, '.snnc-lock-o'), 'utf8').trim(), String(process.pid));
  releaseOutputs();
  assert.ok(!existsSync(join(dir, '.snnc-lock-o')));
});

it('temp folders of dead processes are removed on the next write; a live one is left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-stale-'));
  const dead = join(dir, `.snnc-tmp-out-${deadPid()}`);
  const live = join(dir, '.snnc-tmp-out-1');
  mkdirSync(dead);
  mkdirSync(live);
  writeDirAtomic(join(dir, 'out'), [{ path: 'a.txt', data: 'new' }]);
  assert.ok(!existsSync(dead));
  assert.ok(existsSync(live));
  assert.equal(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'new');
});

it('a kill between the two renames (old output moved aside, new not in place) is repaired: the old output comes back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-renames-'));
  const out = join(dir, 'out');
  writeDirAtomic(out, [{ path: 'a.txt', data: 'old' }]);
  // Simulate the kill: the complete old output sits at the dead process's "-old" name, and
  // the half-written new one in its temp folder.
  const pid = deadPid();
  renameSync(out, join(dir, `.snnc-tmp-out-${pid}-old`));
  mkdirSync(join(dir, `.snnc-tmp-out-${pid}`));
  writeFileSync(join(dir, `.snnc-tmp-out-${pid}`, 'half'), '');
  assert.ok(!existsSync(out));
  // The next run puts the old output back before it writes; it then fails for another reason
  // (an unsafe path), and the user still has the complete old output.
  assert.throws(
    () => writeDirAtomic(out, [{ path: '../escape', data: 'x' }]),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_IO',
  );
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'old');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('.snnc-tmp')),
    [],
  );
});
