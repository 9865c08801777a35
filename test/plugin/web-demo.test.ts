// The web demo (examples/web) built by vite with the snnc plugin and opened in a real headless
// Chromium (Debian's /usr/bin/chromium through playwright-core): no console error, no failed
// request, and run() in the page predicts the bundled test digits exactly as the integer-exact
// simulator does in Node for the same model and settings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { loadModel } from '../../src/api/load.js';
import { quantizeModel } from '../../src/api/quantize.js';
import { fitToModel } from '../../src/data/spec.js';
import { loadMnist } from '../../src/data/mnist.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { ROOT } from '../helpers/paths.js';

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
const OUT = join(ROOT, `.tmp-web-demo-${process.pid}`);
const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

describe('web demo in headless Chromium', { skip: SKIP }, () => {
  let server: Server;
  let browser: Browser;
  let base: string;

  before(async () => {
    // The energy table of one target keeps the build short; the page is the same with all.
    process.env['SNNC_DEMO_TARGETS'] = 'fpga';
    await build({
      configFile: join(ROOT, 'examples', 'web', 'vite.config.js'),
      logLevel: 'silent',
      build: { outDir: OUT, emptyOutDir: true },
      cacheDir: join(OUT, '.vite'),
    });
    delete process.env['SNNC_DEMO_TARGETS'];
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      const file = join(OUT, path === '/' ? 'index.html' : path);
      if (!file.startsWith(OUT) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    server?.close();
    rmSync(OUT, { recursive: true, force: true });
  });

  it('runs the bundled digits with the predictions of simulateInt, no errors, no failed requests', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.route('**', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const got = await page.evaluate(() => {
      const demo = (globalThis as unknown as { snncDemo: { labels: number[]; runDigit(i: number): { prediction: number } } }).snncDemo;
      return demo.labels.map((_, i) => demo.runDigit(i).prediction);
    });
    const table = await page.$$eval('#targets td', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.deepEqual(problems, []);

    const g = await loadModel(join(ROOT, 'examples', 'lenet.onnx'));
    const program = quantizeModel(g).program;
    const data = fitToModel(g, loadMnist('test', { limit: got.length }));
    const want = simulateInt(program, { x: data.x, y: data.y }, { T: 32 }).predictions;
    assert.equal(got.length, 16);
    assert.deepEqual(got, Array.from(want));
    assert.ok(table.includes('fpga') && table.includes('ok'), `energy table: ${table.join(' | ')}`);
  });
});
