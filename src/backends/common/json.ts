// Deterministic JSON for emitted artifacts: object keys sorted, two-space indent, final
// newline. Arrays keep their order (it is meaningful).
function sortValue(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortValue);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, sortValue(o[k])]),
    );
  }
  return x;
}

export function stableJson(x: unknown): string {
  return `${JSON.stringify(sortValue(x), null, 2)}\n`;
}
