// Trains the example models on the embedded MNIST train split, checks them on the test
// split, and writes them to examples/tfjs/<name>/ in the TF.js layers format; then
// imports each through snnc's own TF.js importer, exports it as examples/<name>.onnx and
// measures the ONNX model's accuracy with snnc's interpreter (examples/README.md).
//
//   node --import tsx scripts/train-examples.ts [name...] [--export-only]
//
// Deterministic: a fixed seed per model, seeded shuffling, no timestamps; a second run
// gives byte-identical files on the same machine and backend (see examples/README.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../src/data/mnist.js';
import type { Dataset } from '../src/data/dataset.js';
import { EXAMPLES, buildLayersModel, forward, initParams, prng, updateBn } from './example-models.js';
import type { BnStats, ExampleSpec, Params } from './example-models.js';
import { initTfjs, loadLayersModelFile, saveLayersModel, writeTfjsFolder } from './tfjs-env.js';
import { exportExamples } from './export-examples.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'examples');
const SEED = 20240601;
const BATCH = 64;

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

/** Images [N,1,28,28] as NHWC [N,28,28,1]: with one channel the memory order is the same. */
function nhwc(d: Dataset, from = 0, to = d.y.length): tf.Tensor4D {
  return tf.tensor4d(d.x.data.subarray(from * 784, to * 784) as Float32Array, [to - from, 28, 28, 1]);
}

function predictAll(spec: ExampleSpec, p: Params, d: Dataset): Float32Array {
  const n = d.y.length;
  const out = new Float32Array(n * 10);
  for (let i = 0; i < n; i += 500) {
    const j = Math.min(n, i + 500);
    const logits = tf.tidy(() => forward(spec.layers, p, nhwc(d, i, j), false));
    out.set(logits.dataSync(), i * 10);
    logits.dispose();
  }
  return out;
}

function accuracy(logits: Float32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if ((logits[i * 10 + c] ?? 0) > (logits[i * 10 + best] ?? 0)) best = c;
    if (best === y[i]) ok++;
  }
  return ok / y.length;
}

/**
 * Copy image `s` into slot `k` of the batch, moved by (dx, dy) pixels with zero fill:
 * the only augmentation, it makes up for training on 8,000 images instead of 60,000.
 */
function shifted(src: Float32Array, s: number, dst: Float32Array, k: number, dx: number, dy: number): void {
  const o = k * 784;
  dst.fill(0, o, o + 784);
  for (let r = 0; r < 28; r++) {
    const sr = r - dy;
    if (sr < 0 || sr >= 28) continue;
    const c0 = Math.max(0, dx);
    const c1 = Math.min(28, 28 + dx);
    dst.set(src.subarray(s * 784 + sr * 28 + c0 - dx, s * 784 + sr * 28 + c1 - dx), o + r * 28 + c0);
  }
}

async function train(spec: ExampleSpec, index: number, trainSet: Dataset, testSet: Dataset): Promise<{ params: Params; acc: number }> {
  const rand = prng(SEED + index);
  const { params } = initParams(spec.layers, [28, 28, 1], rand);
  const trainable = [...params.values()].filter((v) => v.trainable);
  const opt = tf.train.adam(spec.lr);
  const n = trainSet.y.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const xb = new Float32Array(BATCH * 784);
  const yb = new Int32Array(BATCH);
  for (let epoch = 0; epoch < spec.epochs; epoch++) {
    // Quarter the step size for the last third of training.
    (opt as unknown as { learningRate: number }).learningRate = epoch >= Math.ceil((spec.epochs * 2) / 3) ? spec.lr / 4 : spec.lr;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = t;
    }
    const t0 = performance.now();
    let lossSum = 0;
    let steps = 0;
    for (let b = 0; b + BATCH <= n; b += BATCH) {
      for (let k = 0; k < BATCH; k++) {
        const s = order[b + k] ?? 0;
        shifted(trainSet.x.data as Float32Array, s, xb, k, Math.floor(rand() * 5) - 2, Math.floor(rand() * 5) - 2);
        yb[k] = trainSet.y[s] ?? 0;
      }
      const stats: BnStats = new Map();
      const loss = tf.tidy((): tf.Scalar => {
        const x = tf.tensor4d(xb, [BATCH, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(yb, 'int32'), 10);
        const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(spec.layers, params, x, true, stats)) as tf.Scalar, true, trainable);
        if (l === null) throw new Error('the optimizer returned no loss');
        return l;
      });
      updateBn(params, stats);
      if (steps % 25 === 0) lossSum += (await loss.data())[0] ?? 0;
      loss.dispose();
      steps++;
    }
    const acc = accuracy(predictAll(spec, params, testSet), testSet.y);
    log(
      `  ${spec.name} epoch ${epoch + 1}/${spec.epochs}: loss ≈ ${(lossSum / Math.ceil(steps / 25)).toFixed(4)}, test accuracy ${(acc * 100).toFixed(2)} %, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const acc = accuracy(predictAll(spec, params, testSet), testSet.y);
  opt.dispose();
  return { params, acc };
}

/** Save in the TF.js layers format, reload with tfjs-layers, and compare with the training forward pass. */
async function saveAndVerify(spec: ExampleSpec, params: Params, testSet: Dataset): Promise<void> {
  const dir = join(OUT, 'tfjs', spec.name);
  const model = buildLayersModel(spec, params);
  writeTfjsFolder(dir, await saveLayersModel(model));
  model.dispose();
  const loaded = await loadLayersModelFile(join(dir, 'model.json'));
  const x = nhwc(testSet, 0, 100);
  const theirs = (loaded.predict(x) as tf.Tensor).dataSync();
  const ours = tf.tidy(() => forward(spec.layers, params, x, false)).dataSync();
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs((ours[i] ?? 0) - (theirs[i] ?? 0)));
  x.dispose();
  loaded.dispose();
  if (!(maxDiff < 1e-4)) throw new Error(`${spec.name}: reloaded TF.js model differs from the trained one by ${maxDiff}`);
  log(`  ${spec.name}: saved ${dir}, reloaded with tfjs-layers, max |Δlogit| on 100 test images = ${maxDiff.toExponential(2)}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const exportOnly = args.includes('--export-only');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !EXAMPLES.some((e) => e.name === n));
  if (unknown.length > 0) throw new Error(`unknown example(s): ${unknown.join(', ')}; known: ${EXAMPLES.map((e) => e.name).join(', ')}`);
  const chosen = EXAMPLES.filter((e) => names.length === 0 || names.includes(e.name));
  const backend = await initTfjs();
  log(`TF.js backend: ${backend}`);
  mkdirSync(OUT, { recursive: true });
  const trainSet = loadMnist('train');
  const testSet = loadMnist('test');
  const accFile = join(OUT, 'tfjs', 'accuracy.json');
  const tfjsAcc: Record<string, number> = existsSync(accFile) ? (JSON.parse(readFileSync(accFile, 'utf8')) as Record<string, number>) : {};
  if (!exportOnly) {
    for (const spec of chosen) {
      const t0 = performance.now();
      log(`training ${spec.name} (${spec.summary})`);
      const { params, acc } = await train(spec, EXAMPLES.indexOf(spec), trainSet, testSet);
      tfjsAcc[spec.name] = acc;
      log(`  ${spec.name}: test accuracy ${(acc * 100).toFixed(2)} % after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      await saveAndVerify(spec, params, testSet);
      for (const v of params.values()) v.dispose();
    }
    const sorted = Object.fromEntries(Object.entries(tfjsAcc).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(accFile, JSON.stringify(sorted, null, 2) + '\n');
  }
  await exportExamples(OUT, EXAMPLES, tfjsAcc, testSet, log);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
