// report.html: one self-contained page (inline CSS and SVG, no script, no network; a
// Content-Security-Policy forbids loading anything). Tables come from tables.ts like
// the Markdown; charts from svg.ts. Every string from the report goes through escapeHtml.
import { escapeHtml as h } from './escape.js';
import { exactNumber } from './format.js';
import { accuracyChart, breakdownChart, comparisonChart, layerChart } from './svg.js';
import { accuracyTable, breakdownTable, componentsOf, headerFacts, layerTable, okTargets, summaryTable } from './tables.js';
import type { Table } from './tables.js';
import type { CompileReport } from './types.js';

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d2330; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid #dde1e8; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: #5a6374; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7ec; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
td:first-child { white-space: nowrap; }
.scroll { overflow-x: auto; }
tr.unavailable td { color: #7a8292; }
figure { margin: 16px 0 24px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { display: block; width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg .heading { font-weight: 600; font-size: 13px; fill: #1d2330; }
svg .label { fill: #1d2330; }
svg .tick { fill: #5a6374; font-size: 11px; }
svg .value { fill: #1d2330; font-size: 11px; }
svg .note { fill: #a23b00; font-size: 11px; }
svg .na { fill: #7a8292; font-style: italic; }
svg .grid { stroke: #e4e7ec; stroke-width: 1; }
svg .axis { stroke: #5a6374; stroke-width: 1; }
svg .baseline { stroke: #a23b00; stroke-width: 2; stroke-dasharray: 5 4; }
svg .reference { stroke: #a23b00; stroke-width: 2; stroke-dasharray: 6 4; }
svg .line { fill: none; stroke: #0072B2; stroke-width: 2; }
svg .point { fill: #0072B2; stroke: #fff; stroke-width: 1.5; }
ul { padding-left: 22px; }
li { overflow-wrap: anywhere; }
.muted { color: #5a6374; }
`;

function table(t: Table, cls: string): string {
  const head = t.head.map((s, i) => `<th${t.numeric[i] === true ? ' class="num"' : ''}>${h(s)}</th>`).join('');
  const rows = t.rows.map((r) => {
    const status = r.find((cell) => cell.field === 'status')?.text;
    const tds = r.map((cell, i) => {
      const attrs: string[] = [];
      if (t.numeric[i] === true) attrs.push('class="num"');
      if (cell.field !== undefined) attrs.push(`data-field="${h(cell.field)}"`);
      const v = cell.value === undefined || cell.value === null ? null : exactNumber(cell.value);
      if (v !== null) attrs.push(`data-value="${h(v)}"`);
      return `<td${attrs.length > 0 ? ' ' + attrs.join(' ') : ''}>${h(cell.text)}</td>`;
    });
    return `<tr${status === 'unavailable' ? ' class="unavailable"' : ''}>${tds.join('')}</tr>`;
  });
  return `<div class="scroll"><table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function figure(caption: string, svg: string): string {
  return `<figure><figcaption>${h(caption)}</figcaption>${svg}</figure>`;
}

function charts(r: CompileReport): string {
  const ok = okTargets(r);
  const comps = componentsOf(ok).filter((k) => ok.some((t) => (t.breakdown[k] ?? 0) > 0));
  return [
    figure(
      'Targets compared: energy and latency per inference',
      comparisonChart(
        r.targets.map((t) => ({ target: t.target, energyJ: t.energyJ, latencyS: t.latencyS })),
        r.baseline,
      ),
    ),
    figure(
      'Where the energy goes',
      breakdownChart(
        ok.map((t) => ({
          target: t.target,
          totalJ: t.energyJ ?? 0,
          parts: comps.map((k) => ({ component: k, energyJ: t.breakdown[k] ?? 0 })),
        })),
        comps,
      ),
    ),
    figure('Energy per layer', layerChart(ok.map((t) => ({ target: t.target, layers: t.layers })))),
    figure('Accuracy against time steps', accuracyChart(r.accuracy.snn, r.accuracy.ann)),
  ].join('\n');
}

/** Sections a caller adds after the summary: a heading and an SVG chart it rendered (e.g. the retraining rounds). */
export interface ExtraSection {
  readonly id: string;
  readonly title: string;
  readonly svg: string;
}

export function renderHtml(r: CompileReport, extra: readonly ExtraSection[] = []): string {
  const ok = okTargets(r);
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>snnc report: ${h(r.model.name)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<header><h1>snnc report: ${h(r.model.name)}</h1><dl class="facts">`,
    ...headerFacts(r).map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`),
    '</dl></header>',
    '<section id="summary"><h2>Summary</h2>',
    table(summaryTable(r), 'summary'),
    '<p class="muted">Ratios are baseline / target: above 1× the target is better than the baseline.</p>',
  ];
  const unavailable = r.targets.filter((t) => t.status !== 'ok');
  if (unavailable.length > 0) {
    out.push('<ul class="notes">', ...unavailable.map((t) => `<li>${h(t.target)} is unavailable: ${h(t.note ?? 'no reason given')}</li>`), '</ul>');
  }
  out.push('</section>');
  // The chart is our own SVG (its labels escaped where it was drawn); the id and title are escaped here.
  for (const x of extra) out.push(`<section id="${h(x.id)}"><h2>${h(x.title)}</h2>`, x.svg, '</section>');
  out.push('<section id="charts"><h2>Charts</h2>', charts(r), '</section>');
  out.push('<section id="accuracy"><h2>Accuracy vs time steps</h2>', table(accuracyTable(r), 'accuracy'), '</section>');
  if (ok.length > 0) {
    out.push('<section id="breakdown"><h2>Energy breakdown per inference</h2>', table(breakdownTable(r), 'breakdown'), '</section>');
    out.push('<section id="layers"><h2>Per-layer energy and latency</h2>');
    for (const t of ok) out.push(`<h3>${h(t.target)}</h3>`, table(layerTable(t), 'layers'));
    out.push('</section>');
  }
  const withAssumptions = r.targets.filter((t) => t.assumptions.length > 0);
  if (withAssumptions.length > 0) {
    out.push('<section id="assumptions"><h2>Assumptions</h2>');
    for (const t of withAssumptions) out.push(`<h3>${h(t.target)}</h3><ul>`, ...t.assumptions.map((a) => `<li>${h(a)}</li>`), '</ul>');
    out.push('</section>');
  }
  out.push('<section id="diagnostics"><h2>Diagnostics</h2>');
  if (r.diagnostics.length === 0) out.push('<p class="muted">None.</p>');
  else {
    out.push('<ul>');
    for (const d of r.diagnostics) {
      const where = d.node !== undefined ? ` (node ${h(d.node)})` : '';
      out.push(`<li><strong>${h(d.severity)}</strong> <code>${h(d.code)}</code>${where}: ${h(d.message)}</li>`);
    }
    out.push('</ul>');
  }
  out.push('</section>', '</main>', '</body>', '</html>', '');
  return out.join('\n');
}
