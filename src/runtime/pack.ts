// The integer program as plain JSON for shipping inside a bundle: every Int32Array becomes
// base64 of the narrowest little-endian integer type that holds it. Pure and browser-safe
// (no Buffer, no atob/btoa), so packing in Node and unpacking in a browser or worker agree.
import { fail } from '../errors.js';
import { checkProgram } from '../sim/int/check.js';
import type { IntLayer, IntNeuron, IntProgram } from '../sim/int/program.js';
import { INT_PROGRAM_VERSION } from '../sim/int/program.js';

export const PACKED_FORMAT = 'snnc.runtime.program';

export interface PackedArray {
  readonly dtype: 'int8' | 'int16' | 'int32';
  readonly length: number;
  readonly base64: string;
}

type Packed<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]: PackedArray };
export type PackedNeuron = Packed<IntNeuron, 'threshold' | 'vInit'>;
export type PackedLayer = Omit<Packed<IntLayer, 'weights' | 'bias'>, 'gains' | 'neuron'> & {
  readonly gains?: PackedArray;
  readonly neuron: PackedNeuron | null;
};
export interface PackedProgram {
  readonly format: typeof PACKED_FORMAT;
  readonly program: Omit<IntProgram, 'layers'> & { readonly layers: readonly PackedLayer[] };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

function toBase64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63] as string;
    out += ALPHABET[(n >> 12) & 63] as string;
    out += i + 1 < b.length ? (ALPHABET[(n >> 6) & 63] as string) : '=';
    out += i + 2 < b.length ? (ALPHABET[n & 63] as string) : '=';
  }
  return out;
}

function fromBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw bad('a base64 array has a length that is not a multiple of 4');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      const v = c === 61 ? 0 : c < 128 ? (DECODE[c] as number) : -1;
      if (v < 0) throw bad('a base64 array holds a character outside the alphabet');
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function bad(message: string): Error {
  return fail({ code: 'SNNC_E_INT_PROGRAM', message: `packed program: ${message}`, hint: 'rebuild: the bundle was not produced by this version of snnc' });
}

function packArray(a: Int32Array): PackedArray {
  let lo = 0;
  let hi = 0;
  for (const v of a) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const dtype = lo >= -128 && hi <= 127 ? 'int8' : lo >= -32768 && hi <= 32767 ? 'int16' : 'int32';
  const typed = dtype === 'int8' ? Int8Array.from(a) : dtype === 'int16' ? Int16Array.from(a) : a;
  // Typed arrays use the platform's byte order; write little-endian explicitly.
  const bytes = new Uint8Array(typed.length * typed.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  typed.forEach((v, i) => {
    if (dtype === 'int8') view.setInt8(i, v);
    else if (dtype === 'int16') view.setInt16(2 * i, v, true);
    else view.setInt32(4 * i, v, true);
  });
  return { dtype, length: a.length, base64: toBase64(bytes) };
}

function unpackArray(p: PackedArray): Int32Array {
  const bytes = fromBase64(p.base64);
  const size = p.dtype === 'int8' ? 1 : p.dtype === 'int16' ? 2 : p.dtype === 'int32' ? 4 : 0;
  if (size === 0 || bytes.length !== p.length * size) throw bad(`an array of ${p.length} ${String(p.dtype)} values holds ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer);
  const out = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = size === 1 ? view.getInt8(i) : size === 2 ? view.getInt16(2 * i, true) : view.getInt32(4 * i, true);
  return out;
}

export function packProgram(p: IntProgram): PackedProgram {
  const layers: PackedLayer[] = p.layers.map(({ weights, bias, gains, neuron, ...l }) => ({
    ...l,
    weights: packArray(weights),
    bias: packArray(bias),
    ...(gains !== undefined ? { gains: packArray(gains) } : {}),
    neuron: neuron === null ? null : { ...neuron, threshold: packArray(neuron.threshold), vInit: packArray(neuron.vInit) },
  }));
  return { format: PACKED_FORMAT, program: { ...p, layers } };
}

/** The program back from its packed form, checked against the IntProgram contract. */
export function unpackProgram(packed: PackedProgram): IntProgram {
  if (
    typeof packed !== 'object' ||
    packed === null ||
    packed.format !== PACKED_FORMAT ||
    !(packed.program?.version >= 1 && packed.program.version <= INT_PROGRAM_VERSION)
  ) {
    throw bad(`not a packed integer program of version 1–${INT_PROGRAM_VERSION}`);
  }
  const layers: IntLayer[] = packed.program.layers.map(({ weights, bias, gains, neuron, ...l }) => ({
    ...l,
    weights: unpackArray(weights),
    bias: unpackArray(bias),
    ...(gains !== undefined ? { gains: unpackArray(gains) } : {}),
    neuron: neuron === null ? null : { ...neuron, threshold: unpackArray(neuron.threshold), vInit: unpackArray(neuron.vInit) },
  }));
  const program: IntProgram = { ...packed.program, layers };
  checkProgram(program);
  return program;
}
