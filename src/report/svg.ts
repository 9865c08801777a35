// A small deterministic chart module: strings in, inline SVG out. No dependencies, no
// randomness, coordinates rounded to 0.01 px so the same data gives the same bytes.
// Every text and attribute that may hold a model string goes through escapeHtml; every
// mark carries data-value (the exact number) and a <title> tooltip (the shown number).
import { escapeHtml as h } from './escape.js';
import { exactNumber, formatPercent, formatSI } from './format.js';

const W = 760;
const ROW = 22;
const BAR = 14;
const CHAR = 7; // average glyph width at 12px, to size label columns
/** Colour-blind-safe palette (Okabe-Ito, then two neutrals); component i gets colour i. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];

export const c = (x: number): string => String(Math.round(x * 100) / 100);
export const dv = (v: number): string => h(exactNumber(v) ?? '');

function fit(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

function labelWidth(labels: readonly string[], max = 28): number {
  const n = Math.max(4, ...labels.map((l) => Math.min(l.length, max)));
  return n * CHAR + 8;
}

function open(chart: string, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${chart}" role="img" ` +
    `aria-label="${h(label)}" viewBox="0 0 ${W} ${c(height)}" width="${W}" height="${c(height)}">` +
    `<title>${h(label)}</title>`
  );
}

export function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${c(x)}" y="${c(y)}"${attrs}>${h(s)}</text>`;
}

/** A tick label: formatSI without trailing zeros ("1.00 µJ" -> "1 µJ"). */
export function tick(v: number, unit: string): string {
  return formatSI(v, unit)
    .replace(/\.0+(?= |$)/, '')
    .replace(/(\.\d*?)0+(?= |$)/, '$1');
}

/** 0, step, ... covering max with at most ~`count` intervals of 1/2/5 x 10^k. */
function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let i = 0; i * step < max * (1 + 1e-9) || out.length < 2; i++) out.push(Number((i * step).toPrecision(12)));
  if ((out[out.length - 1] ?? 0) < max) out.push(Number((out.length * step).toPrecision(12)));
  return out;
}

// ---------------------------------------------------------------- (a) target comparison

export interface CompareRow {
  readonly target: string;
  readonly energyJ: number | null;
  readonly latencyS: number | null;
}

/** Energy and latency per target on log-scale horizontal bars, baseline dashed. */
export function comparisonChart(rows: readonly CompareRow[], baseline: { target: string; energyJ: number; latencyS: number }): string {
  const lw = labelWidth(rows.map((r) => r.target));
  const x0 = lw + 12;
  const plotW = W - x0 - 96;
  const panelH = 66 + rows.length * ROW;
  const parts: string[] = [open('targets', 2 * panelH + 8, 'Energy and latency per inference by target (log scale), baseline dashed')];
  const panels = [
    { key: 'energyJ', unit: 'J', heading: 'Energy per inference (log scale)', base: baseline.energyJ },
    { key: 'latencyS', unit: 's', heading: 'Latency per inference (log scale)', base: baseline.latencyS },
  ] as const;
  panels.forEach((p, pi) => {
    const y0 = pi * (panelH + 8);
    const vals = rows.map((r) => r[p.key]).filter((v): v is number => v !== null && v > 0 && Number.isFinite(v));
    if (p.base > 0) vals.push(p.base);
    const lmin = Math.log10(vals.length > 0 ? Math.min(...vals) : 1e-9);
    let lo = Math.floor(lmin);
    if (lo === lmin) lo -= 1; // keep the smallest bar visible
    let hi = Math.ceil(Math.log10(vals.length > 0 ? Math.max(...vals) : 1));
    if (hi <= lo) hi = lo + 1;
    const x = (v: number): number => x0 + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
    const yAxis = y0 + 38 + rows.length * ROW + 4;
    parts.push(`<g class="panel" data-metric="${p.key}">`, text(0, y0 + 14, p.heading, ' class="heading"'));
    const every = hi - lo > 8 ? 2 : 1;
    for (let e = lo; e <= hi; e += every) {
      const xe = x(10 ** e);
      parts.push(`<line class="grid" x1="${c(xe)}" y1="${c(y0 + 34)}" x2="${c(xe)}" y2="${c(yAxis)}"/>`);
      parts.push(text(xe, yAxis + 16, tick(10 ** e, p.unit), ' text-anchor="middle" class="tick"'));
    }
    parts.push(`<line class="axis" x1="${c(x0)}" y1="${c(yAxis)}" x2="${c(x0 + plotW)}" y2="${c(yAxis)}"/>`);
    rows.forEach((r, i) => {
      const y = y0 + 38 + i * ROW;
      const v = r[p.key];
      parts.push(text(x0 - 8, y + 11, fit(r.target, 28), ' text-anchor="end" class="label"'));
      if (v === null || !(v > 0) || !Number.isFinite(v)) {
        parts.push(text(x0 + 4, y + 11, v === null ? 'unavailable' : formatSI(v, p.unit), ' class="na"'));
        return;
      }
      const shown = formatSI(v, p.unit);
      parts.push(
        `<rect class="bar" data-target="${h(r.target)}" data-metric="${p.key}" data-value="${dv(v)}" ` +
          `x="${c(x0)}" y="${c(y + (ROW - BAR) / 2 - 2)}" width="${c(x(v) - x0)}" height="${BAR}" fill="${PALETTE[0]}">` +
          `<title>${h(r.target)}: ${h(shown)}</title></rect>`,
        text(x(v) + 6, y + 11, shown, ' class="value"'),
      );
    });
    if (p.base > 0) {
      const xb = x(p.base);
      const shown = formatSI(p.base, p.unit);
      parts.push(
        `<line class="baseline" data-target="${h(baseline.target)}" data-metric="${p.key}" data-value="${dv(p.base)}" ` +
          `x1="${c(xb)}" y1="${c(y0 + 32)}" x2="${c(xb)}" y2="${c(yAxis)}"><title>baseline ${h(baseline.target)}: ${h(shown)}</title></line>`,
        text(xb, y0 + 28, `baseline ${fit(baseline.target, 24)}: ${shown}`, ` text-anchor="${xb > W / 2 ? 'end' : 'start'}" class="note"`),
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------- (b) energy breakdown

export interface StackRow {
  readonly target: string;
  readonly totalJ: number;
  readonly parts: readonly { readonly component: string; readonly energyJ: number }[];
}

/** One 100 % stacked bar per target (share of its energy per component), legend below. */
export function breakdownChart(rows: readonly StackRow[], components: readonly string[]): string {
  const lw = labelWidth(rows.map((r) => r.target));
  const x0 = lw + 12;
  const plotW = W - x0 - 80;
  const perLine = 4;
  const legendLines = Math.ceil(components.length / perLine);
  const yAxis = 10 + rows.length * ROW + 4;
  const height = yAxis + 30 + legendLines * 20 + 6;
  const parts: string[] = [open('breakdown', height, 'Share of energy per inference by component, per target')];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const xf = x0 + f * plotW;
    parts.push(`<line class="grid" x1="${c(xf)}" y1="6" x2="${c(xf)}" y2="${c(yAxis)}"/>`);
    parts.push(text(xf, yAxis + 16, `${f * 100} %`, ' text-anchor="middle" class="tick"'));
  }
  rows.forEach((r, i) => {
    const y = 10 + i * ROW;
    parts.push(text(x0 - 8, y + 11, fit(r.target, 28), ' text-anchor="end" class="label"'));
    let acc = 0;
    for (const p of r.parts) {
      if (!(p.energyJ > 0) || !(r.totalJ > 0)) continue;
      const share = p.energyJ / r.totalJ;
      const color = PALETTE[components.indexOf(p.component) % PALETTE.length] ?? '#777';
      parts.push(
        `<rect class="segment" data-target="${h(r.target)}" data-component="${h(p.component)}" data-value="${dv(p.energyJ)}" ` +
          `x="${c(x0 + acc * plotW)}" y="${c(y + (ROW - BAR) / 2 - 2)}" width="${c(share * plotW)}" height="${BAR}" fill="${color}">` +
          `<title>${h(r.target)} · ${h(p.component)}: ${h(formatSI(p.energyJ, 'J'))} (${formatPercent(share)})</title></rect>`,
      );
      acc += share;
    }
    parts.push(
      `<text class="total value" data-target="${h(r.target)}" data-value="${dv(r.totalJ)}" x="${c(x0 + plotW + 6)}" y="${c(y + 11)}">` +
        `${h(formatSI(r.totalJ, 'J'))}</text>`,
    );
  });
  parts.push(`<line class="axis" x1="${c(x0)}" y1="${c(yAxis)}" x2="${c(x0 + plotW)}" y2="${c(yAxis)}"/>`);
  components.forEach((comp, i) => {
    const lx = x0 + (i % perLine) * 150;
    const ly = yAxis + 30 + Math.floor(i / perLine) * 20;
    const color = PALETTE[i % PALETTE.length] ?? '#777';
    parts.push(`<rect class="legend" x="${c(lx)}" y="${c(ly)}" width="12" height="12" fill="${color}"/>`, text(lx + 18, ly + 10, comp, ' class="label"'));
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------- (c) per-layer energy

export interface LayerFacet {
  readonly target: string;
  readonly layers: readonly { readonly name: string; readonly energyJ: number }[];
}

/** Per-layer energy, one linear-scale panel per target. */
export function layerChart(facets: readonly LayerFacet[]): string {
  const lw = labelWidth(facets.flatMap((f) => f.layers.map((l) => l.name)));
  const x0 = lw + 12;
  const plotW = W - x0 - 80;
  const parts: string[] = [];
  let y0 = 0;
  for (const f of facets) {
    const max = Math.max(0, ...f.layers.map((l) => l.energyJ).filter(Number.isFinite));
    const ticks = niceTicks(max);
    const top = ticks[ticks.length - 1] ?? 1;
    const x = (v: number): number => x0 + (top > 0 ? v / top : 0) * plotW;
    const yAxis = y0 + 24 + f.layers.length * ROW + 4;
    parts.push(`<g class="panel" data-target="${h(f.target)}">`, text(0, y0 + 14, `${fit(f.target, 40)}: energy per layer`, ' class="heading"'));
    for (const t of ticks) {
      parts.push(`<line class="grid" x1="${c(x(t))}" y1="${c(y0 + 20)}" x2="${c(x(t))}" y2="${c(yAxis)}"/>`);
      parts.push(text(x(t), yAxis + 16, tick(t, 'J'), ' text-anchor="middle" class="tick"'));
    }
    f.layers.forEach((l, i) => {
      const y = y0 + 24 + i * ROW;
      const shown = formatSI(l.energyJ, 'J');
      parts.push(
        text(x0 - 8, y + 11, fit(l.name, 28), ' text-anchor="end" class="label"'),
        `<rect class="bar" data-target="${h(f.target)}" data-layer="${h(l.name)}" data-value="${dv(l.energyJ)}" ` +
          `x="${c(x0)}" y="${c(y + (ROW - BAR) / 2 - 2)}" width="${c(Math.max(0, x(l.energyJ) - x0))}" height="${BAR}" fill="${PALETTE[2]}">` +
          `<title>${h(f.target)} · ${h(l.name)}: ${h(shown)}</title></rect>`,
        text(Math.max(x0, x(l.energyJ)) + 6, y + 11, shown, ' class="value"'),
      );
    });
    parts.push(`<line class="axis" x1="${c(x0)}" y1="${c(yAxis)}" x2="${c(x0 + plotW)}" y2="${c(yAxis)}"/>`, '</g>');
    y0 = yAxis + 34;
  }
  if (facets.length === 0) parts.push(text(0, 20, 'no target with a cost estimate', ' class="na"'));
  return open('layers', Math.max(y0, 30), 'Energy per layer and target') + parts.join('') + '</svg>';
}

// ---------------------------------------------------------------- (d) accuracy vs T

export interface AccuracyPoint {
  readonly T: number;
  readonly accuracy: number;
}

/**
 * A y axis for accuracies in [0, 1] on a chart of height H with margins m: a step of 1 to 25
 * percentage points covering every value, the mapping to y, and the grid lines with % labels.
 */
export function accuracyAxis(
  values: readonly number[],
  m: { readonly l: number; readonly r: number; readonly t: number; readonly b: number },
  H: number,
): { y: (a: number) => number; grid: string[] } {
  const span = 1 - Math.min(...values);
  const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25].find((s) => span <= 5 * s) ?? 0.25;
  const lo = Math.max(0, Math.floor((Math.min(...values) - step / 2) / step) * step);
  const hi = Math.min(1, Math.max(lo + step, Math.ceil(Math.max(...values) / step) * step));
  const y = (a: number): number => m.t + (1 - (a - lo) / (hi - lo)) * (H - m.t - m.b);
  const grid: string[] = [];
  for (let v = lo, i = 0; v <= hi + 1e-9; i++, v = lo + i * step) {
    grid.push(`<line class="grid" x1="${m.l}" y1="${c(y(v))}" x2="${W - m.r}" y2="${c(y(v))}"/>`);
    grid.push(text(m.l - 8, y(v) + 4, `${(v * 100).toFixed(step < 0.01 ? 1 : 0)} %`, ' text-anchor="end" class="tick"'));
  }
  return { y, grid };
}

/** SNN accuracy against time steps (log2 x axis), ANN accuracy as a dashed line. */
export function accuracyChart(points: readonly AccuracyPoint[], ann: number): string {
  const H = 300;
  const m = { l: 70, r: 30, t: 34, b: 48 };
  const parts: string[] = [open('accuracy', H, 'Accuracy against time steps; ANN accuracy dashed')];
  const pts = [...points].filter((p) => p.T > 0).sort((a, b) => a.T - b.T);
  const { y, grid } = accuracyAxis([ann, ...pts.map((p) => p.accuracy)], m, H);
  const tMin = pts[0]?.T ?? 1;
  const tMax = pts[pts.length - 1]?.T ?? 1;
  const x = (t: number): number =>
    tMax === tMin ? (m.l + W - m.r) / 2 : m.l + ((Math.log2(t) - Math.log2(tMin)) / (Math.log2(tMax) - Math.log2(tMin))) * (W - m.l - m.r);
  parts.push(...grid);
  for (const p of pts) parts.push(text(x(p.T), H - m.b + 18, String(p.T), ' text-anchor="middle" class="tick"'));
  parts.push(
    `<line class="axis" x1="${m.l}" y1="${c(H - m.b)}" x2="${W - m.r}" y2="${c(H - m.b)}"/>`,
    text((m.l + W - m.r) / 2, H - 8, 'time steps T (log scale)', ' text-anchor="middle" class="label"'),
    text(14, m.t - 14, 'accuracy', ' class="label"'),
    `<line class="reference" data-series="ann" data-value="${dv(ann)}" x1="${m.l}" y1="${c(y(ann))}" x2="${W - m.r}" y2="${c(y(ann))}">` +
      `<title>ANN: ${formatPercent(ann)}</title></line>`,
    text(W - m.r, y(ann) - 6, `ANN ${formatPercent(ann)}`, ' text-anchor="end" class="note"'),
  );
  if (pts.length === 0) parts.push(text(m.l + 10, m.t + 20, 'no SNN accuracy measured', ' class="na"'));
  if (pts.length > 1) parts.push(`<polyline class="line" points="${pts.map((p) => `${c(x(p.T))},${c(y(p.accuracy))}`).join(' ')}"/>`);
  for (const p of pts) {
    parts.push(
      `<circle class="point" data-series="snn" data-t="${p.T}" data-value="${dv(p.accuracy)}" cx="${c(x(p.T))}" cy="${c(y(p.accuracy))}" r="4">` +
        `<title>T = ${p.T}: ${formatPercent(p.accuracy)}</title></circle>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
