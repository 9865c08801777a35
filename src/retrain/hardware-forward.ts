// The hardware's own forward pass for training ("physics-aware training", Wright et al.,
// Nature 2022: forward through the real system, backward through a differentiable model of
// it). The ADC-less proxy (crossbar.ts) models a sense amplifier's T compares by a mean-field
// value; on resnet-tiny the network it trains reads 3–11 pp lower on the functional simulation
// than the proxy predicts, and the loop can only keep the best of such rounds. Here a training
// batch runs through the functional simulation itself — the model as compile would convert,
// map and simulate it — and the trainer puts every neuron layer's time-averaged output and the
// readout into its forward pass in place of the proxy's values (train.ts): the loss is the
// hardware's, the gradient the proxy's at the hardware's operating point.
import type { Graph, Tensor } from '../ir/types.js';
import type { ImcTarget } from '../costmodel/target.js';
import type { Dataset } from '../data/dataset.js';
import { collectingContext } from '../passes/context.js';
import { conversionPasses, runPipeline } from '../passes/pipeline.js';
import { mapGraph, senseSetup, simulateImc } from '../backends/imc/index.js';
import type { DeviceEffects } from '../backends/imc/index.js';
import { perSampleElements } from '../ir/stats.js';

/** What the trainer needs to run a batch on the hardware (plain data: the helper thread gets a copy). */
export interface HardwareSpec {
  readonly target: ImcTarget;
  readonly T: number;
  readonly weightBits: number;
  /**
   * Calibration images for the conversion: with trained clips ('clip') it reads only the input
   * range from them, so the two images holding the calibration set's minimum and maximum give
   * the graph compile makes from all of it (hardwareCalibration).
   */
  readonly calibration: Dataset;
  /** Synaptic layers (by index) simulated with exact sums. */
  readonly idealLayers?: readonly number[];
}

/** A batch on the hardware: per neuron node its outputs' rate (spikes / T, graph layout), and the readout / T. */
export interface HardwareBatch {
  readonly rates: ReadonlyMap<string, Float32Array>;
  readonly readout: Float32Array;
}

/** The images of `calib` that hold its smallest and largest input value (see HardwareSpec). */
export function hardwareCalibration(calib: Dataset): Dataset {
  const x = calib.x.data as Float32Array;
  const F = calib.x.shape.slice(1).reduce((a, b) => a * b, 1);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) < (x[lo] as number)) lo = i;
    if ((x[i] as number) > (x[hi] as number)) hi = i;
  }
  const picks = [...new Set([Math.floor(lo / F), Math.floor(hi / F)])];
  const data = new Float32Array(picks.length * F);
  picks.forEach((s, k) => data.set(x.subarray(s * F, (s + 1) * F), k * F));
  return {
    x: { dtype: 'float32', shape: [picks.length, ...calib.x.shape.slice(1)], data },
    y: Int32Array.from(picks, (s) => calib.y[s] as number),
    name: `${calib.name} (input range)`,
  };
}

/**
 * `ann` (the trainer's exportGraph: trained weights, Clip(0, λ) activations, the sense-amplifier
 * metadata) converted, mapped and simulated as compile does for an ADC-less target, on `x`.
 */
export function hardwareBatch(
  ann: Graph,
  spec: HardwareSpec,
  x: Tensor,
  y: Int32Array,
  devices?: { readonly effects: DeviceEffects; readonly seed: number },
): HardwareBatch {
  const ctx = collectingContext({ seed: 0, calibration: { x: spec.calibration.x, y: spec.calibration.y, source: spec.calibration.name } });
  const passes = conversionPasses({ method: 'clip', granularity: 'layer', reset: 'subtract', coding: 'direct', maxpool: 'gate' });
  const g = runPipeline(ann, passes, ctx).graph;
  const net = mapGraph(g, spec.target, { weightBits: spec.weightBits });
  const sense = senseSetup(g.meta, net);
  // Elements per sample of every node's output (the spikes come [B, ...] per batch of samples).
  const per = new Map(g.nodes.map((n) => [n.name, perSampleElements(g.values.get(n.outputs[0] ?? '')?.shape ?? []) ?? 0]));
  const counts = new Map<string, Float32Array>();
  const r = simulateImc(
    g,
    net,
    { x, y },
    {
      T: spec.T,
      ...(spec.idealLayers !== undefined ? { idealLayers: spec.idealLayers } : {}),
      ...(sense.refs !== undefined ? { senseReference: { trained: sense.refs } } : {}),
      ...(sense.dither > 0 ? { senseDither: sense.dither } : {}),
      // A chip of its own for this batch (the trainer's device draw), read noise included.
      ...(devices !== undefined ? { seed: devices.seed, devices: { ...devices.effects, seed: devices.seed } } : {}),
      onSpikes: (node, _t, first, spikes) => {
        const F = per.get(node) ?? 0;
        let c = counts.get(node);
        if (c === undefined) {
          c = new Float32Array(F * y.length);
          counts.set(node, c);
        }
        const off = F * first;
        for (let i = 0; i < spikes.length; i++) c[off + i] = (c[off + i] as number) + (spikes[i] as number);
      },
    },
  );
  for (const c of counts.values()) for (let i = 0; i < c.length; i++) c[i] = (c[i] as number) / spec.T;
  return { rates: counts, readout: Float32Array.from(r.readout, (v) => v / spec.T) };
}
