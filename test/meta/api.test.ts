// The package entry (src/index.ts): the library API does what the CLI does, and its public
// declarations never say `any`.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as snnc from '../../src/index.js';
import { cli } from '../helpers/cli.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';

const MLP = join(EXAMPLES, 'mlp.onnx');

describe('library API', () => {
  it('exports the functions each command is built from', () => {
    for (const name of [
      'loadModel',
      'convertModel',
      'simulateModel',
      'quantizeModel',
      'exploreModel',
      'mergeDocs',
      'compileModel',
      'retrainModel',
      'verifyFile',
      'writeDirAtomic',
      'inspectGraph',
      'loadTarget',
      'exportOnnx',
    ]) {
      assert.equal(typeof (snnc as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('load → convert → simulate gives what `snnc simulate --json` prints', async () => {
    const g = await snnc.loadModel(MLP);
    const { graph } = snnc.convertModel(g);
    assert.ok(snnc.isConverted(graph));
    const r = snnc.simulateModel(g, { T: [4, 8], n: 60 });
    const c = await cli('simulate', MLP, '--T', '4,8', '--n', '60', '--json');
    assert.equal(c.code, 0, c.err);
    const j = JSON.parse(c.out) as { snn: { T: number; accuracy: number; spikesPerSample: number }[]; ann: { accuracy: number } };
    assert.deepEqual(
      r.snn.map((s) => [s.T, s.accuracy, s.spikesPerSample]),
      j.snn.map((s) => [s.T, s.accuracy, s.spikesPerSample]),
    );
    assert.equal(r.ann?.accuracy, j.ann.accuracy);
  });

  it('no public declaration file says `any`', (t) => {
    const dir = join(ROOT, 'dist', 'src');
    if (!existsSync(join(dir, 'index.d.ts'))) {
      t.skip('dist/ not built (run npm run build)');
      return;
    }
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.d.ts')) {
          const code = readFileSync(p, 'utf8')
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/\/\/.*$/gm, '')
            .replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""');
          if (/\bany\b/.test(code)) offenders.push(p.slice(ROOT.length + 1));
        }
      }
    };
    walk(dir);
    assert.deepEqual(offenders, []);
  });
});
