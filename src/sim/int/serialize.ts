// An IntProgram inside a graph (and so inside a *.snn.onnx file): the integer arrays become
// integer initializers named `snnc.int/<layer>/<part>` (int8 or int16 weights, int32 for the
// rest), and everything else is JSON in the metadata key `snnc.int.program`, where each
// array is replaced by the name of its initializer. Reading reverses it exactly.
import { fail } from '../../errors.js';
import type { DType, Graph, Tensor } from '../../ir/types.js';
import { checkProgram } from './check.js';
import type { IntLayer, IntNeuron, IntProgram } from './program.js';
import { INT_PROGRAM_VERSION } from './program.js';

const PROGRAM_META_KEY = 'snnc.int.program';
const TENSOR_PREFIX = 'snnc.int/';

function tensorOf(a: Int32Array, bits: number): Tensor {
  const dtype: DType = bits <= 8 ? 'int8' : bits <= 16 ? 'int16' : 'int32';
  const data = dtype === 'int8' ? Int8Array.from(a) : dtype === 'int16' ? Int16Array.from(a) : Int32Array.from(a);
  return { dtype, shape: [a.length], data };
}

export interface ProgramParts {
  readonly meta: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, Tensor>;
}

export function programToParts(p: IntProgram): ProgramParts {
  const tensors = new Map<string, Tensor>();
  const put = (layer: string, part: string, a: Int32Array, bits: number): string => {
    const name = `${TENSOR_PREFIX}${layer}/${part}`;
    tensors.set(name, tensorOf(a, bits));
    return name;
  };
  const layers = p.layers.map((l) => ({
    ...l,
    weights: put(l.name, 'weights', l.weights, l.weightBits),
    bias: put(l.name, 'bias', l.bias, 32),
    ...(l.gains !== undefined ? { gains: put(l.name, 'gains', l.gains, 32) } : {}),
    neuron:
      l.neuron === null ? null : { ...l.neuron, threshold: put(l.name, 'threshold', l.neuron.threshold, 32), vInit: put(l.name, 'v_init', l.neuron.vInit, 32) },
  }));
  return { meta: { [PROGRAM_META_KEY]: JSON.stringify({ ...p, layers }) }, tensors };
}

function bad(message: string): Error {
  return fail({ code: 'SNNC_E_INT_PROGRAM', message, hint: 'rewrite the file with snnc quantize' });
}

/** The program embedded in a graph, or undefined when the graph holds none. */
export function programFromGraph(g: Graph): IntProgram | undefined {
  const raw = g.meta[PROGRAM_META_KEY];
  if (raw === undefined) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(raw);
  } catch {
    throw bad(`metadata '${PROGRAM_META_KEY}' is not valid JSON`);
  }
  type Stored = Omit<IntLayer, 'weights' | 'bias' | 'gains' | 'neuron'> & {
    weights: string;
    bias: string;
    gains?: string;
    neuron: (Omit<IntNeuron, 'threshold' | 'vInit'> & { threshold: string; vInit: string }) | null;
  };
  const p = j as Omit<IntProgram, 'layers'> & { layers: Stored[] };
  if (typeof p !== 'object' || p === null || !(Number.isInteger(p.version) && p.version >= 1 && p.version <= INT_PROGRAM_VERSION) || !Array.isArray(p.layers))
    throw bad(`metadata '${PROGRAM_META_KEY}' is not an integer program of version 1–${INT_PROGRAM_VERSION}`);
  const arr = (name: string): Int32Array => {
    const t = g.initializers.get(name);
    if (t === undefined || t.dtype.startsWith('float') || t.dtype.endsWith('64') || t.dtype === 'bool')
      throw bad(`integer tensor '${name}' is missing or not an int8/int16/int32 tensor`);
    return Int32Array.from(t.data as Int32Array);
  };
  const layers: IntLayer[] = p.layers.map(({ gains, neuron, ...l }) => ({
    ...l,
    weights: arr(l.weights),
    bias: arr(l.bias),
    ...(gains !== undefined ? { gains: arr(gains) } : {}),
    neuron: neuron === null ? null : { ...neuron, threshold: arr(neuron.threshold), vInit: arr(neuron.vInit) },
  }));
  const out: IntProgram = { ...p, layers };
  checkProgram(out);
  return out;
}
