// The bundler plugin: `import net from './model.onnx?snn'` (also TF.js `model.json?snn` and
// `net.nir?snn`) compiles the model at build time and gives `{ report, manifest, net, run }`,
// where `run(x, { T })` executes the integer program with snnc/runtime (bit-exact with
// `snnc simulate --int`). One unplugin factory serves vite, rollup, webpack, esbuild and
// rspack (snnc/vite, snnc/rollup, ...); all the work is in build.ts.
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUnplugin } from 'unplugin';
import type { UnpluginFactory, UnpluginInstance } from 'unplugin';
import { isSnncError } from '../errors.js';
import type { SnncPluginOptions } from './build.js';
import { buildModel, enforceBudget, moduleCode, normalizeOptions } from './build.js';

export type { SnncPluginOptions, ModelBuild, ManifestFile, BuildInfo } from './build.js';

const QUERY = /\.(onnx|json|nir)\?snn$/;

/** The runtime module the generated code imports, by absolute path (bundlers need no alias). */
export const RUNTIME_PATH = fileURLToPath(new URL('../runtime/index.js', import.meta.url));

/** "SNNC_E_…: message (file) — hint": what a bundler shows for a failed model import. */
export function formatBuildError(e: unknown, id: string): Error {
  if (!isSnncError(e)) return e instanceof Error ? e : new Error(String(e));
  const where = e.file ?? id;
  const out = new Error(
    `[snnc] ${e.code}: ${e.message}\n  file: ${where}${e.node !== undefined ? `\n  node: ${e.node}` : ''}${e.hint !== undefined ? `\n  hint: ${e.hint}` : ''}`,
  );
  Object.assign(out, { code: e.code, id, plugin: 'snnc' });
  return out;
}

export const snncFactory: UnpluginFactory<SnncPluginOptions | undefined, false> = (options = {}) => {
  // Bad options fail at configuration time, before any model is read.
  try {
    normalizeOptions(options);
  } catch (e) {
    throw formatBuildError(e, 'snnc plugin options');
  }
  return {
    name: 'snnc',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!QUERY.test(source)) return null;
      const path = source.slice(0, -'?snn'.length);
      const abs = isAbsolute(path) ? path : resolve(importer !== undefined ? dirname(importer) : process.cwd(), path);
      return `${abs}?snn`;
    },
    loadInclude(id) {
      return QUERY.test(id);
    },
    async load(id) {
      if (!QUERY.test(id)) return null;
      const file = id.slice(0, -'?snn'.length);
      try {
        const b = await buildModel(file, options);
        for (const i of b.inputs) this.addWatchFile(i.path);
        enforceBudget(b, options.budget);
        for (const w of b.warnings) this.warn(`${b.model}: ${w}`);
        const stem = b.model.replace(/\.[^.]*$/, '');
        for (const a of b.assets) this.emitFile({ type: 'asset', fileName: `snnc/${stem}/${a.path}`, source: Buffer.from(a.base64, 'base64') });
        return moduleCode(b, RUNTIME_PATH);
      } catch (e) {
        throw formatBuildError(e, file);
      }
    },
  };
};

export const snnc: UnpluginInstance<SnncPluginOptions | undefined, false> = /* @__PURE__ */ createUnplugin(snncFactory);
export default snnc;
