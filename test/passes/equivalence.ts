// Shared by the pass tests: a seeded PRNG, random tensors, and "same outputs before
// and after" checked with the reference interpreter (the unmodified graph is the oracle).
import { mulberry32 } from '../../src/sim/snn/rng.js';
import assert from 'node:assert/strict';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { compareTensors } from '../helpers/compare.js';
import type { Tolerance } from '../helpers/compare.js';

/** The shared seeded generator (mulberry32), under this module's old name. */
export const prng = mulberry32;

/** Uniform in [lo, hi) float32. */
export function rand(shape: readonly number[], rnd: () => number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape: [...shape], data: Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd()) };
}

/** Random feeds for every graph input (symbolic dims get `batch`). */
export function randomFeeds(g: Graph, rnd: () => number, batch = 2): Map<string, Tensor> {
  const feeds = new Map<string, Tensor>();
  for (const name of g.inputs) {
    const info = g.values.get(name);
    assert.ok(info !== undefined && info.dtype === 'float32', `input ${name} must be float32`);
    const shape = info.shape.map((d) => (typeof d === 'number' ? d : batch));
    feeds.set(name, rand(shape, rnd));
  }
  return feeds;
}

export function assertSameOutputs(before: Graph, after: Graph, feeds: ReadonlyMap<string, Tensor>, tol: Tolerance = { rtol: 1e-5, atol: 1e-6 }): void {
  assert.deepEqual([...after.outputs], [...before.outputs], 'graph output names must stay stable');
  const want = runGraph(before, feeds);
  const got = runGraph(after, feeds);
  for (const name of before.outputs) {
    const w = want.get(name);
    const g = got.get(name);
    assert.ok(w !== undefined && g !== undefined, `output ${name}`);
    const diff = compareTensors(g, w, tol);
    assert.equal(diff, undefined, `output ${name}: ${diff ?? ''}`);
  }
}

export const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);
