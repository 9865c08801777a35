// renderJson: sorted keys, one number formatter, byte-stable output.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { renderJson } from '../../src/report/index.js';
import { lenetReport } from './fixtures.js';

it('writes a small object exactly as expected', () => {
  const text = renderJson({ b: [1, 0.1 + 0.2, Number.NaN], a: { z: -0, y: 'q"\n', x: Number.POSITIVE_INFINITY, w: undefined }, c: [], d: {} });
  const expected =
    '{\n' +
    '  "a": {\n' +
    '    "x": null,\n' +
    '    "y": "q\\"\\n",\n' +
    '    "z": 0\n' +
    '  },\n' +
    '  "b": [\n' +
    '    1,\n' +
    '    0.30000000000000004,\n' +
    '    null\n' +
    '  ],\n' +
    '  "c": [],\n' +
    '  "d": {}\n' +
    '}\n';
  assert.equal(text, expected);
});

function assertSorted(v: unknown, path: string): void {
  if (Array.isArray(v)) v.forEach((x, i) => assertSorted(x, `${path}/${i}`));
  else if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    assert.deepEqual(keys, [...keys].sort(), `keys at ${path || '/'} are not sorted`);
    for (const k of keys) assertSorted((v as Record<string, unknown>)[k], `${path}/${k}`);
  }
}

/** Deep copy with every object's keys inserted in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reversed((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

it('a report renders to sorted, stable bytes that parse back to the same data', () => {
  const r = lenetReport();
  const a = renderJson(r);
  assert.equal(renderJson(lenetReport()), a);
  assert.equal(renderJson(reversed(r)), a, 'key insertion order must not matter');
  assert.ok(a.endsWith('}\n'));
  const parsed: unknown = JSON.parse(a);
  assertSorted(parsed, '');
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(r)));
  // numbers keep full precision: 5e-5 / 4.2e-7 survives the round trip bit for bit
  assert.ok(a.includes(`"energy": ${String(5e-5 / 4.2e-7)}`));
});
