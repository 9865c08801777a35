// explore's pure parts: sweep parsing and bad input, shards, Pareto front, selection, merge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSnncError } from '../../src/errors.js';
import { enumerateUnits, unitsOfShard } from '../../src/explore/space.js';
import { parseBitList, parseRoundingList, parseShard } from '../../src/options/declarations.js';
import { EXPLORE_OPTIONS } from '../../src/options/declarations.js';
import type { DocHead, RawRow } from '../../src/explore/select.js';
import { finishDoc, mergeDocs, paretoFront, select } from '../../src/explore/select.js';
import { renderExploreCsv } from '../../src/report/explore.js';
import type { ExploreDoc } from '../../src/report/explore.js';
import { renderJson } from '../../src/report/json.js';

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE' && pattern.test(`${e.message} ${e.hint ?? ''}`));
}

describe('explore: sweep parsing', () => {
  it('bit ranges and lists, sorted and deduplicated', () => {
    assert.deepEqual(parseBitList('2..8', '--bits'), [2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(parseBitList('8,2, 4,2', '--bits'), [2, 4, 8]);
    assert.deepEqual(parseBitList('1..2,16', '--bits'), [1, 2, 16]);
  });

  it('bits outside 1–16, empty ranges and junk are usage errors', () => {
    usage(() => parseBitList('0..4', '--bits'), /1–16/);
    usage(() => parseBitList('2..17', '--bits'), /1–16/);
    usage(() => parseBitList('8..2', '--bits'), /empty/);
    usage(() => parseBitList('four', '--bits'), /not a bit width/);
    usage(() => parseBitList('', '--neuron-bits'), /--neuron-bits/);
  });

  it('roundings: lists, all, and a typo that names the closest', () => {
    assert.deepEqual(parseRoundingList('all'), ['trunc', 'nearest', 'stochastic']);
    assert.deepEqual(parseRoundingList('stochastic,nearest,stochastic'), ['stochastic', 'nearest']);
    usage(() => parseRoundingList('nearst'), /did you mean 'nearest'/);
  });

  it('--max-accuracy-drop must be 0–100 pp', () => {
    const drop = EXPLORE_OPTIONS.maxAccuracyDrop;
    assert.equal(drop.check(0, 'maxAccuracyDrop'), 0);
    assert.equal(drop.parse(['0.25'], '--max-accuracy-drop'), 0.25);
    usage(() => drop.check(-0.1, 'maxAccuracyDrop'), /from 0 to 100/);
    usage(() => drop.parse(['101'], '--max-accuracy-drop'), /from 0 to 100/);
    usage(() => drop.parse(['abc'], '--max-accuracy-drop'), /'abc'/);
  });

  it('shards partition the canonical order: every unit in exactly one shard', () => {
    const units = enumerateUnits([2, 3, 4], [8, 16], ['trunc', 'nearest', 'stochastic']);
    assert.equal(units.length, 18);
    assert.deepEqual(units[0], { index: 0, weightBits: 2, neuronBits: 8, rounding: 'trunc' });
    assert.deepEqual(units[4], { index: 4, weightBits: 2, neuronBits: 16, rounding: 'nearest' });
    const seen = [1, 2, 3, 4].flatMap((i) => unitsOfShard(units, parseShard(`${i}/4`)).map((u) => u.index));
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      units.map((u) => u.index),
    );
    assert.deepEqual(
      unitsOfShard(units, parseShard('2/4')).map((u) => u.index),
      [1, 5, 9, 13, 17],
    );
    usage(() => parseShard('3/2'), /1 ≤ i ≤ n/);
    usage(() => parseShard('0/2'), /i\/n/);
    usage(() => parseShard('1-2'), /i\/n/);
  });

  it('an oversized sweep is refused before anything runs', () => {
    const wide = Array.from({ length: 16 }, (_, i) => i + 1);
    usage(
      () =>
        enumerateUnits(wide, wide, [
          'trunc',
          'nearest',
          'stochastic',
          'trunc',
          'nearest',
          'stochastic',
          'trunc',
          'nearest',
          'stochastic',
          'trunc',
          'nearest',
          'stochastic',
          'trunc',
          'nearest',
          'stochastic',
          'trunc',
          'nearest',
        ]),
      /limit/,
    );
  });
});

const row = (id: string, accuracy: number, memoryBits: number, energyJ: number | null, T = 8, drop = 0): RawRow => ({
  id,
  config: id.replace(/-T\d+$/, ''),
  weightBits: 4,
  neuronBits: 8,
  rounding: 'nearest',
  T,
  accuracy,
  drop,
  memoryBits,
  compression: 1,
  spikesPerSample: 0,
  synopsPerSample: memoryBits,
  energyJ,
  latencyS: null,
});

describe('explore: Pareto front and selection (hand-worked)', () => {
  // a: 0.98, 100 bits, 5 J   b: 0.97, 50 bits, 5 J   c: 0.97, 60 bits, 4 J
  // d: 0.96, 60 bits, 5 J (dominated by b and c)     e: 0.98, 100 bits, 6 J (dominated by a)
  const rows = [row('a-T8', 0.98, 100, 5), row('b-T8', 0.97, 50, 5), row('c-T8', 0.97, 60, 4), row('d-T8', 0.96, 60, 5), row('e-T8', 0.98, 100, 6)];

  it('the front holds exactly the non-dominated rows', () => {
    assert.deepEqual([...paretoFront(rows)].sort(), ['a-T8', 'b-T8', 'c-T8']);
  });

  it('without energy on every row, synaptic operations are the cost axis', () => {
    const noE = rows.map((r) => ({ ...r, energyJ: null }));
    // synops = memoryBits here, so cost and memory agree: c (60) is now dominated by b (50, same
    // accuracy); e now ties a on every objective, and a tie dominates neither.
    assert.deepEqual([...paretoFront(noE)].sort(), ['a-T8', 'b-T8', 'e-T8']);
  });

  it('selects the least memory within the drop, then the least cost', () => {
    const withDrop = rows.map((r) => ({ ...r, drop: Math.round((0.98 - r.accuracy) * 1e4) / 100 }));
    assert.deepEqual(select(withDrop, 1), { selected: 'b-T8', closest: null });
    assert.deepEqual(select(withDrop, 0.5), { selected: 'a-T8', closest: null });
    const tie = [row('x-T8', 0.97, 50, 5, 8, 1), row('y-T8', 0.97, 50, 3, 8, 1)];
    assert.equal(select(tie, 1).selected, 'y-T8');
  });

  it('with nothing within the drop, the closest (most accurate, then smallest) is named', () => {
    const far = [row('p-T8', 0.9, 50, 1, 8, 8), row('q-T8', 0.95, 80, 1, 8, 3), row('r-T8', 0.95, 70, 1, 8, 3)];
    assert.deepEqual(select(far, 1), { selected: null, closest: 'r-T8' });
  });
});

function head(over: Partial<DocHead> = {}): DocHead {
  return {
    format: 'snnc-explore',
    version: 1,
    tool: { name: 'snnc', version: '0' },
    model: { file: 'm.onnx', sha256: 'ab' },
    dataset: { name: 'd', samples: 10 },
    conversion: {},
    space: {
      weightBits: [2, 4],
      neuronBits: [8],
      rounding: ['nearest'],
      T: [8],
      seed: 0,
      maxAccuracyDrop: 1,
      perChannel: true,
      pow2: false,
      overflow: 'saturate',
      reference: 'snn',
      target: 'fpga',
    },
    reference: { accuracy: 0.98, label: 'float SNN, T=8', ann: null, snn: [{ T: 8, accuracy: 0.98 }] },
    float32Bits: 1000,
    targetNote: '',
    ...over,
  };
}

describe('explore: merge', () => {
  const rows = [row('w2-p8-nearest-T8', 0.5, 100, 1, 8, 48), row('w4-p8-nearest-T8', 0.98, 200, 1, 8, 0)];
  const whole = finishDoc(head(), rows, []);
  const s1 = finishDoc(head(), [rows[0] as RawRow], [], '1/2');
  const s2 = finishDoc(head(), [rows[1] as RawRow], [], '2/2');

  it('shards in any order merge to the unsharded document, byte for byte', () => {
    const merged = mergeDocs([
      { doc: s2, file: 'b' },
      { doc: s1, file: 'a' },
    ]);
    assert.equal(renderJson(merged), renderJson(whole));
    assert.equal(renderExploreCsv(merged), renderExploreCsv(whole));
    assert.equal(whole.selected, 'w4-p8-nearest-T8');
  });

  it('a missing shard, a duplicate, a foreign shard or a non-shard is refused', () => {
    usage(() => mergeDocs([{ doc: s1, file: 'a' }]), /2\/2 missing/);
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: s1, file: 'a2' },
        ]),
      /given twice/,
    );
    const other: ExploreDoc = { ...s2, model: { file: 'm.onnx', sha256: 'cd' } };
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: other, file: 'b' },
        ]),
      /another model/,
    );
    usage(() => mergeDocs([{ doc: whole, file: 'w' }]), /not a shard/);
    const three: ExploreDoc = { ...s2, shard: '2/3' };
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: three, file: 'b' },
        ]),
      /3 ways/,
    );
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: s2, file: 'b' },
          { doc: { ...s2, shard: '3/2' }, file: 'c' },
        ]),
      /1 ≤ i ≤ n/,
    );
  });

  it("a shard holding another shard's rows, a row twice, or a row missing is refused", () => {
    const swapped: ExploreDoc = { ...s2, rows: s1.rows };
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: swapped, file: 'b' },
        ]),
      /does not belong to shard 2\/2/,
    );
    const twice: ExploreDoc = { ...s2, rows: [...s2.rows, ...s2.rows] };
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: twice, file: 'b' },
        ]),
      /appears 2 times/,
    );
    const none: ExploreDoc = { ...s2, rows: [] };
    usage(
      () =>
        mergeDocs([
          { doc: s1, file: 'a' },
          { doc: none, file: 'b' },
        ]),
      /appears 0 times/,
    );
    // a configuration the quantizer refused is listed as skipped instead of having rows
    const skipped: ExploreDoc = { ...s2, rows: [], skipped: [{ config: 'w4-p8-nearest', reason: 'too wide' }] };
    assert.equal(
      mergeDocs([
        { doc: s1, file: 'a' },
        { doc: skipped, file: 'b' },
      ]).rows.length,
      1,
    );
  });

  it('CSV: a header and one line per row; names with commas or formulas are quoted and defused', () => {
    const odd = finishDoc(head(), [{ ...(rows[0] as RawRow), id: '=cmd,"x"' }], []);
    const lines = renderExploreCsv(odd).trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] as string, /^id,config,weightBits/);
    assert.ok((lines[1] as string).startsWith(`"'=cmd,""x"""`), lines[1]);
  });
});
