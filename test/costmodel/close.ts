// Relative comparison for hand-computed floating-point expectations.
import assert from 'node:assert/strict';

export function close(actual: number, expected: number, what: string, rel = 1e-9): void {
  const tol = rel * Math.max(Math.abs(expected), 1e-30);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}
