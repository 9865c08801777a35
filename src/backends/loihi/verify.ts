// Readback verifier for netx `.net` files: reopens the bytes with h5wasm and checks, field
// by field, what lava-dl's netx reader needs (FORMATS.md): contiguous `/layer/0..n-1`,
// only layer types netx builds, no HDF5 attributes, integer shapes, weights even integers
// in [−256, 254], biases 13-bit, neuron fields in range, and every layer's shape
// consistent with the one before it (conv: floor((in + 2p − d(k−1) − 1)/s + 1)).
// Any violation is an SnncError naming the HDF5 path. On success it returns the layers,
// so the bit-accurate simulator can run a file it did not write.
import { fail } from '../../errors.js';
import type { SnncError } from '../../errors.js';
import type { Dataset, Group } from 'h5wasm';
import { h5wasm, readH5 } from '../../frontend/hdf5.js';
import type { H5File } from '../../frontend/hdf5.js';
import { BIAS_MAX, BIAS_MIN, VTH_MAX, W_MAX, W_MIN } from './quantize.js';
import type { NetxLayer, NetxNeuron } from './types.js';

const LAYER_TYPES = ['input', 'dense', 'conv', 'flatten'] as const;
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;

interface Ctx {
  readonly file: string | undefined;
}

function bad(ctx: Ctx, path: string, message: string, hint = 'regenerate the file with snnc compile --target loihi2'): SnncError {
  return fail({ code: 'SNNC_E_BACKEND', message: `netx ${path}: ${message}`, file: ctx.file === undefined ? path : `${ctx.file}:${path}`, hint });
}

function entity(ctx: Ctx, f: H5File, path: string): Dataset | Group | null {
  let e: unknown;
  try {
    e = f.get(path);
  } catch {
    e = null;
  }
  if (e instanceof h5wasm.Dataset || e instanceof h5wasm.Group) return e;
  if (e !== null && e !== undefined) throw bad(ctx, path, 'is neither a group nor a dataset');
  return null;
}

function dataset(ctx: Ctx, f: H5File, path: string): Dataset {
  const e = entity(ctx, f, path);
  if (e === null) throw bad(ctx, path, 'is missing');
  if (!(e instanceof h5wasm.Dataset)) throw bad(ctx, path, 'is a group, expected a dataset');
  return e;
}

function group(ctx: Ctx, f: H5File, path: string): Group {
  const e = entity(ctx, f, path);
  if (e === null) throw bad(ctx, path, 'is missing');
  if (!(e instanceof h5wasm.Group)) throw bad(ctx, path, 'is a dataset, expected a group');
  return e;
}

function noAttributes(ctx: Ctx, f: H5File, path: string): void {
  const e = entity(ctx, f, path);
  if (e === null) return;
  const names = Object.keys(e.attrs);
  if (names.length > 0) throw bad(ctx, path, `has HDF5 attributes (${names.join(', ')}); netx reads datasets only`);
  if (e instanceof h5wasm.Group) for (const k of e.keys()) noAttributes(ctx, f, path === '/' ? `/${k}` : `${path}/${k}`);
}

function str(ctx: Ctx, f: H5File, path: string): string {
  const d = dataset(ctx, f, path);
  const m = d.metadata;
  if (m.type !== H5T_STRING) throw bad(ctx, path, 'is not a string dataset');
  if (m.vlen) throw bad(ctx, path, 'is a variable-length string; netx expects fixed-length ASCII bytes (S10)');
  const shape = d.shape ?? [];
  if (!(shape.length === 0 || (shape.length === 1 && shape[0] === 1))) throw bad(ctx, path, `has shape [${shape.join(', ')}], expected (1,)`);
  const v = d.value;
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') throw bad(ctx, path, 'has no string value');
  return s;
}

/** Numeric dataset as plain numbers, with its shape; `integer` requires an integer dtype. */
function nums(ctx: Ctx, f: H5File, path: string, integer: boolean): { shape: number[]; v: number[] } {
  const d = dataset(ctx, f, path);
  const m = d.metadata;
  if (m.type !== H5T_INTEGER && (integer || m.type !== H5T_FLOAT)) {
    throw bad(ctx, path, `has an HDF5 type class ${m.type}, expected ${integer ? 'an integer (int64)' : 'a number'} dataset`);
  }
  const raw = d.value;
  const flat: unknown[] = raw instanceof BigInt64Array || ArrayBuffer.isView(raw) ? Array.from(raw as ArrayLike<unknown>) : [raw];
  const v = flat.map((x) => Number(x));
  if (v.some((x) => !Number.isFinite(x))) throw bad(ctx, path, 'holds a non-finite value');
  return { shape: d.shape ?? [], v };
}

function scalarInt(ctx: Ctx, f: H5File, path: string, lo: number, hi: number): number {
  const { v } = nums(ctx, f, path, true);
  if (v.length !== 1) throw bad(ctx, path, `has ${v.length} values, expected a scalar`);
  const x = v[0] as number;
  if (x < lo || x > hi) throw bad(ctx, path, `is ${x}, outside ${lo}..${hi}`);
  return x;
}

function pairOf(ctx: Ctx, f: H5File, path: string, lo: number): [number, number] {
  const { v } = nums(ctx, f, path, true);
  if (v.length !== 1 && v.length !== 2) throw bad(ctx, path, `has ${v.length} values, expected (H, W) or a scalar`);
  const p: [number, number] = [v[0] as number, (v.length === 1 ? v[0] : v[1]) as number];
  if (p.some((x) => x < lo)) throw bad(ctx, path, `has a value below ${lo}`);
  return p;
}

function ints(ctx: Ctx, path: string, v: number[], lo: number, hi: number, even: boolean): Int32Array {
  for (const x of v) {
    if (!Number.isInteger(x)) throw bad(ctx, path, `holds ${x}, not an integer (netx truncates with astype(int))`);
    if (x < lo || x > hi) throw bad(ctx, path, `holds ${x}, outside [${lo}, ${hi}]`);
    if (even && x % 2 !== 0) throw bad(ctx, path, `holds ${x}; Loihi weights are 8-bit mantissas ×2, so they must be even`);
  }
  return Int32Array.from(v);
}

function neuronAt(ctx: Ctx, f: H5File, base: string): NetxNeuron {
  const type = str(ctx, f, `${base}/type`);
  if (type !== 'CUBA' && type !== 'LOIHI') throw bad(ctx, `${base}/type`, `is '${type}'; snnc emits and simulates CUBA neurons only`);
  const graded = entity(ctx, f, `${base}/gradedSpike`);
  return {
    iDecay: scalarInt(ctx, f, `${base}/iDecay`, 0, 4096),
    vDecay: scalarInt(ctx, f, `${base}/vDecay`, 0, 4096),
    vThMant: scalarInt(ctx, f, `${base}/vThMant`, 0, VTH_MAX),
    refDelay: entity(ctx, f, `${base}/refDelay`) === null ? 1 : scalarInt(ctx, f, `${base}/refDelay`, 0, 2 ** 31),
    gradedSpike: graded === null ? false : scalarInt(ctx, f, `${base}/gradedSpike`, 0, 1) === 1,
  };
}

function bias(ctx: Ctx, f: H5File, base: string, out: number): { bias?: Int32Array } {
  const path = `${base}/bias`;
  if (entity(ctx, f, path) === null) return {};
  const { v } = nums(ctx, f, path, false);
  if (v.length !== out) throw bad(ctx, path, `has ${v.length} values for ${out} neurons`);
  return { bias: ints(ctx, path, v, BIAS_MIN, BIAS_MAX, false) };
}

function convOut(inp: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((inp + 2 * p - d * (k - 1) - 1) / s + 1);
}

function readLayers(ctx: Ctx, f: H5File): NetxLayer[] {
  noAttributes(ctx, f, '/');
  for (const k of f.keys()) if (k !== 'layer' && k !== 'simulation') throw bad(ctx, `/${k}`, 'is not part of the netx layout (only /layer and /simulation)');
  const root = group(ctx, f, '/layer');
  const keys = root.keys();
  const n = keys.length;
  if (n === 0) throw bad(ctx, '/layer', 'has no layers');
  for (const k of keys) {
    if (!/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= n) throw bad(ctx, `/layer/${k}`, `is not one of the contiguous layer numbers 0..${n - 1}`);
  }
  const layers: NetxLayer[] = [];
  let prev: number[] = []; // output shape of the previous layer
  let flattened = false;
  for (let i = 0; i < n; i++) {
    const base = `/layer/${i}`;
    group(ctx, f, base);
    const type = str(ctx, f, `${base}/type`);
    if (!(LAYER_TYPES as readonly string[]).includes(type)) {
      throw bad(
        ctx,
        `${base}/type`,
        `is '${type}'; netx builds only ${LAYER_TYPES.join(', ')} (pool, average, concat raise NotImplementedError, unknown types are skipped)`,
      );
    }
    const shapeDs = nums(ctx, f, `${base}/shape`, true);
    const shape = shapeDs.v;
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1))
      throw bad(ctx, `${base}/shape`, `is [${shape.join(', ')}], expected positive sizes`);
    if (i === 0 && type !== 'input') throw bad(ctx, `${base}/type`, `is '${type}'; layer 0 must be the input layer (netx takes its shape from it)`);
    if (i > 0 && type === 'input') throw bad(ctx, `${base}/type`, 'is a second input layer');
    const size = prev.reduce((p, d) => p * d, 1);
    if (type === 'input') {
      if (shape.length !== 1 && shape.length !== 3) throw bad(ctx, `${base}/shape`, `is [${shape.join(', ')}], expected (C, H, W) or (F)`);
      layers.push({ type: 'input', shape });
      prev = shape;
    } else if (type === 'flatten') {
      if (prev.length !== 3) throw bad(ctx, `${base}/type`, `flattens a layer of shape [${prev.join(', ')}], expected (C, H, W)`);
      layers.push({ type: 'flatten', shape });
      flattened = true;
    } else if (type === 'dense') {
      const out = shape.reduce((p, d) => p * d, 1);
      if (shape.length !== 1 && !(shape.length === 3 && shape[1] === 1 && shape[2] === 1))
        throw bad(ctx, `${base}/shape`, `is [${shape.join(', ')}], expected (N) or (N, 1, 1)`);
      if (prev.length !== 1 && !flattened)
        throw bad(ctx, `${base}/type`, `dense layer reads a (C, H, W) map of shape [${prev.join(', ')}] without a flatten layer before it`);
      const w = nums(ctx, f, `${base}/weight`, false);
      const expect = [out, size];
      if (w.shape.length !== 2 || w.shape[0] !== out || w.shape[1] !== size)
        throw bad(ctx, `${base}/weight`, `has shape [${w.shape.join(', ')}], expected [${expect.join(', ')}] (out, in)`);
      const weight = ints(ctx, `${base}/weight`, w.v, W_MIN, W_MAX, true);
      const hasNeuron = entity(ctx, f, `${base}/neuron`) !== null;
      layers.push({
        type: 'dense',
        shape: [out],
        inFeatures: size,
        weight,
        ...bias(ctx, f, base, out),
        ...(hasNeuron ? { neuron: neuronAt(ctx, f, `${base}/neuron`) } : {}),
      });
      prev = [out];
      flattened = false;
    } else {
      if (flattened) throw bad(ctx, `${base}/type`, 'a conv layer follows a flatten layer');
      if (shape.length !== 3) throw bad(ctx, `${base}/shape`, `is [${shape.join(', ')}], expected (C, H, W)`);
      if (prev.length !== 3) throw bad(ctx, `${base}/type`, `conv layer reads a layer of shape [${prev.join(', ')}], expected (C, H, W)`);
      const [cOut, hOut, wOut] = shape as [number, number, number];
      const [cIn, hIn, wIn] = prev as [number, number, number];
      const groups = scalarInt(ctx, f, `${base}/groups`, 1, cIn);
      if (cIn % groups !== 0 || cOut % groups !== 0)
        throw bad(ctx, `${base}/groups`, `is ${groups}, which does not divide ${cIn} input and ${cOut} output channels`);
      const w = nums(ctx, f, `${base}/weight`, false);
      if (w.shape.length !== 4 || w.shape[0] !== cOut || w.shape[1] !== cIn / groups) {
        throw bad(ctx, `${base}/weight`, `has shape [${w.shape.join(', ')}], expected [${cOut}, ${cIn / groups}, kH, kW]`);
      }
      const kernel: [number, number] = [w.shape[2] as number, w.shape[3] as number];
      const stride = pairOf(ctx, f, `${base}/stride`, 1);
      const padding = pairOf(ctx, f, `${base}/padding`, 0);
      const dilation = pairOf(ctx, f, `${base}/dilation`, 1);
      const hExp = convOut(hIn, kernel[0], stride[0], padding[0], dilation[0]);
      const wExp = convOut(wIn, kernel[1], stride[1], padding[1], dilation[1]);
      if (hExp !== hOut || wExp !== wOut) {
        throw bad(
          ctx,
          `${base}/shape`,
          `is [${shape.join(', ')}], but a ${kernel.join('×')} kernel (stride ${stride.join(',')}, padding ${padding.join(',')}, dilation ${dilation.join(',')}) on [${prev.join(', ')}] gives [${cOut}, ${hExp}, ${wExp}]`,
        );
      }
      if (entity(ctx, f, `${base}/neuron`) === null) throw bad(ctx, `${base}/neuron`, 'is missing; netx conv layers require a neuron group');
      const weight = ints(ctx, `${base}/weight`, w.v, W_MIN, W_MAX, true);
      layers.push({
        type: 'conv',
        shape: [cOut, hOut, wOut],
        weight,
        kernel,
        inChannels: cIn,
        stride,
        padding,
        dilation,
        groups,
        ...bias(ctx, f, base, cOut),
        neuron: neuronAt(ctx, f, `${base}/neuron`),
      });
      prev = shape;
    }
  }
  const last = layers[layers.length - 1];
  if (last === undefined || last.type === 'input' || last.type === 'flatten')
    throw bad(ctx, `/layer/${n - 1}`, 'the network ends without a dense or conv layer');
  return layers;
}

/**
 * Check a netx file as netx would read it; returns its layers. Throws SNNC_E_BACKEND
 * naming the HDF5 path (and `file`, if given) on the first violation.
 */
export async function verifyNetx(bytes: Uint8Array, file?: string): Promise<NetxLayer[]> {
  const ctx: Ctx = { file };
  try {
    return await readH5(bytes, (f) => readLayers(ctx, f));
  } catch (e) {
    if (e instanceof Error && e.name === 'SnncError') throw e;
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `netx: not a readable HDF5 file (${e instanceof Error ? e.message : String(e)})`,
      ...(file !== undefined ? { file } : {}),
      hint: 'the file is truncated or not HDF5',
    });
  }
}
