// Keeps the import direction of ../shared/design/STYLE.md true: a module may import
// only from its own layer or lower ones. Reads every import under src/.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { ROOT } from '../helpers/paths.js';

const SRC = join(ROOT, 'src');

/** Layer of a path relative to src/ (lower number = lower layer). */
function layerOf(rel: string): number {
  const top = rel.split('/')[0] ?? '';
  // Shared by every layer: typed errors, and starting a worker thread on one of our modules.
  if (rel === 'errors.ts' || rel === 'worker-thread.ts') return 0;
  if (top === 'ir') return 1;
  // data returns IR tensors, so it sits beside the frontends rather than below ir.
  // io: atomic writes of output files and folders, for every layer that writes.
  if (top === 'frontend' || top === 'sim' || top === 'costmodel' || top === 'data' || top === 'io') return 2;
  // runtime (snnc/runtime) runs the integer simulator in browsers: it sits with the backends.
  if (top === 'passes' || top === 'backends' || top === 'report' || top === 'runtime') return 3;
  // The option schema: below everything that takes options (retrain, api, cli, plugin).
  if (top === 'options') return 3.5;
  if (top === 'retrain' || top === 'explore') return 4;
  if (top === 'api') return 5;
  if (rel === 'index.ts') return 5.5; // the public barrel re-exports api and below
  if (top === 'cli' || top === 'plugin') return 6;
  throw new Error(`no layer assigned to src/${rel}`);
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

it('imports point down the layer order, and backends never import each other', () => {
  const problems: string[] = [];
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
      const target = relative(SRC, resolve(dirname(file), m[1] ?? ''))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts');
      const from = layerOf(rel);
      const to = layerOf(target);
      const sameFolder = rel.split('/')[0] === target.split('/')[0];
      if (to > from || (to === from && !sameFolder)) {
        problems.push(`src/${rel} (layer ${from}) imports src/${target} (layer ${to})`);
      }
      const bf = /^backends\/([^/]+)\//.exec(rel)?.[1];
      const bt = /^backends\/([^/]+)\//.exec(target)?.[1];
      if (bf !== undefined && bt !== undefined && bf !== bt && bt !== 'common') {
        problems.push(`backend src/${rel} imports another backend: src/${target}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

it('no import cycles under src/ (type-only imports included)', () => {
  const edges = new Map<string, string[]>();
  for (const file of walk(SRC)) {
    const rel = relative(SRC, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    const to = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1] ?? ''))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts'),
    );
    edges.set(rel, to);
  }
  // Depth-first search; a back edge to a file on the current path is a cycle.
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const t of edges.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].join(' → '));
      else if (state.get(t) === undefined) visit(t);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of [...edges.keys()].sort()) if (state.get(f) === undefined) visit(f);
  assert.deepEqual(cycles, []);
});
