// An output the user cannot write (issue #18 item 4) fails with SNNC_E_IO before any work,
// not as "internal error: EACCES" after it. As root, permissions do not stop a write, so the
// unwritable place here is a folder "inside" a regular file (ENOTDIR); as another user, a
// read-only folder is tried too.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { EXAMPLES } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-probe-'));
after(() => {
  chmodSync(join(dir, 'ro'), 0o755);
  rmSync(dir, { recursive: true, force: true });
});
const file = join(dir, 'a-file');
writeFileSync(file, 'x');
mkdirSync(join(dir, 'ro'));
chmodSync(join(dir, 'ro'), 0o555);
const bad = [join(file, 'out')];
if (process.getuid?.() !== 0) bad.push(join(dir, 'ro', 'out'));

const mlp = join(EXAMPLES, 'mlp.onnx');
const commands: string[][] = [
  ['compile', mlp, '--target', 'fpga', '-o'],
  ['convert', mlp, '-o'],
  ['quantize', mlp, '-o'],
  ['explore', mlp, '--bits', '8', '-o'],
];

for (const target of bad) {
  for (const c of commands) {
    it(`${c[0]} -o ${target.slice(dir.length)}: exit 2, SNNC_E_IO, nothing computed`, async () => {
      const r = await cli(...c, target);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /SNNC_E_IO/);
      assert.doesNotMatch(r.err + r.out, /internal error|wrote /);
    });
  }
}
