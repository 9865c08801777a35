// Shared by the ONNX frontend tests: hand-built models via protobufjs, and conversion
// between our Tensor and onnxruntime-node tensors (ORT is the independent reference).
import { mulberry32 } from '../../src/sim/snn/rng.js';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { floatToHalf, halfToFloat } from '../../src/ir/dtype.js';
import type { DType, Graph, Tensor } from '../../src/ir/types.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';

type IModel = OnnxNs.IModelProto;
type INode = OnnxNs.INodeProto;
type ITensor = OnnxNs.ITensorProto;
type IValueInfo = OnnxNs.IValueInfoProto;
type IAttr = OnnxNs.IAttributeProto;

const DT: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

export function vi(name: string, dtype: DType | number, dims: readonly (number | string)[]): IValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: typeof dtype === 'number' ? dtype : DT[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A float32 initializer in float_data form. */
export function floatInit(name: string, dims: readonly number[], values: readonly number[]): ITensor {
  return { name, dataType: 1, dims: [...dims], floatData: [...values] };
}

export const A = {
  f: (name: string, f: number): IAttr => ({ name, type: 1, f }),
  i: (name: string, i: number): IAttr => ({ name, type: 2, i }),
  s: (name: string, s: string): IAttr => ({ name, type: 3, s: new TextEncoder().encode(s) }),
  t: (name: string, t: ITensor): IAttr => ({ name, type: 4, t }),
  floats: (name: string, floats: number[]): IAttr => ({ name, type: 6, floats }),
  ints: (name: string, ints: number[]): IAttr => ({ name, type: 7, ints }),
};

export function node(opType: string, inputs: string[], outputs: string[], attribute: IAttr[] = [], extra: Partial<INode> = {}): INode {
  return { opType, input: inputs, output: outputs, attribute, ...extra };
}

export interface ModelParts {
  nodes: INode[];
  inputs: IValueInfo[];
  outputs: IValueInfo[];
  initializers?: ITensor[];
  valueInfo?: IValueInfo[];
  opset?: number;
  irVersion?: number;
}

export function buildModel(p: ModelParts): Uint8Array {
  const opset = p.opset ?? 18;
  const m: IModel = {
    irVersion: p.irVersion ?? (opset >= 19 ? 9 : opset >= 13 ? 7 : 3),
    producerName: 'snnc-test',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: p.nodes,
      input: p.inputs,
      output: p.outputs,
      initializer: p.initializers ?? [],
      valueInfo: p.valueInfo ?? [],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

function toOrt(t: Tensor): ort.Tensor {
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'float16':
      return new ort.Tensor(
        'float16',
        Uint16Array.from(t.data as Float32Array, (x) => floatToHalf(x)),
        dims,
      );
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(t.data as Uint8Array), dims);
    case 'float32':
      return new ort.Tensor('float32', t.data as Float32Array, dims);
    case 'float64':
      return new ort.Tensor('float64', t.data as Float64Array, dims);
    case 'int8':
      return new ort.Tensor('int8', t.data as Int8Array, dims);
    case 'int16':
      return new ort.Tensor('int16', t.data as Int16Array, dims);
    case 'int32':
      return new ort.Tensor('int32', t.data as Int32Array, dims);
    case 'int64':
      return new ort.Tensor('int64', t.data as BigInt64Array, dims);
    case 'uint8':
      return new ort.Tensor('uint8', t.data as Uint8Array, dims);
    case 'uint16':
      return new ort.Tensor('uint16', t.data as Uint16Array, dims);
    case 'uint32':
      return new ort.Tensor('uint32', t.data as Uint32Array, dims);
    case 'uint64':
      return new ort.Tensor('uint64', t.data as BigUint64Array, dims);
  }
}

function fromOrt(t: ort.Tensor): Tensor {
  const shape = t.dims.map(Number);
  const d = t.data;
  switch (t.type) {
    case 'float16':
      return { dtype: 'float16', shape, data: Float32Array.from(d as Uint16Array, (h) => halfToFloat(h)) };
    case 'bool':
      return { dtype: 'bool', shape, data: Uint8Array.from(d as Uint8Array, (b) => (b ? 1 : 0)) };
    case 'float32':
      return { dtype: 'float32', shape, data: d as Float32Array };
    case 'float64':
      return { dtype: 'float64', shape, data: d as Float64Array };
    case 'int8':
      return { dtype: 'int8', shape, data: d as Int8Array };
    case 'int16':
      return { dtype: 'int16', shape, data: d as Int16Array };
    case 'int32':
      return { dtype: 'int32', shape, data: d as Int32Array };
    case 'int64':
      return { dtype: 'int64', shape, data: d as BigInt64Array };
    case 'uint8':
      return { dtype: 'uint8', shape, data: d as Uint8Array };
    case 'uint16':
      return { dtype: 'uint16', shape, data: d as Uint16Array };
    case 'uint32':
      return { dtype: 'uint32', shape, data: d as Uint32Array };
    case 'uint64':
      return { dtype: 'uint64', shape, data: d as BigUint64Array };
    default:
      throw new Error(`unexpected ORT type ${t.type}`);
  }
}

/** Run a model in onnxruntime on named feeds; returns outputs in the session's output order. */
export async function runOrt(model: Uint8Array, feeds: ReadonlyMap<string, Tensor>): Promise<Tensor[]> {
  const s = await ort.InferenceSession.create(model);
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of feeds) f[k] = toOrt(v);
    const r = await s.run(f);
    return s.outputNames.map((n) => {
      const t = r[n];
      if (t === undefined) throw new Error(`ORT produced no output ${n}`);
      return fromOrt(t);
    });
  } finally {
    await s.release();
  }
}

/** Deterministic pseudo-random numbers in [-1, 1) (the shared mulberry32, rescaled). */
export function prng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Structural equality of two graphs (meta excluded: it records the producer). */
export function assertSameGraph(a: Graph, b: Graph): void {
  assert.deepEqual(b.inputs, a.inputs, 'inputs');
  assert.deepEqual(b.outputs, a.outputs, 'outputs');
  assert.equal(b.nodes.length, a.nodes.length, 'node count');
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i];
    assert.ok(m !== undefined);
    assert.deepEqual(
      { name: m.name, op: m.op, inputs: m.inputs, outputs: m.outputs, attrs: m.attrs },
      { name: n.name, op: n.op, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs },
      `node ${n.name}`,
    );
  });
  assert.deepEqual([...b.initializers.keys()].sort(), [...a.initializers.keys()].sort(), 'initializer names');
  for (const [k, t] of a.initializers) {
    const u = b.initializers.get(k);
    assert.ok(u !== undefined);
    assert.equal(u.dtype, t.dtype, k);
    assert.deepEqual(u.shape, t.shape, k);
    assert.deepEqual(bytesOf(u), bytesOf(t), `initializer ${k} bytes`);
  }
  for (const [k, v] of a.values) assert.deepEqual(b.values.get(k), v, `value ${k}`);
  assert.equal(b.values.size, a.values.size, 'value count');
}
