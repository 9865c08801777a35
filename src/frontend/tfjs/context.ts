// What a layer importer works with: typed config readers, weight lookup, and node
// emission with immediate shape inference (so later layers know C, H, W).
//
// Layout: every rank-4 value is NCHW (TF.js is NHWC). Flatten is where the two orders
// would differ: Keras flattens H·W·C, our NCHW Flatten gives C·H·W. We do not insert a
// Transpose; the flattened value carries a `hwc` tag instead, and the layer that reads it
// permutes its own parameters (Dense kernel rows, BatchNormalization vectors) from HWC
// to CHW order, so the graph stays Transpose-free for SNN conversion and hardware
// mapping. Any other consumer (or a graph output) gets the Keras order back through
// `materialize` (Reshape → Transpose → Flatten).
import { fail } from '../../errors.js';
import { gemmAttrs } from '../../ir/build.js';
import { inferNode } from '../../ir/ops.js';
import type { Dim, Node, Tensor, ValueInfo } from '../../ir/types.js';
import type { Json, JsonObject, KerasLayer } from './model-json.js';

export interface Val {
  readonly name: string;
  readonly shape: readonly Dim[];
  /** Set on a flattened NCHW value: [C, H, W] of the tensor Keras would have flattened in HWC order. */
  readonly hwc?: readonly [number, number, number];
}

export interface Ctx {
  readonly file: string;
  readonly nodes: Node[];
  readonly initializers: Map<string, Tensor>;
  readonly values: Map<string, ValueInfo>;
  readonly weights: ReadonlyMap<string, Tensor>;
}

type NodeIn = Node extends infer N ? (N extends Node ? Omit<N, 'outputs'> & { readonly outputs?: readonly string[] } : never) : never;

/** Append a node (its one output is named after the node unless given) and infer its output shapes. */
export function emit(ctx: Ctx, n: NodeIn): Val {
  const node = { ...n, outputs: n.outputs ?? [n.name] } as Node;
  const lookup = (v: string): ValueInfo => {
    const info = ctx.values.get(v);
    if (info === undefined)
      throw fail({ code: 'SNNC_E_UNDEFINED_VALUE', message: `value '${v}' is used before it is defined`, node: node.name, file: ctx.file });
    return info;
  };
  const outs = inferNode(node, lookup, (v) => ctx.initializers.get(v));
  for (const o of outs) ctx.values.set(o.name, o);
  ctx.nodes.push(node);
  const first = outs[0];
  if (first === undefined) throw fail({ code: 'SNNC_E_VERIFY', message: `node '${node.name}' produced no output`, node: node.name });
  return { name: first.name, shape: first.shape };
}

export function addInit(ctx: Ctx, name: string, t: Tensor): string {
  ctx.initializers.set(name, t);
  ctx.values.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
  return name;
}

export function scalar(ctx: Ctx, name: string, v: number): string {
  return addInit(ctx, name, { dtype: 'float32', shape: [], data: Float32Array.of(v) });
}

// --- config readers -------------------------------------------------------------

function attrError(layer: KerasLayer, ctx: Ctx, message: string, hint?: string): never {
  throw fail({
    code: 'SNNC_E_UNSUPPORTED_ATTR',
    message: `${layer.className} '${layer.name}': ${message}`,
    node: layer.name,
    file: ctx.file,
    ...(hint !== undefined ? { hint } : {}),
  });
}
export { attrError };

export function cfgNum(layer: KerasLayer, ctx: Ctx, key: string, dflt: number): number {
  const v = layer.config[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number') return attrError(layer, ctx, `${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function cfgBool(layer: KerasLayer, key: string, dflt: boolean): boolean {
  const v = layer.config[key];
  return typeof v === 'boolean' ? v : dflt;
}

export function cfgStr(layer: KerasLayer, ctx: Ctx, key: string, dflt: string): string {
  const v = layer.config[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string') return attrError(layer, ctx, `${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** An int-or-pair option (kernel_size, strides, pool_size, dilation_rate) as [h, w]. */
export function cfgPair(layer: KerasLayer, ctx: Ctx, key: string, dflt: readonly [number, number] | null): [number, number] {
  const v: Json | undefined = layer.config[key];
  const ok = (x: Json | undefined): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
  if ((v === undefined || v === null) && dflt !== null) return [dflt[0], dflt[1]];
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  return attrError(layer, ctx, `${key} must be a positive integer or a pair of them, got ${JSON.stringify(v ?? null)}`);
}

export function requireChannelsLast(layer: KerasLayer, ctx: Ctx): void {
  const f = cfgStr(layer, ctx, 'data_format', 'channels_last');
  if (f !== 'channels_last') attrError(layer, ctx, `data_format '${f}' is not supported`, 'save the model with data_format channels_last (the TF.js default)');
}

// --- weights ----------------------------------------------------------------------

/** The weight `<layer>/<w>` (also under a name scope such as `model/<layer>/<w>:0`). */
export function weight(ctx: Ctx, layer: KerasLayer, w: string, shape: readonly number[]): Tensor {
  const exact = `${layer.name}/${w}`;
  let t = ctx.weights.get(exact) ?? ctx.weights.get(`${exact}:0`);
  if (t === undefined) {
    for (const [k, v] of ctx.weights)
      if (k.endsWith(`/${exact}`) || k.endsWith(`/${exact}:0`)) {
        t = v;
        break;
      }
  }
  if (t === undefined) {
    throw fail({
      code: 'SNNC_E_TENSOR_DATA',
      message: `${layer.className} '${layer.name}' has no weight '${w}' in the weights manifest`,
      node: layer.name,
      file: ctx.file,
      hint: `the manifest must hold '${exact}' of shape [${shape.join(', ')}]`,
    });
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.dtype !== 'float32') {
    throw fail({
      code: 'SNNC_E_TENSOR_DATA',
      message: `${layer.className} '${layer.name}': weight '${w}' is ${t.dtype} [${t.shape.join(', ')}], expected float32 [${shape.join(', ')}]`,
      node: layer.name,
      file: ctx.file,
    });
  }
  return t;
}

/** Reorder a per-feature vector/rows from Keras' HWC flatten order to our CHW order. */
export function hwcToChw(src: Float32Array, hwc: readonly [number, number, number], rowLen: number): Float32Array {
  const [c, h, w] = hwc;
  const out = new Float32Array(src.length);
  for (let ci = 0; ci < c; ci++) {
    for (let hi = 0; hi < h; hi++) {
      for (let wi = 0; wi < w; wi++) {
        const from = (hi * w + wi) * c + ci;
        const to = (ci * h + hi) * w + wi;
        out.set(src.subarray(from * rowLen, (from + 1) * rowLen), to * rowLen);
      }
    }
  }
  return out;
}

/** Give a flattened value Keras' HWC element order (for consumers that cannot absorb the permutation). */
export function materialize(ctx: Ctx, v: Val): Val {
  if (v.hwc === undefined) return v;
  const [c, h, w] = v.hwc;
  const shape = addInit(ctx, `${v.name}/nchw_shape`, { dtype: 'int64', shape: [4], data: BigInt64Array.from([0n, BigInt(c), BigInt(h), BigInt(w)]) });
  const r = emit(ctx, { op: 'Reshape', name: `${v.name}/nchw`, inputs: [v.name, shape], attrs: { allowzero: false } });
  const t = emit(ctx, { op: 'Transpose', name: `${v.name}/nhwc`, inputs: [r.name], attrs: { perm: [0, 2, 3, 1] } });
  return emit(ctx, { op: 'Flatten', name: `${v.name}/hwc`, inputs: [t.name], attrs: { axis: 1 } });
}

/** Keras `activation` (on Dense/Conv2D/Activation layers) applied to `v`; `name` names the result. */
export function activation(ctx: Ctx, layer: KerasLayer, v: Val, act: string, name: string): Val {
  const keep = v.hwc !== undefined ? { hwc: v.hwc } : {};
  const unary = (op: 'Relu' | 'Sigmoid' | 'Tanh'): Val => ({ ...emit(ctx, { op, name, inputs: [v.name], attrs: {} }), ...keep });
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return unary('Relu');
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'relu6':
      return { ...emit(ctx, { op: 'Clip', name, inputs: [v.name, scalar(ctx, `${name}/min`, 0), scalar(ctx, `${name}/max`, 6)], attrs: {} }), ...keep };
    case 'softmax': {
      const m = materialize(ctx, v);
      // Keras normalizes over the last (channel) axis; in NCHW that is axis 1.
      return emit(ctx, { op: 'Softmax', name, inputs: [m.name], attrs: { axis: 1 } });
    }
    default:
      return attrError(layer, ctx, `activation '${act}' is not supported`, 'supported activations: linear, relu, relu6, sigmoid, tanh, softmax');
  }
}

export { gemmAttrs };
export type { JsonObject };
