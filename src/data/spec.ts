// Datasets for calibration and evaluation: the embedded MNIST or a user's .npz, shaped to
// the model's input (a [N,784] MLP reads MNIST's [N,1,28,28] flattened, since the pixel
// order is the same), with clear errors when the model can't take the data.
import { existsSync } from 'node:fs';
import { fail } from '../errors.js';
import { loadMnist } from './mnist.js';
import { loadNpzDataset } from './npz.js';
import type { Dataset } from './dataset.js';
import type { Graph, Tensor } from '../ir/types.js';
import { takeRange } from '../ir/slice.js';

export type Split = 'train' | 'test';

/** `mnist` (embedded) or a path to an .npz with arrays x and y. */
export function loadDatasetSpec(spec: string, split: Split, limit?: number): Dataset {
  if (spec === 'mnist') return loadMnist(split, limit !== undefined ? { limit } : {});
  if (!spec.toLowerCase().endsWith('.npz')) {
    throw fail({ code: 'SNNC_E_USAGE', message: `unknown dataset '${spec}'`, hint: "use 'mnist' (embedded) or a .npz file holding arrays x and y" });
  }
  if (!existsSync(spec)) throw fail({ code: 'SNNC_E_IO', message: 'dataset file not found', file: spec });
  const d = loadNpzDataset(spec);
  return limit !== undefined && limit < d.y.length ? takeFirst(d, limit) : d;
}

function takeFirst(d: Dataset, n: number): Dataset {
  return { ...samplesOf(d, 0, n), name: `${d.name}[0:${n}]` };
}

/** Whether the spec has a test split of its own (the embedded MNIST); a .npz file is both splits. */
export function hasTestSplit(spec: string): boolean {
  return spec === 'mnist';
}

/** Reshape the samples to the graph's single input (same element count per sample). */
export function fitToModel(g: Graph, d: Dataset): Dataset {
  if (g.inputs.length !== 1) {
    throw fail({ code: 'SNNC_E_INPUT_MISMATCH', message: `the model has ${g.inputs.length} inputs; datasets feed models with exactly one input` });
  }
  const name = g.inputs[0] ?? '';
  const info = g.values.get(name);
  const want = (info?.shape ?? []).slice(1);
  const have = d.x.shape.slice(1);
  if (!want.every((x): x is number => typeof x === 'number')) {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `input '${name}' has a symbolic non-batch dimension [${(info?.shape ?? []).join(', ')}]`,
      hint: 'export the model with fixed input sizes except the batch',
    });
  }
  const nWant = want.reduce((a, b) => a * b, 1);
  const nHave = have.reduce((a, b) => a * b, 1);
  if (nWant !== nHave || info?.dtype !== 'float32') {
    throw fail({
      code: 'SNNC_E_INPUT_MISMATCH',
      message: `dataset '${d.name}' has samples of shape [${have.join(', ')}] but the model input '${name}' is ${info?.dtype ?? '?'}[${(info?.shape ?? []).join(', ')}]`,
      hint: d.name.startsWith('mnist')
        ? 'the embedded MNIST fits models taking float32 [N,1,28,28] or [N,784] images'
        : 'the .npz x array must hold one model input per sample',
    });
  }
  checkLabels(g, d);
  if (want.length === have.length && want.every((v, i) => v === have[i])) return d;
  return { ...d, x: { ...d.x, shape: [d.x.shape[0] ?? 0, ...want] } };
}

/**
 * A label the model cannot output (≥ its class count) would count as a miss for every
 * configuration and quietly lower each accuracy figure: refuse it. Checked only when the
 * model's single output is [N, K] with a known K.
 */
function checkLabels(g: Graph, d: Dataset): void {
  if (g.outputs.length !== 1) return;
  const shape = g.values.get(g.outputs[0] ?? '')?.shape ?? [];
  const k = shape[1];
  if (shape.length !== 2 || typeof k !== 'number' || k <= 0) return;
  for (let i = 0; i < d.y.length; i++) {
    const v = d.y[i] ?? 0;
    if (v >= k) {
      throw fail({
        code: 'SNNC_E_DATASET',
        message: `dataset '${d.name}': label ${v} at index ${i} is outside the model's ${k} classes (0..${k - 1})`,
        hint: 'use the labels the model was trained with (class indices 0..K-1), or the dataset that belongs to this model',
      });
    }
  }
}

/** Samples a … b − 1 of a dataset (views, no copy). */
export function samplesOf<D extends { readonly x: Tensor; readonly y: Int32Array }>(d: D, a: number, b: number): D {
  return { ...d, x: takeRange(d.x, a, b), y: d.y.subarray(a, b) };
}

/** The first n samples of a dataset. */
export function firstOf(d: Dataset, n: number): Dataset {
  return samplesOf(d, 0, Math.min(n, d.y.length));
}

/**
 * n samples set aside, spread evenly over the dataset (sample ⌊(i + ½)·N/n⌋ for i < n, so a
 * file sorted by class still gives every class its share), and the others in their order.
 * `snnc retrain` measures its rounds on such samples of a .npz file, which is its own test split.
 */
export function holdOut(d: Dataset, n: number): { readonly rest: Dataset; readonly held: Dataset } {
  const N = d.y.length;
  const k = Math.max(0, Math.min(n, N));
  const per = d.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const src = d.x.data;
  if (!(src instanceof Float32Array)) throw fail({ code: 'SNNC_E_DATASET', message: `dataset '${d.name}' is not float32` });
  const held = new Uint8Array(N);
  for (let i = 0; i < k; i++) held[Math.floor(((i + 0.5) * N) / k)] = 1;
  const pick = (want: number, count: number, name: string): Dataset => {
    const x = new Float32Array(count * per);
    const y = new Int32Array(count);
    let j = 0;
    for (let s = 0; s < N; s++) {
      if (held[s] !== want) continue;
      x.set(src.subarray(s * per, (s + 1) * per), j * per);
      y[j++] = d.y[s] ?? 0;
    }
    return { name, x: { dtype: 'float32', shape: [count, ...d.x.shape.slice(1)], data: x }, y };
  };
  return { rest: pick(0, N - k, `${d.name} without ${k} held out`), held: pick(1, k, `${d.name}, ${k} held out`) };
}

/** n training images: the embedded MNIST (fast path) or a dataset spec. */
export function loadMnistOr(spec: string | undefined, n: number): Dataset {
  return spec === undefined || spec === 'mnist' ? loadMnist('train', { limit: n }) : loadDatasetSpec(spec, 'train', n);
}
