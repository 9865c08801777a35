// From evaluated units to the explore document: rows in canonical order, the Pareto front,
// the selected configuration, and the merge of shard documents. One function (`finishDoc`)
// builds every document, so a merged sweep is byte-identical to an unsharded one.
import { fail } from '../errors.js';
import type { Rounding } from '../ir/types.js';
import type { ExploreDoc, ExploreRow } from '../report/explore.js';
import { renderJson } from '../report/json.js';
import type { UnitResult } from './evaluate.js';
import type { ExploreUnit } from './space.js';
import { configName, enumerateUnits, unitsOfShard } from './space.js';

export type RawRow = Omit<ExploreRow, 'pareto' | 'selected'>;
export type DocHead = Omit<ExploreDoc, 'rows' | 'skipped' | 'pareto' | 'selected' | 'closest' | 'shard'>;

/** Accuracies are counts / N, so a difference in pp is clean after rounding away float noise. */
function pp(x: number): number {
  return Math.round(x * 100 * 1e9) / 1e9;
}

export function rowsOf(head: DocHead, results: readonly UnitResult[]): { rows: RawRow[]; skipped: ExploreDoc['skipped'] } {
  const rows: RawRow[] = [];
  const skipped: { config: string; reason: string }[] = [];
  const units = enumerateUnits(head.space.weightBits, head.space.neuronBits, head.space.rounding as Rounding[]);
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    const u = units[r.index];
    if (u === undefined) throw new Error(`explore: unit ${r.index} is outside the sweep`);
    if (!r.ok) {
      skipped.push({ config: r.config, reason: r.reason });
      continue;
    }
    for (const p of r.points) {
      rows.push({
        id: `${r.config}-T${p.T}`,
        config: r.config,
        weightBits: u.weightBits,
        neuronBits: u.neuronBits,
        rounding: u.rounding,
        T: p.T,
        accuracy: p.accuracy,
        drop: pp(head.reference.accuracy - p.accuracy),
        memoryBits: r.memoryBits,
        compression: r.float32Bits / r.memoryBits,
        spikesPerSample: p.spikesPerSample,
        synopsPerSample: p.synopsPerSample,
        energyJ: p.energyJ,
        latencyS: p.latencyS,
      });
    }
  }
  return { rows, skipped };
}

/** The cost axis: energy when every row has one, otherwise synaptic operations. */
function costOf(rows: readonly RawRow[]): (r: RawRow) => number {
  const energy = rows.length > 0 && rows.every((r) => r.energyJ !== null);
  return energy ? (r) => r.energyJ as number : (r) => r.synopsPerSample;
}

/** Rows no other row beats in accuracy, memory and cost at once. */
export function paretoFront(rows: readonly RawRow[]): Set<string> {
  const cost = costOf(rows);
  const front = new Set<string>();
  for (const a of rows) {
    const dominated = rows.some(
      (b) =>
        b !== a &&
        b.accuracy >= a.accuracy &&
        b.memoryBits <= a.memoryBits &&
        cost(b) <= cost(a) &&
        (b.accuracy > a.accuracy || b.memoryBits < a.memoryBits || cost(b) < cost(a)),
    );
    if (!dominated) front.add(a.id);
  }
  return front;
}

/**
 * Within the allowed drop: the least memory, then the least cost, then the best accuracy,
 * then the fewest steps; rows are in canonical order, so remaining ties keep the first.
 * With none within the drop: the closest is the most accurate row (then least memory).
 */
export function select(rows: readonly RawRow[], maxDrop: number): { selected: string | null; closest: string | null } {
  const cost = costOf(rows);
  const within = rows.filter((r) => r.drop <= maxDrop + 1e-9);
  const better = (a: RawRow, b: RawRow): boolean =>
    a.memoryBits !== b.memoryBits
      ? a.memoryBits < b.memoryBits
      : cost(a) !== cost(b)
        ? cost(a) < cost(b)
        : a.accuracy !== b.accuracy
          ? a.accuracy > b.accuracy
          : a.T < b.T;
  if (within.length > 0) return { selected: within.reduce((best, r) => (better(r, best) ? r : best)).id, closest: null };
  if (rows.length === 0) return { selected: null, closest: null };
  const closer = (a: RawRow, b: RawRow): boolean =>
    a.accuracy !== b.accuracy ? a.accuracy > b.accuracy : a.memoryBits !== b.memoryBits ? a.memoryBits < b.memoryBits : cost(a) < cost(b);
  return { selected: null, closest: rows.reduce((best, r) => (closer(r, best) ? r : best)).id };
}

export function finishDoc(head: DocHead, rows: readonly RawRow[], skipped: ExploreDoc['skipped'], shard?: string): ExploreDoc {
  const front = paretoFront(rows);
  const { selected, closest } = select(rows, head.space.maxAccuracyDrop);
  return {
    ...head,
    rows: rows.map((r) => ({ ...r, pareto: front.has(r.id), selected: r.id === selected })),
    skipped,
    pareto: rows.filter((r) => front.has(r.id)).map((r) => r.id),
    selected,
    closest,
    ...(shard !== undefined ? { shard } : {}),
  };
}

function headOf(d: ExploreDoc): DocHead {
  const { rows: _r, skipped: _s, pareto: _p, selected: _sel, closest: _c, shard: _sh, ...head } = d;
  return head;
}

/** A shard holds exactly its own configurations: each one once, at every T, or skipped. */
function checkShardRows(doc: ExploreDoc, file: string, units: readonly ExploreUnit[]): void {
  const [i, n] = (doc.shard ?? '1/1').split('/').map(Number) as [number, number];
  const expected = new Set(unitsOfShard(units, { index: i, count: n }).map(configName));
  const seen = new Map<string, number>();
  for (const r of doc.rows) {
    if (!expected.has(r.config) || r.id !== `${r.config}-T${r.T}` || !doc.space.T.includes(r.T)) {
      throw mergeError(`row '${r.id}' does not belong to shard ${doc.shard ?? ''} of this sweep`, file, 'merge the unmodified outputs of explore --shard runs');
    }
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  }
  const skipped = new Set(doc.skipped.map((x) => x.config));
  for (const c of expected) {
    for (const T of doc.space.T) {
      const k = seen.get(`${c}-T${T}`) ?? 0;
      if (k > 1 || (k === 0 && !skipped.has(c)) || (k === 1 && skipped.has(c))) {
        throw mergeError(
          `configuration ${c} at T=${T} appears ${k} times${skipped.has(c) ? ' and as skipped' : ''} in shard ${doc.shard ?? ''}`,
          file,
          'merge the unmodified outputs of explore --shard runs',
        );
      }
    }
  }
}

function mergeError(message: string, file: string | undefined, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, ...(file !== undefined ? { file } : {}), hint });
}

/**
 * Merge shard documents (any order) into the document the unsharded sweep writes. Every
 * shard must come from the same model, data, sweep and settings, and shards 1..n must each
 * be present exactly once.
 */
export function mergeDocs(docs: readonly { readonly doc: ExploreDoc; readonly file: string }[]): ExploreDoc {
  const first = docs[0];
  if (first === undefined) throw mergeError('nothing to merge', undefined, 'pass the output folders of every shard: snnc explore merge out1 out2 …');
  const head = renderJson(headOf(first.doc));
  let count = 0;
  const seen = new Map<number, string>();
  for (const { doc, file } of docs) {
    if (doc.shard === undefined)
      throw mergeError('this explore.json is not a shard (it was written without --shard)', file, 'merge only the outputs of runs with --shard i/n');
    const [i, n] = doc.shard.split('/').map(Number) as [number, number];
    if (!(i >= 1 && i <= n)) throw mergeError(`shard ${doc.shard} is not i/n with 1 ≤ i ≤ n`, file, 'merge the unmodified outputs of explore --shard runs');
    if (count === 0) count = n;
    if (n !== count) throw mergeError(`shard ${doc.shard} belongs to a sweep split ${n} ways, the others to ${count} ways`, file, 'merge shards of one sweep');
    const dup = seen.get(i);
    if (dup !== undefined) throw mergeError(`shard ${i}/${n} is given twice (also in ${dup})`, file, 'pass each shard once');
    seen.set(i, file);
    if (renderJson(headOf(doc)) !== head) {
      throw mergeError(
        'this shard was run with another model, dataset, sweep, reference or snnc version than the first one',
        file,
        `compare its explore.json with ${first.file}: model, dataset, space, conversion and reference must be equal`,
      );
    }
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw mergeError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing`,
      undefined,
      'run the missing shards and pass every output folder',
    );
  const units = enumerateUnits(first.doc.space.weightBits, first.doc.space.neuronBits, first.doc.space.rounding as Rounding[]);
  for (const { doc, file } of docs) checkShardRows(doc, file, units);
  const order = new Map(units.map((u) => [configName(u), u.index]));
  const key = (config: string): number => order.get(config) ?? Number.MAX_SAFE_INTEGER;
  const rows: RawRow[] = docs.flatMap(({ doc }) => doc.rows.map(({ pareto: _p, selected: _s, ...r }) => r));
  rows.sort((a, b) => key(a.config) - key(b.config) || a.T - b.T);
  const skipped = docs.flatMap(({ doc }) => doc.skipped).sort((a, b) => key(a.config) - key(b.config));
  return finishDoc(headOf(first.doc), rows, skipped);
}
