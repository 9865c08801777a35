// The code plan: every C++ name, type and array size the emitted files use, decided once
// from the IntProgram so the writers (layers.ts, cpp.ts, testbench.ts) only render. Layer
// identifiers are `l<k>_<sanitized name>`: the index prefix makes every derived name
// (`_w`, `_v`, `_step`, …) unique and keeps model names away from keywords and our own names.
import { fail } from '../../errors.js';
import type { IntLayer, IntProgram } from '../../sim/int/program.js';
import { elements, unsignedBitsFor } from '../../sim/int/program.js';
import { makeNamer } from './ident.js';

/** A value passed from one layer to the next within a step. */
export interface Signal {
  /** C++ array name. */
  readonly arr: string;
  /** C++ element type. */
  readonly type: string;
  readonly size: number;
  /** Only 0/1 (spikes): a synapse is an add, not a multiply. */
  readonly binary: boolean;
  /** Largest |value| (for counter widths). */
  readonly maxAbs: number;
}

export interface LayerPlan {
  readonly k: number;
  readonly layer: IntLayer;
  /** `l<k>_<ident>`. */
  readonly id: string;
  /** Sanitized model name (the only form of it that appears in comments). */
  readonly ident: string;
  readonly ins: readonly Signal[];
  readonly out: Signal;
  /** Accumulator type. */
  readonly accT: string;
  /** Reuse factor actually used (raised to keep the unrolled work ≤ UNROLL_LIMIT). */
  readonly reuse: number;
  /** Parallel operations of one pipelined iteration (before dividing by the reuse factor). */
  readonly work: number;
  /** Pipelined iterations per step (1 for dense/add, output positions for windows). */
  readonly iterations: number;
}

export interface Plan {
  readonly program: IntProgram;
  /** Sanitized network name: file stem and prefix of the top function. */
  readonly net: string;
  readonly T: number;
  readonly input: Signal;
  /** Interface input type and element count. */
  readonly inT: string;
  readonly inSize: number;
  readonly poisson: boolean;
  readonly layers: readonly LayerPlan[];
  readonly readout: LayerPlan;
  readonly classes: number;
  readonly sumBits: number;
  readonly interface: 'array' | 'axis';
}

/** hls4ml's limit on unrolled operations per pipelined loop body. */
const UNROLL_LIMIT = 4096;

function bad(node: string, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_BACKEND', message, node, hint });
}

/** Operations in one pipelined iteration of the layer, and how many iterations a step has. */
function layerWork(l: IntLayer): { work: number; iterations: number } {
  const O = l.outShape[0] ?? 1;
  switch (l.kind) {
    case 'dense':
      return { work: l.weights.length, iterations: 1 };
    case 'add':
      return { work: elements(l.outShape) * l.inputs.length, iterations: 1 };
    case 'conv': {
      const g = l.geometry;
      const kk = g === undefined ? 1 : g.kernel[0] * g.kernel[1];
      return { work: O * ((l.inShape[0] ?? 1) / (g?.group ?? 1)) * kk, iterations: elements(l.outShape.slice(1)) };
    }
    case 'sum-pool':
    case 'max-pool': {
      const g = l.geometry;
      const kk = g === undefined ? 1 : g.kernel[0] * g.kernel[1];
      return { work: O * kk, iterations: elements(l.outShape.slice(1)) };
    }
  }
}

function effectiveReuse(l: IntLayer, reuse: number): number {
  return Math.max(reuse, Math.ceil(layerWork(l).work / UNROLL_LIMIT));
}

export function makePlan(p: IntProgram, T: number, reuse: number, iface: 'array' | 'axis'): Plan {
  const net = makeNamer(['snnc_types', 'script', 'README'])(p.name);
  const ident = makeNamer();
  const poisson = p.input.coding === 'poisson';
  const inBits = p.input.bits;
  const inT = `${net}_in_t`;
  const inSize = elements(p.input.shape);
  const input: Signal = poisson
    ? { arr: 'x_spk', type: 'snnc_uint<1>', size: inSize, binary: true, maxAbs: 1 }
    : { arr: 'x', type: inT, size: inSize, binary: false, maxAbs: 2 ** inBits - 1 };
  const sigs = new Map<string, Signal>([[p.input.name, input]]);
  const layers: LayerPlan[] = [];
  p.layers.forEach((l, k) => {
    const name = ident(l.name);
    const id = `l${k}_${name}`;
    const ins = l.inputs.map((n) => {
      const s = sigs.get(n);
      if (s === undefined) throw bad(l.name, `layer '${l.name}' reads '${n}', which is not an earlier layer`, 'check the program with checkProgram');
      return s;
    });
    const accT = `${id}_acc_t`;
    const size = elements(l.outShape);
    const first = ins[0] as Signal;
    const out: Signal =
      l.neuron !== null
        ? { arr: `${id}_s`, type: 'snnc_uint<1>', size, binary: true, maxAbs: 1 }
        : l.kind === 'max-pool'
          ? { arr: `${id}_o`, type: first.type, size, binary: first.binary, maxAbs: first.maxAbs }
          : { arr: `${id}_o`, type: accT, size, binary: false, maxAbs: 2 ** (l.accBits - 1) };
    sigs.set(l.name, out);
    const { work, iterations } = layerWork(l);
    layers.push({ k, layer: l, id, ident: name, ins, out, accT, reuse: effectiveReuse(l, reuse), work, iterations });
  });
  const readout = layers.find((lp) => lp.layer.name === p.output);
  if (readout === undefined || readout.layer.neuron !== null)
    throw bad(p.output, `the readout layer '${p.output}' is missing or has a neuron`, 'check the program with checkProgram');
  const classes = readout.out.size;
  const sumBits = Math.min(64, readout.layer.accBits + unsignedBitsFor(T) + 1);
  return { program: p, net, T, input, inT, inSize, poisson, layers, readout, classes, sumBits, interface: iface };
}
