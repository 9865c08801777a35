// What the integer simulation did, in the units cost models read: per layer and step, the
// nonzero outputs (spikes for neuron layers) and the synaptic operations — each input spike
// times its exact structural fan-out, borders included, the convention of the float
// simulator (src/sim/snn/synops.ts): dense → outputs; conv → (C_out/group) × kernel positions
// covering the pixel; sum-pool → windows covering the pixel (a global pool: 1). Layers fed
// analog values, residual adds and spike max-pools perform no synaptic operations.
import type { Prepared } from './kernels.js';
import type { IntProgram } from './program.js';
import { elements } from './program.js';
import type { OnStep } from './sample.js';

export interface IntLayerSteps {
  readonly layer: string;
  /** Nonzero outputs at each step, summed over samples. */
  readonly nonzeroPerStep: number[];
  /** Synaptic operations at each step, summed over samples. */
  readonly synopsPerStep: number[];
}

export interface ActivityRecorder {
  /** runSample's onStep: every layer's outputs, the step's program input, each neuron layer's spikes. */
  readonly onStep: OnStep;
  readonly result: () => IntLayerSteps[];
}

/** Fan-out of each input element of layer i, or null when its input is not spikes or it does no synops. */
function fanouts(p: IntProgram, prep: readonly Prepared[], binary: (name: string) => boolean): (Float64Array | null)[] {
  return p.layers.map((l, i) => {
    if (!binary(l.inputs[0] ?? '')) return null;
    const F = elements(l.inShape);
    const taps = prep[i]?.taps;
    if (l.kind === 'dense') return new Float64Array(F).fill(l.outShape[0] ?? 0);
    if ((l.kind !== 'conv' && l.kind !== 'sum-pool') || taps === undefined) return null;
    const per = l.kind === 'conv' ? (l.outShape[0] ?? 0) / (l.geometry?.group ?? 1) : 1;
    const plane = taps.start.length - 1;
    const fan = new Float64Array(F);
    for (let e = 0; e < F; e++) {
      const pix = e % plane;
      fan[e] = per * ((taps.start[pix + 1] as number) - (taps.start[pix] as number));
    }
    return fan;
  });
}

export function activityRecorder(p: IntProgram, prep: readonly Prepared[], T: number): ActivityRecorder {
  const index = new Map(p.layers.map((l, i) => [l.name, i]));
  const binary = (name: string): boolean => (name === p.input.name ? p.input.coding === 'poisson' : p.layers[index.get(name) ?? -1]?.outBits === 1);
  const fan = fanouts(p, prep, binary);
  const nonzero = p.layers.map(() => new Array<number>(T).fill(0));
  const synops = p.layers.map(() => new Array<number>(T).fill(0));
  // Per source (0: the program input, s + 1: layer s) the layers reading it, so each output is
  // scanned once a step: a dense reader's fan-out is the same for every input (its width), so
  // its synops are that times the nonzero count; a conv's or pool's varies at the borders.
  const sources = p.layers.length + 1;
  const uniform: { readonly layer: number; readonly fan: number }[][] = Array.from({ length: sources }, () => []);
  const varying: { readonly layer: number; readonly fan: Float64Array }[][] = Array.from({ length: sources }, () => []);
  fan.forEach((f, i) => {
    if (f === null) return;
    const s = (index.get(p.layers[i]?.inputs[0] ?? '') ?? -1) + 1;
    const first = f[0] ?? 0;
    if (f.every((v) => v === first)) uniform[s]?.push({ layer: i, fan: first });
    else varying[s]?.push({ layer: i, fan: f });
  });
  const sums = varying.map((v) => new Float64Array(v.length));
  // A neuron layer's nonzero outputs are its spikes, which the step has counted (spike index per source).
  let k = 0;
  const spikeIndex = [-1, ...p.layers.map((l) => (l.neuron !== null ? k++ : -1))];
  return {
    onStep(t, outs, x, spikes) {
      for (let s = 0; s < sources; s++) {
        const o = s === 0 ? x : (outs[s - 1] as Int32Array);
        const uni = uniform[s] as { readonly layer: number; readonly fan: number }[];
        const vary = varying[s] as { readonly layer: number; readonly fan: Float64Array }[];
        if (s === 0 && uni.length === 0 && vary.length === 0) continue; // the input's own count is not recorded
        let c = 0;
        const si = spikeIndex[s] as number;
        if (vary.length === 0 && si >= 0) c = spikes[si] as number;
        else if (vary.length === 0) {
          for (let k = 0; k < o.length; k++) if (o[k] !== 0) c++;
        } else {
          const sum = (sums[s] as Float64Array).fill(0);
          // o may hold several samples back to back (runSamples): element k is element k mod F of one.
          const F = (vary[0] as { fan: Float64Array }).fan.length;
          for (let k = 0, e = 0; k < o.length; k++, e = e + 1 === F ? 0 : e + 1) {
            if (o[k] === 0) continue;
            c++;
            for (let j = 0; j < vary.length; j++) sum[j] = (sum[j] as number) + ((vary[j] as { fan: Float64Array }).fan[e] as number);
          }
          vary.forEach((v, j) => {
            const row = synops[v.layer] as number[];
            row[t] = (row[t] as number) + (sum[j] as number);
          });
        }
        for (const u of uni) {
          const row = synops[u.layer] as number[];
          row[t] = (row[t] as number) + u.fan * c;
        }
        if (s > 0) {
          const row = nonzero[s - 1] as number[];
          row[t] = (row[t] as number) + c;
        }
      }
    },
    result: () => p.layers.map((l, i) => ({ layer: l.name, nonzeroPerStep: nonzero[i] as number[], synopsPerStep: synops[i] as number[] })),
  };
}
