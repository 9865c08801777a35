// report.html as text: self-contained, escaped, deterministic. The browser test checks
// what a reader actually sees.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, renderHtml, renderMarkdown, validateReport } from '../../src/report/index.js';
import { HOSTILE_LAYER, HOSTILE_MODEL, LOIHI, hostileReport, lenetReport } from './fixtures.js';

it('escapeHtml covers & < > " \'', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

it('is one self-contained document with four charts', () => {
  const html = renderHtml(lenetReport());
  assert.ok(html.startsWith('<!doctype html>'));
  assert.equal(renderHtml(lenetReport()), html, 'deterministic');
  assert.ok(!/<script|<link|<img|<iframe|@import|url\(/i.test(html), 'no scripts, links, images or CSS urls');
  // the only absolute URL is the SVG namespace
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^"'\s<>]+/g) ?? [])], ['http://www.w3.org/2000/svg']);
  assert.ok(html.includes(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`));
  for (const chart of ['targets', 'breakdown', 'layers', 'accuracy']) {
    assert.equal(html.split(`data-chart="${chart}"`).length - 1, 1, `chart ${chart}`);
  }
  // the total energy bar of loihi2 carries the exact number and shows the formatted one
  assert.ok(html.includes('data-target="loihi2" data-metric="energyJ" data-value="0.0000025"'));
  assert.ok(html.includes('<title>loihi2: 2.50 µJ</title>'));
});

it('hostile names are escaped in text, attributes and SVG', () => {
  const html = renderHtml(hostileReport());
  for (const raw of ['<script', '<img', '<iframe', '<svg onload', '<b>', '"onload=', "it's"]) assert.ok(!html.includes(raw), `raw ${raw} in html`);
  assert.ok(html.includes(`<h1>snnc report: ${escapeHtml(HOSTILE_MODEL)}</h1>`));
  assert.ok(html.includes(`<title>snnc report: ${escapeHtml(HOSTILE_MODEL)}</title>`));
  assert.ok(html.includes(`data-layer="${escapeHtml(HOSTILE_LAYER)}"`));
});

it('renders sparse reports: no available target, no SNN accuracy, a zero-energy target', () => {
  const base = lenetReport();
  const zero = { ...LOIHI, energyJ: 0, latencyS: 0, layers: [], breakdown: {} };
  const sparse = { ...base, targets: [base.targets[2] ?? LOIHI, zero], accuracy: { ann: 0.5, snn: [] } };
  validateReport(sparse);
  const html = renderHtml(sparse);
  for (const chart of ['targets', 'breakdown', 'layers', 'accuracy']) assert.ok(html.includes(`data-chart="${chart}"`));
  assert.ok(html.includes('no SNN accuracy measured'));
  assert.ok(!/NaN|Infinity|undefined/.test(html), 'no NaN/Infinity/undefined leaks into the page');
  assert.ok(!/NaN|Infinity|undefined/.test(renderMarkdown(sparse)));
});
