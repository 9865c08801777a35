// Build graphs from short literals (tests, frontends, passes): fills in node names,
// empty attrs and `values`, then runs shape inference. Plus attribute defaults in the
// ONNX sense, so callers spell out only what differs from the spec defaults.
import { makeTensor, shapeSize } from './dtype.js';
import type { InferOptions } from './infer.js';
import { inferShapes } from './infer.js';
import type { AttrsOf, DType, Dim, Graph, Node, Tensor, ValueInfo, WindowAttrs } from './types.js';

/** A node literal: `name` optional (defaults to `<op>_<index>`), `attrs` optional when the op has none required. */
export type NodeSpec = Node extends infer N
  ? N extends Node
    ? Omit<N, 'name' | 'attrs'> & { readonly name?: string } & (Record<string, never> extends N['attrs']
          ? { readonly attrs?: N['attrs'] }
          : { readonly attrs: N['attrs'] })
    : never
  : never;

export interface GraphSpec {
  readonly name?: string;
  readonly inputs: readonly { readonly name: string; readonly dtype: DType; readonly shape: readonly Dim[] }[];
  readonly initializers?: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;
  readonly nodes: readonly NodeSpec[];
  readonly outputs: readonly string[];
  /** Declared infos of intermediates/outputs (checked against inference). */
  readonly values?: readonly ValueInfo[];
  readonly meta?: Readonly<Record<string, string>>;
}

export function buildGraph(spec: GraphSpec, opts: InferOptions = {}): Graph {
  const values = new Map<string, ValueInfo>();
  for (const v of spec.values ?? []) values.set(v.name, v);
  for (const i of spec.inputs) values.set(i.name, { name: i.name, dtype: i.dtype, shape: [...i.shape] });
  const init = spec.initializers;
  const initializers = new Map<string, Tensor>(init === undefined ? [] : isMap(init) ? [...init] : Object.entries(init));
  const nodes = spec.nodes.map((n, i) => ({ ...n, name: n.name ?? `${n.op}_${i}`, attrs: n.attrs ?? {} }) as Node);
  return inferShapes(
    {
      name: spec.name ?? 'graph',
      inputs: spec.inputs.map((i) => i.name),
      outputs: [...spec.outputs],
      nodes,
      values,
      initializers,
      meta: { ...spec.meta },
    },
    opts,
  );
}

function isMap(x: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>): x is ReadonlyMap<string, Tensor> {
  return x instanceof Map;
}

const ones = (n: number): number[] => new Array<number>(n).fill(1);
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** Window attrs with ONNX defaults (stride 1, dilation 1, no padding); the rank comes from kernelShape. */
export function windowAttrs(p: Partial<WindowAttrs> & { readonly kernelShape: readonly number[] }): WindowAttrs {
  const n = p.kernelShape.length;
  return {
    kernelShape: [...p.kernelShape],
    strides: [...(p.strides ?? ones(n))],
    pads: [...(p.pads ?? zeros(2 * n))],
    dilations: [...(p.dilations ?? ones(n))],
    autoPad: p.autoPad ?? 'NOTSET',
  };
}

export function convAttrs(p: Partial<AttrsOf<'Conv'>> & { readonly kernelShape: readonly number[] }): AttrsOf<'Conv'> {
  return { ...windowAttrs(p), group: p.group ?? 1 };
}

export function maxPoolAttrs(p: Partial<AttrsOf<'MaxPool'>> & { readonly kernelShape: readonly number[] }): AttrsOf<'MaxPool'> {
  return { ...windowAttrs(p), ceilMode: p.ceilMode ?? false, storageOrder: p.storageOrder ?? 0 };
}

export function avgPoolAttrs(p: Partial<AttrsOf<'AveragePool'>> & { readonly kernelShape: readonly number[] }): AttrsOf<'AveragePool'> {
  return { ...windowAttrs(p), ceilMode: p.ceilMode ?? false, countIncludePad: p.countIncludePad ?? false };
}

export function gemmAttrs(p: Partial<AttrsOf<'Gemm'>> = {}): AttrsOf<'Gemm'> {
  return { alpha: p.alpha ?? 1, beta: p.beta ?? 1, transA: p.transA ?? false, transB: p.transB ?? false };
}

export function reduceAttrs(p: Partial<AttrsOf<'ReduceSum'>> = {}): AttrsOf<'ReduceSum'> {
  return { keepdims: p.keepdims ?? true, noopWithEmptyAxes: p.noopWithEmptyAxes ?? false };
}

/** An int64 1-D initializer (shapes, axes, pads). */
export function int64Tensor(values: readonly number[]): Tensor {
  return { dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

/** A float32 tensor; data defaults to 0, 1, 2, ... (deterministic, for tests). */
export function float32Tensor(shape: readonly number[], data?: readonly number[]): Tensor {
  const n = shapeSize(shape);
  return makeTensor('float32', shape, Float32Array.from(data ?? Array.from({ length: n }, (_, i) => i)));
}
