// The contract every backend honours: `emit(graph, target, opts)` returns files (paths
// relative to the compile output folder), the mapping the cost model reads, and the
// diagnostics collected on the way. Backends never touch the disk; the CLI/API layer
// writes `files` (temp dir + rename).
import type { DiagnosticCode } from '../../errors.js';

export interface EmittedFile {
  /** Relative, '/'-separated, e.g. 'loihi/network.net'. */
  readonly path: string;
  readonly data: Uint8Array | string;
}

export interface BackendDiagnostic {
  readonly severity: 'info' | 'warning';
  /** Stable identifier from DIAGNOSTIC_CODES (src/errors.ts), e.g. 'SNNC_W_LOIHI_RESET'. */
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly node?: string;
  readonly hint?: string;
}

export interface EmitResult<M> {
  readonly files: EmittedFile[];
  readonly mapping: M;
  readonly diagnostics: BackendDiagnostic[];
}
