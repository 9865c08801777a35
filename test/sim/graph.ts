// Tiny graph builders for the interpreter tests: one node, every input fed at run
// time (so parameter inputs such as axes and pads also exercise the runtime path).
import type { DType, Graph, Node, OpSpec, Tensor, ValueInfo } from '../../src/ir/types.js';
import { runGraph } from '../../src/sim/ann/run.js';
import type { RunOptions } from '../../src/sim/ann/run.js';

export function t(dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`test tensor: ${values.length} values for shape [${shape.join(', ')}]`);
  switch (dtype) {
    case 'float32':
    case 'float16':
      return { dtype, shape, data: Float32Array.from(values, Number) };
    case 'float64':
      return { dtype, shape, data: Float64Array.from(values, Number) };
    case 'int8':
      return { dtype, shape, data: Int8Array.from(values, Number) };
    case 'int16':
      return { dtype, shape, data: Int16Array.from(values, Number) };
    case 'int32':
      return { dtype, shape, data: Int32Array.from(values, Number) };
    case 'uint8':
    case 'bool':
      return { dtype, shape, data: Uint8Array.from(values, Number) };
    case 'uint16':
      return { dtype, shape, data: Uint16Array.from(values, Number) };
    case 'uint32':
      return { dtype, shape, data: Uint32Array.from(values, Number) };
    case 'int64':
      return { dtype, shape, data: BigInt64Array.from(values, (v) => BigInt(v)) };
    case 'uint64':
      return { dtype, shape, data: BigUint64Array.from(values, (v) => BigInt(v)) };
  }
}

export const f32 = (shape: readonly number[], values: readonly number[]): Tensor => t('float32', shape, values);
export const i64 = (values: readonly number[]): Tensor => t('int64', [values.length], values);
/** 0, 1, 2, ... as float32. */
export const iota = (shape: readonly number[], start = 0): Tensor =>
  f32(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + start),
  );

/** Builds a one-node graph; inputs named in0.., '' (absent) for undefined, outputs out0... */
export function oneNode(spec: OpSpec, inputs: readonly (Tensor | undefined)[], nOut = 1): { g: Graph; feeds: Map<string, Tensor> } {
  const values = new Map<string, ValueInfo>();
  const feeds = new Map<string, Tensor>();
  const names = inputs.map((x, i) => {
    if (x === undefined) return '';
    const name = `in${i}`;
    values.set(name, { name, dtype: x.dtype, shape: x.shape });
    feeds.set(name, x);
    return name;
  });
  const outputs = Array.from({ length: nOut }, (_, i) => `out${i}`);
  const node = { ...spec, name: 'n0', inputs: names, outputs } as Node;
  const g: Graph = { name: 'test', inputs: [...feeds.keys()], outputs, nodes: [node], values, initializers: new Map(), meta: {} };
  return { g, feeds };
}

/** Runs one node and returns its outputs in order. */
export function run1(spec: OpSpec, inputs: readonly (Tensor | undefined)[], nOut = 1, opts: RunOptions = {}): Tensor[] {
  const { g, feeds } = oneNode(spec, inputs, nOut);
  const out = runGraph(g, feeds, opts);
  return g.outputs.map((n) => {
    const x = out.get(n);
    if (x === undefined) throw new Error(`missing output ${n}`);
    return x;
  });
}

export function one(spec: OpSpec, inputs: readonly (Tensor | undefined)[]): Tensor {
  return run1(spec, inputs)[0] as Tensor;
}

export function values(x: Tensor): (number | bigint)[] {
  return Array.from(x.data as ArrayLike<number | bigint>);
}

/** Element-wise closeness for float results. */
export function near(got: Tensor, want: readonly number[], tol = 1e-5): void {
  const g = Array.from(got.data as ArrayLike<number>, Number);
  if (g.length !== want.length || g.some((v, i) => !(Math.abs(v - (want[i] as number)) <= tol * (1 + Math.abs(want[i] as number))))) {
    throw new Error(`got [${g.join(', ')}], want [${want.join(', ')}]`);
  }
}

export const win = (
  kernelShape: readonly number[],
  p: { strides?: number[]; pads?: number[]; dilations?: number[]; autoPad?: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID' } = {},
) => ({
  kernelShape,
  strides: p.strides ?? kernelShape.map(() => 1),
  pads: p.pads ?? [...kernelShape, ...kernelShape].map(() => 0),
  dilations: p.dilations ?? kernelShape.map(() => 1),
  autoPad: p.autoPad ?? 'NOTSET',
});
