// What `snnc explore` writes: the document (explore.json), its table (explore.csv) and the
// plot (explore.svg, explore-plot.ts). The api layer fills the document; this module only
// defines and renders it, so a merged sweep and an unsharded one render the same bytes.

/** One evaluated point: a quantization configuration at one number of time steps. */
export interface ExploreRow {
  /** `<config>-T<T>`, e.g. "w4-p8-nearest-T32". */
  readonly id: string;
  /** Weight bits, neuron-parameter bits and rounding, e.g. "w4-p8-nearest". */
  readonly config: string;
  readonly weightBits: number;
  /** Bits of thresholds and biases (the neuron parameters). */
  readonly neuronBits: number;
  readonly rounding: string;
  readonly T: number;
  /** Integer-exact simulation accuracy on the dataset. */
  readonly accuracy: number;
  /** Reference accuracy − accuracy, in percentage points (positive = a loss). */
  readonly drop: number;
  /** Weights, biases, neuron state and parameters (src/sim/int/memory.ts). */
  readonly memoryBits: number;
  /** float32 bits of the same network / memoryBits. */
  readonly compression: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
  /** From the target's cost model; null when the target cannot run the network. */
  readonly energyJ: number | null;
  readonly latencyS: number | null;
  /** Not dominated in (accuracy ↑, memory ↓, energy ↓ — synops when energy is unknown). */
  readonly pareto: boolean;
  readonly selected: boolean;
}

export interface ExploreSpace {
  readonly weightBits: readonly number[];
  readonly neuronBits: readonly number[];
  readonly rounding: readonly string[];
  readonly T: readonly number[];
  readonly seed: number;
  readonly maxAccuracyDrop: number;
  /** Quantizer settings shared by every configuration (as snnc quantize's options). */
  readonly perChannel: boolean;
  readonly pow2: boolean;
  readonly overflow: 'saturate' | 'wrap';
  /** 'snn': the float SNN at the largest T; 'ann': the ANN. */
  readonly reference: 'snn' | 'ann';
  readonly target: string;
}

export interface ExploreDoc {
  readonly format: 'snnc-explore';
  readonly version: 1;
  readonly tool: { readonly name: string; readonly version: string };
  readonly model: { readonly file: string; readonly sha256: string };
  readonly dataset: { readonly name: string; readonly samples: number };
  /** The conversion settings that produced the float SNN (calibration method etc.). */
  readonly conversion: Readonly<Record<string, string>>;
  readonly space: ExploreSpace;
  readonly reference: {
    readonly accuracy: number;
    readonly label: string;
    readonly ann: number | null;
    /** Float SNN accuracy at every T of the sweep. */
    readonly snn: readonly { readonly T: number; readonly accuracy: number }[];
  };
  /** The same network in float32 (bits). */
  readonly float32Bits: number;
  readonly targetNote: string;
  readonly rows: readonly ExploreRow[];
  /** Configurations the quantizer refused (e.g. an accumulator wider than 32 bits). */
  readonly skipped: readonly { readonly config: string; readonly reason: string }[];
  readonly pareto: readonly string[];
  /** The smallest configuration within the allowed drop, or null. */
  readonly selected: string | null;
  /** With no selection: the row with the smallest drop. */
  readonly closest: string | null;
  /** Present in a shard's document only ("2/4"); merge removes it. */
  readonly shard?: string;
}

const CSV_COLUMNS = [
  'id',
  'config',
  'weightBits',
  'neuronBits',
  'rounding',
  'T',
  'accuracy',
  'drop',
  'memoryBits',
  'compression',
  'spikesPerSample',
  'synopsPerSample',
  'energyJ',
  'latencyS',
  'pareto',
  'selected',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; leading =+-@ defused. */
function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const s = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderExploreCsv(doc: ExploreDoc): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of doc.rows) lines.push(CSV_COLUMNS.map((k) => csvField(r[k])).join(','));
  return lines.join('\n') + '\n';
}
