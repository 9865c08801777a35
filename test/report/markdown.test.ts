// report.md: expected rows written out by hand from the fixture's numbers, and hostile
// names that must not escape their cell.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeMarkdown, renderMarkdown } from '../../src/report/index.js';
import { hostileReport, lenetReport } from './fixtures.js';

it('summary, accuracy, breakdown and per-layer rows', () => {
  const md = renderMarkdown(lenetReport());
  const lines = md.split('\n');
  const expect = [
    '# snnc report: lenet5',
    '- **baseline:** cpu-ann: 50.0 µJ, 600 µs per inference',
    '| target | kind | status | accuracy | T | energy / inference | latency / inference | energy vs baseline | latency vs baseline |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    // 50 µJ / 2.5 µJ = 20; 0.6 ms / 1.2 ms = 0.5
    '| loihi2 | loihi | ok | 99.01 % | 32 | 2.50 µJ | 1.20 ms | 20.0× | 0.500× |',
    // 50 µJ / 0.42 µJ = 119.05; 600 µs / 35 µs = 17.14
    '| imc-adcless | imc | ok | 98.65 % | 16 | 420 nJ | 35.0 µs | 119× | 17.1× |',
    '| fpga | fpga | unavailable | — | — | — | — | — | — |',
    '- fpga is unavailable: backend not built yet',
    '| ANN | 99.12 % | — | — | — |',
    // 97.31 - 99.12 = -1.81 percentage points
    '| 8 | 97.31 % | −1.81 pp | 10.2 k | 1.52 M |',
    '| component | loihi2 | imc-adcless |',
    '| synops | 1.50 µJ | 0 J |',
    '| dac | 0 J | 50.0 nJ |',
    '| total | 2.50 µJ | 420 nJ |',
    '### loihi2',
    // conv2: 1.2 / 2.5 = 48 %
    '| conv2 | 1.20 µJ | 48.00 % | 500 µs |',
    // imc fc: 0.06 / 0.42 = 14.29 %
    '| fc | 60.0 nJ | 14.29 % | 5.00 µs |',
    '- loihi2/energy/synop is an assumption: scaled from Loihi 1',
    '- **warning** SNNC\\_W\\_CLAMP (node conv2): threshold clamped to 8 bits',
  ];
  for (const e of expect) assert.ok(lines.includes(e), `missing line:\n${e}\n--- in ---\n${md}`);
  // components that are zero for every target (macs) get no row
  assert.ok(!md.includes('| macs |'));
  assert.ok(md.endsWith('\n'));
  assert.equal(renderMarkdown(lenetReport()), md, 'deterministic');
});

it('escapeMarkdown neutralises HTML, table pipes, code spans and line breaks', () => {
  assert.equal(escapeMarkdown('a|b'), 'a\\|b');
  assert.equal(escapeMarkdown('<script>x</script>'), '&lt;script&gt;x&lt;/script&gt;');
  assert.equal(escapeMarkdown('`x` *y* _z_ [l](u)'), '\\`x\\` \\*y\\* \\_z\\_ \\[l\\](u)');
  assert.equal(escapeMarkdown('a\nb\r\nc'), 'a b c');
  assert.equal(escapeMarkdown('"q" & \'s\''), '&quot;q&quot; &amp; &#39;s&#39;');
});

/** Table cells split on pipes not preceded by a backslash. */
function cells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1);
}

it('hostile names stay inside their cell and never appear as raw HTML', () => {
  const md = renderMarkdown(hostileReport());
  for (const raw of ['<script>', '<img', '<iframe', '<svg', '<b>', '"onload=', '`code`']) assert.ok(!md.includes(raw), `raw ${raw} in markdown`);
  assert.ok(md.includes('# snnc report: &lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(md.includes('| chip\\|x | loihi | ok |'));
  // the newline in a layer name did not start a new table row
  assert.ok(md.includes('| fc \\| injected \\| row \\| | 300 nJ | 12.00 % | 300 µs |'));
  // every row of every table has as many cells as its header
  let width = 0;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      width = 0;
      continue;
    }
    const n = cells(line).length;
    if (width === 0) width = n;
    assert.equal(n, width, `row has ${n} cells, header has ${width}: ${line}`);
  }
});
