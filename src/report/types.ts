// The data of one `snnc compile` report. This is the contract scripts read from
// report.json (docs/report.schema.json, docs/report.md); renderers only read it.
// All energies are joules per inference, latencies seconds per inference, accuracies
// fractions in [0, 1]. Changing a field's meaning bumps `schemaVersion`.

export type Severity = 'info' | 'warning';
/** The bundled kinds, or one registered through registerBackend (a lower-case name). */
export type TargetKind = string;

export interface SnnAccuracy {
  readonly T: number;
  readonly accuracy: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly node?: string;
}

export interface LayerResult {
  readonly name: string;
  readonly energyJ: number;
  readonly latencyS: number;
}

export interface TargetResult {
  readonly target: string;
  readonly kind: TargetKind;
  /** 'unavailable' = backend not built or not applicable; `note` says why. */
  readonly status: 'ok' | 'unavailable';
  readonly note?: string;
  /** null when no labelled data was simulated for this target (or it is unavailable). */
  readonly accuracy: number | null;
  readonly timesteps: number;
  readonly energyJ: number | null;
  readonly latencyS: number | null;
  /** Component (the costmodel COMPONENTS) -> joules per inference. */
  readonly breakdown: Readonly<Record<string, number>>;
  readonly layers: readonly LayerResult[];
  readonly area?: { readonly mm2: number };
  readonly resources?: Readonly<Record<string, number>>;
  /** baseline / this (x); absent when either side is zero or unknown. */
  readonly vsBaseline?: { readonly energy: number; readonly latency: number };
  readonly assumptions: readonly string[];
}

export interface Baseline {
  readonly target: string;
  readonly energyJ: number;
  readonly latencyS: number;
}

export interface CompileReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'snnc'; readonly version: string };
  readonly model: {
    readonly name: string;
    readonly file: string;
    readonly params: number;
    readonly macsPerSample: number;
    readonly inputShape: readonly (number | string)[];
  };
  readonly settings: {
    readonly dataset: string;
    readonly samples: number;
    readonly timesteps: readonly number[];
    readonly calibration: string;
    readonly reset: string;
    readonly coding: string;
    readonly bits?: Readonly<Record<string, number>>;
    /** Device non-idealities the IMC targets were measured with (`--noise`), and the chips (device seeds) averaged. */
    readonly devices?: { readonly effects: Readonly<Record<string, number>>; readonly seeds: readonly number[] };
  };
  readonly accuracy: { readonly ann: number; readonly snn: readonly SnnAccuracy[] };
  readonly targets: readonly TargetResult[];
  readonly baseline: Baseline;
  readonly diagnostics: readonly Diagnostic[];
}
