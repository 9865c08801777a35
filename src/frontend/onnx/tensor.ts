// TensorProto <-> Tensor. Every shape is validated with shapeSize (element limit) before
// anything is allocated, and every data field is length-checked against the dims.
import { closeSync, fstatSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fail, isSnncError } from '../../errors.js';
import { byteSize, DEFAULT_MAX_ELEMENTS, floatToHalf, halfToFloat, shapeSize } from '../../ir/dtype.js';
import type { DType, Tensor, TensorData } from '../../ir/types.js';
import type { Int64Like, TensorProto } from './proto.js';
import { decodeTensorProto, onnx, toBigInt, toNumber } from './proto.js';

/** ONNX TensorProto.DataType codes of the dtypes snnc implements. */
const ONNX_CODE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

/** Names of all ONNX data types, for messages about the ones we reject. */
const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
  24: 'FLOAT8E8M0',
};

const DTYPE_OF_CODE = new Map<number, DType>(Object.entries(ONNX_CODE).map(([d, c]) => [c, d as DType]));

export interface Where {
  readonly node?: string;
  readonly file?: string;
}

function at(w: Where): Where {
  return { ...(w.node !== undefined ? { node: w.node } : {}), ...(w.file !== undefined ? { file: w.file } : {}) };
}

export function onnxTypeName(code: number): string {
  return ONNX_TYPE_NAMES[code] ?? `data type ${code}`;
}

export function dtypeToOnnx(d: DType): number {
  return ONNX_CODE[d];
}

/** Map an ONNX data type code to our DType; anything else is SNNC_E_UNSUPPORTED_DTYPE. */
export function dtypeFromOnnx(code: number, what: string, where: Where = {}): DType {
  const d = DTYPE_OF_CODE.get(code);
  if (d === undefined) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_DTYPE',
      message: `${what} has type ${onnxTypeName(code)}, which snnc does not implement`,
      ...at(where),
      hint: `supported types: ${Object.keys(ONNX_CODE).sort().join(', ')}`,
    });
  }
  return d;
}

export interface DecodeOptions {
  /** Folder that external data locations are relative to (the model's folder). */
  readonly baseDir?: string;
  readonly maxElements?: number;
  readonly file?: string;
  readonly node?: string;
  /** Called with the path of every external data file read. */
  readonly onRead?: (path: string) => void;
}

/** Decode a TensorProto (typed fields, raw_data or external data) into a Tensor. */
export function tensorFromProto(tp: TensorProto, opts: DecodeOptions = {}): Tensor {
  const name = tp.name ?? '';
  const what = name !== '' ? `tensor '${name}'` : 'tensor';
  const where: Where = at({ ...(opts.node !== undefined ? { node: opts.node } : {}), ...(opts.file !== undefined ? { file: opts.file } : {}) });
  const dtype = dtypeFromOnnx(tp.dataType ?? 0, what, where);
  if (tp.segment !== null && tp.segment !== undefined) {
    throw fail({ code: 'SNNC_E_TENSOR_DATA', message: `${what} is a segment of a larger tensor, which snnc does not read`, ...where });
  }
  const dims = (tp.dims ?? []).map((d) => toNumber(d));
  // Validate before any allocation: negative dims and element-limit overflow fail here.
  const n = shapeSize(dims, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, where);
  const mismatch = (have: number, unit: string): never => {
    throw fail({
      code: 'SNNC_E_TENSOR_DATA',
      message: `${what} (${dtype} [${dims.join(', ')}]) needs ${n} elements but its data holds ${have} ${unit}`,
      ...where,
      hint: 'the file is corrupt or was written by a buggy exporter',
    });
  };

  // onnx's checker requires exactly one home for the values; with two, which one an engine
  // reads is a guess, so the file is refused rather than read one way here and another there.
  const typedCount = typedFieldCount(tp);
  const hasRaw = tp.rawData !== null && tp.rawData !== undefined && tp.rawData.length > 0;
  if (typedCount > 1 || (typedCount === 1 && (hasRaw || tp.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL))) {
    throw fail({
      code: 'SNNC_E_TENSOR_DATA',
      message: `${what} stores its values in more than one field (raw_data, external data or several typed fields)`,
      ...where,
      hint: 'the file is corrupt or was written by a buggy exporter; onnx.checker refuses it too',
    });
  }

  let raw: Uint8Array | undefined;
  if (tp.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    raw = readExternal(tp, n * byteSize(dtype), what, opts, where);
  } else if (tp.rawData !== null && tp.rawData !== undefined && tp.rawData.length > 0) {
    raw = tp.rawData;
  }
  if (raw !== undefined) {
    if (raw.length !== n * byteSize(dtype)) mismatch(raw.length, `bytes (expected ${n * byteSize(dtype)})`);
    return { dtype, shape: dims, data: fromRaw(dtype, raw, n) };
  }
  const typed = typedField(tp, dtype);
  if (typed.length !== n) mismatch(typed.length, 'values');
  return { dtype, shape: dims, data: fromTyped(dtype, typed, n) };
}

/** How many of the typed value fields hold data. */
function typedFieldCount(tp: TensorProto): number {
  const fields = [tp.floatData, tp.doubleData, tp.int32Data, tp.int64Data, tp.uint64Data, tp.stringData];
  return fields.filter((f) => f !== null && f !== undefined && f.length > 0).length;
}

/** The typed repeated field ONNX stores this dtype in. */
function typedField(tp: TensorProto, d: DType): readonly number[] | readonly Int64Like[] {
  switch (d) {
    case 'float32':
      return tp.floatData ?? [];
    case 'float64':
      return tp.doubleData ?? [];
    case 'int64':
      return tp.int64Data ?? [];
    case 'uint32':
    case 'uint64':
      return tp.uint64Data ?? [];
    // int32_data carries all narrow types (and float16 as its bit pattern).
    default:
      return tp.int32Data ?? [];
  }
}

function fromTyped(d: DType, v: readonly number[] | readonly Int64Like[], n: number): TensorData {
  const num = (i: number): number => toNumber(v[i]);
  switch (d) {
    case 'float32':
      return Float32Array.from({ length: n }, (_, i) => num(i));
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => num(i));
    case 'float16':
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(num(i) & 0xffff));
    case 'int8':
      return Int8Array.from({ length: n }, (_, i) => num(i));
    case 'int16':
      return Int16Array.from({ length: n }, (_, i) => num(i));
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => num(i));
    case 'uint8':
      return Uint8Array.from({ length: n }, (_, i) => num(i));
    case 'uint16':
      return Uint16Array.from({ length: n }, (_, i) => num(i));
    case 'uint32':
      return Uint32Array.from({ length: n }, (_, i) => num(i));
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => (num(i) !== 0 ? 1 : 0));
    case 'int64':
      return BigInt64Array.from({ length: n }, (_, i) => toBigInt(v[i]));
    case 'uint64':
      return BigUint64Array.from({ length: n }, (_, i) => toBigInt(v[i], true));
  }
}

// ONNX raw_data is little-endian; so is every platform Node supports in practice.
// The bytes are copied so the typed array is aligned and owns its memory.
function fromRaw(d: DType, raw: Uint8Array, n: number): TensorData {
  const buf = new ArrayBuffer(raw.length);
  new Uint8Array(buf).set(raw);
  switch (d) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'float16': {
      const h = new Uint16Array(buf);
      return Float32Array.from({ length: n }, (_, i) => halfToFloat(h[i] ?? 0));
    }
    case 'int8':
      return new Int8Array(buf);
    case 'int16':
      return new Int16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'uint8':
      return new Uint8Array(buf);
    case 'uint16':
      return new Uint16Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'uint64':
      return new BigUint64Array(buf);
    case 'bool':
      return Uint8Array.from(new Uint8Array(buf), (b) => (b !== 0 ? 1 : 0));
  }
}

/** Tensor data as little-endian bytes in ONNX/numpy layout. */
function tensorBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'float16') {
    const h = Uint16Array.from(t.data as Float32Array, (x) => floatToHalf(x));
    return new Uint8Array(h.buffer);
  }
  if (t.dtype === 'bool') return Uint8Array.from(t.data as Uint8Array, (b) => (b !== 0 ? 1 : 0));
  const d = t.data;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/** A TensorProto in raw_data form (what the ONNX writer and `snnc run` emit). */
export function tensorToProto(t: Tensor, name: string): TensorProto {
  return onnx.TensorProto.create({
    name,
    dims: [...t.shape],
    dataType: dtypeToOnnx(t.dtype),
    rawData: tensorBytes(t),
  });
}

export function encodeTensor(t: Tensor, name: string): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(t, name)).finish();
}

/** Read a serialized TensorProto file (.pb). External data is resolved beside the file. */
export function readTensorFile(path: string, opts: { readonly maxElements?: number } = {}): { name: string; tensor: Tensor } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `cannot read tensor file (${e instanceof Error ? e.message : String(e)})`, file: path });
  }
  const tp = decodeTensorProto(bytes, path);
  const tensor = tensorFromProto(tp, {
    file: path,
    baseDir: dirname(path),
    ...(opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {}),
  });
  return { name: tp.name ?? '', tensor };
}

// --- external data -----------------------------------------------------------

function readExternal(tp: TensorProto, want: number, what: string, opts: DecodeOptions, where: Where): Uint8Array {
  const bad = (message: string, hint?: string): never => {
    throw fail({ code: 'SNNC_E_EXTERNAL_DATA', message: `${what}: ${message}`, ...where, ...(hint !== undefined ? { hint } : {}) });
  };
  const entries = new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '') return bad('external data has no location');
  if (opts.baseDir === undefined) {
    return bad(`external data '${location}' cannot be resolved: the model was not loaded from a folder`, 'load the model from its file path');
  }
  const parseInt64 = (key: string): number => {
    const s = entries.get(key);
    if (s === undefined || s === '') return -1;
    const v = Number(s);
    if (!Number.isSafeInteger(v) || v < 0) return bad(`external data ${key} '${s}' is not a non-negative integer`);
    return v;
  };
  const offset = Math.max(0, parseInt64('offset'));
  const length = parseInt64('length');
  // Reject any path that could leave the model folder before touching the file system.
  if (isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location.startsWith('\\')) {
    return bad(`external data location '${location}' is an absolute path`, 'external data must live in the model folder');
  }
  if (location.split(/[\\/]/).includes('..')) {
    return bad(`external data location '${location}' leaves the model folder`, 'external data must live in the model folder');
  }
  let base: string;
  let real: string;
  try {
    base = realpathSync(opts.baseDir);
    real = realpathSync(join(opts.baseDir, location));
  } catch {
    return bad(`external data file '${location}' not found beside the model`);
  }
  const rel = relative(base, real);
  if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) {
    return bad(`external data location '${location}' resolves outside the model folder (symlink?)`, 'external data must live in the model folder');
  }
  if (length >= 0 && length !== want) return bad(`external data length ${length} does not match ${want} bytes of the declared dims`);
  let fd: number | undefined;
  try {
    fd = openSync(real, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) return bad(`external data '${location}' is not a regular file`);
    if (offset + want > st.size) return bad(`external data '${location}' holds ${st.size} bytes, need ${want} at offset ${offset}`);
    const out = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const r = readSync(fd, out, got, want - got, offset + got);
      if (r <= 0) break;
      got += r;
    }
    if (got !== want) return bad(`external data '${location}' ended early`);
    opts.onRead?.(join(opts.baseDir, location));
    return out;
  } catch (e) {
    if (isSnncError(e)) throw e;
    return bad(`cannot read external data '${location}' (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
