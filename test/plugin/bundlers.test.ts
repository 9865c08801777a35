// The build plugin through each bundler's own in-process API (real installs): a fixture app
// imports examples/mlp.onnx?snn, the bundle is run in Node, and run() must give the same
// predictions as the integer-exact simulator (simulateInt) and the same readouts as the
// program quantized here independently of the bundle, on the same test images.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { rollup } from 'rollup';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { rspack } from '@rspack/core';
import snncRollup from '../../src/plugin/rollup.js';
import snncVite from '../../src/plugin/vite.js';
import snncWebpack from '../../src/plugin/webpack.js';
import snncEsbuild from '../../src/plugin/esbuild.js';
import snncRspack from '../../src/plugin/rspack.js';
import type { SnncPluginOptions } from '../../src/plugin/index.js';
import { loadModel } from '../../src/api/load.js';
import { quantizeModel } from '../../src/api/quantize.js';
import { fitToModel } from '../../src/data/spec.js';
import { loadMnist } from '../../src/data/mnist.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { quantizeInput, runSample } from '../../src/sim/int/sample.js';
import { elements } from '../../src/sim/int/program.js';
import type { RunResult } from '../../src/runtime/index.js';
import { ROOT } from '../helpers/paths.js';

const DIR = join(ROOT, `.tmp-plugin-${process.pid}`);
const OPTS: SnncPluginOptions = { targets: ['fpga'], T: 16, bits: 'w=6,th=12', n: 40, hwSamples: 8, cacheDir: join(DIR, 'cache') };
const N = 25;

interface Bundle {
  readonly run: (x: ArrayLike<number>, o?: { T?: number }) => RunResult;
  readonly manifest: { readonly model: string; readonly T: number };
  readonly report: { readonly targets: readonly { readonly target: string; readonly status: string }[] } | null;
}

function fixture(name: string, model: string): string {
  const d = join(DIR, name);
  mkdirSync(d, { recursive: true });
  cpSync(model, join(d, 'model.onnx'));
  writeFileSync(join(d, 'entry.js'), "import net, { run, manifest, report } from './model.onnx?snn';\nexport { net, run, manifest, report };\n");
  return d;
}

async function load(file: string): Promise<Bundle> {
  const m = (await import(pathToFileURL(file).href)) as Bundle & { default?: Bundle };
  return typeof m.run === 'function' ? m : (m.default as Bundle);
}

function callback<T>(f: (cb: (err: Error | null | undefined, r: T | undefined) => void) => void): Promise<T> {
  return new Promise((res, rej) => f((err, r) => (err ? rej(err) : res(r as T))));
}

type Builder = (dir: string, opts: SnncPluginOptions) => Promise<string>;

const BUILDERS: Record<string, Builder> = {
  rollup: async (dir, opts) => {
    const b = await rollup({ input: join(dir, 'entry.js'), plugins: [snncRollup(opts)], onwarn: () => undefined });
    const file = join(dir, 'out', 'rollup.mjs');
    await b.write({ file, format: 'es' });
    await b.close();
    return file;
  },
  vite: async (dir, opts) => {
    await viteBuild({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      plugins: [snncVite(opts)],
      build: {
        ssr: join(dir, 'entry.js'),
        outDir: join(dir, 'out', 'vite'),
        emptyOutDir: true,
        rollupOptions: { output: { format: 'es', entryFileNames: 'entry.mjs' } },
      },
    });
    return join(dir, 'out', 'vite', 'entry.mjs');
  },
  esbuild: async (dir, opts) => {
    const file = join(dir, 'out', 'esbuild.mjs');
    await esbuild({
      entryPoints: [join(dir, 'entry.js')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: file,
      logLevel: 'silent',
      plugins: [snncEsbuild(opts)],
    });
    return file;
  },
  webpack: async (dir, opts) => {
    const compiler = webpack({
      mode: 'production',
      target: 'node',
      context: dir,
      entry: join(dir, 'entry.js'),
      devtool: false,
      output: { path: join(dir, 'out', 'webpack'), filename: 'entry.cjs', library: { type: 'commonjs2' } },
      optimization: { minimize: false },
      plugins: [snncWebpack(opts)],
      infrastructureLogging: { level: 'error' },
    });
    const stats = await callback<webpack.Stats>((cb) => compiler.run(cb));
    await callback<void>((cb) => compiler.close((e) => cb(e ?? null, undefined)));
    if (stats.hasErrors())
      throw new Error(
        stats
          .toJson({ all: false, errors: true })
          .errors?.map((e) => e.message)
          .join('\n'),
      );
    return join(dir, 'out', 'webpack', 'entry.cjs');
  },
  rspack: async (dir, opts) => {
    const compiler = rspack({
      mode: 'production',
      target: 'node',
      context: dir,
      entry: join(dir, 'entry.js'),
      devtool: false,
      output: { path: join(dir, 'out', 'rspack'), filename: 'entry.cjs', library: { type: 'commonjs2' } },
      optimization: { minimize: false },
      plugins: [snncRspack(opts)],
    });
    const stats = await callback<{ hasErrors(): boolean; toJson(o: object): { errors?: { message: string }[] } }>((cb) => compiler.run(cb));
    await callback<void>((cb) => compiler.close((e) => cb(e ?? null, undefined)));
    if (stats.hasErrors())
      throw new Error(
        stats
          .toJson({ all: false, errors: true })
          .errors?.map((e) => e.message)
          .join('\n'),
      );
    return join(dir, 'out', 'rspack', 'entry.cjs');
  },
};

describe('bundler plugin: each bundler builds an app whose run() matches simulate --int', () => {
  let images: { x: Float32Array; y: Int32Array; F: number };
  let reference: { predictions: Int32Array; readouts: number[][] };

  before(async () => {
    rmSync(DIR, { recursive: true, force: true });
    // The reference: the same model quantized with the same settings here, outside any bundle.
    const g = await loadModel(join(ROOT, 'examples', 'mlp.onnx'));
    const program = quantizeModel(g, { bits: { w: 6, th: 12 } }).program;
    const data = fitToModel(g, loadMnist('test', { limit: N }));
    const F = elements(program.input.shape);
    images = { x: data.x.data as Float32Array, y: data.y, F };
    const sim = simulateInt(program, { x: data.x, y: data.y }, { T: 16 });
    const readouts = Array.from({ length: N }, (_, s) => {
      const r = runSample(program, quantizeInput(program.input, images.x, s * F), 16);
      const sums = new Array<number>(r.readout[0]?.length ?? 0).fill(0);
      for (const ro of r.readout)
        ro.forEach((v, c) => {
          sums[c] = (sums[c] as number) + v;
        });
      return sums;
    });
    reference = { predictions: sim.predictions, readouts };
  });
  after(() => rmSync(DIR, { recursive: true, force: true }));

  for (const [name, builder] of Object.entries(BUILDERS)) {
    it(`${name}: identical predictions and readouts on ${N} test images`, async () => {
      const dir = fixture(name, join(ROOT, 'examples', 'mlp.onnx'));
      const m = await load(await builder(dir, OPTS));
      assert.equal(m.manifest.T, 16);
      assert.equal(m.report?.targets.find((t) => t.target === 'fpga')?.status, 'ok', `${name}: the report has the fpga row`);
      for (let s = 0; s < N; s++) {
        const r = m.run(images.x.subarray(s * images.F, (s + 1) * images.F));
        assert.equal(r.prediction, reference.predictions[s], `${name}: sample ${s}`);
        assert.deepEqual(r.readout, reference.readouts[s], `${name}: readout of sample ${s}`);
      }
    });
  }

  it('a broken model fails every bundler with its SNNC_E_ code and file', async () => {
    for (const [name, builder] of Object.entries(BUILDERS)) {
      const dir = fixture(`broken-${name}`, join(ROOT, 'examples', 'mlp.onnx'));
      writeFileSync(join(dir, 'model.onnx'), 'this is not a protobuf');
      await assert.rejects(
        builder(dir, OPTS),
        (e: Error) => {
          assert.match(e.message, /SNNC_E_ONNX_PARSE/, `${name}: ${e.message}`);
          assert.match(e.message, /model\.onnx/, `${name}: names the file`);
          return true;
        },
        name,
      );
    }
  });

  it('a budget that does not hold fails the build with measured and required values', async () => {
    const dir = fixture('budget', join(ROOT, 'examples', 'mlp.onnx'));
    await assert.rejects(BUILDERS['rollup']?.(dir, { ...OPTS, budget: 'energy<=1pJ' }) ?? Promise.reject(new Error('no rollup')), (e: Error) => {
      assert.match(e.message, /SNNC_E_BUDGET_UNMET/);
      assert.match(e.message, /fpga: energy [0-9.e+-]+ J \(needs energy<=1pJ\)/);
      return true;
    });
    // The same build with a budget that holds succeeds.
    const m = await load(await (BUILDERS['rollup'] as Builder)(dir, { ...OPTS, budget: 'accuracy>=50%' }));
    assert.equal(typeof m.run, 'function');
  });

  it('bad options fail at configuration time with SNNC_E_ codes', () => {
    assert.throws(() => snncRollup({ T: 0 }), /SNNC_E_PLUGIN/);
    assert.throws(() => snncRollup({ bits: 'w=99' }), /SNNC_E_PLUGIN: bits: w=99 is not a bit width in 1–16/);
    // The CLI's own rule, word for word (one schema): `--bits w=99` names the flag instead.
    assert.throws(() => snncRollup({ calibSamples: 0 }), /SNNC_E_PLUGIN: calibSamples must be an integer from 1 to 1000000, got '0'/);
    assert.throws(() => snncRollup({ budget: 'energy<=5 bananas' }), /SNNC_E_BUDGET/);
    assert.ok(existsSync(join(ROOT, 'client.d.ts')));
    assert.match(readFileSync(join(ROOT, 'client.d.ts'), 'utf8'), /declare module '\*\?snn'/);
  });
});
