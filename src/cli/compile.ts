// snnc compile <model> --target <name|file|all> -o <dir>
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openDirAtomic, probeOutput } from '../io/atomic.js';
import { csim, hasCompiler, synth } from '../backends/fpga/csim.js';
import { compileDevices, compileModel, SNN_TARGETS } from '../api/compile.js';
import { loadModel } from '../api/load.js';
import { withSyntheticCalibration } from '../api/convert.js';
import { fail } from '../errors.js';
import { formatRatio, formatSI, formatPercent } from '../report/format.js';
import { COMPILE_OPTIONS, DATA_OPTIONS, HW_SAMPLES, TIMESTEPS } from '../options/declarations.js';
import { opt, pick } from '../options/schema.js';
import { parseCommandArgs, required } from './args.js';
import type { Command } from './command.js';
import { requirePositional } from './command.js';
import { MODEL_CONVERT_OPTIONS, convertOptionsFrom, loadOptionsFrom } from './convert-options.js';
import { table } from './format.js';
import { devicesFact } from '../report/tables.js';
import { progressBar } from './progress.js';

const OPTIONS = {
  targets: COMPILE_OPTIONS.targets,
  output: opt.string({ short: 'o', value: 'dir', help: 'output folder (required)' }),
  force: opt.switch({ help: 'replace an existing folder that snnc did not write' }),
  csim: opt.switch({ help: 'fpga: compile the emitted testbench with g++ and check it against the integer simulation' }),
  synth: opt.switch({ help: 'fpga: run vitis_hls on the project when it is on PATH (otherwise says so)' }),
  dataset: { ...DATA_OPTIONS.dataset, help: 'labelled data for accuracy and activity (default mnist test split)' },
  n: { ...DATA_OPTIONS.n, help: 'use the first n samples (default 1000; the MNIST test split has 2004)' },
  hwSamples: { ...HW_SAMPLES, help: "samples for the targets' hardware simulations (default 100, fewer for large networks: SNNC_I_HW_SAMPLES)" },
  T: { ...TIMESTEPS, help: 'time steps; costs use the largest (default 16,32)' },
  noise: opt.string({
    value: 'spec',
    help: 'IMC targets: measure on chips with device non-idealities, e.g. program=1,read=0.01,drift=3600,stuck=0.001,onoff=17',
  }),
  seeds: opt.int({ value: 'n', min: 1, max: 100, help: 'with --noise: chips (device seeds 0 … n−1) each IMC accuracy is the mean over (default 3)' }),
  ...MODEL_CONVERT_OPTIONS,
};

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
    'With --noise the IMC targets are measured on drawn chips (programming and read noise, drift,',
    'stuck cells, on/off ratio; docs/targets/imc.md): each accuracy is the mean over --seeds chips,',
    'the note names each; other targets, energy and files are unchanged.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'snnc compile examples/lenet.onnx --target all -o out',
    'snnc compile model.onnx -t loihi2 -t imc-adcless --T 16,32 -o out --json',
    'snnc compile model.onnx --target ./mychip.json -o out',
    'snnc compile examples/lenet.onnx -t imc-hpadc --noise program=1,stuck=0.001 --seeds 2 -o out',
  ],
  async run(argv, io) {
    const { positionals, values: o } = parseCommandArgs(argv, OPTIONS, this.name);
    const model = requirePositional(positionals, 0, 'model path', this.name);
    const out = required(o.output, '-o <dir>', this.name);
    probeOutput(out); // an unwritable destination fails now, not after the work
    const targets = o.targets ?? ['all'];
    const devices = compileDevices(targets, o.noise, o.seeds);
    const g = await loadModel(model, loadOptionsFrom(o));
    const convert = await withSyntheticCalibration(g, convertOptionsFrom(o, io));
    // Files go to the temp folder as they are made and the folder is put in place at the end;
    // a failure on the way removes it.
    const dir = openDirAtomic(out, { force: o.force === true });
    let r: Awaited<ReturnType<typeof compileModel>>;
    try {
      r = await compileModel(g, {
        ...convert,
        ...pick(o, { ...DATA_OPTIONS, hwSamples: HW_SAMPLES }),
        modelFile: model,
        targets,
        ...(devices !== undefined ? { devices } : {}),
        T: o.T ?? [16, 32],
        n: o.n ?? 1000,
        onProgress: progressBar(io, o.quiet === true || o.json === true),
        sink: (f) => dir.add(f),
      });
      dir.commit();
    } finally {
      dir.abort();
    }
    // Every FPGA target that was emitted has its project in <out>/<target name>/ (a custom
    // target file names its own folder).
    const fpgaDirs = r.report.targets
      .filter((t) => t.kind === 'fpga' && t.status === 'ok')
      .map((t) => join(out, t.target))
      .filter((d) => existsSync(d));
    const checks: string[] = [];
    if (o.csim === true) {
      if (fpgaDirs.length === 0)
        throw fail({ code: 'SNNC_E_USAGE', message: '--csim needs an FPGA target that compiled', hint: 'add --target fpga (or your FPGA target file)' });
      if (!(await hasCompiler())) {
        checks.push('fpga C-simulation: g++ is not installed, so it was not run');
      } else {
        for (const dir of fpgaDirs) {
          const c = await csim(dir);
          checks.push(
            `${basename(dir)} C-simulation (g++): ${c.ok ? 'bit-exact' : 'MISMATCH'} with the integer simulation on ${c.samples} samples (${c.mismatches} mismatches)`,
          );
          if (!c.ok)
            throw fail({
              code: 'SNNC_E_BACKEND',
              message: `the generated C++ disagrees with the integer simulation on ${c.mismatches} of ${c.samples} samples`,
              file: dir,
              hint: 'this is a bug in snnc; please report it with the project folder',
            });
        }
      }
    }
    if (o.synth === true) {
      if (fpgaDirs.length === 0)
        throw fail({ code: 'SNNC_E_USAGE', message: '--synth needs an FPGA target that compiled', hint: 'add --target fpga (or your FPGA target file)' });
      for (const dir of fpgaDirs) {
        const s = await synth(dir);
        checks.push(`${basename(dir)} synthesis: ${s.message ?? (s.ran ? 'done' : 'not run')}`);
      }
    }
    if (o.json === true) {
      io.stdout(JSON.stringify({ output: out, files: [...r.paths].sort(), checks, report: r.report }, null, 2) + '\n');
      return 0;
    }
    if (o.quiet === true) return 0;
    const rep = r.report;
    const lines = [
      `${model}: ANN ${formatPercent(rep.accuracy.ann)}; SNN ${rep.accuracy.snn.map((s) => `T=${s.T} ${formatPercent(s.accuracy)}`).join(', ')} on ${rep.settings.dataset} (${rep.settings.samples} samples)`,
      '',
      table(
        ['target', 'status', 'accuracy', 'T', 'energy/inference', 'latency', 'energy vs baseline'],
        rep.targets.map((t) => [
          t.target,
          t.status,
          t.accuracy === null ? '—' : formatPercent(t.accuracy),
          t.status === 'ok' ? String(t.timesteps) : '—',
          t.energyJ === null ? '—' : formatSI(t.energyJ, 'J'),
          t.latencyS === null ? '—' : formatSI(t.latencyS, 's'),
          t.vsBaseline !== undefined ? formatRatio(t.vsBaseline.energy) : '—',
        ]),
      ),
      '',
      `baseline ${rep.baseline.target}: ${formatSI(rep.baseline.energyJ, 'J')}, ${formatSI(rep.baseline.latencyS, 's')} per inference`,
      ...rep.targets.filter((t) => t.status !== 'ok').map((t) => `${t.target}: ${t.note ?? 'unavailable'}`),
      // With --noise: the effects, and each IMC row's chips (its note names every chip's figure).
      ...(rep.settings.devices !== undefined
        ? [
            `device effects on the IMC targets: ${devicesFact(rep.settings.devices)}`,
            ...rep.targets.filter((t) => t.status === 'ok' && t.kind === 'imc').map((t) => `  ${t.target}: ${t.assumptions[0] ?? ''}`),
          ]
        : []),
      '',
      ...checks,
      `wrote ${out}/report.html, report.md, report.json, model.snn.onnx and ${r.paths.length - 4} target files`,
    ];
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
