// report.md: the same tables as the HTML page, as GitHub-flavoured Markdown. Every
// string from the model, the targets or the diagnostics goes through escapeMarkdown.
import { escapeMarkdown as md } from './escape.js';
import { accuracyTable, breakdownTable, headerFacts, layerTable, okTargets, summaryTable } from './tables.js';
import type { Table } from './tables.js';
import type { CompileReport } from './types.js';

function table(t: Table): string[] {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [row(t.head.map(md)), row(t.numeric.map((n) => (n ? '---:' : '---'))), ...t.rows.map((r) => row(r.map((c) => md(c.text))))];
}

export function renderMarkdown(r: CompileReport): string {
  const out: string[] = [`# snnc report: ${md(r.model.name)}`, ''];
  for (const [k, v] of headerFacts(r)) out.push(`- **${k}:** ${md(v)}`);
  out.push('', '## Summary', '', ...table(summaryTable(r)), '');
  out.push('Ratios are baseline / target: above 1× the target is better than the baseline.', '');
  const unavailable = r.targets.filter((t) => t.status !== 'ok');
  for (const t of unavailable) out.push(`- ${md(t.target)} is unavailable: ${md(t.note ?? 'no reason given')}`);
  if (unavailable.length > 0) out.push('');

  out.push('## Accuracy vs time steps', '', ...table(accuracyTable(r)), '');

  const ok = okTargets(r);
  if (ok.length > 0) {
    out.push('## Energy breakdown per inference', '', ...table(breakdownTable(r)), '');
    out.push('## Per-layer energy and latency', '');
    for (const t of ok) out.push(`### ${md(t.target)}`, '', ...table(layerTable(t)), '');
  }

  const withAssumptions = r.targets.filter((t) => t.assumptions.length > 0);
  if (withAssumptions.length > 0) {
    out.push('## Assumptions', '');
    for (const t of withAssumptions) {
      out.push(`### ${md(t.target)}`, '');
      for (const a of t.assumptions) out.push(`- ${md(a)}`);
      out.push('');
    }
  }

  out.push('## Diagnostics', '');
  if (r.diagnostics.length === 0) out.push('None.');
  for (const d of r.diagnostics) {
    const where = d.node !== undefined ? ` (node ${md(d.node)})` : '';
    out.push(`- **${d.severity}** ${md(d.code)}${where}: ${md(d.message)}`);
  }
  out.push('');
  return out.join('\n');
}
