// TF.js in Node for the scripts and tests: pick the fastest backend that loads here, and
// read/write the TF.js layers format (model.json + one weight shard) through memory.
//
// Backends, in order: tfjs-node (an optional peer; its install downloads libtensorflow,
// so it is often absent), then WebAssembly with the .wasm files from the installed
// @tensorflow/tfjs-backend-wasm package (setWasmPaths takes a plain folder prefix in
// Node, where Emscripten reads the file with fs), then the pure-JS cpu backend.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initTf } from '../src/retrain/tf.js';
import type { TfBackend } from '../src/retrain/tf.js';

/** The backend snnc's own TF.js setup chose (src/retrain/tf.ts), by name. */
export async function initTfjs(prefer?: TfBackend): Promise<string> {
  await initTf(prefer);
  return tf.getBackend();
}

/** The files of a TF.js layers model: model.json and its single weight shard. */
export interface TfjsFiles {
  readonly json: string;
  readonly weights: Uint8Array;
}

export const SHARD = 'group1-shard1of1.bin';

/** Serialize a layers model the way TF.js's own file saver does, but in memory. */
export async function saveLayersModel(model: tfl.LayersModel): Promise<TfjsFiles> {
  let files: TfjsFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = a.weightData instanceof ArrayBuffer ? new Uint8Array(a.weightData) : new Uint8Array(await new Blob(a.weightData ?? []).arrayBuffer());
      const json = {
        format: 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [SHARD], weights: a.weightSpecs }],
      };
      files = { json: JSON.stringify(json, null, 1) + '\n', weights };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (files === undefined) throw new Error('model.save produced nothing');
  return files;
}

export function writeTfjsFolder(dir: string, files: TfjsFiles): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), files.json);
  writeFileSync(join(dir, SHARD), files.weights);
}

/** Load model.json + its shards from disk into tfjs-layers (a file IOHandler over fromMemory). */
export async function loadLayersModelFile(modelJson: string): Promise<tfl.LayersModel> {
  const dir = dirname(modelJson);
  const parsed = JSON.parse(readFileSync(modelJson, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of parsed.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(readFileSync(join(dir, p)));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: specs, weightData: data.buffer }));
}
