// The Loihi backend's own data: a converted graph is lowered to a chain of float layers
// (lower.ts), quantized to netx integers (quantize.ts), written as HDF5 (netx-write.ts)
// and read back (netx-read.ts). Arrays are row-major; feature maps are (C, H, W).

/** CUBA neuron as netx stores it (`/layer/i/neuron`). All integers. */
export interface NetxNeuron {
  /** 4096·current decay; 4096 = the current holds only this step's input. */
  readonly iDecay: number;
  /** 4096·voltage decay; 0 = non-leaky (IF). */
  readonly vDecay: number;
  /** Threshold in integer-weight units (the chip compares v > vThMant << 6). */
  readonly vThMant: number;
  readonly refDelay: number;
  readonly gradedSpike: boolean;
}

export type NetxLayer =
  | { readonly type: 'input'; readonly shape: readonly number[] }
  | { readonly type: 'flatten'; readonly shape: readonly number[] }
  | {
      readonly type: 'dense';
      readonly shape: readonly [number];
      readonly inFeatures: number;
      /** (out, in), even integers in [-256, 254]. */
      readonly weight: Int32Array;
      /** (out,), 13-bit signed mantissa (added << 6 every step); absent = 0. */
      readonly bias?: Int32Array;
      /** Absent: netx's non-spiking integrator (the membrane readout). */
      readonly neuron?: NetxNeuron;
    }
  | {
      readonly type: 'conv';
      /** (Cout, Hout, Wout). */
      readonly shape: readonly [number, number, number];
      /** (Cout, Cin/groups, kH, kW), correlation orientation (see docs/targets/loihi.md). */
      readonly weight: Int32Array;
      readonly kernel: readonly [number, number];
      readonly inChannels: number;
      /** (H, W) each. */
      readonly stride: readonly [number, number];
      readonly padding: readonly [number, number];
      readonly dilation: readonly [number, number];
      readonly groups: number;
      readonly bias?: Int32Array;
      readonly neuron: NetxNeuron;
    };

/** The neuron semantics of a converted IF/LIF node, before quantization. */
export interface FloatNeuron {
  readonly node: string;
  readonly op: 'IF' | 'LIF';
  /** v ← leak·v + I (IF: 1). */
  readonly leak: number;
  /** Current-based neuron: i ← synDecay·i + I (0: no synaptic memory, netx iDecay 4096). */
  readonly synDecay: number;
  /** θ per output channel (conv) or feature (dense). */
  readonly theta: Float64Array;
  readonly reset: 'subtract' | 'zero';
  readonly fire: 'ge' | 'gt';
  readonly refractory: number;
  readonly vInit: number;
}

/** Where a float layer came from, for messages and mapping.json. */
export interface LayerOrigin {
  /** Affine (Gemm/MatMul/Conv) or pooling node. */
  readonly node: string;
  readonly neuron?: string;
}

export type FloatLayer =
  | { readonly kind: 'input'; readonly shape: readonly number[] }
  | { readonly kind: 'flatten'; readonly node: string; readonly inShape: readonly number[] }
  | {
      readonly kind: 'dense';
      readonly origin: LayerOrigin;
      readonly inF: number;
      readonly outF: number;
      /** (out, in). */
      readonly weight: Float64Array;
      readonly bias: Float64Array | null;
      readonly neuron: FloatNeuron | null;
    }
  | {
      readonly kind: 'conv';
      readonly origin: LayerOrigin;
      readonly inShape: readonly [number, number, number];
      readonly outShape: readonly [number, number, number];
      /** (Cout, Cin/groups, kH, kW), ONNX (correlation) orientation. */
      readonly weight: Float64Array;
      readonly kernel: readonly [number, number];
      readonly bias: Float64Array | null;
      readonly stride: readonly [number, number];
      readonly padding: readonly [number, number];
      readonly dilation: readonly [number, number];
      readonly groups: number;
      readonly neuron: FloatNeuron;
    }
  | {
      /** Average pooling as a depthwise strided conv with an IF neuron at threshold 1. */
      readonly kind: 'pool';
      readonly origin: LayerOrigin;
      readonly inShape: readonly [number, number, number];
      readonly outShape: readonly [number, number, number];
      readonly kernel: readonly [number, number];
      readonly stride: readonly [number, number];
      readonly padding: readonly [number, number];
    };
