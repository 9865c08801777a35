// Opens report.html in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no browser download) and checks what a reader gets: no errors, no
// network, the four charts, and numbers that equal the report data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/index.js';
import type { CompileReport } from '../../src/report/index.js';
import { HOSTILE_LAYER, HOSTILE_MODEL, hostileReport, lenetReport } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found; install Debian's chromium package to run the browser test`;
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const PREFIX: Readonly<Record<string, number>> = { f: 1e-15, p: 1e-12, n: 1e-9, µ: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Reads a number as the page shows it: "2.50 µJ", "99.01 %", "20.0×", "32". */
function parseShown(text: string): number {
  const pct = /^(-?[\d.]+) %$/.exec(text);
  if (pct !== null) return Number(pct[1]) / 100;
  const ratio = /^(-?[\d.]+)×$/.exec(text);
  if (ratio !== null) return Number(ratio[1]);
  const si = /^(-?[\d.]+) ([fpnµmkMGT]?)[Js]$/.exec(text);
  if (si !== null) return Number(si[1]) * (PREFIX[si[2] ?? ''] ?? Number.NaN);
  return Number(text);
}

interface Loaded {
  page: Page;
  problems: string[];
  requests: string[];
}

describe('report.html in headless Chromium', { skip: SKIP }, () => {
  let browser: Browser;
  let dir: string;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    dir = mkdtempSync(join(tmpdir(), 'snnc-report-'));
  });
  after(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function load(report: CompileReport, name: string): Promise<Loaded> {
    const file = join(dir, name);
    writeFileSync(file, renderHtml(report));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**', async (route) => {
      const u = route.request().url();
      if (u === url || u === 'about:blank') await route.continue();
      else await route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  it('renders without errors or network, with charts and table numbers equal to the report', async () => {
    const report = lenetReport();
    const { page, problems, requests } = await load(report, 'report.html');
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [pathToFileURL(join(dir, 'report.html')).href], 'only the file itself is loaded');

    const charts = await page.$$eval('svg[role="img"]', (els) =>
      els.map((e) => ({
        chart: e.getAttribute('data-chart'),
        label: e.getAttribute('aria-label'),
        title: e.querySelector(':scope > title')?.textContent ?? '',
      })),
    );
    assert.deepEqual(
      charts.map((c) => c.chart),
      ['targets', 'breakdown', 'layers', 'accuracy'],
    );
    for (const c of charts) assert.ok((c.label ?? '').length > 0 && c.title.length > 0, `chart ${String(c.chart)} has a label and a title`);
    // each chart is drawn (non-empty box) and every mark has a tooltip
    const boxes = await page.$$eval('svg.chart', (els) => els.map((e) => e.getBoundingClientRect().height));
    for (const h of boxes) assert.ok(h > 50);
    const untitled = await page.$$eval('svg.chart [data-value]', (els) => els.filter((e) => e.tagName !== 'text' && e.querySelector('title') === null).length);
    assert.equal(untitled, 0);

    for (const t of report.targets) {
      const attr = (sel: string): Promise<string[]> =>
        page.$$eval(sel, (els, name) => els.filter((e) => e.getAttribute('data-target') === name).map((e) => e.getAttribute('data-value') ?? ''), t.target);
      const energyBars = await attr('svg[data-chart="targets"] rect[data-metric="energyJ"]');
      const latencyBars = await attr('svg[data-chart="targets"] rect[data-metric="latencyS"]');
      const totals = await attr('svg[data-chart="breakdown"] text.total');
      if (t.status !== 'ok') {
        assert.deepEqual([energyBars, latencyBars, totals], [[], [], []], `${t.target} is unavailable: no bars`);
        continue;
      }
      assert.deepEqual(energyBars.map(Number), [t.energyJ]);
      assert.deepEqual(latencyBars.map(Number), [t.latencyS]);
      assert.deepEqual(totals.map(Number), [t.energyJ]);
      const layers = await attr('svg[data-chart="layers"] rect[data-layer]');
      assert.deepEqual(
        layers.map(Number),
        t.layers.map((l) => l.energyJ),
      );
      const segments = await attr('svg[data-chart="breakdown"] rect.segment');
      const sum = segments.map(Number).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (t.energyJ ?? 0)) <= 1e-12 * (t.energyJ ?? 1), `${t.target}: segments add up to the total`);
    }
    const baseline = await page.$$eval('svg[data-chart="targets"] line.baseline', (els) => els.map((e) => Number(e.getAttribute('data-value'))));
    assert.deepEqual(baseline, [report.baseline.energyJ, report.baseline.latencyS]);
    const points = await page.$$eval('svg[data-chart="accuracy"] circle.point', (els) =>
      els.map((e) => [Number(e.getAttribute('data-t')), Number(e.getAttribute('data-value'))]),
    );
    assert.deepEqual(
      points,
      report.accuracy.snn.map((s) => [s.T, s.accuracy]),
    );
    const ann = await page.$eval('svg[data-chart="accuracy"] line.reference', (e) => Number(e.getAttribute('data-value')));
    assert.equal(ann, report.accuracy.ann);

    // summary table: exact numbers in data-value, and the shown text rounds to them
    const rows = await page.$$eval('table.summary tbody tr', (trs) =>
      trs.map((tr) =>
        Object.fromEntries(
          [...tr.querySelectorAll('td[data-field]')].map((td) => [
            td.getAttribute('data-field'),
            { text: td.textContent ?? '', value: td.getAttribute('data-value') },
          ]),
        ),
      ),
    );
    assert.equal(rows.length, report.targets.length);
    report.targets.forEach((t, i) => {
      const row = rows[i] ?? {};
      assert.equal(row['target']?.text, t.target);
      assert.equal(row['status']?.text, t.status);
      const expected: Record<string, number | null | undefined> = {
        accuracy: t.accuracy,
        timesteps: t.status === 'ok' ? t.timesteps : null,
        energyJ: t.energyJ,
        latencyS: t.latencyS,
        vsBaselineEnergy: t.vsBaseline?.energy,
        vsBaselineLatency: t.vsBaseline?.latency,
      };
      for (const [field, want] of Object.entries(expected)) {
        const cell = row[field];
        assert.ok(cell !== undefined, `${t.target}: column ${field}`);
        if (want === null || want === undefined) {
          assert.equal(cell.value, null);
          assert.equal(cell.text, '—');
          continue;
        }
        assert.equal(Number(cell.value), want, `${t.target} ${field} data-value`);
        const shown = parseShown(cell.text);
        // three significant digits (or two decimals of a percentage) round within 0.5 %
        assert.ok(Math.abs(shown - want) <= 0.005 * Math.abs(want), `${t.target} ${field}: shows ${cell.text} for ${want}`);
      }
    });

    await page.screenshot({ path: '/tmp/report.png', fullPage: true });
    await page.close();
  });

  it('hostile model and layer names stay text', async () => {
    const { page, problems, requests } = await load(hostileReport(), 'hostile.html');
    assert.deepEqual(problems, []);
    assert.equal(requests.length, 1);
    // $eval on the root element: the test compiles without the DOM lib, so no `document`.
    const found = await page.$eval('html', (root) => ({
      scripts: root.querySelectorAll('script').length,
      injected: root.querySelectorAll('img, iframe, b').length,
      svgs: root.querySelectorAll('svg').length,
      handlers: [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      h1: root.querySelector('h1')?.textContent ?? '',
      title: root.querySelector('head > title')?.textContent ?? '',
      layers: [...root.querySelectorAll('svg[data-chart="layers"] rect[data-layer]')].map((e) => e.getAttribute('data-layer')),
    }));
    assert.equal(found.scripts, 0);
    assert.equal(found.injected, 0);
    assert.equal(found.svgs, 4, 'only the four charts are <svg> elements');
    assert.equal(found.handlers, 0);
    assert.equal(found.h1, `snnc report: ${HOSTILE_MODEL}`);
    assert.equal(found.title, `snnc report: ${HOSTILE_MODEL}`);
    assert.equal(found.layers[0], HOSTILE_LAYER);
    await page.close();
  });
});
