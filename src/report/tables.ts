// Table models shared by the Markdown and HTML renderers, so both show the same rows
// with the same formatted numbers. Cell text is raw (unescaped); each renderer escapes.
// `value` is the exact number behind a formatted cell (HTML puts it in data-value).
import { COMPONENTS } from '../costmodel/types.js';
import { formatCount, formatPercent, formatRatio, formatSI, MISSING } from './format.js';
import type { CompileReport, TargetResult } from './types.js';

export interface Cell {
  readonly text: string;
  readonly value?: number | null;
  /** What the cell holds, for scripts and tests reading the HTML (e.g. 'energy'). */
  readonly field?: string;
}

export interface Table {
  readonly head: readonly string[];
  /** Columns right-aligned (numbers). */
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly Cell[])[];
}

const num = (value: number | null | undefined, text: string, field?: string): Cell => ({
  text,
  value: value ?? null,
  ...(field !== undefined ? { field } : {}),
});

export function summaryTable(r: CompileReport): Table {
  return {
    head: ['target', 'kind', 'status', 'accuracy', 'T', 'energy / inference', 'latency / inference', 'energy vs baseline', 'latency vs baseline'],
    numeric: [false, false, false, true, true, true, true, true, true],
    rows: r.targets.map((t) => [
      { text: t.target, field: 'target' },
      { text: t.kind },
      { text: t.status, field: 'status' },
      num(t.accuracy, formatPercent(t.accuracy), 'accuracy'),
      num(t.status === 'ok' ? t.timesteps : null, t.status === 'ok' ? String(t.timesteps) : MISSING, 'timesteps'),
      num(t.energyJ, formatSI(t.energyJ, 'J'), 'energyJ'),
      num(t.latencyS, formatSI(t.latencyS, 's'), 'latencyS'),
      num(t.vsBaseline?.energy, formatRatio(t.vsBaseline?.energy), 'vsBaselineEnergy'),
      num(t.vsBaseline?.latency, formatRatio(t.vsBaseline?.latency), 'vsBaselineLatency'),
    ]),
  };
}

export function accuracyTable(r: CompileReport): Table {
  return {
    head: ['T', 'SNN accuracy', 'vs ANN', 'spikes / sample', 'synops / sample'],
    numeric: [true, true, true, true, true],
    rows: [
      [{ text: 'ANN' }, num(r.accuracy.ann, formatPercent(r.accuracy.ann)), { text: MISSING }, { text: MISSING }, { text: MISSING }],
      ...r.accuracy.snn.map((s) => {
        const d = (s.accuracy - r.accuracy.ann) * 100;
        return [
          num(s.T, String(s.T)),
          num(s.accuracy, formatPercent(s.accuracy)),
          { text: `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} pp` },
          num(s.spikesPerSample, formatCount(s.spikesPerSample)),
          num(s.synopsPerSample, formatCount(s.synopsPerSample)),
        ];
      }),
    ],
  };
}

export function okTargets(r: CompileReport): TargetResult[] {
  return r.targets.filter((t) => t.status === 'ok');
}

/** Known components first (in costmodel order), then any others sorted. */
export function componentsOf(targets: readonly TargetResult[]): string[] {
  const seen = new Set<string>();
  for (const t of targets) for (const k of Object.keys(t.breakdown)) seen.add(k);
  const known: string[] = COMPONENTS.filter((c) => seen.has(c));
  const extra = [...seen].filter((k) => !known.includes(k)).sort();
  return [...known, ...extra];
}

/** Rows = components that are non-zero for some target, columns = available targets. */
export function breakdownTable(r: CompileReport): Table {
  const ts = okTargets(r);
  const comps = componentsOf(ts).filter((c) => ts.some((t) => (t.breakdown[c] ?? 0) !== 0));
  return {
    head: ['component', ...ts.map((t) => t.target)],
    numeric: [false, ...ts.map(() => true)],
    rows: [
      ...comps.map((c) => [{ text: c }, ...ts.map((t) => num(t.breakdown[c] ?? 0, formatSI(t.breakdown[c] ?? 0, 'J')))]),
      [{ text: 'total' }, ...ts.map((t) => num(t.energyJ, formatSI(t.energyJ, 'J'), 'energyJ'))],
    ],
  };
}

function share(part: number, total: number | null): string {
  if (total === null || total <= 0) return MISSING;
  return formatPercent(part / total);
}

export function layerTable(t: TargetResult): Table {
  return {
    head: ['layer', 'energy', 'share of energy', 'latency'],
    numeric: [false, true, true, true],
    rows: t.layers.map((l) => [
      { text: l.name },
      num(l.energyJ, formatSI(l.energyJ, 'J')),
      { text: share(l.energyJ, t.energyJ) },
      num(l.latencyS, formatSI(l.latencyS, 's')),
    ]),
  };
}

/** "programNoise 3, stuckAt 0.01; mean over chips 0, 1, 2" */
export function devicesFact(d: NonNullable<CompileReport['settings']['devices']>): string {
  const effects = Object.keys(d.effects)
    .sort()
    .map((k) => `${k} ${String(d.effects[k])}`);
  return `${effects.length > 0 ? effects.join(', ') : 'ideal'}; mean over ${d.seeds.length === 1 ? 'chip' : 'chips'} ${d.seeds.join(', ')}`;
}

/** Model and settings as label/value pairs (header of both documents). */
export function headerFacts(r: CompileReport): [string, string][] {
  const s = r.settings;
  const bits =
    s.bits === undefined
      ? []
      : Object.keys(s.bits)
          .sort()
          .map((k) => `${k} ${String(s.bits?.[k])}`);
  return [
    ['model file', r.model.file],
    ['parameters', formatCount(r.model.params)],
    ['MACs / sample', formatCount(r.model.macsPerSample)],
    ['input shape', `[${r.model.inputShape.map(String).join(', ')}]`],
    ['dataset', `${s.dataset} (${s.samples} samples)`],
    ['time steps', s.timesteps.join(', ')],
    ['calibration', s.calibration],
    ['reset', s.reset],
    ['coding', s.coding],
    ...(bits.length > 0 ? [['bits', bits.join(', ')] as [string, string]] : []),
    ...(s.devices !== undefined ? [['IMC devices', devicesFact(s.devices)] as [string, string]] : []),
    ['baseline', `${r.baseline.target}: ${formatSI(r.baseline.energyJ, 'J')}, ${formatSI(r.baseline.latencyS, 's')} per inference`],
    ['tool', `${r.tool.name} ${r.tool.version}`],
  ];
}
