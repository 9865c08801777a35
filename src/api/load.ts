// Model loading by file type. The one place that decides which frontend reads a path.
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { fail } from '../errors.js';
import type { DiagnosticInfo } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { loadOnnx } from '../frontend/onnx/read.js';
import { importTfjs } from '../frontend/tfjs/index.js';
import { importNir } from '../frontend/nir/index.js';
import { LOAD_OPTIONS } from '../options/declarations.js';
import { checkOptions } from '../options/schema.js';

export interface LoadOptions {
  /** Largest tensor (in elements) any stage may allocate; default 2^28. */
  readonly maxElements?: number;
  /** Called with every file the model is read from (the model, external data, weight shards): what a watcher must watch. */
  readonly onRead?: (path: string) => void;
  /** NIR only: the time step the file's constants are read with (default 1e-4 s; Sinabs/Rockpool files: 1). */
  readonly nirDt?: number;
  /** Receives the warnings a frontend raises while reading (e.g. SNNC_W_NIR_DT). */
  readonly diagnostics?: DiagnosticInfo[];
}

export const MODEL_FORMATS = ['.onnx (ONNX, opsets 6–25)', 'model.json (TF.js layers format)', '.nir (NIR HDF5 graph, read as a converted network)'] as const;

export async function loadModel(path: string, opts: LoadOptions = {}): Promise<Graph> {
  if (!existsSync(path)) {
    throw fail({ code: 'SNNC_E_IO', message: 'model file not found', file: path, hint: 'check the path; supported: ' + MODEL_FORMATS.join(', ') });
  }
  if (!statSync(path).isFile()) {
    throw fail({ code: 'SNNC_E_IO', message: 'model path is not a file', file: path });
  }
  checkOptions(LOAD_OPTIONS, opts);

  const ext = extname(path).toLowerCase();
  const o = opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {};
  const r = opts.onRead !== undefined ? { onRead: opts.onRead } : {};
  if (ext === '.onnx') return loadOnnx(path, { ...o, ...r });
  if (ext === '.json') return importTfjs(path, { ...o, ...r });
  if (ext === '.nir') {
    opts.onRead?.(path);
    return await importNir(path, {
      ...o,
      ...(opts.nirDt !== undefined ? { dt: opts.nirDt } : {}),
      ...(opts.diagnostics !== undefined ? { diagnostics: opts.diagnostics } : {}),
    });
  }
  throw fail({
    code: 'SNNC_E_USAGE',
    message: `unknown model format '${ext || '(no extension)'}'`,
    file: path,
    hint: 'supported: ' + MODEL_FORMATS.join(', '),
  });
}
