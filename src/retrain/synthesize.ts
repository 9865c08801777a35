// Data-free calibration inputs (the PrivateNN idea: calibrate a conversion without touching
// the training data). Images are generated from the trained ANN itself by gradient descent on
// the input: each image is pushed towards one class (cross-entropy on the logits), towards the
// BatchNorm running statistics the network learned (when the model has BatchNorm, as in
// DeepInversion), and towards smooth images (total variation). Pixels are parameterized as
// sigmoid(z), so they stay in [0, 1] — the input range of the embedded MNIST and of most
// image models' normalized-to-unit inputs; a model expecting another range needs real data.
import type * as TF from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import type { Graph, Tensor } from '../ir/types.js';
import { forwardTf } from './forward.js';
import { initTf } from './tf.js';
import { splitmix32 } from '../sim/snn/rng.js';

export interface SynthesizeOptions {
  /** Images to generate (classes are cycled: image i targets class i mod K). */
  readonly n?: number;
  readonly steps?: number;
  readonly seed?: number;
  readonly learningRate?: number;
  /** Weights of the BatchNorm-statistics and total-variation terms. */
  readonly bnWeight?: number;
  readonly tvWeight?: number;
}

export async function synthesizeCalibration(g: Graph, opts: SynthesizeOptions = {}): Promise<Tensor> {
  const tf = await initTf();
  const info = g.values.get(g.inputs[0] ?? '');
  const shape = info?.shape ?? [];
  const per = shape.slice(1);
  if (g.inputs.length !== 1 || info?.dtype !== 'float32' || !per.every((d): d is number => typeof d === 'number')) {
    throw fail({
      code: 'SNNC_E_CALIBRATION',
      message: 'synthetic calibration needs one float32 input with a fixed per-sample shape',
      hint: 'calibrate with real data (--calib file.npz)',
    });
  }
  const outInfo = g.values.get(g.outputs[0] ?? '');
  // The images are synthesized by making the model predict chosen classes, so its (first)
  // output must be class scores [N, classes]; anything else (a feature map, a sequence, a
  // regression) has no class to aim for.
  const outShape = outInfo?.shape ?? [];
  // …with one row per input sample (a fixed-batch model may reshape its batch away).
  const K = outShape.length === 2 && typeof outShape[1] === 'number' && outShape[0] === shape[0] ? outShape[1] : 0;
  if (K < 2) {
    throw fail({
      code: 'SNNC_E_CALIBRATION',
      message: `synthetic calibration needs a classifier output [N, classes]; output '${g.outputs[0] ?? ''}' has shape [${outShape.join(', ')}]`,
      hint: 'calibrate with real data instead (--calib mnist or --calib file.npz)',
    });
  }
  const n = opts.n ?? 64;
  const steps = opts.steps ?? 150;
  const rnd = splitmix32(opts.seed ?? 0);
  const size = per.reduce((a, b) => a * b, 1);
  // Start near a dark image with a little noise (sigmoid(−2) ≈ 0.12).
  const z0 = Float32Array.from({ length: n * size }, () => -2 + (rnd() - 0.5));
  const z = tf.variable(tf.tensor(z0, [n, ...per]));
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % K),
      'int32',
    ),
    K,
  );
  const optimizer = tf.train.adam(opts.learningRate ?? 0.1);
  const bnW = opts.bnWeight ?? 0.1;
  const tvW = opts.tvWeight ?? 0.05;
  const loss = (): TF.Scalar => {
    const x = tf.sigmoid(z);
    const f = forwardTf(tf, g, x);
    const logits = f.outputs.get(g.outputs[0] ?? '');
    if (logits === undefined) throw new Error('forward pass produced no output');
    let l: TF.Tensor = tf.losses.softmaxCrossEntropy(labels, logits);
    for (const bn of f.batchNorms) {
      const axes = bn.x.rank === 4 ? [0, 1, 2] : [0];
      const m = tf.moments(bn.x, axes);
      const dm = tf.sum(tf.square(tf.sub(m.mean, tf.tensor1d(bn.mean))));
      const dv = tf.sum(tf.square(tf.sub(m.variance, tf.tensor1d(bn.variance))));
      l = tf.add(l, tf.mul(tf.add(dm, dv), bnW / f.batchNorms.length));
    }
    if (x.rank === 4) {
      const [, , H, W] = x.shape as [number, number, number, number];
      const dy = tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, H - 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, H - 1, -1]));
      const dx = tf.sub(tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, W - 1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, W - 1]));
      l = tf.add(l, tf.mul(tf.add(tf.mean(tf.abs(dy)), tf.mean(tf.abs(dx))), tvW));
    }
    return l as TF.Scalar;
  };
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      optimizer.minimize(loss, false, [z]);
    });
  }
  const data = tf.tidy(() => tf.sigmoid(z)).dataSync() as Float32Array;
  const out: Tensor = { dtype: 'float32', shape: [n, ...per], data: Float32Array.from(data) };
  z.dispose();
  labels.dispose();
  optimizer.dispose();
  return out;
}
