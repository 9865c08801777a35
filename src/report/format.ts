// The one number formatter of the reports. Markdown, HTML tables and chart labels all
// show numbers through these functions, so the same value reads the same everywhere;
// `exactNumber` is what report.json and the HTML `data-value` attributes carry.

/** Shortest round-trip decimal (Number.prototype.toString); null for NaN/±Infinity. */
export function exactNumber(n: number): string | null {
  if (!Number.isFinite(n)) return null;
  return Object.is(n, -0) ? '0' : n.toString();
}

const PREFIXES: readonly (readonly [number, string])[] = [
  [-15, 'f'],
  [-12, 'p'],
  [-9, 'n'],
  [-6, 'µ'],
  [-3, 'm'],
  [0, ''],
  [3, 'k'],
  [6, 'M'],
  [9, 'G'],
  [12, 'T'],
];

/** Shown where a number is unknown or not applicable. */
export const MISSING = '—';

/** Three significant digits with an SI prefix: 1.234e-6 J -> "1.23 µJ", 0 -> "0 J". */
export function formatSI(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  if (v === 0) return `0 ${unit}`.trimEnd();
  // Round first so that 999.7 becomes 1.00 k rather than 1000 (a 4-digit mantissa).
  const rounded = Number(Math.abs(v).toPrecision(3));
  const exp = Number(rounded.toExponential().split('e')[1]);
  let chosen: readonly [number, string] = PREFIXES[0] ?? [0, ''];
  for (const p of PREFIXES) if (p[0] <= exp) chosen = p;
  const mantissa = Number((rounded / 10 ** chosen[0]).toPrecision(3));
  const sign = v < 0 ? '-' : '';
  return `${sign}${mantissa.toPrecision(3)} ${chosen[1]}${unit}`.trimEnd();
}

/** Counts: integers below 1000 as they are, anything else like formatSI without unit. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return MISSING;
  if (Number.isInteger(n) && Math.abs(n) < 1000) return String(n);
  return formatSI(n, '');
}

/** A fraction in [0, 1] as a percentage with two decimals: 0.9812 -> "98.12 %". */
export function formatPercent(f: number | null | undefined): string {
  if (f === null || f === undefined || !Number.isFinite(f)) return MISSING;
  return `${(f * 100).toFixed(2)} %`;
}

/** A ratio (baseline / this): 12.345 -> "12.3×", 1234.5 -> "1235×", 0.5 -> "0.500×". */
export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return MISSING;
  return `${Math.abs(r) >= 100 ? r.toFixed(0) : r.toPrecision(3)}×`;
}
