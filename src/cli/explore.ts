// snnc explore <model> [--bits 2..8] [--rounding all] [--T 8,16,32] [--max-accuracy-drop 0.5] -o dir
// snnc explore merge <dir…> -o dir
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic, probeOutput } from '../api/atomic.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { DEFAULT_EXPLORE_TARGET, exploreFiles, exploreModel } from '../api/explore.js';
import type { ExploreResult } from '../api/explore.js';
import { mergeDocs } from '../api/explore-select.js';
import { checkMaxDrop, parseBitList, parseRoundingList, parseShard } from '../api/explore-space.js';
import { loadModel } from '../api/load.js';
import { formatBits } from '../api/memory.js';
import { fail } from '../errors.js';
import type { ExploreDoc, ExploreRow } from '../report/explore.js';
import { formatSI } from '../report/format.js';
import { validateExploreDoc } from '../report/schema.js';
import type { ParsedArgs } from './args.js';
import { flag, intOpt, parseCommandArgs, stringOpt } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import type { CliIO } from './command.js';
import { CONVERT_OPTIONS, convertOptionsFrom, parseIntList, loadOptionsFrom } from './convert-options.js';
import { diagnosticLine, table } from './format.js';
import { progressBar } from './progress.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function rowCells(r: ExploreRow, doc: ExploreDoc): string[] {
  return [
    r.config, String(r.T), pct(r.accuracy), `${r.drop > 0 ? '−' : '+'}${Math.abs(r.drop).toFixed(2)} pp`,
    formatBits(r.memoryBits), `${r.compression.toFixed(1)}×`, formatSI(r.energyJ, 'J'), formatSI(r.latencyS, 's'),
    r.id === doc.selected ? 'selected' : '',
  ];
}

function summary(doc: ExploreDoc, dir: string): string {
  const rows = new Map(doc.rows.map((r) => [r.id, r]));
  const front = doc.pareto.map((id) => rows.get(id)).filter((r): r is ExploreRow => r !== undefined);
  const configs = new Set(doc.rows.map((r) => r.config)).size;
  const out = [
    `${doc.model.file} on ${doc.dataset.name} (${doc.dataset.samples} samples): reference ${doc.reference.label} ${pct(doc.reference.accuracy)}; float32 ${formatBits(doc.float32Bits)}`,
    `${configs} configurations × ${doc.space.T.length} T on ${doc.space.target}${doc.shard !== undefined ? ` (shard ${doc.shard})` : ''}; ${doc.targetNote}`,
    '',
    `Pareto front (accuracy ↑, memory ↓, ${doc.rows.every((r) => r.energyJ !== null) ? 'energy' : 'synaptic operations'} ↓), ${front.length} of ${doc.rows.length} points:`,
    table(['config', 'T', 'accuracy', 'vs reference', 'memory', 'smaller', 'energy', 'latency', 'note'], front.map((r) => rowCells(r, doc))),
    '',
  ];
  const sel = doc.selected !== null ? rows.get(doc.selected) : undefined;
  if (sel !== undefined) {
    out.push(`selected (least memory within ${doc.space.maxAccuracyDrop} pp): ${sel.config} at T=${sel.T}: ${pct(sel.accuracy)} (${sel.drop.toFixed(2)} pp below the reference), ${formatBits(sel.memoryBits)} (${sel.compression.toFixed(1)}× smaller than float32), ${formatSI(sel.energyJ, 'J')} per inference`);
  } else {
    const c = doc.closest !== null ? rows.get(doc.closest) : undefined;
    out.push(`warning SNNC_W_EXPLORE_NONE: no configuration stays within ${doc.space.maxAccuracyDrop} pp of the reference${c !== undefined ? `; the closest is ${c.config} at T=${c.T}: ${pct(c.accuracy)} (${c.drop.toFixed(2)} pp below), ${formatBits(c.memoryBits)}` : ''}`);
    out.push('  hint: allow a larger drop (--max-accuracy-drop), add wider --bits or larger --T, or retrain for the hardware');
  }
  for (const s of doc.skipped) out.push(`skipped ${s.config}: ${s.reason}`);
  out.push(`wrote ${join(dir, 'explore.json')}, explore.csv, explore.svg`);
  return out.join('\n') + '\n';
}

type Diagnostics = ExploreResult['diagnostics'];

function printResult(doc: ExploreDoc, dir: string, a: ParsedArgs, io: CliIO, diagnostics: Diagnostics = []): number {
  if (flag(a, 'json')) {
    const rows = new Map(doc.rows.map((r) => [r.id, r]));
    io.stdout(JSON.stringify({
      output: dir,
      files: ['explore.csv', 'explore.json', 'explore.svg'],
      reference: doc.reference,
      selected: doc.selected !== null ? rows.get(doc.selected) ?? null : null,
      closest: doc.closest !== null ? rows.get(doc.closest) ?? null : null,
      pareto: doc.pareto.map((id) => rows.get(id)),
      skipped: doc.skipped,
      ...(doc.shard !== undefined ? { shard: doc.shard } : {}),
      diagnostics,
    }, null, 2) + '\n');
  } else if (!flag(a, 'quiet')) {
    const notes = diagnostics.map(diagnosticLine);
    io.stdout(summary(doc, dir) + (notes.length > 0 ? notes.join('\n') + '\n' : ''));
  }
  return 0;
}

function readShard(dir: string): { doc: ExploreDoc; file: string } {
  const file = join(dir, 'explore.json');
  if (!existsSync(file)) throw fail({ code: 'SNNC_E_IO', message: 'no explore.json in this folder', file: dir, hint: 'pass the -o folders of the explore --shard runs' });
  let doc: unknown;
  try { doc = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `explore.json is not valid JSON: ${(e as Error).message}`, file });
  }
  validateExploreDoc(doc, file);
  return { doc, file };
}

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'sweep bit widths, rounding and time steps; Pareto front of accuracy, memory and energy',
  usage: 'snnc explore <model> [--bits 2..8] [--neuron-bits 8] [--rounding all] [--T 8,16,32] [--max-accuracy-drop 0.5] [--workers n] [--shard i/n] -o <dir>\n       snnc explore merge <dir> <dir> … -o <dir>',
  description: [
    'Quantizes the spiking network (an ANN is converted first) with every combination of weight',
    'bits, neuron-parameter bits (thresholds and biases) and rounding, runs each with the',
    'integer-exact simulator on the dataset, and reports for every T: accuracy, its drop against the',
    'reference (the float SNN at the largest T, or --reference ann), memory (src/api/memory.ts),',
    'spikes, synaptic operations, and energy and latency from the --target cost model. Prints the',
    'Pareto front and selects the configuration with the least memory (then energy) whose drop is',
    'within --max-accuracy-drop; if none is, says so and shows the closest. Writes explore.json,',
    'explore.csv and explore.svg (accuracy vs memory and vs energy) into the -o folder.',
    'One integer simulation to the largest T gives every smaller T. --workers runs configurations',
    'in parallel threads; --shard i/n runs every n-th configuration, and `snnc explore merge`',
    'joins the shards into exactly what one unsharded run writes.',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o', value: 'dir', help: 'output folder (required)' },
    force: { type: 'boolean', help: 'replace an existing folder that snnc did not write' },
    dataset: { type: 'string', value: 'mnist|file.npz', help: 'labelled test data (default mnist: the embedded test split, 2,004 images)' },
    n: { type: 'string', value: 'samples', help: 'use only the first n samples' },
    bits: { type: 'string', value: 'list', help: 'weight bits: a range and/or list, e.g. 2..8 or 2,4,8 (default 2..8)' },
    'neuron-bits': { type: 'string', value: 'list', help: 'threshold and bias bits, same syntax (default 8)' },
    rounding: { type: 'string', value: 'list', help: "trunc, nearest, stochastic, comma-separated, or 'all' (default all)" },
    T: { type: 'string', value: 'list', help: 'time steps, comma-separated (default 8,16,32)' },
    'max-accuracy-drop': { type: 'string', value: 'pp', help: 'allowed accuracy loss in percentage points (default 0.5)' },
    reference: { type: 'string', value: 'snn|ann', help: 'what the drop is measured against: the float SNN at the largest T (default) or the ANN' },
    target: { type: 'string', value: 'name', help: `target whose cost model gives energy and latency (default ${DEFAULT_EXPLORE_TARGET}; loihi2, imc-hpadc, imc-adcless or a JSON file)` },
    'per-layer': { type: 'boolean', help: 'one weight scale per layer for every configuration (default: per output channel)' },
    pow2: { type: 'boolean', help: 'power-of-two scales for every configuration (shift-only hardware)' },
    overflow: { type: 'string', value: 'saturate|wrap', help: 'membrane overflow (default saturate)' },
    workers: { type: 'string', value: 'n', help: 'parallel worker threads (default: the number of cores, at most 8)' },
    shard: { type: 'string', value: 'i/n', help: 'run only shard i of n of the sweep (then snnc explore merge)' },
    ...CONVERT_OPTIONS,
  },
  examples: [
    'snnc explore examples/lenet.onnx -o explore',
    'snnc explore examples/lenet.onnx --bits 3..8 --rounding nearest,stochastic --T 16,32 --max-accuracy-drop 1 -o explore',
    'snnc explore model.onnx --target loihi2 --n 500 --json -o explore',
    'snnc explore model.onnx --shard 1/2 -o part1   # on one machine',
    'snnc explore model.onnx --shard 2/2 -o part2   # on another',
    'snnc explore merge part1 part2 -o explore',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const out = stringOpt(a, 'output');
    const first = requirePositional(a.positionals, 0, 'model path (or merge)', this.name);
    if (out === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing -o <dir>', hint: "see 'snnc explore --help'" });
    probeOutput(out); // an unwritable destination fails now, not after the work
    if (first === 'merge' && !existsSync(first)) {
      const dirs = a.positionals.slice(1);
      if (dirs.length === 0) throw fail({ code: 'SNNC_E_USAGE', message: 'explore merge: no folders given', hint: 'snnc explore merge part1 part2 … -o explore' });
      const doc = mergeDocs(dirs.map(readShard));
      writeDirAtomic(out, exploreFiles(doc), { force: flag(a, 'force') });
      return printResult(doc, out, a, io);
    }
    // Every option is checked before the model is read and the sweep starts.
    const weightBits = parseBitList(stringOpt(a, 'bits') ?? '2..8', '--bits');
    const neuronBits = parseBitList(stringOpt(a, 'neuron-bits') ?? '8', '--neuron-bits');
    const rounding = parseRoundingList(stringOpt(a, 'rounding') ?? 'all');
    const T = parseIntList(stringOpt(a, 'T') ?? '8,16,32', 'T');
    const dropText = stringOpt(a, 'max-accuracy-drop') ?? '0.5';
    const maxAccuracyDrop = checkMaxDrop(dropText.trim() === '' ? NaN : Number(dropText), dropText);
    const reference = stringOpt(a, 'reference') ?? 'snn';
    if (reference !== 'snn' && reference !== 'ann') throw fail({ code: 'SNNC_E_USAGE', message: `--reference must be snn or ann, got '${reference}'`, hint: 'snn: the float SNN at the largest T (default); ann: the ANN the model was converted from' });
    const overflow = stringOpt(a, 'overflow') ?? 'saturate';
    if (overflow !== 'saturate' && overflow !== 'wrap') throw fail({ code: 'SNNC_E_USAGE', message: `--overflow must be saturate or wrap, got '${overflow}'`, hint: 'saturate clamps the membrane at its width; wrap drops the high bits' });
    const shardText = stringOpt(a, 'shard');
    const shard = shardText !== undefined ? parseShard(shardText) : undefined;
    const workers = intOpt(a, 'workers', 1, 256) ?? Math.min(8, availableParallelism());
    const n = intOpt(a, 'n', 1, 10_000_000);
    const dataset = stringOpt(a, 'dataset');
    const target = stringOpt(a, 'target');
    const g = await loadModel(first, loadOptionsFrom(a));
    const r = await exploreModel(g, {
      ...(await withSyntheticCalibration(g, convertOptionsFrom(a))),
      modelFile: first,
      weightBits, neuronBits, rounding, T, maxAccuracyDrop, reference, workers, overflow,
      perChannel: !flag(a, 'per-layer'), pow2: flag(a, 'pow2'),
      ...(shard !== undefined ? { shard } : {}),
      ...(n !== undefined ? { n } : {}),
      ...(dataset !== undefined ? { dataset } : {}),
      ...(target !== undefined ? { target } : {}),
      onProgress: progressBar(io, flag(a, 'quiet') || flag(a, 'json')),
    });
    writeDirAtomic(out, r.files, { force: flag(a, 'force') });
    return printResult(r.doc, out, a, io, r.diagnostics);
  },
};
