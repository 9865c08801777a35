// The four example networks, each described once as a list of layers and turned into
// (a) a training forward pass written with tfjs-core ops and (b) a tfjs-layers model
// with the same weights, which is what gets saved in the TF.js layers format.
//
// Why not train the tfjs-layers model directly: the wasm backend has no
// Conv2DBackpropFilter kernel and the cpu backend is far too slow for convolutions, so
// convolution gets a custom gradient here (input gradient from the native
// Conv2DBackpropInput; filter gradient as another forward convolution, with batch and
// channels swapped). Everything is NHWC, as Keras and TF.js lay it out.
import { mulberry32 } from '../src/sim/snn/rng.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type Layer =
  | {
      readonly kind: 'conv';
      readonly name: string;
      readonly filters: number;
      readonly k: number;
      readonly padding: 'same' | 'valid';
      readonly bias: boolean;
      readonly relu?: boolean;
    }
  | { readonly kind: 'dense'; readonly name: string; readonly units: number; readonly relu?: boolean }
  | { readonly kind: 'bn'; readonly name: string }
  /** A stand-alone ReLU, saved as a `ReLU` layer or as `Activation('relu')`. */
  | { readonly kind: 'relu'; readonly name: string; readonly style: 'ReLU' | 'Activation' }
  | { readonly kind: 'maxpool' | 'avgpool'; readonly name: string }
  | { readonly kind: 'flatten' | 'gap'; readonly name: string }
  /** out = x + body(x), saved as a functional model with an `Add` layer. */
  | { readonly kind: 'residual'; readonly name: string; readonly body: readonly Layer[] };

export interface ExampleSpec {
  readonly name: string;
  readonly summary: string;
  readonly layers: readonly Layer[];
  /** Sequential models are saved as `Sequential`, others as a functional `Model`. */
  readonly functional: boolean;
  readonly epochs: number;
  readonly lr: number;
}

const conv = (name: string, filters: number, k: number, padding: 'same' | 'valid', relu: boolean, bias = true): Layer => ({
  kind: 'conv',
  name,
  filters,
  k,
  padding,
  bias,
  relu,
});

export const EXAMPLES: readonly ExampleSpec[] = [
  {
    name: 'mlp',
    functional: false,
    epochs: 30,
    lr: 1e-3,
    summary: 'Flatten → Dense 256 (ReLU) → Dense 128 (ReLU) → Dense 10',
    layers: [
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc1', units: 256, relu: true },
      { kind: 'dense', name: 'fc2', units: 128, relu: true },
      { kind: 'dense', name: 'fc3', units: 10 },
    ],
  },
  {
    name: 'lenet',
    functional: false,
    epochs: 20,
    lr: 2e-3,
    summary: 'Conv 5×5×6 same (ReLU) → AvgPool 2 → Conv 5×5×16 valid (ReLU) → AvgPool 2 → Flatten → Dense 120 (ReLU) → Dense 84 (ReLU) → Dense 10',
    layers: [
      conv('conv1', 6, 5, 'same', true),
      { kind: 'avgpool', name: 'pool1' },
      conv('conv2', 16, 5, 'valid', true),
      { kind: 'avgpool', name: 'pool2' },
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc1', units: 120, relu: true },
      { kind: 'dense', name: 'fc2', units: 84, relu: true },
      { kind: 'dense', name: 'fc3', units: 10 },
    ],
  },
  {
    name: 'cnn-bn',
    functional: true,
    epochs: 15,
    lr: 2e-3,
    summary: 'Conv 3×3×16 (no bias) → BatchNorm → ReLU → MaxPool 2 → Conv 3×3×32 (no bias) → BatchNorm → ReLU → MaxPool 2 → Flatten → Dense 10',
    layers: [
      conv('conv1', 16, 3, 'same', false, false),
      { kind: 'bn', name: 'bn1' },
      { kind: 'relu', name: 'relu1', style: 'ReLU' },
      { kind: 'maxpool', name: 'pool1' },
      conv('conv2', 32, 3, 'same', false, false),
      { kind: 'bn', name: 'bn2' },
      { kind: 'relu', name: 'relu2', style: 'ReLU' },
      { kind: 'maxpool', name: 'pool2' },
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc', units: 10 },
    ],
  },
  {
    name: 'resnet-tiny',
    functional: true,
    epochs: 15,
    lr: 2e-3,
    summary:
      'Conv 3×3×16 (ReLU) → AvgPool 2 → residual block [Conv 3×3×16 → ReLU → Conv 3×3×16, Add skip] → ReLU → AvgPool 2 → Conv 3×3×32 (ReLU) → Conv 3×3×64 (ReLU) → GlobalAveragePool → Dense 10',
    layers: [
      conv('stem', 16, 3, 'same', true),
      { kind: 'avgpool', name: 'pool1' },
      {
        kind: 'residual',
        name: 'block1',
        body: [
          conv('block1_conv1', 16, 3, 'same', false),
          { kind: 'relu', name: 'block1_relu1', style: 'Activation' },
          conv('block1_conv2', 16, 3, 'same', false),
        ],
      },
      { kind: 'relu', name: 'block1_out', style: 'Activation' },
      { kind: 'avgpool', name: 'pool2' },
      conv('conv3', 32, 3, 'same', true),
      conv('conv4', 64, 3, 'same', true),
      { kind: 'gap', name: 'gap' },
      { kind: 'dense', name: 'fc', units: 10 },
    ],
  },
];

// --- parameters ------------------------------------------------------------

/** The shared seeded generator (mulberry32), under this module's old name. */
export const prng = mulberry32;

/** Weights by Keras name (`conv1/kernel`, `bn1/moving_mean`, ...), in Keras order per layer. */
export type Params = Map<string, tf.Variable>;

const BN_EPS = 1e-3;
const BN_MOMENTUM = 0.9;

/** Create the weights of every layer (He-uniform kernels, zero biases), walking shapes from an NHWC input. */
export function initParams(
  layers: readonly Layer[],
  inShape: readonly number[],
  rand: () => number,
  out: Params = new Map(),
): { params: Params; shape: number[] } {
  let shape = [...inShape];
  const heUniform = (dims: number[], fanIn: number): tf.Variable => {
    const n = dims.reduce((a, b) => a * b, 1);
    const lim = Math.sqrt(6 / fanIn);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * lim;
    return tf.variable(tf.tensor(v, dims));
  };
  const fill = (n: number, value: number, trainable = true): tf.Variable => tf.variable(tf.fill([n], value), trainable);
  for (const l of layers) {
    const [h = 0, w = 0, c = 0] = shape;
    switch (l.kind) {
      case 'conv':
        out.set(`${l.name}/kernel`, heUniform([l.k, l.k, c, l.filters], l.k * l.k * c));
        if (l.bias) out.set(`${l.name}/bias`, fill(l.filters, 0));
        shape = l.padding === 'same' ? [h, w, l.filters] : [h - l.k + 1, w - l.k + 1, l.filters];
        break;
      case 'dense':
        out.set(`${l.name}/kernel`, heUniform([shape[0] ?? 0, l.units], shape[0] ?? 0));
        out.set(`${l.name}/bias`, fill(l.units, 0));
        shape = [l.units];
        break;
      case 'bn':
        out.set(`${l.name}/gamma`, fill(c, 1));
        out.set(`${l.name}/beta`, fill(c, 0));
        out.set(`${l.name}/moving_mean`, fill(c, 0, false));
        out.set(`${l.name}/moving_variance`, fill(c, 1, false));
        break;
      case 'maxpool':
      case 'avgpool':
        shape = [Math.floor(h / 2), Math.floor(w / 2), c];
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'gap':
        shape = [c];
        break;
      case 'residual':
        shape = initParams(l.body, shape, rand, out).shape;
        break;
      case 'relu':
        break;
    }
  }
  return { params: out, shape };
}

// --- the training/inference forward pass ------------------------------------

/** conv2d (stride 1, valid) with a gradient the wasm backend can compute. */
const convValid = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
    gradFunc: (dyIn: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const dy = dyIn as tf.Tensor4D;
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dx = tf.conv2dTranspose(dy, ws, xs.shape, 1, 'valid');
      // dW[i,j,c,o] = Σ_b,h,w x[b,i+h,j+w,c]·dy[b,h,w,o]: a convolution of x (channels as
      // batch, batch as channels) with dy (as an [Ho,Wo,B,O] kernel).
      const dw = tf.transpose(tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid'), [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** Batch statistics seen during a training step, to fold into the moving averages after it. */
export type BnStats = Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;

export function forward(layers: readonly Layer[], p: Params, x: tf.Tensor, training: boolean, stats?: BnStats): tf.Tensor {
  const get = (k: string): tf.Variable => {
    const v = p.get(k);
    if (v === undefined) throw new Error(`missing weight ${k}`);
    return v;
  };
  let y = x;
  for (const l of layers) {
    switch (l.kind) {
      case 'conv': {
        const pad = l.padding === 'same' ? (l.k - 1) / 2 : 0;
        const xin =
          pad > 0
            ? tf.pad(y, [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ])
            : y;
        y = convValid(xin, get(`${l.name}/kernel`));
        if (l.bias) y = tf.add(y, get(`${l.name}/bias`));
        if (l.relu === true) y = tf.relu(y);
        break;
      }
      case 'dense':
        y = tf.add(tf.matMul(y as tf.Tensor2D, get(`${l.name}/kernel`) as tf.Tensor2D), get(`${l.name}/bias`));
        if (l.relu === true) y = tf.relu(y);
        break;
      case 'bn': {
        let mean: tf.Tensor = get(`${l.name}/moving_mean`);
        let variance: tf.Tensor = get(`${l.name}/moving_variance`);
        if (training) {
          const m = tf.moments(y, [0, 1, 2]);
          mean = m.mean;
          variance = m.variance;
          stats?.set(l.name, { mean: tf.keep(mean), variance: tf.keep(variance) });
        }
        y = tf.add(tf.mul(tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, BN_EPS))), get(`${l.name}/gamma`)), get(`${l.name}/beta`));
        break;
      }
      case 'relu':
        y = tf.relu(y);
        break;
      case 'maxpool':
        y = tf.maxPool(y as tf.Tensor4D, 2, 2, 'valid');
        break;
      case 'avgpool':
        y = tf.avgPool(y as tf.Tensor4D, 2, 2, 'valid');
        break;
      case 'flatten':
        y = tf.reshape(y, [y.shape[0] ?? -1, -1]);
        break;
      case 'gap':
        y = tf.mean(y, [1, 2]);
        break;
      case 'residual':
        y = tf.add(y, forward(l.body, p, y, training, stats));
        break;
    }
  }
  return y;
}

/** Fold one step's batch statistics into the moving averages (Keras' update rule). */
export function updateBn(p: Params, stats: BnStats): void {
  for (const [name, s] of stats) {
    for (const [key, batch] of [
      ['moving_mean', s.mean],
      ['moving_variance', s.variance],
    ] as const) {
      const v = p.get(`${name}/${key}`);
      if (v !== undefined) v.assign(tf.tidy(() => tf.add(tf.mul(v, BN_MOMENTUM), tf.mul(batch, 1 - BN_MOMENTUM))));
      batch.dispose();
    }
  }
  stats.clear();
}

// --- the same network as a tfjs-layers model ---------------------------------

type Made = { layer: tfl.layers.Layer; weights: string[] };

/** One tfjs-layers layer (not for `residual`); the first layer of a Sequential gets the input shape. */
function makeLayer(l: Exclude<Layer, { kind: 'residual' }>, inputShape?: number[]): Made {
  const first = inputShape !== undefined ? { inputShape } : {};
  const base = { name: l.name, ...first };
  switch (l.kind) {
    case 'conv':
      return {
        layer: tfl.layers.conv2d({
          ...base,
          filters: l.filters,
          kernelSize: l.k,
          padding: l.padding,
          useBias: l.bias,
          activation: l.relu === true ? 'relu' : 'linear',
          kernelInitializer: 'zeros',
        }),
        weights: l.bias ? [`${l.name}/kernel`, `${l.name}/bias`] : [`${l.name}/kernel`],
      };
    case 'dense':
      return {
        layer: tfl.layers.dense({ ...base, units: l.units, activation: l.relu === true ? 'relu' : 'linear', kernelInitializer: 'zeros' }),
        weights: [`${l.name}/kernel`, `${l.name}/bias`],
      };
    case 'bn':
      return {
        layer: tfl.layers.batchNormalization({ ...base, axis: -1, epsilon: BN_EPS, momentum: BN_MOMENTUM }),
        weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => `${l.name}/${k}`),
      };
    case 'relu':
      return { layer: l.style === 'ReLU' ? tfl.layers.reLU(base) : tfl.layers.activation({ ...base, activation: 'relu' }), weights: [] };
    case 'maxpool':
      return { layer: tfl.layers.maxPooling2d({ ...base, poolSize: 2, strides: 2, padding: 'valid' }), weights: [] };
    case 'avgpool':
      return { layer: tfl.layers.averagePooling2d({ ...base, poolSize: 2, strides: 2, padding: 'valid' }), weights: [] };
    case 'flatten':
      return { layer: tfl.layers.flatten(base), weights: [] };
    case 'gap':
      return { layer: tfl.layers.globalAveragePooling2d(base), weights: [] };
  }
}

function applyLayers(layers: readonly Layer[], x: tfl.SymbolicTensor, made: Made[]): tfl.SymbolicTensor {
  let y = x;
  for (const l of layers) {
    if (l.kind === 'residual') {
      const inner = applyLayers(l.body, y, made);
      y = tfl.layers.add({ name: `${l.name}_add` }).apply([y, inner]) as tfl.SymbolicTensor;
    } else {
      const m = makeLayer(l);
      made.push(m);
      y = m.layer.apply(y) as tfl.SymbolicTensor;
    }
  }
  return y;
}

/** A tfjs-layers model holding the trained weights (input NHWC [null, 28, 28, 1]). */
export function buildLayersModel(spec: ExampleSpec, p: Params): tfl.LayersModel {
  const made: Made[] = [];
  let model: tfl.LayersModel;
  if (spec.functional) {
    const input = tfl.input({ shape: [28, 28, 1], name: 'input' });
    model = tfl.model({ name: spec.name, inputs: input, outputs: applyLayers(spec.layers, input, made) });
  } else {
    const seq = tfl.sequential({ name: spec.name });
    spec.layers.forEach((l, i) => {
      if (l.kind === 'residual') throw new Error('a Sequential model cannot hold a residual block');
      const m = makeLayer(l, i === 0 ? [28, 28, 1] : undefined);
      made.push(m);
      seq.add(m.layer);
    });
    model = seq;
  }
  for (const { layer, weights } of made) {
    if (weights.length === 0) continue;
    layer.setWeights(
      weights.map((n) => {
        const v = p.get(n);
        if (v === undefined) throw new Error(`missing weight ${n}`);
        return v;
      }),
    );
  }
  return model;
}
