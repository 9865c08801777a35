// The exporter-pattern zoo: the trained example networks rewritten into the shapes that
// torch.onnx.export, tf2onnx and older exporters produce (Pad before a pool or conv, a
// Shape→Gather→Unsqueeze→Concat chain feeding Reshape, weights as Constant nodes, MatMul +
// Add, NHWC input behind a Transpose, BatchNorm as Mul + Add, Clip(0, 6), old and new
// opsets). Built here from our own examples with onnx-proto, never downloaded.
//
// Each model names its `twin`: the example (or zoo model) that computes the same function
// without the pattern, so tests can demand equal outputs, accuracy and synops. A model with
// no twin (Clip(0, 6) changes the function) is checked against onnxruntime only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../src/frontend/onnx/proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { ROOT } from '../helpers/paths.js';

type IModel = OnnxNs.IModelProto;
type INode = OnnxNs.INodeProto;
type ITensor = OnnxNs.ITensorProto;
type IAttr = OnnxNs.IAttributeProto;

export interface ZooModel {
  readonly name: string;
  /** The exporter and pattern it imitates. */
  readonly pattern: string;
  readonly bytes: Uint8Array;
  /** An example (`lenet`) or zoo model computing the same function, if any. */
  readonly twin?: string;
}

function load(example: string): IModel {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(readFileSync(join(ROOT, 'examples', `${example}.onnx`))), { longs: Number, bytes: Array }) as IModel;
}

const encode = (m: IModel): Uint8Array => onnx.ModelProto.encode(onnx.ModelProto.fromObject(m as Record<string, unknown>)).finish();

const ints = (name: string, v: readonly number[]): IAttr => ({ name, type: 7, ints: [...v] });
const int = (name: string, v: number): IAttr => ({ name, type: 2, i: v });
const str = (name: string, v: string): IAttr => ({ name, type: 3, s: new TextEncoder().encode(v) });
const i64 = (name: string, v: readonly number[]): ITensor => ({ name, dataType: 7, dims: [v.length], int64Data: [...v] });
const f32 = (name: string, dims: readonly number[], v: readonly number[]): ITensor => ({ name, dataType: 1, dims: [...dims], floatData: [...v] });

const nodes = (m: IModel): INode[] => m.graph?.node as INode[];
const inits = (m: IModel): ITensor[] => m.graph?.initializer as ITensor[];
function byName(m: IModel, name: string): INode {
  const n = nodes(m).find((x) => x.name === name);
  if (n === undefined) throw new Error(`zoo: no node ${name}`);
  return n;
}
function setAttr(n: INode, a: IAttr): void {
  n.attribute = [...(n.attribute ?? []).filter((x) => x.name !== a.name), a];
}
function dropAttr(n: INode, name: string): void {
  n.attribute = (n.attribute ?? []).filter((x) => x.name !== name);
}
/** Insert `added` right before node `before`. */
function insertBefore(m: IModel, before: string, ...added: INode[]): void {
  const list = nodes(m);
  list.splice(list.indexOf(byName(m, before)), 0, ...added);
}
function initializer(m: IModel, name: string): ITensor {
  const t = inits(m).find((x) => x.name === name);
  if (t === undefined) throw new Error(`zoo: no initializer ${name}`);
  return t;
}
function floats(t: ITensor): number[] {
  if (t.rawData !== undefined && t.rawData !== null && t.rawData.length > 0) {
    const b = Uint8Array.from(t.rawData as ArrayLike<number>);
    return Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
  }
  return [...(t.floatData ?? [])];
}

/** Pad-11+ (pads as an input) in front of `input`, for a rank-4 NCHW tensor: [top, left, bottom, right]. */
function padNode(m: IModel, name: string, input: string, tlbr: readonly [number, number, number, number], opset: number): INode {
  const [t, l, b, r] = tlbr;
  const pads = [0, 0, t, l, 0, 0, b, r];
  if (opset < 11) return { name, opType: 'Pad', input: [input], output: [`${name}_out`], attribute: [ints('pads', pads), str('mode', 'constant')] };
  inits(m).push(i64(`${name}_pads`, pads));
  return { name, opType: 'Pad', input: [input, `${name}_pads`], output: [`${name}_out`], attribute: [str('mode', 'constant')] };
}

/** Route node `consumer`'s input `value` through `n` (whose output is n.output[0]). */
function feed(m: IModel, consumer: string, value: string, n: INode): void {
  insertBefore(m, consumer, n);
  const c = byName(m, consumer);
  c.input = (c.input ?? []).map((v) => (v === value ? (n.output?.[0] as string) : v));
}

function withOpset(m: IModel, opset: number, ir: number): IModel {
  // Pool attributes newer than the opset: dilations (19), ceil_mode (10).
  for (const n of nodes(m)) {
    if (n.opType !== 'AveragePool' && n.opType !== 'MaxPool') continue;
    if (opset < 19) dropAttr(n, 'dilations');
    if (opset < 10) dropAttr(n, 'ceil_mode');
  }
  m.opsetImport = [{ domain: '', version: opset }];
  m.irVersion = ir;
  return m;
}

// --- the patterns -----------------------------------------------------------------

/** torch F.pad(x, (2,2,2,2)) before an unpadded conv: LeNet's conv1 padding moved into a Pad. */
function padConv(m: IModel, opset = 18): IModel {
  setAttr(byName(m, 'conv1/linear'), ints('pads', [0, 0, 0, 0]));
  feed(m, 'conv1/linear', 'conv1_input', padNode(m, 'pad_conv1', 'conv1_input', [2, 2, 2, 2], opset));
  return m;
}

/**
 * nn.AvgPool2d(2, padding=1) as torch exports it with count_include_pad=True: a zero Pad,
 * then an unpadded AveragePool. The twin writes the same pool with pads and
 * count_include_pad=1. 28×28 → 30×30 → 15×15; conv2 (valid 5×5) → 11×11; pool2 → 5×5, so
 * LeNet's trained fc layers still fit.
 */
function padAvgPool(m: IModel, opset = 18): IModel {
  padConv(m, opset);
  feed(m, 'pool1', 'conv1', padNode(m, 'pad_pool1', 'conv1', [1, 1, 1, 1], opset));
  return m;
}
function avgPoolPads(m: IModel): IModel {
  const p = byName(m, 'pool1');
  setAttr(p, ints('pads', [1, 1, 1, 1]));
  setAttr(p, int('count_include_pad', 1));
  return m;
}

/** A one-sided Pad before MaxPool (an exporter's ceil_mode emulation): same values as without. */
function padMaxPool(m: IModel): IModel {
  feed(m, 'pool1', 'relu1', padNode(m, 'pad_pool1', 'relu1', [0, 0, 1, 1], 18));
  return m;
}

/** torch's x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat([·, -1]) → Reshape. */
function shapeReshape(m: IModel): IModel {
  const list = nodes(m);
  const i = list.indexOf(byName(m, 'flatten'));
  inits(m).push({ name: 'flat_gather_idx', dataType: 7, dims: [], int64Data: [0] });
  inits(m).push(i64('flat_unsq_axes', [0]), i64('flat_minus1', [-1]));
  list.splice(
    i,
    1,
    { name: 'flat_shape', opType: 'Shape', input: ['pool2'], output: ['flat_shape_out'] },
    { name: 'flat_gather', opType: 'Gather', input: ['flat_shape_out', 'flat_gather_idx'], output: ['flat_n'], attribute: [int('axis', 0)] },
    { name: 'flat_unsq', opType: 'Unsqueeze', input: ['flat_n', 'flat_unsq_axes'], output: ['flat_n1'] },
    { name: 'flat_concat', opType: 'Concat', input: ['flat_n1', 'flat_minus1'], output: ['flat_target'], attribute: [int('axis', 0)] },
    { name: 'flatten', opType: 'Reshape', input: ['pool2', 'flat_target'], output: ['flatten'] },
  );
  return m;
}

/** Weights as Constant nodes, an Identity and an inference-mode Dropout, as torch emits them. */
function constIdentityDropout(m: IModel): IModel {
  const k = initializer(m, 'conv1/kernel');
  m.graph!.initializer = inits(m).filter((t) => t !== k);
  nodes(m).unshift({
    name: 'const_k1',
    opType: 'Constant',
    input: [],
    output: ['conv1/kernel'],
    attribute: [{ name: 'value', type: 4, t: { ...k, name: '' } }],
  });
  feed(m, 'conv2/linear', 'pool1', { name: 'id_pool1', opType: 'Identity', input: ['pool1'], output: ['id_pool1_out'] });
  feed(m, 'fc2/linear', 'fc1', { name: 'drop_fc1', opType: 'Dropout', input: ['fc1'], output: ['drop_fc1_out'] });
  return m;
}

/** nn.AdaptiveAvgPool2d(1) exported as ReduceMean over H, W (opset 18: axes as an input). */
function reduceMean(m: IModel): IModel {
  const n = byName(m, 'gap/pool');
  inits(m).push(i64('gap_axes', [2, 3]));
  Object.assign(n, { opType: 'ReduceMean', input: ['conv4', 'gap_axes'], attribute: [int('keepdims', 1)] });
  return m;
}

/** tf2onnx dense: MatMul by Wᵀ stored as [in, out], then Add of the bias. */
function matmulAdd(m: IModel): IModel {
  for (const name of ['fc1', 'fc2', 'fc3']) {
    const lin = nodes(m).find((x) => x.name === `${name}/linear` || (x.name === name && x.opType === 'Gemm')) as INode;
    const w = initializer(m, `${name}/kernel`);
    const [o, i] = w.dims as number[];
    const v = floats(w);
    const t: number[] = new Array<number>(o! * i!);
    for (let r = 0; r < o!; r++) for (let c = 0; c < i!; c++) t[c * o! + r] = v[r * i! + c]!;
    inits(m).push(f32(`${name}/kernel_t`, [i!, o!], t));
    const out = lin.output?.[0] as string;
    const mm: INode = { name: `${name}/matmul`, opType: 'MatMul', input: [lin.input?.[0] as string, `${name}/kernel_t`], output: [`${name}/mm`] };
    const add: INode = { name: `${name}/add`, opType: 'Add', input: [`${name}/mm`, `${name}/bias`], output: [out] };
    const list = nodes(m);
    list.splice(list.indexOf(lin), 1, mm, add);
  }
  m.graph!.initializer = inits(m).filter((t) => !/^fc\d\/kernel$/.test(t.name ?? ''));
  return m;
}

/** Keras NHWC input [N, 28, 28, 1] behind Transpose(0, 3, 1, 2) (C = 1: same bytes as NCHW). */
function nhwc(m: IModel): IModel {
  const input = m.graph!.input![0]!;
  const dims = input.type!.tensorType!.shape!.dim!;
  input.type!.tensorType!.shape!.dim = [dims[0]!, dims[2]!, dims[3]!, dims[1]!];
  const name = input.name as string;
  input.name = 'input_nhwc';
  nodes(m).unshift({ name: 'to_nchw', opType: 'Transpose', input: ['input_nhwc'], output: [name], attribute: [ints('perm', [0, 3, 1, 2])] });
  return m;
}

/** tf2onnx's auto_pad=SAME_UPPER instead of explicit pads. */
function sameUpper(m: IModel): IModel {
  const n = byName(m, 'conv1/linear');
  dropAttr(n, 'pads');
  setAttr(n, str('auto_pad', 'SAME_UPPER'));
  return m;
}

/** BatchNormalization exported as Mul + Add by per-channel [C, 1, 1] constants. */
function bnMulAdd(m: IModel): IModel {
  for (const bn of ['bn1', 'bn2']) {
    const n = byName(m, bn);
    const [, g, b, mean, v] = (n.input ?? []) as string[];
    const eps = (n.attribute ?? []).find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    const [gv, bv, mv, vv] = [g!, b!, mean!, v!].map((x) => floats(initializer(m, x)));
    const scale = gv!.map((x, c) => x / Math.sqrt(vv![c]! + eps));
    const shift = bv!.map((x, c) => x - mv![c]! * scale[c]!);
    inits(m).push(f32(`${bn}/mul_c`, [scale.length, 1, 1], scale), f32(`${bn}/add_c`, [shift.length, 1, 1], shift));
    const list = nodes(m);
    list.splice(
      list.indexOf(n),
      1,
      { name: `${bn}/mul`, opType: 'Mul', input: [n.input![0]!, `${bn}/mul_c`], output: [`${bn}/scaled`] },
      { name: `${bn}/add`, opType: 'Add', input: [`${bn}/scaled`, `${bn}/add_c`], output: [n.output![0]!] },
    );
    m.graph!.initializer = inits(m).filter((t) => ![g, b, mean, v].includes(t.name ?? ''));
  }
  return m;
}

/** Keras ReLU6 as Clip(0, 6) (opset 11+: bounds as inputs). Not the same function as ReLU. */
function relu6(m: IModel): IModel {
  inits(m).push(f32('clip_lo', [], [0]), f32('clip_hi', [], [6]));
  for (const n of nodes(m)) if (n.opType === 'Relu') Object.assign(n, { opType: 'Clip', input: [n.input![0]!, 'clip_lo', 'clip_hi'] });
  return m;
}

export function zooModels(): ZooModel[] {
  const z = (name: string, pattern: string, m: IModel, twin?: string): ZooModel => {
    // The examples carry inferred shapes; exporters write their own, so drop ours.
    m.graph!.valueInfo = [];
    return { name, pattern, bytes: encode(m), ...(twin === undefined ? {} : { twin }) };
  };
  return [
    z('pt-pad-conv', 'PyTorch: F.pad before an unpadded Conv', padConv(load('lenet')), 'lenet'),
    z('pt-avgpool-pads', 'PyTorch: AvgPool2d(2, padding=1) as AveragePool pads, count_include_pad=1', avgPoolPads(load('lenet'))),
    z('pt-pad-avgpool', 'PyTorch: AvgPool2d(2, padding=1) as Pad + AveragePool', padAvgPool(load('lenet')), 'pt-avgpool-pads'),
    z('pt-pad-maxpool', 'PyTorch: one-sided Pad before MaxPool', padMaxPool(load('cnn-bn')), 'cnn-bn'),
    z('pt-shape-reshape', 'PyTorch: x.view(x.size(0), -1) as Shape→Gather→Unsqueeze→Concat→Reshape', shapeReshape(load('lenet')), 'lenet'),
    z('pt-const-identity', 'PyTorch: Constant weights, Identity, Dropout', constIdentityDropout(load('lenet')), 'lenet'),
    z('pt-reducemean', 'PyTorch: AdaptiveAvgPool2d(1) as ReduceMean', reduceMean(load('resnet-tiny')), 'resnet-tiny'),
    z('tf-matmul-add', 'tf2onnx: MatMul + Add instead of Gemm', matmulAdd(load('mlp')), 'mlp'),
    z('tf-nhwc', 'tf2onnx: NHWC input behind a Transpose', nhwc(load('lenet')), 'lenet'),
    z('tf-same-upper', 'tf2onnx: auto_pad=SAME_UPPER', sameUpper(load('lenet')), 'lenet'),
    z('tf-bn-muladd', 'tf2onnx: BatchNorm as Mul + Add', bnMulAdd(load('cnn-bn')), 'cnn-bn'),
    z('tf-relu6', 'Keras: ReLU6 as Clip(0, 6)', relu6(load('lenet'))),
    z('opset9-pad', 'opset 9: Pad with attributes before AveragePool', withOpset(padAvgPool(load('lenet'), 9), 9, 4), 'pt-avgpool-pads'),
    z('opset25', 'opset 25 (newest), IR 11', withOpset(load('lenet'), 25, 11), 'lenet'),
  ];
}
