// `npm run fuzz`: mutated ONNX / TF.js / NIR models, .npy / .npz data and target files through
// inspect, run, convert, simulate and a small compile, with a watchdog per case. Writes
// bench/results/fuzz.json; exits 1 if any case was an internal error, a hang or over memory.
//   npm run fuzz -- --cases 10000 --seed 1 --workers 2
//   npm run fuzz -- --first 4711 --cases 1        (one case again, by its number)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz/harness.js';
import { projectRoot } from './harness.js';

const ROOT = projectRoot();

const { values } = parseArgs({
  options: { cases: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, first: { type: 'string' }, out: { type: 'string' } },
});
const cases = Number(values.cases ?? 10000);
const seed = Number(values.seed ?? 1);
const workers = Number(values.workers ?? 2);
const first = Number(values.first ?? 0);
const t0 = Date.now();
const summary = await runFuzz({
  root: ROOT,
  cases,
  seed,
  workers,
  first,
  onCase: (o, done) => {
    if (o.outcome === 'internal' || o.outcome === 'hang' || o.outcome === 'memory')
      console.log(`case ${o.index} (${o.kind} of ${o.seed}): ${o.outcome} ${o.detail ?? JSON.stringify(o.steps)}`);
    if (done % 500 === 0) console.log(`${done}/${cases} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  },
});
const seconds = (Date.now() - t0) / 1000;
const result = {
  command: `npm run fuzz -- --cases ${cases} --seed ${seed} --workers ${workers}${first > 0 ? ` --first ${first}` : ''}`,
  seconds: Math.round(seconds),
  ...summary,
};
const file = values.out ?? join(ROOT, 'bench', 'results', 'fuzz.json');
mkdirSync(join(file, '..'), { recursive: true });
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`${cases} cases in ${seconds.toFixed(0)} s: ${JSON.stringify(summary.counts)}, peak ${summary.peakMb} MB → ${file}`);
process.exitCode = summary.failures.length > 0 ? 1 : 0;
