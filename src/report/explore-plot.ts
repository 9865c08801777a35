// explore.svg: accuracy against memory and against energy, one point per configuration and
// T (colour = T), Pareto points ringed, the selected one marked, the reference accuracy
// dashed and the allowed drop dotted. A standalone SVG (its own <style>), rendered from
// strings without a browser; coordinates rounded so equal documents give equal bytes.
// Points far below the reference (a 2-bit net at chance) would squash the interesting
// band near the top, so the y axis starts a little under the allowed drop and such points
// sit on the bottom edge as hollow triangles, counted in a note.
import { escapeHtml as h } from './escape.js';
import type { ExploreDoc, ExploreRow } from './explore.js';
import { formatPercent, formatSI } from './format.js';
import { c, dv, PALETTE, text, tick } from './svg.js';

const W = 760;
const PANEL_H = 300;
const M = { l: 70, r: 44, t: 40, b: 50 };

const STYLE = [
  'svg { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #fff; }',
  '.heading { font-weight: 600; font-size: 13px; fill: #1d2330; }',
  '.label { fill: #1d2330; } .tick { fill: #5a6374; font-size: 11px; } .note { fill: #a23b00; font-size: 11px; }',
  '.grid { stroke: #e4e7ec; stroke-width: 1; } .axis { stroke: #5a6374; stroke-width: 1; }',
  '.reference { stroke: #a23b00; stroke-width: 1.5; stroke-dasharray: 6 4; }',
  '.allowed { stroke: #a23b00; stroke-width: 1; stroke-dasharray: 2 3; }',
  '.pareto { fill: none; stroke: #000; stroke-width: 1.5; } .selected { fill: none; stroke: #D55E00; stroke-width: 2.5; }',
].join('\n');

interface Axis {
  readonly key: 'memoryBits' | 'energyJ';
  readonly heading: string;
  readonly unit: string;
  /** Axis value per row value (memory: bits → bytes). */
  readonly scale: number;
}

function yRange(doc: ExploreDoc): { lo: number; hi: number } {
  const ref = doc.reference.accuracy;
  const allowed = ref - doc.space.maxAccuracyDrop / 100;
  const accs = doc.rows.map((r) => r.accuracy);
  const floor = Math.max(0, Math.min(allowed, ref) - Math.max(0.02, 2 * (ref - allowed)));
  const lo = Math.max(floor, Math.min(...accs, ref));
  const hi = Math.min(1, Math.max(...accs, ref) + 0.002);
  return hi - lo < 0.005 ? { lo: Math.max(0, hi - 0.01), hi } : { lo, hi };
}

function panel(doc: ExploreDoc, axis: Axis, y0: number, colourOf: (T: number) => string): string[] {
  const rows = doc.rows.filter((r) => r[axis.key] !== null && Number.isFinite(r[axis.key]));
  const parts: string[] = [`<g class="panel" data-metric="${axis.key}">`, text(8, y0 + 16, axis.heading, ' class="heading"')];
  const plotW = W - M.l - M.r;
  const top = y0 + M.t;
  const bottom = y0 + PANEL_H - M.b;
  if (rows.length === 0) {
    parts.push(text(M.l + 10, top + 24, 'not available for this target', ' class="note"'), '</g>');
    return parts;
  }
  const xs = rows.map((r) => (r[axis.key] as number) * axis.scale);
  let xlo = Math.min(...xs);
  let xhi = Math.max(...xs);
  const pad = xhi > xlo ? (xhi - xlo) * 0.06 : Math.max(Math.abs(xhi) * 0.1, 1e-12);
  xlo = Math.max(0, xlo - pad);
  xhi += pad;
  const x = (v: number): number => M.l + ((v * axis.scale - xlo) / (xhi - xlo)) * plotW;
  const { lo, hi } = yRange(doc);
  const y = (a: number): number => top + (1 - (Math.max(a, lo) - lo) / (hi - lo)) * (bottom - top);
  const ySpan = hi - lo;
  const yStep = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2].find((s) => ySpan / s <= 6) ?? 0.25;
  for (let v = Math.ceil(lo / yStep) * yStep; v <= hi + 1e-12; v += yStep) {
    parts.push(`<line class="grid" x1="${M.l}" y1="${c(y(v))}" x2="${W - M.r}" y2="${c(y(v))}"/>`);
    parts.push(text(M.l - 8, y(v) + 4, `${(v * 100).toFixed(yStep < 0.01 ? 1 : 0)} %`, ' text-anchor="end" class="tick"'));
  }
  for (let i = 0; i <= 4; i++) {
    const v = xlo + ((xhi - xlo) * i) / 4;
    const px = M.l + (plotW * i) / 4;
    const shown = axis.key === 'memoryBits' ? kib(v * 8) : tick(v, axis.unit);
    parts.push(text(px, bottom + 18, shown, ' text-anchor="middle" class="tick"'));
  }
  parts.push(
    `<line class="axis" x1="${M.l}" y1="${c(bottom)}" x2="${W - M.r}" y2="${c(bottom)}"/>`,
    `<line class="axis" x1="${M.l}" y1="${c(top)}" x2="${M.l}" y2="${c(bottom)}"/>`,
    text(
      (M.l + W - M.r) / 2,
      bottom + 38,
      axis.key === 'memoryBits' ? 'memory (weights, biases, neuron state and parameters)' : `energy per inference (${doc.space.target})`,
      ' text-anchor="middle" class="label"',
    ),
  );
  const ref = doc.reference.accuracy;
  const allowed = ref - doc.space.maxAccuracyDrop / 100;
  parts.push(
    `<line class="reference" data-value="${dv(ref)}" x1="${M.l}" y1="${c(y(ref))}" x2="${W - M.r}" y2="${c(y(ref))}"><title>${h(doc.reference.label)}: ${formatPercent(ref)}</title></line>`,
    text(M.l + 6, y(ref) - 5, `${doc.reference.label} ${formatPercent(ref)}`, ' class="note"'),
  );
  if (allowed >= lo) {
    parts.push(
      `<line class="allowed" data-value="${dv(allowed)}" x1="${M.l}" y1="${c(y(allowed))}" x2="${W - M.r}" y2="${c(y(allowed))}"><title>allowed drop ${doc.space.maxAccuracyDrop} pp</title></line>`,
    );
  }
  for (const r of rows) parts.push(point(r, x(r[axis.key] as number), y(r.accuracy), r.accuracy < lo, colourOf(r.T), axis));
  const below = rows.filter((r) => r.accuracy < lo).length;
  if (below > 0)
    parts.push(text(M.l + 6, bottom - 6, `${below} point${below > 1 ? 's' : ''} below ${formatPercent(lo)} shown on the bottom edge`, ' class="tick"'));
  parts.push('</g>');
  return parts;
}

function kib(bits: number): string {
  const k = bits / 8 / 1024;
  return `${k.toFixed(k < 10 ? 2 : 1)} KiB`;
}

function point(r: ExploreRow, px: number, py: number, clipped: boolean, colour: string, axis: Axis): string {
  const v = r[axis.key] as number;
  const shown = axis.key === 'memoryBits' ? kib(v) : formatSI(v, 'J');
  const title = `<title>${h(r.config)}, T=${r.T}: ${formatPercent(r.accuracy)}, ${shown}${r.selected ? ' (selected)' : r.pareto ? ' (Pareto)' : ''}</title>`;
  const data = `data-id="${h(r.id)}" data-value="${dv(r.accuracy)}" data-x="${dv(v)}"`;
  const mark = clipped
    ? `<path class="point" ${data} d="M${c(px)},${c(py - 6)} l5,8 h-10 z" fill="none" stroke="${colour}" stroke-width="1.5">${title}</path>`
    : `<circle class="point" ${data} cx="${c(px)}" cy="${c(py)}" r="4" fill="${colour}" fill-opacity="0.85">${title}</circle>`;
  const ring = r.selected
    ? `<circle class="selected" cx="${c(px)}" cy="${c(py)}" r="9"/>`
    : r.pareto
      ? `<circle class="pareto" cx="${c(px)}" cy="${c(py)}" r="6.5"/>`
      : '';
  return mark + ring;
}

export function renderExplorePlot(doc: ExploreDoc): string {
  const Ts = [...doc.space.T].sort((a, b) => a - b);
  const colourOf = (T: number): string => PALETTE[Math.max(0, Ts.indexOf(T)) % PALETTE.length] as string;
  const legendH = 34;
  const height = 2 * PANEL_H + legendH;
  const label = `Accuracy against memory and energy for ${doc.rows.length} quantization configurations`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${h(label)}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}">`,
    `<title>${h(label)}</title><style>${STYLE}</style>`,
    `<rect x="0" y="0" width="${W}" height="${height}" fill="#fff"/>`,
  ];
  parts.push(...panel(doc, { key: 'memoryBits', heading: `Accuracy vs memory (float32: ${kib(doc.float32Bits)})`, unit: 'B', scale: 1 / 8 }, 0, colourOf));
  parts.push(...panel(doc, { key: 'energyJ', heading: `Accuracy vs energy per inference on ${doc.space.target}`, unit: 'J', scale: 1 }, PANEL_H, colourOf));
  let lx = M.l;
  const ly = 2 * PANEL_H + 20;
  for (const T of Ts) {
    parts.push(`<circle cx="${c(lx)}" cy="${ly - 4}" r="4" fill="${colourOf(T)}"/>`, text(lx + 8, ly, `T=${T}`, ' class="label"'));
    lx += 64;
  }
  parts.push(`<circle class="pareto" cx="${c(lx + 6)}" cy="${ly - 4}" r="6.5"/>`, text(lx + 18, ly, 'Pareto front', ' class="label"'));
  lx += 110;
  parts.push(`<circle class="selected" cx="${c(lx + 8)}" cy="${ly - 4}" r="8"/>`, text(lx + 22, ly, 'selected', ' class="label"'));
  parts.push('</svg>');
  return parts.join('') + '\n';
}
