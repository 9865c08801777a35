// What every pass receives besides the graph. Passes are `(graph, ctx) => graph`: they
// never mutate their input, take randomness only from `ctx.seed`, and report warnings
// as diagnostics (data) instead of printing them.
import type { DiagnosticCode } from '../errors.js';
import type { Graph, Tensor } from '../ir/types.js';

export type Severity = 'info' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable identifier from DIAGNOSTIC_CODES (src/errors.ts), e.g. 'SNNC_W_MAXPOOL_AVG'. */
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly pass?: string;
  readonly node?: string;
  readonly hint?: string;
}

export interface CalibrationData {
  /** Model inputs, batch-first, e.g. float32 [N, 1, 28, 28] for the first graph input. */
  readonly x: Tensor;
  /** Labels when known (for reporting the accuracy cost of a calibration choice). */
  readonly y?: Int32Array;
  /** Where the data came from, for reports: 'mnist:train[0:512]', 'file.npz', 'synthetic'. */
  readonly source: string;
}

export interface PassContext {
  readonly seed: number;
  readonly calibration?: CalibrationData;
  /** Largest tensor a pass may allocate (elements). */
  readonly maxElements?: number;
  /** Collects diagnostics; the caller decides how to show them. */
  readonly report: (d: Diagnostic) => void;
}

export interface Pass {
  /** kebab-case, as used by --dump-ir-after. */
  readonly name: string;
  readonly run: (g: Graph, ctx: PassContext) => Graph;
}

/** A context that keeps diagnostics in an array (tests, API callers). */
export function collectingContext(init: Omit<PassContext, 'report'> = { seed: 0 }): PassContext & { readonly diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  return { ...init, diagnostics, report: (d) => diagnostics.push(d) };
}
