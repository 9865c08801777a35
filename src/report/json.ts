// report.json text: keys sorted at every level, numbers as their shortest round-trip
// decimal, NaN/Infinity as null, two-space indent, trailing newline. The same report
// always gives the same bytes.
import { exactNumber } from './format.js';

function write(v: unknown, indent: string): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return exactNumber(v) ?? 'null';
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('renderJson: bigint is not representable in report.json');
    case 'object':
      break;
  }
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x: unknown) => write(x, inner) ?? 'null');
    return `[\n${items.map((x) => inner + x).join(',\n')}\n${indent}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const k of keys) {
    const x = write(obj[k], inner);
    if (x !== undefined) parts.push(`${inner}${JSON.stringify(k)}: ${x}`);
  }
  if (parts.length === 0) return '{}';
  return `{\n${parts.join(',\n')}\n${indent}}`;
}

/** Deterministic JSON text of any plain data (used for report.json). */
export function renderJson(data: unknown): string {
  return (write(data, '') ?? 'null') + '\n';
}
