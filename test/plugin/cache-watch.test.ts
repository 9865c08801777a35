// The plugin's caches and watch list: parallel imports compile once, a rebuild with no change
// reads the disk cache (same bundle bytes), a changed model compiles again, and in vite's dev
// server editing the model invalidates the module so the next request sees the new network.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rollup } from 'rollup';
import { createServer } from 'vite';
import snncRollup from '../../src/plugin/rollup.js';
import snncVite from '../../src/plugin/vite.js';
import type { BuildInfo, SnncPluginOptions } from '../../src/plugin/index.js';
import { buildModel } from '../../src/plugin/build.js';
import { ROOT } from '../helpers/paths.js';

const DIR = join(ROOT, `.tmp-plugin-cache-${process.pid}`);
const MLP = join(ROOT, 'examples', 'mlp.onnx');
const LENET = join(ROOT, 'examples', 'lenet.onnx');
// No targets: these tests are about caching, so skip the (slower) compile report.
const BASE: SnncPluginOptions = { targets: [], T: 8 };

function app(name: string, model: string): string {
  const d = join(DIR, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(model, join(d, 'model.onnx'));
  writeFileSync(join(d, 'entry.js'), "export { default } from './model.onnx?snn';\n");
  return d;
}

async function bundle(dir: string, opts: SnncPluginOptions): Promise<string> {
  const b = await rollup({ input: join(dir, 'entry.js'), plugins: [snncRollup(opts)], onwarn: () => undefined });
  const { output } = await b.generate({ format: 'es' });
  await b.close();
  return output[0].code;
}

describe('bundler plugin: caching and watching', () => {
  after(() => rmSync(DIR, { recursive: true, force: true }));

  it('parallel imports compile once; an unchanged rebuild hits the disk cache with identical output', async () => {
    const dir = app('cache', MLP);
    const seen: BuildInfo['source'][] = [];
    const opts: SnncPluginOptions = { ...BASE, cacheDir: join(dir, 'cache'), onBuild: (i) => seen.push(i.source) };
    const model = join(dir, 'model.onnx');
    await Promise.all([buildModel(model, opts), buildModel(model, opts), buildModel(model, opts)]);
    assert.deepEqual(seen.sort(), ['compile', 'shared', 'shared']);
    assert.equal(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.json')).length, 1);

    seen.length = 0;
    const first = await bundle(dir, opts);
    const second = await bundle(dir, opts);
    assert.deepEqual(seen, ['disk-cache', 'disk-cache']);
    assert.equal(first, second, 'a cache hit gives the same bundle bytes');

    // Another option is another key; another model file is another key.
    seen.length = 0;
    await bundle(dir, { ...opts, T: 4 });
    copyFileSync(LENET, model);
    await bundle(dir, opts);
    assert.deepEqual(seen, ['compile', 'compile']);

    // Without a disk cache every build compiles.
    seen.length = 0;
    const uncached = { ...opts, cacheDir: false as const };
    await bundle(dir, uncached);
    await bundle(dir, uncached);
    assert.deepEqual(seen, ['compile', 'compile']);
  });

  it('a TF.js model.json?snn records its weight shards: a changed shard misses the cache', async () => {
    const d = join(DIR, 'tfjs');
    mkdirSync(d, { recursive: true });
    for (const f of readdirSync(join(ROOT, 'examples', 'tfjs', 'mlp'))) copyFileSync(join(ROOT, 'examples', 'tfjs', 'mlp', f), join(d, f));
    const seen: string[] = [];
    const opts: SnncPluginOptions = { ...BASE, cacheDir: join(d, 'cache'), onBuild: (i) => seen.push(i.source) };
    const b = await buildModel(join(d, 'model.json'), opts);
    assert.deepEqual(
      b.inputs.map((i) => i.path.slice(d.length + 1)),
      ['group1-shard1of1.bin', 'model.json'],
    );
    assert.deepEqual(b.manifest.inputShape, [1, 28, 28]);
    await buildModel(join(d, 'model.json'), opts);
    const shard = join(d, 'group1-shard1of1.bin');
    const bytes = readFileSync(shard);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    writeFileSync(shard, bytes);
    await buildModel(join(d, 'model.json'), opts);
    assert.deepEqual(seen, ['compile', 'disk-cache', 'compile']);
  });

  it('a damaged cache entry is rebuilt, not trusted', async () => {
    const dir = app('damaged', MLP);
    const seen: string[] = [];
    const opts: SnncPluginOptions = { ...BASE, cacheDir: join(dir, 'cache'), onBuild: (i) => seen.push(i.source) };
    const good = await bundle(dir, opts);
    const entry = readdirSync(join(dir, 'cache')).find((f) => f.endsWith('.json')) as string;
    writeFileSync(join(dir, 'cache', entry), readFileSync(join(dir, 'cache', entry), 'utf8').slice(0, 100));
    assert.equal(await bundle(dir, opts), good);
    assert.deepEqual(seen, ['compile', 'compile']);
  });

  it('vite dev: editing the model invalidates the module and the next request serves the new network', async () => {
    const dir = app('dev', MLP);
    const seen: string[] = [];
    const server = await createServer({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      server: { middlewareMode: true, watch: { usePolling: true, interval: 50 } },
      plugins: [snncVite({ ...BASE, cacheDir: join(dir, 'cache'), onBuild: (i) => seen.push(i.source) })],
    });
    try {
      const load = async (): Promise<{ name: string; inputShape: readonly number[] }> => {
        const m = (await server.ssrLoadModule(join(dir, 'entry.js'))) as { default: { net: { name: string; inputShape: number[] } } };
        return m.default.net;
      };
      const before = await load();
      copyFileSync(LENET, join(dir, 'model.onnx'));
      let now = before;
      for (let i = 0; i < 200 && now.name === before.name; i++) {
        await new Promise((r) => setTimeout(r, 50));
        now = await load();
      }
      assert.notEqual(now.name, before.name, 'the dev server picked up the edited model');
      assert.deepEqual(seen, ['compile', 'compile']);
    } finally {
      await server.close();
    }
  });
});
