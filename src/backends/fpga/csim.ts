// Running the emitted project: C-simulation with g++ (always possible where g++ exists) and,
// when `vitis_hls` is on PATH, synthesis with its report read back. Both work on a folder
// the caller wrote `emit`'s files into; the csim binary goes to a temporary folder.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { fail } from '../../errors.js';

export interface CsimSample {
  readonly prediction: number;
  readonly expected: number;
  readonly sums: number[];
  readonly ok: boolean;
}

export interface CsimResult {
  readonly ok: boolean;
  readonly samples: number;
  readonly mismatches: number;
  readonly stdout: string;
  /** What the C++ computed, per sample, parsed from the testbench output. */
  readonly results: CsimSample[];
}

const CXX_FLAGS = ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror'] as const;

/** The project's network stem: the one `<net>_tb.cpp` in `dir`. */
function netStem(dir: string): string {
  const tbs = readdirSync(dir)
    .filter((f) => f.endsWith('_tb.cpp'))
    .sort();
  if (tbs.length !== 1)
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `expected one *_tb.cpp testbench in ${dir}, found ${tbs.length}`,
      file: dir,
      hint: 'point csim at the fpga/ folder written by snnc compile --target fpga',
    });
  return (tbs[0] as string).slice(0, -'_tb.cpp'.length);
}

/** Is a C++ compiler usable? (Tests skip with a message where it is not.) */
export async function hasCompiler(cxx = 'g++'): Promise<boolean> {
  try {
    const r = await execa(cxx, ['--version'], { reject: false });
    return r.exitCode === 0;
  } catch {
    return false;
  }
}

function parseCsim(stdout: string): CsimResult {
  const results: CsimSample[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^sample (\d+) pred (-?\d+) expect (-?\d+) sums((?: -?\d+)*) (ok|MISMATCH)$/.exec(line.trim());
    if (m === null) continue;
    results.push({
      prediction: Number(m[2]),
      expected: Number(m[3]),
      sums: (m[4] ?? '')
        .trim()
        .split(' ')
        .filter((s) => s !== '')
        .map(Number),
      ok: m[5] === 'ok',
    });
  }
  const sum = /SNNC_CSIM samples=(\d+) mismatches=(\d+)/.exec(stdout);
  const samples = sum === null ? results.length : Number(sum[1]);
  const mismatches = sum === null ? results.filter((r) => !r.ok).length : Number(sum[2]);
  return { ok: sum !== null && mismatches === 0 && results.length === samples, samples, mismatches, stdout, results };
}

/**
 * Compile the project in `dir` with g++ (-Wall -Wextra -Werror) and run its testbench.
 * `extraFlags` go after the standard ones (e.g. `-D__VITIS_HLS__ -isystem <ap_int headers>`
 * to build the ap_int branch of snnc_types.h with Xilinx's open headers).
 */
export async function csim(dir: string, opts: { cxx?: string; timeoutMs?: number; extraFlags?: readonly string[] } = {}): Promise<CsimResult> {
  const cxx = opts.cxx ?? 'g++';
  const net = netStem(dir);
  const work = mkdtempSync(join(tmpdir(), 'snnc-csim-'));
  try {
    const bin = join(work, 'csim');
    let cc;
    try {
      cc = await execa(cxx, [...CXX_FLAGS, ...(opts.extraFlags ?? []), join(dir, `${net}.cpp`), join(dir, `${net}_tb.cpp`), '-o', bin], {
        reject: false,
        timeout: opts.timeoutMs ?? 300_000,
      });
    } catch (e) {
      throw fail({
        code: 'SNNC_E_BACKEND',
        message: `could not run the C++ compiler '${cxx}': ${(e as Error).message}`,
        file: dir,
        hint: 'install g++ (e.g. apt-get install g++) or pass another compiler',
      });
    }
    if (cc.exitCode !== 0) {
      const msg = `${cc.stderr}`
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(0, 20)
        .join('\n');
      const how = cc.signal !== undefined ? `was killed by ${cc.signal}` : `exited with ${String(cc.exitCode)}`;
      throw fail({
        code: 'SNNC_E_BACKEND',
        message: `${cxx} ${how} on the generated C++ in ${dir}:\n${msg}`,
        file: dir,
        hint: 'this is a bug in the FPGA backend; please report it with the program',
      });
    }
    const run = await execa(bin, [], { reject: false, timeout: opts.timeoutMs ?? 300_000 });
    const res = parseCsim(`${run.stdout}`);
    return { ...res, ok: res.ok && run.exitCode === 0 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export type SynthResult =
  | { readonly ran: false; readonly message: string }
  | {
      readonly ran: true;
      readonly ok: boolean;
      readonly message: string;
      readonly resources: Readonly<Record<string, number>>;
      readonly latencyCycles?: number;
      readonly clockNs?: number;
      readonly stdout: string;
    };

function onPath(exe: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, exe)));
}

function tag(xml: string, name: string): number | undefined {
  const m = new RegExp(`<${name}>\\s*([0-9.]+)\\s*</${name}>`).exec(xml);
  return m === null ? undefined : Number(m[1]);
}

/** Resources and latency from a Vitis HLS `<top>_csynth.xml` report. */
export function parseCsynthXml(xml: string): { resources: Record<string, number>; latencyCycles?: number; clockNs?: number } {
  const area = /<AreaEstimates>[\s\S]*?<Resources>([\s\S]*?)<\/Resources>/.exec(xml)?.[1] ?? '';
  const resources: Record<string, number> = {};
  for (const k of ['LUT', 'FF', 'DSP', 'DSP48E', 'BRAM_18K', 'URAM']) {
    const v = tag(area, k);
    if (v !== undefined) resources[k === 'DSP48E' ? 'DSP' : k] = v;
  }
  const lat = /<SummaryOfOverallLatency>([\s\S]*?)<\/SummaryOfOverallLatency>/.exec(xml)?.[1] ?? '';
  const latencyCycles = tag(lat, 'Worst-caseLatency');
  const clockNs = tag(xml, 'EstimatedClockPeriod');
  return { resources, ...(latencyCycles !== undefined ? { latencyCycles } : {}), ...(clockNs !== undefined ? { clockNs } : {}) };
}

/** Run `vitis_hls -f script.tcl` in `dir` if it is installed; otherwise say so (no error). */
export async function synth(dir: string, opts: { timeoutMs?: number } = {}): Promise<SynthResult> {
  if (!onPath('vitis_hls'))
    return {
      ran: false,
      message: "vitis_hls is not on PATH, so synthesis was not run; the cost report uses snnc's estimates (see fpga/README.md to synthesize)",
    };
  const net = netStem(dir);
  const r = await execa('vitis_hls', ['-f', 'script.tcl'], { cwd: dir, reject: false, timeout: opts.timeoutMs ?? 4 * 3600_000 });
  const reports = join(dir, `${net}_prj`, 'solution1', 'syn', 'report');
  const xmlName = existsSync(reports)
    ? readdirSync(reports)
        .filter((f) => f.endsWith('_csynth.xml') && f.startsWith(`${net}_top`))
        .sort()[0]
    : undefined;
  if (xmlName === undefined)
    return { ran: true, ok: false, message: `vitis_hls exited with ${String(r.exitCode)} and wrote no synthesis report`, resources: {}, stdout: `${r.stdout}` };
  const parsed = parseCsynthXml(readFileSync(join(reports, xmlName), 'utf8'));
  return { ran: true, ok: r.exitCode === 0, message: `vitis_hls exited with ${String(r.exitCode)}`, ...parsed, stdout: `${r.stdout}` };
}
