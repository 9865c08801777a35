// ANN accuracy on a dataset with the reference interpreter, in bounded batches.
import type { SimData } from '../snn/types.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { runGraph } from './run.js';
import { takeRange } from '../../ir/slice.js';

export function argmaxRows(t: Tensor): Int32Array {
  const n = t.shape[0] ?? 0;
  const k = n === 0 ? 0 : t.data.length / n;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < k; j++) {
      const v = Number(t.data[i * k + j]);
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

export function annAccuracy(g: Graph, d: SimData, batch = 256): number {
  const input = g.inputs[0] ?? '';
  const output = g.outputs[0] ?? '';
  const n = d.y.length;
  let correct = 0;
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const out = runGraph(g, new Map([[input, takeRange(d.x, s, e)]])).get(output);
    if (out === undefined) continue;
    const p = argmaxRows(out);
    for (let i = 0; i < p.length; i++) if (p[i] === d.y[s + i]) correct++;
  }
  return n === 0 ? 0 : correct / n;
}
