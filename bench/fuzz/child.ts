// A fuzz worker process: receives cases from the harness (harness.ts), writes each case's files
// into a fresh folder, runs its snnc commands in-process through the CLI's own main(), and
// reports each command's exit code and error code. Hangs and memory are watched from outside.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { loadModel } from '../../src/api/load.js';
import { writeNpy } from '../../src/data/npy.js';
import { writeNpz } from '../../src/data/npz.js';
import type { Graph } from '../../src/ir/types.js';
import type { FuzzCase } from './cases.js';

export interface StepResult {
  readonly command: string;
  readonly exit: number;
  /** SNNC_E_… of an exit 2, or the first line of an internal error (exit 1). */
  readonly code?: string;
}

export interface CaseReply {
  readonly index: number;
  readonly steps: readonly StepResult[];
}

/** Inputs for `run` and a labelled dataset for calibrate/compile, shaped to the model's input. */
async function prepare(dir: string, model: string): Promise<{ inputs: string[]; data: string }> {
  let g: Graph;
  try {
    g = await loadModel(join(dir, model));
  } catch {
    return { inputs: [], data: 'mnist' };
  }
  const inputs: string[] = [];
  let data = 'mnist';
  g.inputs.forEach((name, i) => {
    const info = g.values.get(name);
    const shape = (info?.shape ?? []).map((d, k) => (typeof d === 'number' ? d : k === 0 ? 2 : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    if (info?.dtype !== 'float32' || !(size >= 0 && size <= 1e6)) return;
    const x = Float32Array.from({ length: size }, (_, k) => ((k * 37) % 101) / 100);
    writeFileSync(join(dir, `in${i}.npy`), writeNpy({ dtype: 'float32', shape, data: x }));
    inputs.push('-i', `${name}=${join(dir, `in${i}.npy`)}`);
    if (g.inputs.length === 1 && shape.length >= 2) {
      // 16 samples, labels within the output's classes (when its shape says how many).
      const per = size / (shape[0] ?? 1);
      const k = g.values.get(g.outputs[0] ?? '')?.shape[1];
      const classes = typeof k === 'number' && k > 0 ? k : 1;
      const xs = Float32Array.from({ length: 16 * per }, (_, j) => ((j * 13) % 97) / 96);
      writeFileSync(
        join(dir, 'data.npz'),
        writeNpz({
          x: { dtype: 'float32', shape: [16, ...shape.slice(1)], data: xs },
          y: { dtype: 'int64', shape: [16], data: BigInt64Array.from({ length: 16 }, (_, j) => BigInt(j % classes)) },
        }),
      );
      data = join(dir, 'data.npz');
    }
  });
  return { inputs, data };
}

async function runCase(c: FuzzCase): Promise<CaseReply> {
  const dir = mkdtempSync(join(tmpdir(), `snnc-fuzz-${c.index}-`));
  try {
    for (const f of c.files) {
      mkdirSync(join(dir, f.name, '..'), { recursive: true });
      writeFileSync(join(dir, f.name), f.data);
    }
    const prep = c.model !== undefined ? await prepare(dir, c.model) : { inputs: [], data: 'mnist' };
    const steps: StepResult[] = [];
    for (const argv of c.steps) {
      const args = argv.flatMap((a) => (a === '{inputs}' ? prep.inputs : [a.replaceAll('{dir}', dir).replaceAll('{data}', prep.data)]));
      let err = '';
      const io = {
        stdout: (): void => {},
        stderr: (s: string): void => {
          err += s;
        },
        isTTY: false,
      };
      const exit = await main(args, io).catch((e: unknown) => {
        err = `uncaught: ${e instanceof Error ? e.message : String(e)}`;
        return 1;
      });
      const code = exit === 2 ? (/SNNC_E_[A-Z_]+/.exec(err)?.[0] ?? 'SNNC_E_?') : exit === 1 ? err.split('\n')[0]?.slice(0, 300) : undefined;
      steps.push({ command: argv[0] ?? '', exit, ...(code !== undefined ? { code } : {}) });
    }
    return { index: c.index, steps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Cases arrive with structured-clone serialization (the harness forks with 'advanced'), so the
// files' bytes come as Uint8Arrays.
process.on('message', (c: FuzzCase) => {
  void runCase(c).then((r) => process.send?.(r));
});
