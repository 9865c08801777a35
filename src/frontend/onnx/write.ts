// IR graph -> ONNX model bytes, every op in its newest ONNX form (default-domain opset 18,
// 19 only when an op needs it), initializers as raw_data, shapes on every value.
// Output is deterministic: no timestamps, fixed field and attribute order, sorted meta.
import { fail } from '../../errors.js';
import type { Graph, Node, ValueInfo } from '../../ir/types.js';
import type { AttributeProto, NodeProto, ValueInfoProto } from './proto.js';
import { onnx } from './proto.js';
import { dtypeToOnnx, tensorToProto } from './tensor.js';
import { SNNC_DOMAIN, SNNC_DOMAIN_VERSION, snnAttributes } from './snn-ops.js';

export interface OnnxExportOptions {
  readonly producer?: string;
  readonly producerVersion?: string;
}

const A = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

const f = (name: string, v: number): AttributeProto => ({ name, type: A.FLOAT, f: v });
const i = (name: string, v: number | boolean): AttributeProto => ({ name, type: A.INT, i: typeof v === 'boolean' ? (v ? 1 : 0) : v });
const s = (name: string, v: string): AttributeProto => ({ name, type: A.STRING, s: utf8.encode(v) });
const ints = (name: string, v: readonly number[]): AttributeProto => ({ name, type: A.INTS, ints: [...v] });

/** Opset an op needs beyond the baseline (AveragePool dilations and Pad 'wrap' arrived in 19). */
function opsetNeeded(n: Node): number {
  if (n.op === 'AveragePool' && n.attrs.dilations.some((d) => d !== 1)) return 19;
  if (n.op === 'Pad' && n.attrs.mode === 'wrap') return 19;
  return 18;
}

function attributes(n: Node): AttributeProto[] {
  switch (n.op) {
    case 'Gemm':
      return [f('alpha', n.attrs.alpha), f('beta', n.attrs.beta), i('transA', n.attrs.transA), i('transB', n.attrs.transB)];
    case 'Conv': {
      const w = n.attrs;
      return [
        // An empty kernel_shape means "take it from W" in the IR; ONNX spells that by omission.
        s('auto_pad', w.autoPad),
        ints('dilations', w.dilations),
        i('group', w.group),
        ...(w.kernelShape.length > 0 ? [ints('kernel_shape', w.kernelShape)] : []),
        // ONNX forbids explicit pads together with a SAME/VALID auto_pad.
        ...(w.autoPad === 'NOTSET' ? [ints('pads', w.pads)] : []),
        ints('strides', w.strides),
      ];
    }
    case 'MaxPool': {
      const w = n.attrs;
      return [
        s('auto_pad', w.autoPad),
        i('ceil_mode', w.ceilMode),
        ints('dilations', w.dilations),
        ints('kernel_shape', w.kernelShape),
        ...(w.autoPad === 'NOTSET' ? [ints('pads', w.pads)] : []),
        i('storage_order', w.storageOrder),
        ints('strides', w.strides),
      ];
    }
    case 'AveragePool': {
      const w = n.attrs;
      return [
        s('auto_pad', w.autoPad),
        i('ceil_mode', w.ceilMode),
        i('count_include_pad', w.countIncludePad),
        ...(w.dilations.some((d) => d !== 1) ? [ints('dilations', w.dilations)] : []),
        ints('kernel_shape', w.kernelShape),
        ...(w.autoPad === 'NOTSET' ? [ints('pads', w.pads)] : []),
        ints('strides', w.strides),
      ];
    }
    case 'BatchNormalization':
      return [f('epsilon', n.attrs.epsilon)];
    case 'LeakyRelu':
      return [f('alpha', n.attrs.alpha)];
    case 'Softmax':
    case 'Flatten':
    case 'Concat':
      return [i('axis', n.attrs.axis)];
    case 'Reshape':
      return [i('allowzero', n.attrs.allowzero)];
    case 'Transpose':
      return n.attrs.perm !== undefined ? [ints('perm', n.attrs.perm)] : [];
    case 'ReduceMax':
    case 'ReduceSum':
    case 'ReduceMean':
      return [i('keepdims', n.attrs.keepdims), i('noop_with_empty_axes', n.attrs.noopWithEmptyAxes)];
    case 'Cast':
      return [i('to', dtypeToOnnx(n.attrs.to))];
    case 'Pad':
      return [s('mode', n.attrs.mode)];
    case 'Shape':
      return [i('start', n.attrs.start), ...(n.attrs.end === undefined ? [] : [i('end', n.attrs.end)])];
    case 'Gather':
      return [i('axis', n.attrs.axis)];
    case 'MatMul':
    case 'Relu':
    case 'Clip':
    case 'Sigmoid':
    case 'Tanh':
    case 'Exp':
    case 'Neg':
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Max':
    case 'Less':
    case 'Where':
    case 'CastLike':
    case 'Identity':
    case 'Dropout':
      return [];
    case 'IF':
    case 'LIF':
    case 'SpikeMaxPool':
      return snnAttributes(n) ?? [];
  }
}

function valueInfo(g: Graph, name: string): ValueInfoProto {
  const v: ValueInfo | undefined = g.values.get(name);
  if (v === undefined) {
    throw fail({
      code: 'SNNC_E_VERIFY',
      message: `value '${name}' has no type/shape; run shape inference before exporting`,
      hint: 'this is a bug in the pass that produced the graph',
    });
  }
  return {
    name,
    type: {
      tensorType: {
        elemType: dtypeToOnnx(v.dtype),
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function exportOnnx(g: Graph, opts: OnnxExportOptions = {}): Uint8Array {
  const opset = Math.max(18, ...g.nodes.map(opsetNeeded));
  const spiking = (n: Node): boolean => snnAttributes(n) !== undefined;
  const nodes: NodeProto[] = g.nodes.map((n) => ({
    name: n.name,
    opType: n.op,
    domain: spiking(n) ? SNNC_DOMAIN : '',
    input: [...n.inputs],
    output: [...n.outputs],
    attribute: attributes(n),
  }));
  const outer = new Set([...g.inputs, ...g.outputs, ...g.initializers.keys()]);
  const intermediates = g.nodes.flatMap((n) => n.outputs).filter((o) => o !== '' && !outer.has(o) && g.values.has(o));
  const model = onnx.ModelProto.create({
    // IR 8 pairs with opset 18, IR 9 with opset 19 (ONNX 1.13 / 1.14).
    irVersion: opset >= 19 ? 9 : 8,
    opsetImport: [{ domain: '', version: opset }, ...(g.nodes.some(spiking) ? [{ domain: SNNC_DOMAIN, version: SNNC_DOMAIN_VERSION }] : [])],
    producerName: opts.producer ?? 'snnc',
    ...(opts.producerVersion !== undefined ? { producerVersion: opts.producerVersion } : {}),
    graph: {
      name: g.name !== '' ? g.name : 'snnc',
      node: nodes,
      initializer: [...g.initializers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, t]) => tensorToProto(t, k)),
      input: g.inputs.map((k) => valueInfo(g, k)),
      output: g.outputs.map((k) => valueInfo(g, k)),
      valueInfo: intermediates.map((k) => valueInfo(g, k)),
    },
    metadataProps: Object.keys(g.meta)
      .sort()
      .map((key) => ({ key, value: g.meta[key] ?? '' })),
  });
  return onnx.ModelProto.encode(model).finish();
}
