// `snnc run`: feed input files to a model, write every graph output as both an
// ONNX TensorProto (.pb) and a numpy array (.npy).
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fail } from '../errors.js';
import type { Graph, Tensor } from '../ir/types.js';
import { readTensorFile, encodeTensor } from '../frontend/onnx/tensor.js';
import { loadNpy, writeNpy } from '../data/npy.js';
import { runGraph } from '../sim/ann/run.js';
import type { OutputFile } from '../io/atomic.js';
import { writeDirAtomic } from '../io/atomic.js';

export interface InputSpec {
  readonly name: string;
  readonly file: string;
}

/** Parses `name=path` pairs from --input flags. */
export function parseInputSpecs(specs: readonly string[]): InputSpec[] {
  return specs.map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) {
      throw fail({ code: 'SNNC_E_USAGE', message: `--input expects name=file, got '${s}'`, hint: "e.g. --input x=digit.npy (names: see 'snnc inspect')" });
    }
    return { name: s.slice(0, eq), file: s.slice(eq + 1) };
  });
}

function readInputTensor(file: string, maxElements?: number): Tensor {
  if (!existsSync(file)) throw fail({ code: 'SNNC_E_IO', message: 'input file not found', file });
  const ext = extname(file).toLowerCase();
  const o = maxElements !== undefined ? { maxElements } : {};
  if (ext === '.pb') return readTensorFile(file, o).tensor;
  if (ext === '.npy') return loadNpy(file, o);
  throw fail({ code: 'SNNC_E_USAGE', message: `unknown input file type '${ext}'`, file, hint: 'inputs are ONNX TensorProto .pb or numpy .npy files' });
}

/** Binds input files to graph inputs; a single unnamed file may feed a single-input graph. */
export function bindInputs(g: Graph, specs: readonly InputSpec[], maxElements?: number): Map<string, Tensor> {
  const feeds = new Map<string, Tensor>();
  for (const s of specs) {
    if (!g.inputs.includes(s.name)) {
      throw fail({
        code: 'SNNC_E_INPUT_MISMATCH',
        message: `the model has no input named '${s.name}'`,
        file: s.file,
        hint: `inputs are: ${g.inputs.join(', ')}`,
      });
    }
    if (feeds.has(s.name)) throw fail({ code: 'SNNC_E_USAGE', message: `input '${s.name}' given twice` });
    feeds.set(s.name, readInputTensor(s.file, maxElements));
  }
  for (const name of g.inputs) {
    if (!feeds.has(name)) {
      throw fail({ code: 'SNNC_E_INPUT_MISSING', message: `no value given for graph input '${name}'`, hint: `pass --input ${name}=<file.pb|file.npy>` });
    }
  }
  return feeds;
}

export interface RunOutputInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly file: string;
  readonly npy: string;
}

/** Runs the graph and writes output_<i>.pb / output_<i>.npy (graph order) into `dir` atomically. */
export function runToDir(
  g: Graph,
  feeds: ReadonlyMap<string, Tensor>,
  dir: string,
  opts: { readonly maxElements?: number; readonly force?: boolean } = {},
): RunOutputInfo[] {
  const outs = runGraph(g, feeds, opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {});
  const files: OutputFile[] = [];
  const infos: RunOutputInfo[] = [];
  g.outputs.forEach((name, i) => {
    const t = outs.get(name);
    if (t === undefined) throw new Error(`interpreter did not produce output ${name}`);
    files.push({ path: `output_${i}.pb`, data: encodeTensor(t, name) });
    files.push({ path: `output_${i}.npy`, data: writeNpy(t) });
    infos.push({ name, shape: [...t.shape], dtype: t.dtype, file: `${dir}/output_${i}.pb`, npy: `${dir}/output_${i}.npy` });
  });
  writeDirAtomic(dir, files, opts.force !== undefined ? { force: opts.force } : {});
  return infos;
}
