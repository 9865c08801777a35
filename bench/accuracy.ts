// Accuracy table of issue 4: every example × calibration method × T on the FULL embedded
// MNIST test split (2,004 images). One simulation at the largest T gives the accuracy after
// every step, so T ∈ {4, 8, 16, 32, 64} costs one run per row. Saved to bench/results/accuracy.json.
import { convertModel } from '../src/api/convert.js';
import { fitToModel, loadDatasetSpec } from '../src/data/spec.js';
import { annAccuracy } from '../src/sim/ann/accuracy.js';
import { loadModel } from '../src/api/load.js';
import { simulate } from '../src/sim/snn/simulate.js';
import { projectRoot, writeResult } from './harness.js';
import { join } from 'node:path';

const MODELS = ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny'] as const;
const METHODS = ['max', 'percentile:99.9', 'percentile:99.99'] as const;
const TS = [4, 8, 16, 32, 64] as const;

export async function runAccuracyBench(models: readonly string[] = MODELS): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const name of models) {
    const g = await loadModel(join(projectRoot(), 'examples', `${name}.onnx`));
    const test = fitToModel(g, loadDatasetSpec('mnist', 'test'));
    const ann = annAccuracy(g, test);
    for (const method of METHODS) {
      const c = convertModel(g, { method, granularity: 'channel', calibSamples: 512 });
      const r = simulate(c.graph, test, { T: TS[TS.length - 1] ?? 64 });
      const acc: Record<string, number> = {};
      for (const t of TS) acc[`T${t}`] = r.accuracyPerStep[t - 1] ?? 0;
      const row = { model: name, method, granularity: 'channel', samples: test.y.length, ann, snn: acc, spikesPerSampleT64: r.spikesPerSample };
      rows.push(row);
      console.log(
        `${name.padEnd(12)} ${method.padEnd(17)} ANN ${(100 * ann).toFixed(2)}  ` + TS.map((t) => `T${t} ${(100 * (acc[`T${t}`] ?? 0)).toFixed(2)}`).join('  '),
      );
    }
  }
  console.log(`saved ${writeResult('accuracy', { rows })}`);
}

if (process.argv[1] !== undefined && /accuracy\.[jt]s$/.test(process.argv[1]))
  await runAccuracyBench(process.argv.slice(2).length > 0 ? process.argv.slice(2) : MODELS);
