// TF.js for snnc's gradient-based tools (synthetic calibration now, retraining later):
// tfjs-node when installed (an optional peer), else the WebAssembly backend from the
// installed package, else the pure-JS cpu backend. Same order as scripts/tfjs-env.ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Gradients are registered separately from the ops; tfjs-layers' bundle registers them all.
import '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: string | undefined;

export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

/** Initialise TF.js once (or switch to `prefer` when asked for a specific backend). */
export async function initTf(prefer?: TfBackend): Promise<typeof tf> {
  if (ready !== undefined && (prefer === undefined || prefer === ready)) return tf;
  for (const name of prefer !== undefined ? [prefer] : ['tensorflow', 'wasm', 'cpu']) {
    try {
      if (name === 'tensorflow') {
        const pkg = '@tensorflow/tfjs-node'; // a variable: TypeScript must not require the package
        await import(pkg);
      } else if (name === 'wasm') {
        const req = createRequire(import.meta.url);
        setWasmPaths(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        ready = name;
        return tf;
      }
    } catch {
      // not available here; try the next backend
    }
  }
  throw new Error('no TF.js backend could be initialised');
}
