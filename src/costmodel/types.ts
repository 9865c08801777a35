// The contract between the simulator (Activity), the backends (Mapping) and the cost
// models (CostReport). costmodel owns these types so that backends import them from
// here and never the reverse (see shared/design/STYLE.md, import direction).
// All counts are per inference (one sample, averaged over the dataset) unless a name
// says "per step". Conventions for synops are in docs/costmodel.md.

// ---------------------------------------------------------------- activity (simulator)

export type LayerKind = 'conv' | 'dense' | 'pool' | 'other';

export interface LayerActivity {
  readonly name: string;
  readonly kind: LayerKind;
  /** Spikes arriving at the layer's inputs, summed over all T steps. */
  readonly inputSpikes: number;
  /** Synaptic operations over all T steps: spikes x fan-out (dense: x out_features,
   *  conv: x C_out x kH x kW / groups). Binary inputs only. */
  readonly synops: number;
  /** MACs for a layer fed real values (the first, analog layer): MACs per step x T. */
  readonly macs: number;
  /** Neurons in the layer (output elements, all channels and positions). */
  readonly neurons: number;
  /** Neuron state updates over all T steps (normally neurons x T). */
  readonly neuronUpdates: number;
  /** Spikes the layer emits over all T steps. */
  readonly outputSpikes: number;
}

export interface Activity {
  /** Time steps per inference. */
  readonly T: number;
  readonly layers: readonly LayerActivity[];
}

// ---------------------------------------------------------------- mapping (backends)

export interface LoihiLayerMapping {
  readonly name: string;
  readonly cores: number;
  readonly compartments: number;
  readonly synapseBits: number;
  readonly axonsIn: number;
  readonly axonsOut: number;
  /** Index of the first core (row-major over the chip's core grid). Default: the layers'
   *  cores are placed one after another in layer order. */
  readonly firstCore?: number;
  /** Destination cores one output spike is sent to. Default: every core of the next
   *  layer (exact for dense layers, an upper bound for conv). */
  readonly fanoutCores?: number;
}

export interface ImcLayerMapping {
  readonly name: string;
  readonly rowTiles: number;
  readonly colTiles: number;
  readonly tiles: number;
  /** Crossbar rows used = fan-in of one output (im2col rows for conv). */
  readonly rows: number;
  /** Physical columns used over all column tiles = outFeatures x slices (x2 if
   *  differential pairs). Every one is converted on every row-tile read. */
  readonly cols: number;
  readonly slices: number;
  readonly adcBits: number;
  readonly columnsPerAdc: number;
  /** Used cells / (tiles x R x C). */
  readonly utilization: number;
  /** Outputs per position (dense: out_features, conv: C_out). */
  readonly outFeatures: number;
  /** Crossbar reads per step (dense: 1, conv: output positions H_out x W_out). */
  readonly positions: number;
  /** Bits per input applied bit-serially: 1 for spikes, e.g. 8 for the analog layer. */
  readonly inputBits: number;
  /** Chips the layer's tiles span (> 1 when it is larger than one chip). Absent: 1. */
  readonly chips?: number;
  /** Whether the layer starts on another chip than the one its input layer ends on. */
  readonly inputFromOtherChip?: boolean;
}

export interface FpgaLayerMapping {
  readonly name: string;
  readonly multipliers: number;
  readonly adders: number;
  readonly bramBits: number;
  readonly reuseFactor: number;
  /** Cycles per time step if the backend (or a synthesis report) knows it; otherwise the
   *  cost model uses reuseFactor + the target's pipelineOverheadCycles. */
  readonly cyclesPerStep?: number;
}

export interface AnnLayerMapping {
  readonly name: string;
  /** MACs of one ANN forward pass. */
  readonly macs: number;
  /** Weights + biases. */
  readonly params: number;
  /** Values read (input activations) and written (outputs) in one forward pass. */
  readonly inputs: number;
  readonly outputs: number;
}

export type Mapping =
  | {
      readonly kind: 'loihi';
      readonly layers: readonly LoihiLayerMapping[];
      readonly totals: { readonly cores: number; readonly compartments: number; readonly synapseBits: number };
    }
  | {
      readonly kind: 'imc';
      readonly layers: readonly ImcLayerMapping[];
      readonly totals: { readonly tiles: number; readonly utilization: number };
    }
  | {
      readonly kind: 'fpga';
      readonly layers: readonly FpgaLayerMapping[];
      readonly totals: { readonly multipliers: number; readonly adders: number; readonly bramBits: number };
    }
  | {
      readonly kind: 'ann';
      readonly layers: readonly AnnLayerMapping[];
      readonly totals: { readonly macs: number; readonly params: number };
    };

export type MappingKind = Mapping['kind'];
export type MappingOf<K extends MappingKind> = Extract<Mapping, { kind: K }>;

// ---------------------------------------------------------------- report

export const COMPONENTS = ['synops', 'macs', 'neuronUpdates', 'routing', 'memory', 'adc', 'dac', 'peripherals', 'static'] as const;
export type Component = (typeof COMPONENTS)[number];
export type Breakdown = Record<Component, number>;

export interface LayerCost {
  readonly name: string;
  readonly energyJ: number;
  /** Latency this layer contributes per inference (0 where layers run in parallel and
   *  only the slowest one counts; see each model's docs). */
  readonly latencyS: number;
  readonly breakdown: Breakdown;
}

export interface CostReport {
  /** Target name (e.g. 'imc-adcless'). */
  readonly target: string;
  readonly energyJ: number;
  readonly latencyS: number;
  readonly perStep: { readonly energyJ: number; readonly latencyS: number };
  readonly breakdown: Breakdown;
  readonly layers: readonly LayerCost[];
  readonly area?: { readonly mm2: number };
  readonly resources?: Readonly<Record<string, number>>;
  /** Modelling assumptions that shaped these numbers, in words. */
  readonly assumptions: readonly string[];
}
