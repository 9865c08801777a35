// Shared steps of the FPGA tests: emit a program, write the project to a temp folder, run the
// g++ C-simulation, and compute the expected sums independently with the integer simulator.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FpgaEmitOptions } from '../../src/backends/fpga/index.js';
import { csim, emit, hasCompiler } from '../../src/backends/fpga/index.js';
import type { CsimResult } from '../../src/backends/fpga/index.js';
import type { IntProgram } from '../../src/sim/int/program.js';
import { quantizeInput, runSample } from '../../src/sim/int/sample.js';
import { loadDatasetSpec } from '../../src/data/spec.js';
import { fpgaTarget } from './fpga-programs.js';

export const GXX = await hasCompiler();
export const NO_GXX = GXX ? false : 'g++ is not installed; the FPGA C-simulation tests are skipped';

/** Readout sums and first-max prediction of snnc's integer simulator. */
export function expected(p: IntProgram, xq: Int32Array, T: number, sample = 0, seed = 0): { sums: number[]; prediction: number } {
  const run = runSample(p, xq, T, sample, seed);
  const C = run.readout[0]?.length ?? 0;
  const sums = new Array<number>(C).fill(0);
  for (const r of run.readout)
    r.forEach((v, c) => {
      sums[c] = (sums[c] as number) + v;
    });
  const prediction = sums.indexOf(Math.max(...sums));
  return { sums, prediction };
}

/** Emit, write, C-simulate; the temp folder is removed afterwards. */
export async function csimProgram(p: IntProgram, opts: FpgaEmitOptions, extraFlags: readonly string[] = []): Promise<CsimResult> {
  const r = emit(p, fpgaTarget(), opts);
  const dir = mkdtempSync(join(tmpdir(), 'snnc-fpga-test-'));
  try {
    for (const f of r.files) {
      const path = join(dir, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.data);
    }
    return await csim(join(dir, 'fpga'), { extraFlags });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first n embedded MNIST test images quantized to the program's input, and their labels. */
export function mnistInputs(p: IntProgram, n: number): { inputs: Int32Array[]; labels: Int32Array } {
  const data = loadDatasetSpec('mnist', 'test', n);
  const xs = data.x.data as Float32Array;
  const F = xs.length / n;
  return { inputs: Array.from({ length: n }, (_, s) => quantizeInput(p.input, xs, s * F)), labels: data.y };
}
