// Aggregation of batch traces into the run's result: predictions at every step (the
// accuracy-vs-T curve of one run), early exit, per-layer spikes / synops / firing rates,
// and diagnostics. Both modes feed the same traces through these functions.
import type { BatchTrace, Runtime } from './runtime.js';
import type { LayerActivity, SimDiagnostic, SimulateResult } from './types.js';

/** Index of the largest readout (ties: the lowest index; NaN never wins). */
function argmax(r: Float64Array, off: number, classes: number): number {
  let best = 0;
  let bv = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = r[off + c] as number;
    if (v > bv) {
      bv = v;
      best = c;
    }
  }
  return best;
}

/**
 * Early exit: after `steps` steps, the mean readout (sum / steps) has top-1 minus top-2 at
 * least `margin`. With one class the margin is infinite (exit at the first step).
 */
export function hasExited(r: Float64Array, off: number, classes: number, steps: number, margin: number): boolean {
  let a = -Infinity;
  let b = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = (r[off + c] as number) / steps;
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return a - b >= margin;
}

export interface Totals {
  readonly correct: Float64Array;
  readonly predictions: Int32Array;
  readonly spikes: Float64Array;
  readonly synops: Float64Array;
  /** Σ over samples of the steps each ran. */
  steps: number;
}

export function newTotals(N: number, T: number, layers: number): Totals {
  return { correct: new Float64Array(T), predictions: new Int32Array(N), spikes: new Float64Array(layers), synops: new Float64Array(layers), steps: 0 };
}

export function addBatch(tot: Totals, trace: BatchTrace, T: number, labels: Int32Array, first: number, margin: number | undefined): void {
  const { B, classes } = trace;
  const L = tot.spikes.length;
  for (let b = 0; b < B; b++) {
    let used = T;
    let pred = 0;
    const label = labels[first + b] as number;
    for (let t = 0; t < T; t++) {
      if (t < used) {
        const off = (t * B + b) * classes;
        pred = argmax(trace.readout, off, classes);
        if (margin !== undefined && hasExited(trace.readout, off, classes, t + 1, margin)) used = t + 1;
      }
      if (pred === label) tot.correct[t] = (tot.correct[t] as number) + 1;
    }
    tot.predictions[first + b] = pred;
    tot.steps += used;
    for (let l = 0; l < L; l++) {
      let s = 0;
      let y = 0;
      for (let t = 0; t < used; t++) {
        s += trace.spikes[(l * T + t) * B + b] as number;
        y += trace.synops[(l * T + t) * B + b] as number;
      }
      tot.spikes[l] = (tot.spikes[l] as number) + s;
      tot.synops[l] = (tot.synops[l] as number) + y;
    }
  }
}

const SATURATED = 0.9;

export function finish(rt: Runtime, tot: Totals, N: number, margin: number | undefined): SimulateResult {
  const meanSteps = tot.steps / N;
  const layers: LayerActivity[] = rt.plan.layers.map((l, i) => {
    const neurons = rt.layerSize[i] ?? 0;
    const spikes = (tot.spikes[i] as number) / N;
    return {
      name: l.name,
      op: l.op,
      neurons,
      spikes,
      synops: (tot.synops[i] as number) / N,
      firingRate: neurons > 0 ? spikes / (neurons * meanSteps) : 0,
    };
  });
  const diagnostics: SimDiagnostic[] = [];
  for (const l of layers) {
    if (l.op !== 'IF' && l.op !== 'LIF') continue;
    if (l.spikes === 0) {
      diagnostics.push({
        severity: 'warning',
        code: 'SNNC_W_SILENT_LAYER',
        node: l.name,
        message: `layer '${l.name}' emitted no spikes in ${N} samples × ${rt.T} steps; everything after it sees no input`,
        hint: 'its threshold is too high for this T: calibrate with a lower percentile (e.g. --method percentile:99.9 instead of max), or raise T',
      });
    } else if (l.firingRate > SATURATED) {
      diagnostics.push({
        severity: 'warning',
        code: 'SNNC_W_SATURATED_LAYER',
        node: l.name,
        message: `layer '${l.name}' fires at ${(100 * l.firingRate).toFixed(1)}% of its neuron-steps; it clips activations above its threshold`,
        hint: 'its threshold is too low: calibrate with a higher percentile (e.g. --method percentile:99.99 or max)',
      });
    }
  }
  let macsPerStep = 0;
  for (const m of rt.macs.values()) macsPerStep += m;
  const base: SimulateResult = {
    samples: N,
    T: rt.T,
    accuracyPerStep: Array.from(tot.correct, (c) => c / N),
    predictions: tot.predictions,
    spikesPerSample: layers.reduce((a, l) => a + (l.op === 'IF' || l.op === 'LIF' ? l.spikes : 0), 0),
    synopsPerSample: layers.reduce((a, l) => a + l.synops, 0),
    macsPerSample: macsPerStep * meanSteps,
    layers,
    affine: rt.plan.g.nodes
      .filter((n) => rt.macs.has(n.name) || rt.nodeSynops.has(n.name))
      .map((n) => ({ name: n.name, op: n.op, synops: (rt.nodeSynops.get(n.name) ?? 0) / N, macs: (rt.macs.get(n.name) ?? 0) * meanSteps })),
    diagnostics,
  };
  return margin !== undefined ? { ...base, meanSteps } : base;
}
