// Typed, user-facing errors with stable codes. Every failure a user can cause
// (bad file, bad flag, unsupported model) is an SnncError; anything else is a bug.
// The table below is the single source of `docs/errors.md` (scripts/gen-errors-doc.ts).

export const ERROR_CODES = {
  SNNC_E_USAGE: 'The command line is malformed: unknown option, missing argument, or a value of the wrong form.',
  SNNC_E_IO: 'A file or folder could not be read or written (missing, unreadable, or not a regular file).',
  SNNC_E_OUTPUT_EXISTS: 'The output location exists and was not written by snnc; pass --force to replace it.',
  SNNC_E_ONNX_PARSE: 'The file is not a decodable ONNX protobuf (truncated, garbage, or another format).',
  SNNC_E_ONNX_INVALID: 'The ONNX model decodes but is structurally invalid (no graph, no nodes, no outputs, missing names).',
  SNNC_E_UNSUPPORTED_OP: 'The model uses an operator snnc does not implement; the message lists the supported operators.',
  SNNC_E_UNSUPPORTED_DOMAIN: 'The model uses an operator domain other than the default ONNX domain (e.g. com.microsoft).',
  SNNC_E_UNSUPPORTED_ATTR: 'An operator attribute has a value or form snnc does not implement.',
  SNNC_E_UNSUPPORTED_DTYPE: 'A tensor uses a data type snnc does not implement (e.g. bfloat16, string, float8).',
  SNNC_E_UNDEFINED_VALUE: 'A node reads a value that no node, input or initializer defines.',
  SNNC_E_CYCLE: 'The graph contains a cycle; ONNX graphs must be acyclic.',
  SNNC_E_DUPLICATE_NAME: 'Two nodes, values or outputs share a name that must be unique.',
  SNNC_E_TENSOR_DATA: 'Tensor data does not match its declared dtype and dims (wrong length, missing data).',
  SNNC_E_BAD_SHAPE: 'A shape is invalid (negative dim) or inconsistent with the operator (shape inference failed).',
  SNNC_E_BAD_DTYPE: 'A value has a data type the operator does not accept.',
  SNNC_E_LIMIT:
    'A tensor would exceed the element limit (default 2^28 elements; raise it with --max-elements), or memory use passed --max-memory (default 80 % of RAM).',
  SNNC_E_EXTERNAL_DATA: 'External tensor data is missing or points outside the model folder (../, absolute path, symlink out).',
  SNNC_E_DYNAMIC: 'A value that must be known at compile time (a shape, axes, pads) is computed at run time.',
  SNNC_E_INPUT_MISSING: 'A graph input was not given a value (snnc run --input name=file).',
  SNNC_E_INPUT_MISMATCH: 'An input file has the wrong dtype or shape for the graph input it feeds.',
  SNNC_E_NPY: 'A .npy/.npz file is malformed or uses an unsupported dtype or layout.',
  SNNC_E_TENSOR_FILE: 'A TensorProto .pb file is malformed.',
  SNNC_E_VERIFY: 'The graph failed verification after a pass (this usually indicates a bug in the pass).',
  SNNC_E_TARGET: 'A hardware target file is unknown, unreadable, or fails targets/schema.json (the message names the JSON pointer).',
  SNNC_E_DATASET:
    'A dataset (.npz or embedded) is unusable: missing array x or y, wrong dtype or shape, sample counts that differ, no samples, NaN/Inf values in x, or labels beyond the class count of the model.',
  SNNC_E_TFJS_INVALID:
    'A TF.js model.json is not valid JSON or lacks a part the layers format requires (modelTopology, layer configs, inbound nodes, weightsManifest).',
  SNNC_E_BACKEND:
    'A backend cannot express the graph or fit it on the target (an op the target lacks, a layer too large for a core, too many chips, a malformed netx file); the message names the node or HDF5 path.',
  SNNC_E_REPORT: 'A compile report does not match docs/report.schema.json (the message names the JSON pointer); usually a bug in the producer of the report.',
  SNNC_E_CONVERT:
    'The ANN cannot be converted to a spiking network: an activation or operator in a hidden position has no spiking equivalent (Sigmoid, Tanh, unfolded BatchNorm, ...), or a weight is NaN or ±∞ (a Conv, Gemm or MatMul operand; NaN in any constant).',
  SNNC_E_CALIBRATION:
    'Calibration data or statistics are unusable: wrong shape or dtype for the model input, no samples, or a method the model does not support (e.g. clip without Clip layers).',
  SNNC_E_QUANTIZE:
    'The network cannot be quantized as asked: a layer needs an accumulator or membrane wider than 32 bits, or a parameter does not fit its bit width; the message names the layer.',
  SNNC_E_INT_PROGRAM:
    'An integer program (IntProgram, from snnc quantize or a *.snn.onnx file) is inconsistent: unknown input layer, shapes, widths or integer ranges that break the contract of src/sim/int/program.ts.',
  SNNC_E_NIR:
    'A NIR file (*.nir, HDF5) is malformed or its graph cannot be expressed: a missing group or field, a wrong dtype or shape, an unknown node type, parameters outside the documented dt convention, or a graph part NIR lacks; the message names the HDF5 path or node.',
  SNNC_E_OUTPUT_BUSY: 'Another running snnc is writing the same output (its lock file names the process); wait for it or choose another output.',
  SNNC_E_UNSUPPORTED_OPSET:
    'The model declares an ONNX IR version or a default-domain opset snnc does not read (newer than IR 13 / opset 25, or not a positive number); the message names the domain and version.',
  SNNC_E_NIR_UNSUPPORTED:
    'A valid NIR file uses something snnc cannot run, named with the reason: a Delay node, an integrator (I, LI, CubaLI) in the middle of the network, or a recurrent edge (snnc imports feed-forward graphs).',
  SNNC_E_BUDGET:
    'A budget ("accuracy>=97%,energy<=5uJ,latency<=1ms") is malformed: an unknown metric or unit, a bound that can never hold, or a metric limited twice.',
  SNNC_E_BUDGET_UNMET:
    "A build with a budget (the bundler plugin's `budget` option) produced a network that misses it; the message gives the measured and the required values per target.",
  SNNC_E_RETRAIN:
    'snnc retrain cannot train this model or target as asked: no trainable layer or ReLU activation, an operator the training forward pass lacks, a target without a hardware-aware training method, or options out of range.',
  SNNC_E_PLUGIN:
    'The bundler plugin was asked for something it cannot do: an import query it does not know, a model format it cannot read, or options of the wrong form.',
} as const;

/**
 * Warnings (SNNC_W_) and notes (SNNC_I_) the tool collects while it works: they never stop a
 * command, and reach the user in the report, the CLI's output and `--json`. One line each;
 * `docs/errors.md` is generated from this table with the error codes above, and a test fails
 * when the source uses a code that is not here (or the table keeps one nothing uses).
 */
export const DIAGNOSTIC_CODES = {
  SNNC_W_BIAS_CLIPPED: 'quantize: biases exceed their bit width and were clipped; raise b for the named layer.',
  SNNC_W_BN_NOT_FOLDED: 'A BatchNormalization could not be folded into a neighbouring Conv/Gemm; conversion will refuse it in a hidden position.',
  SNNC_W_BUDGET_UNMET: 'retrain: no round met the budget; the closest round is written and the failed limits are named.',
  SNNC_W_DEAD_CHANNELS: "Calibration: some channels of a layer never activated; they get the layer's threshold.",
  SNNC_W_DEAD_LAYER: 'Calibration: a whole layer never activated (λ = 0); its neurons get λ = 1, and the layer may stay silent.',
  SNNC_W_EXPLORE_NONE: 'explore: no configuration stays within the allowed accuracy drop; the closest one is named.',
  SNNC_W_FPGA_REUSE: "FPGA: a layer's reuse factor was raised to keep its unrolled operations per iteration within 4096.",
  SNNC_W_IMC_ADC_LOSSY: 'IMC: column partial sums need more ADC bits than the target has; the low bits are dropped.',
  SNNC_W_IMC_ANALOG_INPUT: 'IMC: a layer other than the first is fed non-binary values; they are quantized to the input DAC width.',
  SNNC_W_LOIHI_A_IN:
    "Loihi: some neuron-steps receive more input than lava's 16-bit a_in holds (the chip would saturate them; the bit-accurate simulation counts them).",
  SNNC_W_LOIHI_CLIP: 'Loihi: weights or biases exceed the fixed-point range at the smallest threshold and were clipped.',
  SNNC_W_LOIHI_CUBA_BIAS:
    'Loihi: a current-based neuron has a bias; Loihi adds biases to the membrane, so it gets the settled value and the first steps differ.',
  SNNC_W_LOIHI_READOUT_BIAS: "Loihi: the readout has a bias that netx's integrator adds once while snnc's membrane readout adds it every step.",
  SNNC_W_LOIHI_REFRACTORY: "Loihi: lava's CUBA model has no refractory period; the named layers' refractory steps are dropped.",
  SNNC_W_LOIHI_RESET: 'Loihi: netx neurons reset to zero (and fire on v > θ); layers converted with reset by subtraction or v ≥ θ behave differently.',
  SNNC_W_LOIHI_VINIT: "Loihi: netx starts every membrane at 0; the named layers' initial membranes are dropped.",
  SNNC_W_LOIHI_ZERO_WEIGHTS: "Loihi: nearly all of a layer's weights round to 0 in the 8-bit mantissa, which leaves the layer deaf.",
  SNNC_W_MAXPOOL_AVG: 'Conversion with --maxpool avg: a max pool was replaced by an average pool of the same window (accuracy drops unless retrained).',
  SNNC_W_NIR_DT: 'NIR import: time constants of a second or more suggest a per-step file (Sinabs, Rockpool); pass --nir-dt.',
  SNNC_W_NIR_READOUT: "NIR import: an integrator before an Output is read as snnc's summed readout; its gain or leak is not kept.",
  SNNC_W_NIR_RESET: 'NIR export: a neuron resets by subtraction, which NIR cannot say; other tools will reset it to zero.',
  SNNC_W_NIR_STATE: "NIR export: an initial membrane or refractory period has no NIR field (kept in snnc's metadata only).",
  SNNC_W_POISSON_RANGE: 'Poisson coding fires with probability = input, but the calibration inputs lie outside [0, 1].',
  SNNC_W_SATURATED_LAYER: 'Simulation: a layer fires in most of its neuron-steps, so it clips activations above its threshold.',
  SNNC_W_SILENT_LAYER: 'Simulation: a layer emitted no spikes; everything after it sees no input.',
  SNNC_I_ADCLESS_RATIO: "compile: ADC-less vs HP-ADC energy and latency for this network, next to the co-design paper's ranges.",
  SNNC_I_FPGA_MULTIPLIERS: 'FPGA: how many multipliers are expected in DSP slices and how many narrow ones in LUTs (heuristic).',
  SNNC_I_HW_SAMPLES:
    "compile: the targets' hardware simulations ran on fewer samples than the default 100, as the network is large; --hw-samples sets the count.",
  SNNC_I_IMC_CHIPS: 'IMC: the network needs more than one chip; the count is given.',
  SNNC_I_LOIHI_SEMANTICS: "Loihi targets convert with Loihi's neuron semantics; the float accuracy of both conversions is given.",
  SNNC_I_THRESHOLD_GRANULARITY:
    'A target chose one threshold per layer or per channel by its own simulation on the calibration images (IMC, Loihi; per layer only when clearly better); both accuracies are given, and --granularity sets it.',
  SNNC_I_TARGET_CONVERSION: 'A registered target kind asks for its own neuron semantics (reset, firing rule); the float accuracy of both conversions is given.',
  SNNC_I_LOIHI_SOFTMAX: 'Loihi: a final softmax was dropped (the readout argmax is unchanged).',
  SNNC_I_OUTPUT_DROPPED: 'Conversion: a final activation was dropped; the membrane readout keeps its input (same argmax).',
  SNNC_I_SHIFT_NOT_FOLDED: 'Conversion: a constant shift before a padded Conv was not folded into it (folding would change the border).',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** A warning or note as every stage reports it (passes, backends, frontends add their own context fields). */
export interface DiagnosticInfo {
  readonly severity: 'warning' | 'info';
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly node?: string;
  readonly file?: string;
  readonly hint?: string;
}

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SnncErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  /** Graph node (or layer) the error concerns. */
  readonly node?: string;
  /** File (or HDF5 path) the error concerns. */
  readonly file?: string;
  /** What the user can do about it. */
  readonly hint?: string;
}

export class SnncError extends Error {
  readonly code: ErrorCode;
  readonly node: string | undefined;
  readonly file: string | undefined;
  readonly hint: string | undefined;

  constructor(info: SnncErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = 'SnncError';
    this.code = info.code;
    this.node = info.node;
    this.file = info.file;
    this.hint = info.hint;
  }

  /** One line per field, as the CLI prints it. */
  describe(): string {
    const lines = [`error ${this.code}: ${this.message}`];
    if (this.file !== undefined) lines.push(`  file: ${this.file}`);
    if (this.node !== undefined) lines.push(`  node: ${this.node}`);
    if (this.hint !== undefined) lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }

  toJSON(): SnncErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.node !== undefined ? { node: this.node } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
    };
  }
}

export function isSnncError(e: unknown): e is SnncError {
  return e instanceof SnncError;
}

/** Shorthand used across the code base: `throw fail({ code, message, ... })`. */
export function fail(info: SnncErrorInfo): SnncError {
  return new SnncError(info);
}

/** An error as plain data, for crossing a thread boundary (structured clone drops the class). */
export interface ErrorData {
  readonly code?: string;
  readonly message: string;
  readonly node?: string;
  readonly file?: string;
  readonly hint?: string;
  readonly stack?: string;
}

/** A thrown value as ErrorData: a typed error keeps its fields, anything else its message and stack. */
export function errorData(e: unknown): ErrorData {
  if (isSnncError(e)) return e.toJSON();
  return { message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack !== undefined ? { stack: e.stack } : {}) };
}

/** ErrorData back as an error: a typed error is an SnncError again; anything else an internal error from `where`. */
export function errorFromData(d: ErrorData, where: string): Error {
  if (d.code !== undefined) {
    return new SnncError({
      code: d.code as ErrorCode,
      message: d.message,
      ...(d.node !== undefined ? { node: d.node } : {}),
      ...(d.file !== undefined ? { file: d.file } : {}),
      ...(d.hint !== undefined ? { hint: d.hint } : {}),
    });
  }
  const e = new Error(`${where}: ${d.message}`);
  if (d.stack !== undefined) e.stack = d.stack;
  return e;
}
