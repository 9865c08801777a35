// Core allocation: split each netx layer's neurons evenly over the fewest cores that
// respect the target's per-core limits, then count chips.
//
// A layer of N neurons, fan-in F (inputs per neuron) and I source neurons, split over k
// cores holds n = ⌈N/k⌉ neurons per core, and needs per core:
//   compartments  n                              ≤ compartmentsPerCore
//   synapse bits  n·F·(weightBits + overhead)     ≤ synapseBitsPerCore
//   input axons   dense: I (every core sees every source); conv: min(I, n·F)  ≤ axonsInPerCore
//   output axons  n · (cores of the next layer)   ≤ axonsOutPerCore   (readout: 0)
// overhead (default 1 bit per synapse) covers nengo-loihi's synapse-memory format with
// dense compression: a 10-bit header (4-bit format index + 6-bit count) per group of up
// to 64 weights, i.e. ≤ 10/64 bit per weight, rounded up. Conv weights are counted per
// synapse (Loihi 1 stores them unshared; Loihi 2's convolutional compression would need
// less, so this is an upper bound there). Layers are allocated from the last to the first
// because output axons depend on the next layer's core count; cores are then numbered
// consecutively in layer order.
import { fail } from '../../errors.js';
import type { LoihiTarget } from '../../costmodel/target.js';
import type { LoihiLayerMapping, MappingOf } from '../../costmodel/types.js';

export interface AllocLayer {
  readonly name: string;
  readonly kind: 'dense' | 'conv';
  readonly neurons: number;
  /** Synapses per neuron. */
  readonly fanIn: number;
  /** Neurons of the layer (or input) feeding this one. */
  readonly sources: number;
}

export interface AllocateOptions {
  /** Chips available (default 1). */
  readonly maxChips?: number;
  /** Bits per synapse beyond the weight mantissa (default 1). */
  readonly synapseOverheadBits?: number;
}

export interface Allocation {
  readonly mapping: MappingOf<'loihi'>;
  readonly chips: number;
  readonly coresPerChip: number;
  readonly bitsPerSynapse: number;
}

interface Fit {
  readonly cores: number;
  readonly axonsIn: number;
  readonly axonsOut: number;
}

function axonsInPerCore(l: AllocLayer, n: number): number {
  return l.kind === 'dense' ? l.sources : Math.min(l.sources, n * l.fanIn);
}

function fitLayer(l: AllocLayer, nextCores: number, t: LoihiTarget, bits: number): Fit {
  const c = t.chip;
  const lim = { comp: c.compartmentsPerCore.value, syn: c.synapseBitsPerCore.value, ain: c.axonsInPerCore.value, aout: c.axonsOutPerCore.value };
  const fits = (n: number): boolean => n <= lim.comp && n * l.fanIn * bits <= lim.syn && axonsInPerCore(l, n) <= lim.ain && n * nextCores <= lim.aout;
  // Lower bound from the two limits that scale with n, then walk up (⌈N/k⌉ is not linear).
  // Never more cores than neurons: a huge (or infinite, from an absurd target value) bound
  // would otherwise make the per-core walk below run forever.
  let k = Math.min(l.neurons, Math.max(1, Math.ceil(l.neurons / lim.comp), Math.ceil((l.neurons * l.fanIn * bits) / lim.syn)));
  while (k < l.neurons && !fits(Math.ceil(l.neurons / k))) k++;
  const n = Math.ceil(l.neurons / k);
  if (!fits(n)) {
    const why: string[] = [];
    if (l.fanIn * bits > lim.syn) why.push(`one neuron needs ${l.fanIn} synapses × ${bits} bits = ${l.fanIn * bits} bits > ${lim.syn} synapse bits per core`);
    if (axonsInPerCore(l, 1) > lim.ain) why.push(`it reads ${axonsInPerCore(l, 1)} input axons > ${lim.ain} per core`);
    if (nextCores > lim.aout) why.push(`each neuron fans out to ${nextCores} cores > ${lim.aout} output axons per core`);
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: layer '${l.name}' (${l.neurons} neurons, fan-in ${l.fanIn}, ${l.sources} sources) cannot fit a ${t.name} core even one neuron per core: ${why.join('; ')}`,
      node: l.name,
      hint: 'reduce the fan-in (smaller dense layers, or a conv/pool before the dense layer) or use a target with larger cores',
    });
  }
  let axonsIn = 0;
  for (let i = 0, left = l.neurons; i < k; i++) {
    const m = Math.min(n, left);
    axonsIn += axonsInPerCore(l, m);
    left -= m;
  }
  return { cores: k, axonsIn, axonsOut: l.neurons * nextCores };
}

export function allocate(layers: readonly AllocLayer[], t: LoihiTarget, opts: AllocateOptions = {}): Allocation {
  const bits = t.chip.weightBits.value + (opts.synapseOverheadBits ?? 1);
  const fits: Fit[] = new Array<Fit>(layers.length);
  let nextCores = 0;
  for (let i = layers.length - 1; i >= 0; i--) {
    const f = fitLayer(layers[i] as AllocLayer, nextCores, t, bits);
    fits[i] = f;
    nextCores = f.cores;
  }
  let first = 0;
  const out: LoihiLayerMapping[] = layers.map((l, i) => {
    const f = fits[i] as Fit;
    const m: LoihiLayerMapping = {
      name: l.name,
      cores: f.cores,
      compartments: l.neurons,
      synapseBits: l.neurons * l.fanIn * bits,
      axonsIn: f.axonsIn,
      axonsOut: f.axonsOut,
      firstCore: first,
      fanoutCores: fits[i + 1]?.cores ?? 0,
    };
    first += f.cores;
    return m;
  });
  const totals = {
    cores: first,
    compartments: out.reduce((s, m) => s + m.compartments, 0),
    synapseBits: out.reduce((s, m) => s + m.synapseBits, 0),
  };
  const coresPerChip = t.chip.cores.value;
  const chips = Math.max(1, Math.ceil(totals.cores / coresPerChip));
  const maxChips = opts.maxChips ?? 1;
  if (chips > maxChips) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: the network needs ${totals.cores} cores = ${chips} ${t.name} chips of ${coresPerChip} cores, more than the ${maxChips} allowed (${out.map((m) => `${m.name}: ${m.cores}`).join(', ')})`,
      hint: 'allow more chips (maxChips) or shrink the largest layers',
    });
  }
  return { mapping: { kind: 'loihi', layers: out, totals }, chips, coresPerChip, bitsPerSynapse: bits };
}
