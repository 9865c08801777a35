// snnc compile <model> --target <name|file|all> -o <dir>
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeDirAtomic, probeOutput } from '../api/atomic.js';
import { csim, hasCompiler, synth } from '../backends/fpga/csim.js';
import { compileModel, SNN_TARGETS } from '../api/compile.js';
import { loadModel } from '../api/load.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { formatRatio, formatSI, formatPercent } from '../report/format.js';
import { flag, intOpt, listOpt, parseCommandArgs, stringOpt } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { CONVERT_OPTIONS, convertOptionsFrom, parseIntList, loadOptionsFrom } from './convert-options.js';
import { table } from './format.js';
import { progressBar } from './progress.js';

export const compileCommand: Command = {
  name: 'compile',
  summary: 'convert, simulate and cost a model on hardware targets; write reports',
  usage: 'snnc compile <model> --target <name|file.json|all> [--T 32] [--dataset mnist] -o <dir>',
  description: [
    'The main job: converts the ANN to a spiking network, measures its accuracy and activity on',
    'the dataset, runs each target backend (files + hardware mapping), estimates energy, latency',
    'and resources with the target cost model, and compares with the ANN on a CPU baseline.',
    `Targets: ${SNN_TARGETS.join(', ')}, cpu-ann, digital-45nm, or your own JSON file (targets/schema.json);`,
    "'all' = every SNN target. A target whose backend is not built, or that cannot express the",
    'network, is listed as unavailable with the reason. Output folder (written atomically):',
    'report.json (docs/report.schema.json), report.md, report.html, model.snn.onnx, <target>/...',
  ].join('\n'),
  options: {
    target: { type: 'string', short: 't', multiple: true, value: 'name', help: "target name, target JSON file, or 'all' (repeatable; default all)" },
    output: { type: 'string', short: 'o', value: 'dir', help: 'output folder (required)' },
    force: { type: 'boolean', help: 'replace an existing folder that snnc did not write' },
    csim: { type: 'boolean', help: 'fpga: compile the emitted testbench with g++ and check it against the integer simulation' },
    synth: { type: 'boolean', help: 'fpga: run vitis_hls on the project when it is on PATH (otherwise says so)' },
    dataset: { type: 'string', value: 'mnist|file.npz', help: 'labelled data for accuracy and activity (default mnist test split)' },
    n: { type: 'string', value: 'samples', help: 'use the first n samples (default 1000; the MNIST test split has 2004)' },
    'hw-samples': { type: 'string', value: 'n', help: 'samples for target functional simulations (IMC partial sums; default 100)' },
    T: { type: 'string', value: 'list', help: 'time steps; costs use the largest (default 16,32)' },
    ...CONVERT_OPTIONS,
  },
  examples: [
    'snnc compile examples/lenet.onnx --target all -o out',
    'snnc compile model.onnx -t loihi2 -t imc-adcless --T 16,32 -o out --json',
    'snnc compile model.onnx --target ./mychip.json -o out',
  ],
  async run(argv, io) {
    const a = parseCommandArgs(argv, this.options, this.name);
    const model = requirePositional(a.positionals, 0, 'model path', this.name);
    const out = stringOpt(a, 'output');
    if (out === undefined) throw fail({ code: 'SNNC_E_USAGE', message: 'missing -o <dir>', hint: "see 'snnc compile --help'" });
    probeOutput(out); // an unwritable destination fails now, not after the work
    const targets = listOpt(a, 'target');
    const n = intOpt(a, 'n', 1, 10_000_000);
    const dataset = stringOpt(a, 'dataset');
    const hwSamples = intOpt(a, 'hw-samples', 1, 10_000_000);
    const g = await loadModel(model, loadOptionsFrom(a));
    const r = await compileModel(g, {
      ...(await withSyntheticCalibration(g, convertOptionsFrom(a))),
      modelFile: model,
      targets: targets.length > 0 ? targets : ['all'],
      T: parseIntList(stringOpt(a, 'T') ?? '16,32', 'T'),
      ...(dataset !== undefined ? { dataset } : {}),
      n: n ?? 1000,
      ...(hwSamples !== undefined ? { hwSamples } : {}),
      onProgress: progressBar(io, flag(a, 'quiet') || flag(a, 'json')),
    });
    writeDirAtomic(out, r.files, { force: flag(a, 'force') });
    // Every FPGA target that was emitted has its project in <out>/<target name>/ (a custom
    // target file names its own folder).
    const fpgaDirs = r.report.targets.filter((t) => t.kind === 'fpga' && t.status === 'ok').map((t) => join(out, t.target)).filter((d) => existsSync(d));
    const checks: string[] = [];
    if (flag(a, 'csim')) {
      if (fpgaDirs.length === 0) throw fail({ code: 'SNNC_E_USAGE', message: '--csim needs an FPGA target that compiled', hint: 'add --target fpga (or your FPGA target file)' });
      if (!(await hasCompiler())) {
        checks.push('fpga C-simulation: g++ is not installed, so it was not run');
      } else {
        for (const dir of fpgaDirs) {
          const c = await csim(dir);
          checks.push(`${basename(dir)} C-simulation (g++): ${c.ok ? 'bit-exact' : 'MISMATCH'} with the integer simulation on ${c.samples} samples (${c.mismatches} mismatches)`);
          if (!c.ok) throw fail({ code: 'SNNC_E_BACKEND', message: `the generated C++ disagrees with the integer simulation on ${c.mismatches} of ${c.samples} samples`, file: dir, hint: 'this is a bug in snnc; please report it with the project folder' });
        }
      }
    }
    if (flag(a, 'synth')) {
      if (fpgaDirs.length === 0) throw fail({ code: 'SNNC_E_USAGE', message: '--synth needs an FPGA target that compiled', hint: 'add --target fpga (or your FPGA target file)' });
      for (const dir of fpgaDirs) {
        const s = await synth(dir);
        checks.push(`${basename(dir)} synthesis: ${s.message ?? (s.ran ? 'done' : 'not run')}`);
      }
    }
    if (flag(a, 'json')) {
      io.stdout(JSON.stringify({ output: out, files: r.files.map((f) => f.path).sort(), checks, report: r.report }, null, 2) + '\n');
      return 0;
    }
    if (flag(a, 'quiet')) return 0;
    const rep = r.report;
    const lines = [
      `${model}: ANN ${formatPercent(rep.accuracy.ann)}; SNN ${rep.accuracy.snn.map((s) => `T=${s.T} ${formatPercent(s.accuracy)}`).join(', ')} on ${rep.settings.dataset} (${rep.settings.samples} samples)`,
      '',
      table(['target', 'status', 'accuracy', 'T', 'energy/inference', 'latency', 'energy vs baseline'], rep.targets.map((t) => [
        t.target, t.status, t.accuracy === null ? '—' : formatPercent(t.accuracy), t.status === 'ok' ? String(t.timesteps) : '—',
        t.energyJ === null ? '—' : formatSI(t.energyJ, 'J'), t.latencyS === null ? '—' : formatSI(t.latencyS, 's'),
        t.vsBaseline !== undefined ? formatRatio(t.vsBaseline.energy) : '—',
      ])),
      '',
      `baseline ${rep.baseline.target}: ${formatSI(rep.baseline.energyJ, 'J')}, ${formatSI(rep.baseline.latencyS, 's')} per inference`,
      ...rep.targets.filter((t) => t.status !== 'ok').map((t) => `${t.target}: ${t.note ?? 'unavailable'}`),
      '',
      ...checks,
      `wrote ${out}/report.html, report.md, report.json, model.snn.onnx and ${r.files.length - 4} target files`,
    ];
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
