// A NIR file as plain data, between the HDF5 bytes and our IR: `doc-io.ts` turns one
// into the other, `export.ts` / `import.ts` map it to and from a Graph. Keeping this
// level separate lets the layout be checked (and round-tripped) on its own.
import type { DiagnosticCode } from '../../errors.js';

/** One dataset: floats (float32 or float64 on disk), integers (int64 on disk) or strings. */
export type NirArray =
  | { readonly kind: 'float'; readonly shape: readonly number[]; readonly data: Float32Array | Float64Array }
  | { readonly kind: 'int'; readonly shape: readonly number[]; readonly data: readonly number[] }
  | { readonly kind: 'str'; readonly shape: readonly number[]; readonly data: readonly string[] };

export interface NirNode {
  /** The key under `/node/nodes/` (HDF5-safe: see escapeName). */
  readonly name: string;
  readonly type: string;
  readonly fields: Readonly<Record<string, NirArray>>;
  /** String datasets of the node's optional `metadata` group. */
  readonly metadata: Readonly<Record<string, string>>;
  /** A nested NIRGraph's own nodes and edges (import flattens them into the top graph). */
  readonly graph?: NirBody;
}

export interface NirBody {
  readonly nodes: readonly NirNode[];
  /** `[from, to]`, in file order. Several edges into one node are summed at its input. */
  readonly edges: readonly (readonly [string, string])[];
}

export interface NirDoc extends NirBody {
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A warning about something NIR cannot say exactly (collected, never printed here). */
export interface NirDiagnostic {
  readonly severity: 'warning' | 'info';
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly node?: string;
  readonly hint?: string;
}

/** NIR release whose layout this code follows (neuromorphs/NIR v1.0.7). */
export const NIR_VERSION = '1.0.7';

export type FieldKind = 'float' | 'int' | 'int-or-str';

interface FieldSpec {
  readonly required: Readonly<Record<string, FieldKind>>;
  readonly optional: Readonly<Record<string, FieldKind>>;
}

const conv: FieldSpec = {
  required: { weight: 'float', stride: 'int', padding: 'int-or-str', dilation: 'int', groups: 'int', bias: 'float' },
  optional: { input_shape: 'int' },
};
const pool: FieldSpec = { required: { kernel_size: 'int', stride: 'int', padding: 'int' }, optional: {} };

/**
 * The registered node types of `nir.read` and their fields (nir/ir/*.py). `nir.read` passes
 * every dataset of a node group to the node's constructor, so a field not listed here
 * makes it fail: the writer checks its output against this table.
 */
export const NIR_FIELDS: Readonly<Record<string, FieldSpec>> = {
  Input: { required: { shape: 'int' }, optional: {} },
  Output: { required: { shape: 'int' }, optional: {} },
  Affine: { required: { weight: 'float', bias: 'float' }, optional: {} },
  Linear: { required: { weight: 'float' }, optional: {} },
  Scale: { required: { scale: 'float' }, optional: {} },
  Conv1d: conv,
  Conv2d: conv,
  SumPool2d: pool,
  AvgPool2d: pool,
  Flatten: { required: { start_dim: 'int', end_dim: 'int' }, optional: { input_type: 'int' } },
  Delay: { required: { delay: 'float' }, optional: {} },
  Threshold: { required: { threshold: 'float' }, optional: {} },
  I: { required: { r: 'float' }, optional: {} },
  IF: { required: { r: 'float', v_threshold: 'float' }, optional: { v_reset: 'float' } },
  LI: { required: { tau: 'float', r: 'float', v_leak: 'float' }, optional: {} },
  LIF: { required: { tau: 'float', r: 'float', v_leak: 'float', v_threshold: 'float' }, optional: { v_reset: 'float' } },
  CubaLI: { required: { tau_syn: 'float', tau_mem: 'float', r: 'float', v_leak: 'float' }, optional: { w_in: 'float' } },
  CubaLIF: {
    required: { tau_syn: 'float', tau_mem: 'float', r: 'float', v_leak: 'float', v_threshold: 'float' },
    optional: { v_reset: 'float', w_in: 'float' },
  },
  NIRGraph: { required: {}, optional: {} },
};
