// The graph IR: plain, readonly data. No methods; helpers are functions in src/ir.
//
// One IR carries a model from import to every backend. Op names and input
// orders follow the newest ONNX form of each operator (opset 18+), so the ONNX
// writer is a direct mapping; the ONNX importer normalizes older forms (attribute
// min/max of Clip, attribute pads of Pad, attribute axes of Squeeze, ...) into
// this one form. Optional inputs that are absent are the empty string '', as in ONNX.

export type DType = 'float32' | 'float64' | 'float16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

/**
 * Element storage per dtype (see `dtype.ts`): float16 is held as Float32Array with
 * values rounded to half precision; bool as Uint8Array of 0/1; 64-bit integers as
 * BigInt64Array/BigUint64Array so no value is silently rounded.
 */
export type TensorData =
  Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A dimension: a fixed size, or a symbol (e.g. 'N' for a batch dimension). */
export type Dim = number | string;

export type Rounding = 'trunc' | 'nearest' | 'stochastic';

/** Quantization annotation: real = scale * (q - zeroPoint). */
export interface QuantInfo {
  readonly bits: number;
  /** One scale per tensor, or per channel along perChannelAxis. */
  readonly scale: readonly number[];
  readonly zeroPoint: number;
  readonly perChannelAxis?: number;
  readonly rounding: Rounding;
}

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
  readonly quant?: QuantInfo;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Spatial window attributes shared by Conv and pooling; arrays have one entry per spatial dim. */
export interface WindowAttrs {
  readonly kernelShape: readonly number[];
  readonly strides: readonly number[];
  /** ONNX layout: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. Ignored unless autoPad is NOTSET. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly autoPad: AutoPad;
}

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/**
 * Spiking neuron parameters (ops IF and LIF, ONNX domain `ai.snnc`). Per step and neuron:
 * `v ← leak·v + I` (IF: leak = 1); a neuron in its refractory period neither integrates nor
 * fires. A LIF with `synDecay` > 0 is current-based (CUBA, NIR's CubaLIF, Loihi's neuron): a
 * synaptic current `i ← synDecay·i + I` integrates the input every step (also while
 * refractory) and the membrane takes `v ← leak·v + i`. A neuron spikes when `v ≥ θ` ('ge') or
 * `v > θ` ('gt'); after a spike `v ← v − θ` ('subtract') or `v ← 0` ('zero'). The threshold θ is the op's second input.
 */
export interface NeuronAttrs {
  readonly reset: 'subtract' | 'zero';
  /** Initial membrane potential as a fraction of θ (0.5 centres the rate-coding error). */
  readonly vInit: number;
  readonly fire: 'ge' | 'gt';
  /** Steps a neuron stays silent after a spike (0 = none). */
  readonly refractory: number;
}

/**
 * The closed set of operators, each with its typed attributes.
 * Inputs are listed per op (`[]` marks optional, '' when absent).
 */
export type OpSpec =
  // Gemm(A, B, [C]) -> Y
  | { readonly op: 'Gemm'; readonly attrs: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean } }
  // MatMul(A, B) -> Y, numpy semantics
  | { readonly op: 'MatMul'; readonly attrs: Record<string, never> }
  // Conv(X, W, [B]) -> Y
  | { readonly op: 'Conv'; readonly attrs: WindowAttrs & { readonly group: number } }
  // BatchNormalization(X, scale, B, mean, var) -> Y (inference form only)
  | { readonly op: 'BatchNormalization'; readonly attrs: { readonly epsilon: number } }
  | { readonly op: 'Relu'; readonly attrs: Record<string, never> }
  | { readonly op: 'LeakyRelu'; readonly attrs: { readonly alpha: number } }
  // Clip(X, [min], [max]) -> Y
  | { readonly op: 'Clip'; readonly attrs: Record<string, never> }
  | { readonly op: 'Sigmoid'; readonly attrs: Record<string, never> }
  | { readonly op: 'Tanh'; readonly attrs: Record<string, never> }
  | { readonly op: 'Exp'; readonly attrs: Record<string, never> }
  | { readonly op: 'Neg'; readonly attrs: Record<string, never> }
  // Softmax with opset-13 semantics along one axis (pre-13 models are lowered on import).
  | { readonly op: 'Softmax'; readonly attrs: { readonly axis: number } }
  // MaxPool(X) -> Y, [Indices]
  | { readonly op: 'MaxPool'; readonly attrs: WindowAttrs & { readonly ceilMode: boolean; readonly storageOrder: 0 | 1 } }
  | { readonly op: 'AveragePool'; readonly attrs: WindowAttrs & { readonly ceilMode: boolean; readonly countIncludePad: boolean } }
  | { readonly op: 'GlobalAveragePool'; readonly attrs: Record<string, never> }
  | { readonly op: 'GlobalMaxPool'; readonly attrs: Record<string, never> }
  | { readonly op: 'Flatten'; readonly attrs: { readonly axis: number } }
  // Reshape(X, shape: int64[]) -> Y
  | { readonly op: 'Reshape'; readonly attrs: { readonly allowzero: boolean } }
  // Transpose(X); perm absent = reverse
  | { readonly op: 'Transpose'; readonly attrs: { readonly perm?: readonly number[] } }
  // Squeeze(X, [axes: int64[]]); Unsqueeze(X, axes: int64[])
  | { readonly op: 'Squeeze'; readonly attrs: Record<string, never> }
  | { readonly op: 'Unsqueeze'; readonly attrs: Record<string, never> }
  | { readonly op: 'Concat'; readonly attrs: { readonly axis: number } }
  | { readonly op: 'Add'; readonly attrs: Record<string, never> }
  | { readonly op: 'Sub'; readonly attrs: Record<string, never> }
  | { readonly op: 'Mul'; readonly attrs: Record<string, never> }
  // Div: integer division truncates toward zero (ONNX/numpy C semantics for ints)
  | { readonly op: 'Div'; readonly attrs: Record<string, never> }
  // Max(X1, ..., Xn) with broadcasting
  | { readonly op: 'Max'; readonly attrs: Record<string, never> }
  // Less(A, B) -> bool
  | { readonly op: 'Less'; readonly attrs: Record<string, never> }
  // Where(cond, X, Y)
  | { readonly op: 'Where'; readonly attrs: Record<string, never> }
  // ReduceMax/ReduceSum(X, [axes: int64[]])
  | { readonly op: 'ReduceMax'; readonly attrs: { readonly keepdims: boolean; readonly noopWithEmptyAxes: boolean } }
  | { readonly op: 'ReduceSum'; readonly attrs: { readonly keepdims: boolean; readonly noopWithEmptyAxes: boolean } }
  | { readonly op: 'ReduceMean'; readonly attrs: { readonly keepdims: boolean; readonly noopWithEmptyAxes: boolean } }
  // Shape(X) -> int64[] of dims start..end (opset 15 slicing; end absent = rank)
  | { readonly op: 'Shape'; readonly attrs: { readonly start: number; readonly end?: number } }
  // Gather(X, indices: int32/int64) along axis, negative indices count from the end
  | { readonly op: 'Gather'; readonly attrs: { readonly axis: number } }
  // Cast(X) -> to; CastLike(X, like) -> dtype of like
  | { readonly op: 'Cast'; readonly attrs: { readonly to: DType } }
  | { readonly op: 'CastLike'; readonly attrs: Record<string, never> }
  | { readonly op: 'Identity'; readonly attrs: Record<string, never> }
  // Dropout(X, [ratio], [training_mode]) -> Y, [mask]; inference only: Y = X, mask = true
  | { readonly op: 'Dropout'; readonly attrs: Record<string, never> }
  // Pad(X, pads: int64[], [constant_value], [axes]) -> Y
  | { readonly op: 'Pad'; readonly attrs: { readonly mode: PadMode } }
  // --- spiking ops (domain ai.snnc); stateful across time steps, run by src/sim/snn ---
  // IF(current, threshold) -> spikes (0/1, dtype of current); threshold broadcasts to the
  // per-sample shape ([] per layer, [C,1,1] or [F] per channel).
  | { readonly op: 'IF'; readonly attrs: NeuronAttrs }
  | { readonly op: 'LIF'; readonly attrs: NeuronAttrs & { readonly leak: number; readonly synDecay?: number } }
  // SpikeMaxPool(spikes) -> spikes: per window, forwards the spike of the input with the
  // largest accumulated spike count so far (ties: first in row-major order).
  | { readonly op: 'SpikeMaxPool'; readonly attrs: WindowAttrs & { readonly ceilMode: boolean } };

/** Ops that change only the shape: the elements keep their (row-major) order. */
export const SHAPE_ONLY_OPS: ReadonlySet<string> = new Set(['Flatten', 'Reshape', 'Identity', 'Dropout', 'Squeeze', 'Unsqueeze']);

/** Ops that carry state across time steps; only the SNN simulator runs them. */
export const SPIKING_OPS = ['IF', 'LIF', 'SpikeMaxPool'] as const;

export type OpName = OpSpec['op'];
export type AttrsOf<O extends OpName> = Extract<OpSpec, { op: O }>['attrs'];

export type Node = OpSpec & {
  /** Unique within the graph; used in every message about this node. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
};

export interface Graph {
  readonly name: string;
  /** Graph inputs fed at run time (initializers are not listed here). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Topologically sorted. */
  readonly nodes: readonly Node[];
  /** Type and shape of every value: inputs, initializers, node outputs. */
  readonly values: ReadonlyMap<string, ValueInfo>;
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Free-form provenance: source format, producer, opset. Sorted keys when written. */
  readonly meta: Readonly<Record<string, string>>;
}

// Quantization settings: plain data a pass (quantizeGraph) and a backend (its hardware's
// precisions) both speak, so they live with the IR types.

/** Bit widths: weights, thresholds (unsigned), biases, membrane ('auto' = never overflows in a step), input. */
export interface BitWidths {
  readonly w: number;
  readonly th: number;
  readonly b: number;
  readonly v: number | 'auto';
  readonly in: number;
}

export interface QuantizeSettings {
  readonly bits?: Partial<BitWidths>;
  /** Per-layer overrides by layer name (the neuron node or the affine node). */
  readonly layers?: Readonly<Record<string, Partial<BitWidths>>>;
  readonly rounding?: Rounding;
  /** Seed of stochastic rounding (default 0). */
  readonly seed?: number;
  /**
   * One weight scale per output channel of a neuron layer (default true: converted weights are
   * normalized per channel, so a per-layer scale wastes levels on small channels). Layers
   * without a neuron (the readout) always use one scale.
   */
  readonly perChannel?: boolean;
  /** Scales restricted to powers of two (shift-only hardware). */
  readonly pow2?: boolean;
  readonly overflow?: 'saturate' | 'wrap';
  /** Largest |input| value (default 1: images in [0, 1]). */
  readonly inputMax?: number;
}

/** A neuron: IF or LIF (integrate a current, fire, reset). */
export type NeuronNode = Extract<Node, { readonly op: 'IF' | 'LIF' }>;

export function isNeuron(n: Node | undefined): n is NeuronNode {
  return n !== undefined && (n.op === 'IF' || n.op === 'LIF');
}
