// Small text-formatting helpers for human-readable CLI output.
import type { Dim } from '../ir/types.js';

export function shapeStr(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

/** 1234567 -> "1.23 M"; exact below 10 000 so small counts stay checkable by eye. */
export function count(n: number | null): string {
  if (n === null) return '?';
  if (Math.abs(n) < 1e4) return String(n);
  const units = ['k', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(2)} ${units[u] ?? ''}`;
}

export function bytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** Left-aligned text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One diagnostic as the CLI prints it: `warning CODE (node): message`, the hint indented below. */
export function diagnosticLine(d: {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly node?: string | undefined;
  readonly hint?: string | undefined;
}): string {
  return `${d.severity} ${d.code}${d.node !== undefined ? ` (${d.node})` : ''}: ${d.message}${d.hint !== undefined ? `\n  hint: ${d.hint}` : ''}`;
}
