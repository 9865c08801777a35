// snnc explore <model> [--bits 2..8] [--rounding all] [--T 8,16,32] [--max-accuracy-drop 0.5] -o dir
// snnc explore merge <dir…> -o dir
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic, probeOutput } from '../io/atomic.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { exploreModel } from '../api/explore.js';
import { exploreFiles } from '../explore/files.js';
import type { ExploreResult } from '../api/explore.js';
import { mergeDocs } from '../explore/select.js';
import { parseBitList } from '../options/declarations.js';
import { EXPLORE_OPTIONS } from '../options/declarations.js';
import { opt, pick } from '../options/schema.js';
import { loadModel } from '../api/load.js';
import { formatBits } from '../sim/int/memory.js';
import { fail } from '../errors.js';
import type { ExploreDoc, ExploreRow } from '../report/explore.js';
import { formatSI } from '../report/format.js';
import { validateExploreDoc } from '../report/schema.js';
import { parseCommandArgs, required } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import type { CliIO } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { diagnosticLine, table } from './format.js';
import { progressBar } from './progress.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function rowCells(r: ExploreRow, doc: ExploreDoc): string[] {
  return [
    r.config,
    String(r.T),
    pct(r.accuracy),
    `${r.drop > 0 ? '−' : '+'}${Math.abs(r.drop).toFixed(2)} pp`,
    formatBits(r.memoryBits),
    `${r.compression.toFixed(1)}×`,
    formatSI(r.energyJ, 'J'),
    formatSI(r.latencyS, 's'),
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
    table(
      ['config', 'T', 'accuracy', 'vs reference', 'memory', 'smaller', 'energy', 'latency', 'note'],
      front.map((r) => rowCells(r, doc)),
    ),
    '',
  ];
  const sel = doc.selected !== null ? rows.get(doc.selected) : undefined;
  if (sel !== undefined) {
    out.push(
      `selected (least memory within ${doc.space.maxAccuracyDrop} pp): ${sel.config} at T=${sel.T}: ${pct(sel.accuracy)} (${sel.drop.toFixed(2)} pp below the reference), ${formatBits(sel.memoryBits)} (${sel.compression.toFixed(1)}× smaller than float32), ${formatSI(sel.energyJ, 'J')} per inference`,
    );
  } else {
    const c = doc.closest !== null ? rows.get(doc.closest) : undefined;
    out.push(
      `warning SNNC_W_EXPLORE_NONE: no configuration stays within ${doc.space.maxAccuracyDrop} pp of the reference${c !== undefined ? `; the closest is ${c.config} at T=${c.T}: ${pct(c.accuracy)} (${c.drop.toFixed(2)} pp below), ${formatBits(c.memoryBits)}` : ''}`,
    );
    out.push('  hint: allow a larger drop (--max-accuracy-drop), add wider --bits or larger --T, or retrain for the hardware');
  }
  for (const s of doc.skipped) out.push(`skipped ${s.config}: ${s.reason}`);
  out.push(`wrote ${join(dir, 'explore.json')}, explore.csv, explore.svg`);
  return out.join('\n') + '\n';
}

type Diagnostics = ExploreResult['diagnostics'];

function printResult(
  doc: ExploreDoc,
  dir: string,
  print: { readonly json: boolean; readonly quiet: boolean },
  io: CliIO,
  diagnostics: Diagnostics = [],
): number {
  if (print.json) {
    const rows = new Map(doc.rows.map((r) => [r.id, r]));
    io.stdout(
      JSON.stringify(
        {
          output: dir,
          files: ['explore.csv', 'explore.json', 'explore.svg'],
          reference: doc.reference,
          selected: doc.selected !== null ? (rows.get(doc.selected) ?? null) : null,
          closest: doc.closest !== null ? (rows.get(doc.closest) ?? null) : null,
          pareto: doc.pareto.map((id) => rows.get(id)),
          skipped: doc.skipped,
          ...(doc.shard !== undefined ? { shard: doc.shard } : {}),
          diagnostics,
        },
        null,
        2,
      ) + '\n',
    );
  } else if (!print.quiet) {
    const notes = diagnostics.map(diagnosticLine);
    io.stdout(summary(doc, dir) + (notes.length > 0 ? notes.join('\n') + '\n' : ''));
  }
  return 0;
}

function readShard(dir: string): { doc: ExploreDoc; file: string } {
  const file = join(dir, 'explore.json');
  if (!existsSync(file))
    throw fail({ code: 'SNNC_E_IO', message: 'no explore.json in this folder', file: dir, hint: 'pass the -o folders of the explore --shard runs' });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `explore.json is not valid JSON: ${(e as Error).message}`, file });
  }
  validateExploreDoc(doc, file);
  return { doc, file };
}

const OPTIONS = {
  output: opt.string({ short: 'o', value: 'dir', help: 'output folder (required)' }),
  force: opt.switch({ help: 'replace an existing folder that snnc did not write' }),
  ...EXPLORE_OPTIONS,
  perLayer: opt.switch({ help: 'one weight scale per layer for every configuration (default: per output channel)' }),
  pow2: opt.switch({ help: 'power-of-two scales for every configuration (shift-only hardware)' }),
  ...MODEL_CONVERT_OPTIONS,
};

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'sweep bit widths, rounding and time steps; Pareto front of accuracy, memory and energy',
  usage:
    'snnc explore <model> [--bits 2..8] [--neuron-bits 8] [--rounding all] [--T 8,16,32] [--max-accuracy-drop 0.5] [--workers n] [--shard i/n] -o <dir>\n       snnc explore merge <dir> <dir> … -o <dir>',
  description: [
    'Quantizes the spiking network (an ANN is converted first) with every combination of weight',
    'bits, neuron-parameter bits (thresholds and biases) and rounding, runs each with the',
    'integer-exact simulator on the dataset, and reports for every T: accuracy, its drop against the',
    'reference (the float SNN at the largest T, or --reference ann), memory (src/sim/int/memory.ts),',
    'spikes, synaptic operations, and energy and latency from the --target cost model. Prints the',
    'Pareto front and selects the configuration with the least memory (then energy) whose drop is',
    'within --max-accuracy-drop; if none is, says so and shows the closest. Writes explore.json,',
    'explore.csv and explore.svg (accuracy vs memory and vs energy) into the -o folder.',
    'One integer simulation to the largest T gives every smaller T. --workers runs configurations',
    'in parallel threads; --shard i/n runs every n-th configuration, and `snnc explore merge`',
    'joins the shards into exactly what one unsharded run writes.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc explore examples/lenet.onnx -o explore',
    'snnc explore examples/lenet.onnx --bits 3..8 --rounding nearest,stochastic --T 16,32 --max-accuracy-drop 1 -o explore',
    'snnc explore model.onnx --target loihi2 --n 500 --json -o explore',
    'snnc explore model.onnx --shard 1/2 -o part1   # on one machine',
    'snnc explore model.onnx --shard 2/2 -o part2   # on another',
    'snnc explore merge part1 part2 -o explore',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const first = requirePositional(positionals, 0, 'model path (or merge)', this.name);
    const out = required(o.output, '-o <dir>', this.name);
    probeOutput(out); // an unwritable destination fails now, not after the work
    const print = { json: o.json === true, quiet: o.quiet === true };
    if (first === 'merge' && !existsSync(first)) {
      const dirs = positionals.slice(1);
      if (dirs.length === 0)
        throw fail({ code: 'SNNC_E_USAGE', message: 'explore merge: no folders given', hint: 'snnc explore merge part1 part2 … -o explore' });
      const doc = mergeDocs(dirs.map(readShard));
      writeDirAtomic(out, exploreFiles(doc), { force: o.force === true });
      return printResult(doc, out, print, io);
    }
    // Every option was checked while parsing, before the model is read and the sweep starts.
    const g = await loadModel(first, loadOptionsFrom(o));
    const r = await exploreModel(g, {
      ...(await withSyntheticCalibration(g, convertOptionsFrom(o, io))),
      ...pick(o, EXPLORE_OPTIONS),
      modelFile: first,
      weightBits: o.weightBits ?? parseBitList('2..8', '--bits'),
      neuronBits: o.neuronBits ?? [8],
      rounding: o.rounding ?? ['trunc', 'nearest', 'stochastic'],
      T: o.T ?? [8, 16, 32],
      maxAccuracyDrop: o.maxAccuracyDrop ?? 0.5,
      workers: o.workers ?? Math.min(8, availableParallelism()),
      perChannel: o.perLayer !== true,
      pow2: o.pow2 === true,
      onProgress: progressBar(io, print.quiet || print.json),
    });
    writeDirAtomic(out, r.files, { force: o.force === true });
    return printResult(r.doc, out, print, io, r.diagnostics);
  },
};
