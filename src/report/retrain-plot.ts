// The chart of a retraining run: accuracy on the hardware simulation per round (the line
// that decides), the training proxy's accuracy dashed, the chosen round ringed. Same
// conventions as svg.ts: deterministic, escaped, exact values in data-value.
import { escapeHtml as h } from './escape.js';
import { formatPercent } from './format.js';
import { accuracyAxis, c, dv, text } from './svg.js';

export interface RetrainPoint {
  readonly round: number;
  readonly accuracy: number | null;
  readonly proxyAccuracy: number | null;
}

const W = 760;
const H = 300;

export function retrainChart(points: readonly RetrainPoint[], best: number, target: string): string {
  const m = { l: 70, r: 30, t: 34, b: 48 };
  const label = `Accuracy per retraining round on ${target}; training proxy dashed; chosen round ringed`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="retrain" role="img" aria-label="${h(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">`,
    `<title>${h(label)}</title>`,
    '<style>.grid{stroke:#ddd}.axis{stroke:#333}.tick,.label,.note{font:12px sans-serif;fill:#333}.line{fill:none;stroke:#0072B2;stroke-width:2}.proxy{fill:none;stroke:#E69F00;stroke-width:2;stroke-dasharray:6 4}.point{fill:#0072B2}.best{fill:none;stroke:#D55E00;stroke-width:2}</style>',
  ];
  const accs = points.flatMap((p) => [p.accuracy, p.proxyAccuracy]).filter((a): a is number => a !== null);
  const { y, grid } = accuracyAxis(accs.length > 0 ? accs : [1], m, H);
  const last = Math.max(1, ...points.map((p) => p.round));
  const x = (r: number): number => m.l + (r / last) * (W - m.l - m.r);
  parts.push(...grid);
  for (const p of points) parts.push(text(x(p.round), H - m.b + 18, p.round === 0 ? 'as given' : String(p.round), ' text-anchor="middle" class="tick"'));
  parts.push(
    `<line class="axis" x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}"/>`,
    text((m.l + W - m.r) / 2, H - 8, 'round', ' text-anchor="middle" class="label"'),
    text(14, m.t - 14, `accuracy on ${target} (solid) and training proxy (dashed)`, ' class="label"'),
  );
  const line = (key: 'accuracy' | 'proxyAccuracy', cls: string): void => {
    const pts = points.filter((p) => p[key] !== null);
    if (pts.length > 1) parts.push(`<polyline class="${cls}" points="${pts.map((p) => `${c(x(p.round))},${c(y(p[key] ?? 0))}`).join(' ')}"/>`);
  };
  line('proxyAccuracy', 'proxy');
  line('accuracy', 'line');
  for (const p of points) {
    if (p.accuracy === null) continue;
    parts.push(
      `<circle class="point" data-round="${p.round}" data-value="${dv(p.accuracy)}" cx="${c(x(p.round))}" cy="${c(y(p.accuracy))}" r="4"><title>round ${p.round}: ${formatPercent(p.accuracy)}</title></circle>`,
    );
    if (p.round === best) parts.push(`<circle class="best" cx="${c(x(p.round))}" cy="${c(y(p.accuracy))}" r="9"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
