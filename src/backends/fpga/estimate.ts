// Resource and latency estimate of the emitted design without running Vitis HLS (hls4ml-style
// rules, docs/targets/fpga.md):
//   units per layer = ceil(work / R), work = synapses of one pipelined iteration (dense: all
//     n_in·n_out; conv: C_out·C_in/g·kH·kW per output position; pools: C·kH·kW), R = the reuse
//     factor, raised per layer so that work / R ≤ 4096 (hls4ml's unroll limit)
//   a unit fed spikes (0/1) is an adder, otherwise a multiplier (a MAC)
//   cycles per step = iterations·R + pipelineOverheadCycles (iterations: 1 for dense/add,
//     output positions for conv/pools)
//   bramBits = every stored bit: weights·weightBits + biases·biasBits + neuron state
//     (membraneBits + refractory counter bits per neuron) + max-pool counters
//   multipliers with both operands < 10 bits are expected in LUTs, wider ones in DSPs
//     (a heuristic; the real split depends on Vitis HLS's binding)
import type { FpgaTarget } from '../../costmodel/target.js';
import type { FpgaLayerMapping, MappingOf } from '../../costmodel/types.js';
import { elements, unsignedBitsFor } from '../../sim/int/program.js';
import { countBits } from './layers.js';
import type { LayerPlan, Plan } from './plan.js';

const LUT_MULT_BITS = 10;

export interface FpgaLayerEstimate extends FpgaLayerMapping {
  /** Multipliers expected in DSP slices / in LUT logic (the ~10-bit heuristic). */
  readonly dspMultipliers: number;
  readonly lutMultipliers: number;
}

function inputBits(lp: LayerPlan, plan: Plan): number {
  const s = lp.ins[0];
  if (s === undefined || s.binary) return 1;
  if (s === plan.input) return plan.program.input.bits + 1;
  return unsignedBitsFor(s.maxAbs) + 1;
}

function estimateLayer(lp: LayerPlan, plan: Plan, target: FpgaTarget): FpgaLayerEstimate {
  const l = lp.layer;
  const R = lp.reuse;
  const units = Math.ceil(lp.work / R);
  let multipliers = 0;
  let adders = 0;
  if (l.kind === 'dense' || l.kind === 'conv') {
    if (lp.ins[0]?.binary === true) adders = units;
    else multipliers = units;
  } else if (l.kind === 'add') {
    const n = elements(l.outShape);
    const scaled = lp.ins.filter((s, j) => !s.binary && (l.gains?.[j] ?? 1) !== 1).length;
    multipliers = Math.ceil((n * scaled) / R);
    adders = units - Math.min(units, multipliers);
  } else {
    adders = units;
  }
  const n = l.neuron;
  const neurons = elements(l.outShape);
  const stateBits =
    n === null ? 0 : neurons * (n.membraneBits + (n.refractory > 0 ? unsignedBitsFor(n.refractory) : 0) + (n.currentDecay !== undefined ? 32 : 0));
  const countStore = l.kind === 'max-pool' ? elements(l.inShape) * countBits(lp, plan.T) : 0;
  const bramBits = l.weights.length * l.weightBits + l.bias.length * l.biasBits + stateBits + countStore;
  const narrow = l.weightBits < LUT_MULT_BITS && inputBits(lp, plan) < LUT_MULT_BITS;
  return {
    name: l.name,
    multipliers,
    adders,
    bramBits,
    reuseFactor: R,
    cyclesPerStep: lp.iterations * R + target.pipelineOverheadCycles.value,
    dspMultipliers: narrow ? 0 : multipliers,
    lutMultipliers: narrow ? multipliers : 0,
  };
}

export function estimate(plan: Plan, target: FpgaTarget): { mapping: MappingOf<'fpga'>; layers: FpgaLayerEstimate[] } {
  const layers = plan.layers.map((lp) => estimateLayer(lp, plan, target));
  const mapping: MappingOf<'fpga'> = {
    kind: 'fpga',
    layers: layers.map(({ name, multipliers, adders, bramBits, reuseFactor, cyclesPerStep }) => ({
      name,
      multipliers,
      adders,
      bramBits,
      reuseFactor,
      ...(cyclesPerStep !== undefined ? { cyclesPerStep } : {}),
    })),
    totals: {
      multipliers: layers.reduce((s, m) => s + m.multipliers, 0),
      adders: layers.reduce((s, m) => s + m.adders, 0),
      bramBits: layers.reduce((s, m) => s + m.bramBits, 0),
    },
  };
  return { mapping, layers };
}
