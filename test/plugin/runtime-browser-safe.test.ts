// snnc/runtime must run where there is no Node: bundling it for the browser must pull in no
// `node:` module (directly or through anything it imports), and it must not need WebAssembly.
// Also measures its size (minified + gzip), the figure the README quotes.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT } from '../helpers/paths.js';

it('snnc/runtime bundles for the browser with no node: import and no WebAssembly', async () => {
  const r = await build({
    entryPoints: [join(ROOT, 'dist', 'src', 'runtime', 'index.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  const nodeImports = Object.values(r.metafile.inputs).flatMap((i) =>
    i.imports.filter((x) => x.path.startsWith('node:') || x.external === true).map((x) => x.path),
  );
  assert.deepEqual(nodeImports, [], 'imports that a browser cannot resolve');
  assert.ok(
    inputs.every((f) => !f.includes('node_modules')),
    `the runtime pulls in no package: ${inputs.filter((f) => f.includes('node_modules')).join(', ')}`,
  );
  const code = r.outputFiles[0]?.text ?? '';
  assert.doesNotMatch(code, /WebAssembly/);
  const gz = gzipSync(code).length;
  assert.ok(gz < 20_000, `runtime is ${code.length} B minified, ${gz} B gzip`);
  console.log(`snnc/runtime: ${inputs.length} modules, ${code.length} B minified, ${gz} B minified+gzip`);
});
