// The shared number formatter, against hand-written strings.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { exactNumber, formatCount, formatPercent, formatRatio, formatSI } from '../../src/report/index.js';

it('formatSI: three significant digits with an SI prefix', () => {
  assert.equal(formatSI(1.234e-6, 'J'), '1.23 µJ');
  assert.equal(formatSI(4.2e-7, 'J'), '420 nJ');
  assert.equal(formatSI(5e-8, 'J'), '50.0 nJ');
  assert.equal(formatSI(1.2e-3, 's'), '1.20 ms');
  assert.equal(formatSI(0.5, 's'), '500 ms');
  assert.equal(formatSI(2, 's'), '2.00 s');
  assert.equal(formatSI(0, 'J'), '0 J');
  assert.equal(formatSI(-3.3e-12, 'J'), '-3.30 pJ');
  // rounding carries into the next prefix instead of showing a 4-digit mantissa
  assert.equal(formatSI(999.7e-9, 'J'), '1.00 µJ');
  assert.equal(formatSI(9.996e-7, 'J'), '1.00 µJ');
  // below femto the mantissa shrinks rather than inventing prefixes
  assert.equal(formatSI(1.5e-18, 'J'), '0.00150 fJ');
  assert.equal(formatSI(null, 'J'), '—');
  assert.equal(formatSI(Number.NaN, 'J'), '—');
});

it('formatCount, formatPercent, formatRatio', () => {
  assert.equal(formatCount(12), '12');
  assert.equal(formatCount(61706), '61.7 k');
  assert.equal(formatCount(1523456), '1.52 M');
  assert.equal(formatCount(12.5), '12.5');
  assert.equal(formatPercent(0.9812), '98.12 %');
  assert.equal(formatPercent(1), '100.00 %');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatRatio(20), '20.0×');
  assert.equal(formatRatio(0.5), '0.500×');
  assert.equal(formatRatio(119.04761904761905), '119×');
  assert.equal(formatRatio(1234.5), '1235×');
  assert.equal(formatRatio(undefined), '—');
});

it('exactNumber: shortest round-trip text, null for non-finite', () => {
  assert.equal(exactNumber(0.1 + 0.2), '0.30000000000000004');
  assert.equal(exactNumber(5e-5), '0.00005');
  assert.equal(exactNumber(6e-7), '6e-7');
  assert.equal(exactNumber(-0), '0');
  assert.equal(exactNumber(Number.POSITIVE_INFINITY), null);
  assert.equal(exactNumber(Number.NaN), null);
});
