// A differentiable TF.js forward pass of an IR graph (ANN ops), for tools that need
// gradients with respect to the input or the weights. Images run in NHWC inside (what every
// TF.js backend implements); values are converted back to the IR's NCHW meaning at Flatten
// and Reshape, so weights are used exactly as the IR stores them.
import type * as TF from '@tensorflow/tfjs-core';
import { fail } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { resolveWindow } from '../ir/window.js';

type T = TF.Tensor;
type Tf = typeof TF;

/** A value inside the forward pass: 4-D maps are NHWC, everything else as in the IR. */
interface Val {
  readonly t: T;
  readonly nhwc: boolean;
}

export interface BatchNormSite {
  readonly node: string;
  /** The BN input, NHWC or [N, C]. */
  readonly x: T;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

export interface ForwardResult {
  readonly outputs: Map<string, T>;
  readonly batchNorms: BatchNormSite[];
}

/**
 * What a training loop changes in the forward pass: trainable tensors in place of
 * initializers (a variable, or a fake-quantized view of one), and a replacement for the
 * neuron activations (Relu and Clip(0, a) nodes: a trainable clip, a quantized clip).
 */
export interface ForwardHooks {
  readonly params?: ReadonlyMap<string, T>;
  readonly activation?: (n: Node, x: T) => T | undefined;
  /** A replacement for the output of any other node (e.g. a pool that is a spiking layer on the hardware). */
  readonly after?: (n: Node, y: T) => T | undefined;
  /**
   * A replacement for a synaptic product (no bias, no Gemm alpha): x [N, K] · w [K, O], or a
   * convolution of the padded NHWC x with the HWIO kernel w through `conv` (no groups).
   */
  readonly product?: (n: Node, x: T, w: T, conv?: Conv) => T | undefined;
}

/** A convolution of x with w; `dataInput`: x is data (no gradient wanted), which spares its transposed convolution. */
export type Conv = (x: T, w: T, dataInput?: boolean) => T;

/**
 * The input gradient of a valid NHWC convolution as a forward convolution: dy dilated by the
 * stride (zeros between its positions), padded by the kernel size − 1 (and by the rows and
 * columns of x no window reached), convolved with the kernel turned 180° and its in/out
 * channels swapped. The wasm backend's own transposed convolution (Conv2DBackpropInput) is a
 * plain loop: 47 ms for LeNet conv2's crossbar tile on a batch of 16, the largest single cost
 * of an ADC-less training step; XNNPACK's forward convolution does it in a fraction.
 */
function inputGradient(tf: Tf, dy: TF.Tensor4D, w: TF.Tensor4D, xShape: readonly number[], [sh, sw]: [number, number]): TF.Tensor4D {
  const [N, Ho, Wo, O] = dy.shape;
  const [kh, kw] = w.shape;
  let d: TF.Tensor4D = dy;
  if (sh !== 1 || sw !== 1) {
    const spread = tf.pad(tf.reshape(dy, [N, Ho, 1, Wo, 1, O]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    d = tf.slice(tf.reshape(spread, [N, Ho * sh, Wo * sw, O]) as TF.Tensor4D, [0, 0, 0, 0], [N, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1, O]);
  }
  const restH = (xShape[1] ?? 0) - ((Ho - 1) * sh + kh);
  const restW = (xShape[2] ?? 0) - ((Wo - 1) * sw + kw);
  const padded = tf.pad(d, [
    [0, 0],
    [kh - 1, kh - 1 + restH],
    [kw - 1, kw - 1 + restW],
    [0, 0],
  ]);
  const turned = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as TF.Tensor4D;
  return tf.conv2d(padded, turned, 1, 'valid');
}

/**
 * conv2d (NHWC, valid, dilation 1) with a gradient every backend can compute: the wasm
 * backend has no Conv2DBackpropFilter. The input gradient is a forward convolution too
 * (inputGradient); the filter gradient is another forward convolution of x (channels as batch,
 * batch as channels) with dy as the kernel, dilated by the stride:
 *   dW[i,j,c,o] = Σ_b,h,w x[b, s·h+i, s·w+j, c] · dy[b,h,w,o].
 */
function trainableConv(tf: Tf, stride: [number, number], dataInput = false): (x: T, w: T) => T {
  return tf.customGrad(((x: TF.Tensor4D, w: TF.Tensor4D, save: TF.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, stride, 'valid'),
      gradFunc: (dyIn: T | T[], saved: T[]) => {
        const dy = dyIn as TF.Tensor4D;
        const [xs, ws] = saved as [TF.Tensor4D, TF.Tensor4D];
        const dx = dataInput ? tf.zerosLike(xs) : inputGradient(tf, dy, ws, xs.shape, stride);
        const [kh, kw] = ws.shape;
        let dw = tf.transpose(
          tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid', 'NHWC', stride),
          [1, 2, 0, 3],
        ) as TF.Tensor4D;
        // Rows/columns of x no window reached give extra positions: drop them.
        if (dw.shape[0] !== kh || dw.shape[1] !== kw) dw = tf.slice(dw, [0, 0, 0, 0], [kh, kw, -1, -1]);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T, w: T) => T;
}

const FORWARD_OPS: readonly string[] = [
  'Conv',
  'Gemm',
  'MatMul',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Clip',
  'BatchNormalization',
  'AveragePool',
  'MaxPool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Identity',
  'Dropout',
  'Softmax',
  'Concat',
];

function unsupported(n: Node, why: string): never {
  throw fail({
    code: 'SNNC_E_UNSUPPORTED_OP',
    message: `${n.op} '${n.name}': ${why}`,
    node: n.name,
    hint: `gradient-based tools support ${FORWARD_OPS.join(', ')} on 2-D images`,
  });
}

/** A tensor's data as float32 (the initializers TF.js variables start from). */
export function floats(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
}

export function forwardTf(tf: Tf, g: Graph, x: T, hooks: ForwardHooks = {}): ForwardResult {
  const env = new Map<string, Val>();
  const batchNorms: BatchNormSite[] = [];
  const input = g.inputs[0] ?? '';
  env.set(input, x.rank === 4 ? { t: tf.transpose(x, [0, 2, 3, 1]), nhwc: true } : { t: x, nhwc: false });
  const konst = (name: string): Tensor | undefined => g.initializers.get(name);
  const get = (n: Node, i: number): Val => {
    const name = n.inputs[i] ?? '';
    const v = env.get(name);
    if (v !== undefined) return v;
    const c = konst(name);
    if (c === undefined) return unsupported(n, `input ${i} is not available`);
    return { t: tensorOf(name, c), nhwc: false };
  };
  /** An initializer as a tensor of its own shape: the trainable one when the hooks give it. */
  const tensorOf = (name: string, c: Tensor): T => hooks.params?.get(name) ?? tf.tensor(floats(c), [...c.shape]);
  const vector = (name: string, c: Tensor): T => tf.reshape(tensorOf(name, c), [-1]);
  /** A constant operand broadcast against an NHWC map: [C,1,1] / [1,C,1,1] → [C]. */
  const operand = (n: Node, i: number, other: Val): T => {
    const name = n.inputs[i] ?? '';
    const c = konst(name);
    if (c === undefined || !other.nhwc) return get(n, i).t;
    const size = c.shape.reduce((a, b) => a * b, 1);
    if (size === 1) return tf.scalar(floats(c)[0] ?? 0);
    const C = other.t.shape[3];
    if (size === C) return tf.tensor1d(floats(c));
    return unsupported(n, `constant of shape [${c.shape.join(', ')}] against a feature map`);
  };
  const toNchwFlat = (v: Val): T => (v.nhwc ? tf.transpose(v.t, [0, 3, 1, 2]) : v.t);

  for (const n of g.nodes) {
    let out: Val;
    if ((n.op === 'Relu' || n.op === 'Clip') && hooks.activation !== undefined) {
      const v = get(n, 0);
      const t = hooks.activation(n, v.t);
      if (t !== undefined) {
        env.set(n.outputs[0] ?? '', { t, nhwc: v.nhwc });
        continue;
      }
    }
    switch (n.op) {
      case 'Conv': {
        const xv = get(n, 0);
        const w = konst(n.inputs[1] ?? '');
        if (!xv.nhwc || w === undefined || w.shape.length !== 4) return unsupported(n, 'only 2-D convolutions with constant weights');
        const [O, Ig, kh, kw] = w.shape as [number, number, number, number];
        const [, H, W, C] = xv.t.shape as [number, number, number, number];
        const a = n.attrs;
        const r = resolveWindow([H, W], { ...a, kernelShape: [kh, kw] }, false, n.name);
        const padded = tf.pad(xv.t as TF.Tensor4D, [
          [0, 0],
          [r.padsBegin[0] ?? 0, r.padsEnd[0] ?? 0],
          [r.padsBegin[1] ?? 0, r.padsEnd[1] ?? 0],
          [0, 0],
        ]);
        const strides: [number, number] = [a.strides[0] ?? 1, a.strides[1] ?? 1];
        const dil: [number, number] = [a.dilations[0] ?? 1, a.dilations[1] ?? 1];
        let y: T;
        const wName = n.inputs[1] ?? '';
        if (a.group === 1) {
          const hwio = tf.transpose(tf.reshape(tensorOf(wName, w), [O, Ig, kh, kw]), [2, 3, 1, 0]) as TF.Tensor4D;
          const conv: Conv = (xs, ws, dataInput) =>
            dil[0] === 1 && dil[1] === 1
              ? trainableConv(tf, strides, dataInput)(xs, ws)
              : tf.conv2d(xs as TF.Tensor4D, ws as TF.Tensor4D, strides, 'valid', 'NHWC', dil);
          y = hooks.product?.(n, padded, hwio, conv) ?? conv(padded, hwio);
        } else if (a.group === C && Ig === 1) {
          const mult = O / C;
          const f = tf.transpose(tf.reshape(tensorOf(wName, w), [C, mult, kh, kw]), [2, 3, 0, 1]) as TF.Tensor4D;
          y = tf.depthwiseConv2d(padded as TF.Tensor4D, f, strides, 'valid', 'NHWC', dil);
        } else {
          return unsupported(n, `group ${a.group} (only 1 or depthwise)`);
        }
        const b = konst(n.inputs[2] ?? '');
        out = { t: b !== undefined ? tf.add(y, vector(n.inputs[2] ?? '', b)) : y, nhwc: true };
        break;
      }
      case 'Gemm': {
        const av = get(n, 0);
        const b = konst(n.inputs[1] ?? '');
        if (av.nhwc || av.t.rank !== 2 || b === undefined || n.attrs.transA) return unsupported(n, 'only [N, K] · constant B');
        let bt = tf.reshape(tensorOf(n.inputs[1] ?? '', b), [b.shape[0] ?? 0, b.shape[1] ?? 0]) as TF.Tensor2D;
        if (n.attrs.transB) bt = tf.transpose(bt);
        let y = tf.mul(hooks.product?.(n, av.t, bt) ?? tf.matMul(av.t as TF.Tensor2D, bt), n.attrs.alpha);
        const c = konst(n.inputs[2] ?? '');
        if (c !== undefined) y = tf.add(y, tf.mul(tensorOf(n.inputs[2] ?? '', c), n.attrs.beta));
        out = { t: y, nhwc: false };
        break;
      }
      case 'MatMul': {
        const av = get(n, 0);
        const b = konst(n.inputs[1] ?? '');
        if (av.nhwc || av.t.rank !== 2 || b === undefined || b.shape.length !== 2) return unsupported(n, 'only [N, K] · constant [K, M]');
        const bm = tf.reshape(tensorOf(n.inputs[1] ?? '', b), [b.shape[0] ?? 0, b.shape[1] ?? 0]);
        out = { t: hooks.product?.(n, av.t, bm) ?? tf.matMul(av.t as TF.Tensor2D, bm as TF.Tensor2D), nhwc: false };
        break;
      }
      case 'Relu': {
        const v = get(n, 0);
        out = { t: tf.relu(v.t), nhwc: v.nhwc };
        break;
      }
      case 'LeakyRelu': {
        const v = get(n, 0);
        out = { t: tf.leakyRelu(v.t, n.attrs.alpha), nhwc: v.nhwc };
        break;
      }
      case 'Sigmoid': {
        const v = get(n, 0);
        out = { t: tf.sigmoid(v.t), nhwc: v.nhwc };
        break;
      }
      case 'Tanh': {
        const v = get(n, 0);
        out = { t: tf.tanh(v.t), nhwc: v.nhwc };
        break;
      }
      case 'Clip': {
        const v = get(n, 0);
        const lo = konst(n.inputs[1] ?? '');
        const hi = konst(n.inputs[2] ?? '');
        out = {
          t: tf.clipByValue(v.t, lo !== undefined ? (floats(lo)[0] ?? -Infinity) : -3.4e38, hi !== undefined ? (floats(hi)[0] ?? Infinity) : 3.4e38),
          nhwc: v.nhwc,
        };
        break;
      }
      case 'BatchNormalization': {
        const v = get(n, 0);
        const [s, b, m, va] = [1, 2, 3, 4].map((i) => konst(n.inputs[i] ?? ''));
        if (s === undefined || b === undefined || m === undefined || va === undefined) return unsupported(n, 'statistics must be constants');
        batchNorms.push({ node: n.name, x: v.t, mean: floats(m), variance: floats(va) });
        const mean = tf.tensor1d(floats(m));
        const inv = tf.rsqrt(tf.add(tf.tensor1d(floats(va)), n.attrs.epsilon));
        out = { t: tf.add(tf.mul(tf.mul(tf.sub(v.t, mean), inv), tf.tensor1d(floats(s))), tf.tensor1d(floats(b))), nhwc: v.nhwc };
        break;
      }
      case 'AveragePool':
      case 'MaxPool': {
        const v = get(n, 0);
        const a = n.attrs;
        if (!v.nhwc || a.kernelShape.length !== 2 || a.ceilMode || a.dilations.some((d) => d !== 1))
          return unsupported(n, '2-D pooling without ceil mode or dilation');
        const [, H, W] = v.t.shape as [number, number, number, number];
        const r = resolveWindow([H, W], a, false, n.name);
        const pads = [...r.padsBegin, ...r.padsEnd];
        if (n.op === 'AveragePool' && pads.some((p) => p !== 0) && !n.attrs.countIncludePad) {
          return unsupported(n, 'padding excluded from the average');
        }
        const fill = n.op === 'MaxPool' ? -3.4e38 : 0;
        const x4 = tf.pad(
          v.t as TF.Tensor4D,
          [
            [0, 0],
            [r.padsBegin[0] ?? 0, r.padsEnd[0] ?? 0],
            [r.padsBegin[1] ?? 0, r.padsEnd[1] ?? 0],
            [0, 0],
          ],
          fill,
        );
        const k: [number, number] = [a.kernelShape[0] ?? 1, a.kernelShape[1] ?? 1];
        const st: [number, number] = [a.strides[0] ?? 1, a.strides[1] ?? 1];
        out = { t: n.op === 'MaxPool' ? tf.maxPool(x4, k, st, 'valid') : tf.avgPool(x4, k, st, 'valid'), nhwc: true };
        break;
      }
      case 'GlobalAveragePool': {
        const v = get(n, 0);
        if (!v.nhwc) return unsupported(n, 'needs a 2-D feature map');
        out = { t: tf.mean(v.t, [1, 2], true), nhwc: true };
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        const v = get(n, 0);
        const shape = g.values.get(n.outputs[0] ?? '')?.shape ?? [];
        const dims = shape.slice(1).filter((d): d is number => typeof d === 'number');
        if (dims.length !== shape.length - 1 || (dims.length !== 1 && dims.length !== 3))
          return unsupported(n, 'only flattening to [N, features] or reshaping to [N, C, H, W]');
        // To an image: a Keras model's NHWC input made NCHW (its Transpose canonicalizes to this
        // Reshape when C = 1) — the values in NCHW order, reshaped, then held NHWC as convs want.
        out =
          dims.length === 1
            ? { t: tf.reshape(toNchwFlat(v), [-1, ...dims]), nhwc: false }
            : { t: tf.transpose(tf.reshape(toNchwFlat(v), [-1, ...dims]), [0, 2, 3, 1]), nhwc: true };
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const a = env.get(n.inputs[0] ?? '') ?? get(n, 0);
        const bDyn = env.get(n.inputs[1] ?? '');
        const b = bDyn?.t ?? operand(n, 1, a);
        const fn = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div }[n.op];
        out = { t: fn(a.t, b), nhwc: a.nhwc };
        break;
      }
      case 'Concat': {
        const vs = n.inputs.map((_, i) => get(n, i));
        const nhwc = vs[0]?.nhwc ?? false;
        if (nhwc && n.attrs.axis !== 1 && n.attrs.axis !== -3) return unsupported(n, 'feature maps concatenate on channels only');
        out = {
          t: tf.concat(
            vs.map((v) => v.t),
            nhwc ? 3 : n.attrs.axis,
          ),
          nhwc,
        };
        break;
      }
      case 'Softmax': {
        const v = get(n, 0);
        out = { t: tf.softmax(v.t), nhwc: v.nhwc };
        break;
      }
      case 'Identity':
      case 'Dropout':
        out = get(n, 0);
        break;
      default:
        return unsupported(n, 'not supported by the TF.js forward pass');
    }
    const replaced = hooks.after?.(n, out.t);
    env.set(n.outputs[0] ?? '', replaced !== undefined ? { t: replaced, nhwc: out.nhwc } : out);
  }
  const outputs = new Map<string, T>();
  for (const o of g.outputs) {
    const v = env.get(o);
    if (v !== undefined) outputs.set(o, v.nhwc ? tf.transpose(v.t, [0, 3, 1, 2]) : v.t);
  }
  return { outputs, batchNorms };
}
