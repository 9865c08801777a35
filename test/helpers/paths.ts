// Locations tests share. Compiled tests live in dist/test/..., sources in test/...;
// both resolve the project root by walking up to package.json.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('project root not found');
    d = up;
  }
  return d;
}

export const ROOT = findRoot();
/** The shared ONNX conformance corpus; absent on some machines (tests skip then). */
export const CORPUS = resolve(process.env['SNNC_CORPUS'] ?? join(ROOT, '..', 'shared', 'corpus'));
export const HAVE_CORPUS = existsSync(CORPUS);
export const EXAMPLES = join(ROOT, 'examples');
