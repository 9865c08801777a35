// The Keras layer table: class name → importer. A class missing here is an
// SNNC_E_UNSUPPORTED_OP naming the layer. Importers receive NCHW values (see context.ts)
// and return the layer's output value.
import { fail } from '../../errors.js';
import { avgPoolAttrs, convAttrs, maxPoolAttrs } from '../../ir/build.js';
import type { Dim } from '../../ir/types.js';
import type { Ctx, Val } from './context.js';
import {
  activation,
  addInit,
  attrError,
  cfgBool,
  cfgNum,
  cfgPair,
  cfgStr,
  emit,
  gemmAttrs,
  hwcToChw,
  materialize,
  requireChannelsLast,
  scalar,
  weight,
} from './context.js';
import type { KerasLayer } from './model-json.js';

type Importer = (ctx: Ctx, layer: KerasLayer, ins: readonly Val[]) => Val;

function one(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  const v = ins[0];
  if (ins.length !== 1 || v === undefined) {
    throw fail({
      code: 'SNNC_E_TFJS_INVALID',
      message: `${layer.className} '${layer.name}' takes one input, got ${ins.length}`,
      node: layer.name,
      file: ctx.file,
    });
  }
  return v;
}

/** The input as NCHW with static C, H, W. */
function image(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): { v: Val; c: number; h: number; w: number } {
  const v = one(ctx, layer, ins);
  const [, c, h, w] = v.shape;
  if (v.shape.length !== 4 || typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `${layer.className} '${layer.name}' needs a 4-D image input with known height, width and channels, got [${v.shape.join(', ')}] (NCHW)`,
      node: layer.name,
      file: ctx.file,
    });
  }
  return { v, c, h, w };
}

/** Keras padding ('valid' | 'same', TF's rule: extra padding at the end) as ONNX pads. */
function pads(
  ctx: Ctx,
  layer: KerasLayer,
  inHW: readonly [number, number],
  k: readonly [number, number],
  s: readonly [number, number],
  d: readonly [number, number] = [1, 1],
): number[] {
  const mode = cfgStr(layer, ctx, 'padding', 'valid');
  if (mode === 'valid') return [0, 0, 0, 0];
  if (mode !== 'same') attrError(layer, ctx, `padding '${mode}' is not supported`, "use 'valid' or 'same'");
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const inp = inHW[i] ?? 0;
    const st = s[i] ?? 1;
    const out = Math.ceil(inp / st);
    const total = Math.max(0, (out - 1) * st + ((k[i] ?? 1) - 1) * (d[i] ?? 1) + 1 - inp);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

function conv2d(ctx: Ctx, layer: KerasLayer, ins: readonly Val[], depthwise: boolean): Val {
  requireChannelsLast(layer, ctx);
  const { v, c, h, w } = image(ctx, layer, ins);
  const k = cfgPair(layer, ctx, 'kernel_size', null);
  const s = cfgPair(layer, ctx, 'strides', [1, 1]);
  const d = cfgPair(layer, ctx, 'dilation_rate', [1, 1]);
  if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) attrError(layer, ctx, 'strides and dilation_rate both above 1 are not allowed in Keras');
  const [kh, kw] = k;
  let wt: Float32Array;
  let cout: number;
  let group: number;
  if (depthwise) {
    const m = cfgNum(layer, ctx, 'depth_multiplier', 1);
    const src = weight(ctx, layer, 'depthwise_kernel', [kh, kw, c, m]).data as Float32Array;
    cout = c * m;
    group = c;
    // [kh, kw, C, M] → OIHW [C·M, 1, kh, kw], output channel c·M + m (TF's order).
    wt = new Float32Array(cout * kh * kw);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let ci = 0; ci < c; ci++)
          for (let mi = 0; mi < m; mi++) {
            wt[((ci * m + mi) * kh + y) * kw + x] = src[((y * kw + x) * c + ci) * m + mi] ?? 0;
          }
  } else {
    group = cfgNum(layer, ctx, 'groups', 1);
    if (!Number.isSafeInteger(group) || group < 1 || c % group !== 0) attrError(layer, ctx, `groups ${group} does not divide ${c} input channels`);
    cout = cfgNum(layer, ctx, 'filters', 0);
    const cin = c / group;
    const src = weight(ctx, layer, 'kernel', [kh, kw, cin, cout]).data as Float32Array;
    // HWIO → OIHW
    wt = new Float32Array(cout * cin * kh * kw);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) {
            wt[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o] ?? 0;
          }
  }
  const inputs = [v.name, addInit(ctx, `${layer.name}/kernel`, { dtype: 'float32', shape: [cout, depthwise ? 1 : c / group, kh, kw], data: wt })];
  if (cfgBool(layer, 'use_bias', true)) inputs.push(addInit(ctx, `${layer.name}/bias`, weight(ctx, layer, 'bias', [cout])));
  const act = cfgStr(layer, ctx, 'activation', 'linear');
  const name = act === 'linear' ? layer.name : `${layer.name}/linear`;
  const attrs = convAttrs({ kernelShape: k, strides: s, dilations: d, pads: pads(ctx, layer, [h, w], k, s, d), group });
  return activation(ctx, layer, emit(ctx, { op: 'Conv', name, inputs, attrs }), act, layer.name);
}

function dense(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  const v = one(ctx, layer, ins);
  const fin = v.shape[1];
  if (v.shape.length !== 2 || typeof fin !== 'number') {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `Dense '${layer.name}' on a ${v.shape.length}-D input is not supported (only [batch, features])`,
      node: layer.name,
      file: ctx.file,
      hint: 'add a Flatten before the Dense layer',
    });
  }
  const units = cfgNum(layer, ctx, 'units', 0);
  let k = weight(ctx, layer, 'kernel', [fin, units]).data as Float32Array;
  if (v.hwc !== undefined) k = hwcToChw(k, v.hwc, units);
  // Keras kernel [in, out] → Gemm B [out, in] with transB, the ONNX/PyTorch convention.
  const b = new Float32Array(units * fin);
  for (let i = 0; i < fin; i++) for (let o = 0; o < units; o++) b[o * fin + i] = k[i * units + o] ?? 0;
  const inputs = [v.name, addInit(ctx, `${layer.name}/kernel`, { dtype: 'float32', shape: [units, fin], data: b })];
  if (cfgBool(layer, 'use_bias', true)) inputs.push(addInit(ctx, `${layer.name}/bias`, weight(ctx, layer, 'bias', [units])));
  const act = cfgStr(layer, ctx, 'activation', 'linear');
  const name = act === 'linear' ? layer.name : `${layer.name}/linear`;
  return activation(ctx, layer, emit(ctx, { op: 'Gemm', name, inputs, attrs: gemmAttrs({ transB: true }) }), act, layer.name);
}

function batchNorm(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  const v = one(ctx, layer, ins);
  const rank = v.shape.length;
  const axisJson = layer.config['axis'];
  const axis = Array.isArray(axisJson) && axisJson.length === 1 ? axisJson[0] : (axisJson ?? -1);
  if (typeof axis !== 'number' || !(axis === -1 || axis === rank - 1)) {
    attrError(layer, ctx, `axis ${JSON.stringify(axisJson)} is not the channel axis`, 'only normalization over the last (channel) axis is supported');
  }
  const ch = v.shape[1];
  if ((rank !== 2 && rank !== 4) || typeof ch !== 'number') {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `BatchNormalization '${layer.name}' needs a [N, C] or [N, C, H, W] input with known C, got [${v.shape.join(', ')}]`,
      node: layer.name,
      file: ctx.file,
    });
  }
  const get = (w: string, present: boolean, fill: number): Float32Array => {
    const t = present ? (weight(ctx, layer, w, [ch]).data as Float32Array) : new Float32Array(ch).fill(fill);
    return v.hwc !== undefined ? hwcToChw(t, v.hwc, 1) : t;
  };
  const vec = (w: string, data: Float32Array): string => addInit(ctx, `${layer.name}/${w}`, { dtype: 'float32', shape: [ch], data });
  const inputs = [
    v.name,
    vec('gamma', get('gamma', cfgBool(layer, 'scale', true), 1)),
    vec('beta', get('beta', cfgBool(layer, 'center', true), 0)),
    vec('moving_mean', get('moving_mean', true, 0)),
    vec('moving_variance', get('moving_variance', true, 1)),
  ];
  const out = emit(ctx, { op: 'BatchNormalization', name: layer.name, inputs, attrs: { epsilon: cfgNum(layer, ctx, 'epsilon', 1e-3) } });
  return v.hwc !== undefined ? { ...out, hwc: v.hwc } : out;
}

function pool(ctx: Ctx, layer: KerasLayer, ins: readonly Val[], max: boolean): Val {
  requireChannelsLast(layer, ctx);
  const { v, h, w } = image(ctx, layer, ins);
  const k = cfgPair(layer, ctx, 'pool_size', [2, 2]);
  const s = cfgPair(layer, ctx, 'strides', k);
  const p = pads(ctx, layer, [h, w], k, s);
  // Keras 'same' average pooling divides by the number of real (unpadded) pixels.
  const attrs = max ? maxPoolAttrs({ kernelShape: k, strides: s, pads: p }) : avgPoolAttrs({ kernelShape: k, strides: s, pads: p, countIncludePad: false });
  return max
    ? emit(ctx, { op: 'MaxPool', name: layer.name, inputs: [v.name], attrs: attrs as ReturnType<typeof maxPoolAttrs> })
    : emit(ctx, { op: 'AveragePool', name: layer.name, inputs: [v.name], attrs: attrs as ReturnType<typeof avgPoolAttrs> });
}

function globalPool(ctx: Ctx, layer: KerasLayer, ins: readonly Val[], max: boolean): Val {
  requireChannelsLast(layer, ctx);
  const { v } = image(ctx, layer, ins);
  const keep = cfgBool(layer, 'keepdims', false);
  const name = keep ? layer.name : `${layer.name}/pool`;
  const g = emit(ctx, { op: max ? 'GlobalMaxPool' : 'GlobalAveragePool', name, inputs: [v.name], attrs: {} });
  return keep ? g : emit(ctx, { op: 'Flatten', name: layer.name, inputs: [g.name], attrs: { axis: 1 } });
}

function flatten(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  const v = one(ctx, layer, ins);
  if (v.shape.length === 2) return v;
  const out = emit(ctx, { op: 'Flatten', name: layer.name, inputs: [v.name], attrs: { axis: 1 } });
  const [, c, h, w] = v.shape;
  if (cfgStr(layer, ctx, 'data_format', 'channels_last') === 'channels_first' || v.shape.length !== 4) return out;
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `Flatten '${layer.name}' needs known channels, height and width, got [${v.shape.join(', ')}]`,
      node: layer.name,
      file: ctx.file,
    });
  }
  // With one channel or a 1×1 map the HWC and CHW orders coincide.
  return c > 1 && h * w > 1 ? { ...out, hwc: [c, h, w] } : out;
}

function relu(ctx: Ctx, layer: KerasLayer, ins: readonly Val[], cap: number | null): Val {
  const v = one(ctx, layer, ins);
  const keep = v.hwc !== undefined ? { hwc: v.hwc } : {};
  const slope = cfgNum(layer, ctx, 'negative_slope', 0);
  if (cfgNum(layer, ctx, 'threshold', 0) !== 0) attrError(layer, ctx, 'a non-zero threshold is not supported');
  const max = cap ?? (layer.config['max_value'] === null ? null : cfgNum(layer, ctx, 'max_value', Infinity));
  if (slope !== 0) {
    if (max !== null && max !== Infinity) attrError(layer, ctx, 'negative_slope together with max_value is not supported');
    return { ...emit(ctx, { op: 'LeakyRelu', name: layer.name, inputs: [v.name], attrs: { alpha: slope } }), ...keep };
  }
  if (max === null || max === Infinity) return { ...emit(ctx, { op: 'Relu', name: layer.name, inputs: [v.name], attrs: {} }), ...keep };
  const inputs = [v.name, scalar(ctx, `${layer.name}/min`, 0), scalar(ctx, `${layer.name}/max`, max)];
  return { ...emit(ctx, { op: 'Clip', name: layer.name, inputs, attrs: {} }), ...keep };
}

function add(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  if (ins.length < 2) throw fail({ code: 'SNNC_E_TFJS_INVALID', message: `Add '${layer.name}' needs at least two inputs`, node: layer.name, file: ctx.file });
  const tag = ins[0]?.hwc;
  const same = ins.every((i) => JSON.stringify(i.hwc) === JSON.stringify(tag));
  const vals = same ? ins : ins.map((i) => materialize(ctx, i));
  let acc = vals[0] as Val;
  for (let i = 1; i < vals.length; i++) {
    const name = i === vals.length - 1 ? layer.name : `${layer.name}/add${i}`;
    acc = emit(ctx, { op: 'Add', name, inputs: [acc.name, (vals[i] as Val).name], attrs: {} });
  }
  return same && tag !== undefined ? { ...acc, hwc: tag } : acc;
}

function concat(ctx: Ctx, layer: KerasLayer, ins: readonly Val[]): Val {
  const vals = ins.map((i) => materialize(ctx, i));
  const rank = vals[0]?.shape.length ?? 0;
  let axis = cfgNum(layer, ctx, 'axis', -1);
  if (axis < 0) axis += rank;
  if (axis <= 0 || axis >= rank) attrError(layer, ctx, `axis ${cfgNum(layer, ctx, 'axis', -1)} is not supported for a rank-${rank} input`);
  // NHWC axis → NCHW axis: H 1→2, W 2→3, C 3→1.
  if (rank === 4) axis = [0, 2, 3, 1][axis] ?? axis;
  return emit(ctx, { op: 'Concat', name: layer.name, inputs: vals.map((v) => v.name), attrs: { axis } });
}

function input(ctx: Ctx, layer: KerasLayer, batchShape: readonly (number | null)[]): Val {
  const [b, ...rest] = batchShape;
  if (rest.some((d) => d === null)) {
    throw fail({
      code: 'SNNC_E_DYNAMIC',
      message: `input '${layer.name}' has unknown non-batch dimensions [${batchShape.map(String).join(', ')}]`,
      node: layer.name,
      file: ctx.file,
      hint: 'give the InputLayer a full shape',
    });
  }
  const batch: Dim = b ?? 'N';
  let shape: Dim[];
  if (rest.length === 3)
    shape = [batch, rest[2] as number, rest[0] as number, rest[1] as number]; // NHWC → NCHW
  else if (rest.length === 1) shape = [batch, rest[0] as number];
  else {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `input '${layer.name}' of rank ${batchShape.length} is not supported`,
      node: layer.name,
      file: ctx.file,
      hint: 'inputs must be images [batch, H, W, C] or vectors [batch, F]',
    });
  }
  ctx.values.set(layer.name, { name: layer.name, dtype: 'float32', shape });
  return { name: layer.name, shape };
}
export { input as inputLayer };

const passThrough: Importer = (ctx, l, ins) => one(ctx, l, ins);

export const LAYERS: Readonly<Record<string, Importer>> = {
  Dense: dense,
  Conv2D: (ctx, l, ins) => conv2d(ctx, l, ins, false),
  DepthwiseConv2D: (ctx, l, ins) => conv2d(ctx, l, ins, true),
  BatchNormalization: batchNorm,
  Activation: (ctx, l, ins) => activation(ctx, l, one(ctx, l, ins), cfgStr(l, ctx, 'activation', 'linear'), l.name),
  ReLU: (ctx, l, ins) => relu(ctx, l, ins, null),
  ReLU6: (ctx, l, ins) => relu(ctx, l, ins, 6),
  LeakyReLU: (ctx, l, ins) => {
    const v = one(ctx, l, ins);
    const alpha = cfgNum(l, ctx, 'alpha', cfgNum(l, ctx, 'negative_slope', 0.3));
    return { ...emit(ctx, { op: 'LeakyRelu', name: l.name, inputs: [v.name], attrs: { alpha } }), ...(v.hwc !== undefined ? { hwc: v.hwc } : {}) };
  },
  Softmax: (ctx, l, ins) => {
    if (cfgNum(l, ctx, 'axis', -1) !== -1) attrError(l, ctx, 'only softmax over the last axis is supported');
    return activation(ctx, l, one(ctx, l, ins), 'softmax', l.name);
  },
  MaxPooling2D: (ctx, l, ins) => pool(ctx, l, ins, true),
  AveragePooling2D: (ctx, l, ins) => pool(ctx, l, ins, false),
  GlobalAveragePooling2D: (ctx, l, ins) => globalPool(ctx, l, ins, false),
  GlobalMaxPooling2D: (ctx, l, ins) => globalPool(ctx, l, ins, true),
  Flatten: flatten,
  Dropout: passThrough,
  SpatialDropout2D: passThrough,
  Add: add,
  Concatenate: concat,
};

export const SUPPORTED_TFJS_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(LAYERS)].sort();
