// NumPy .npy reader and writer (format versions 1.0, 2.0, 3.0).
//
// Layout: magic "\x93NUMPY", major, minor, header length (u16 in 1.0, u32 in 2.0/3.0),
// then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw little-endian data in C order.
// Only C order and little-endian (or byte-order-free) dtypes are read: a Fortran-order or
// big-endian array is an SNNC_E_NPY error rather than a silent transpose or byte swap.
import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { allocData, byteSize, DEFAULT_MAX_ELEMENTS, floatToHalf, halfToFloat, shapeSize } from '../ir/dtype.js';
import type { DType, Tensor } from '../ir/types.js';

export interface NpyReadOptions {
  /** Shown in errors. */
  readonly file?: string;
  readonly maxElements?: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy type character + size → our dtype. */
const DESCR: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

const DESCR_OF: Readonly<Record<DType, string>> = {
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
};

export function loadNpy(path: string, opts: { readonly maxElements?: number } = {}): Tensor {
  return readNpy(readFile(path), { file: path, ...opts });
}

export function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `cannot read file (${e instanceof Error ? e.message : String(e)})`, file: path });
  }
}

/**
 * The shape a .npy declares, read from its first bytes only (undefined when they do not hold
 * the whole header): lets a reader check sizes before it inflates or allocates the data.
 */
export function npyShape(head: Uint8Array): number[] | undefined {
  try {
    return npyHeader(head, (m) => {
      throw new Error(m);
    }).shape;
  } catch {
    return undefined;
  }
}

function npyHeader(bytes: Uint8Array, bad: (message: string, hint?: string) => never): { descr: string; fortran: boolean; shape: number[]; dataStart: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) bad('not a .npy file (missing the \\x93NUMPY magic)');
  const major = bytes[6] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) bad('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return bad(`unsupported .npy format version ${major}.${bytes[7] ?? 0}`, 'versions 1.0, 2.0 and 3.0 are read');
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) bad(`truncated .npy header (needs ${headerLen} bytes)`);
  // 1.0/2.0 headers are latin1, 3.0 is utf8; the fields we read are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  return { ...parseHeader(header, bad), dataStart };
}

export function readNpy(bytes: Uint8Array, opts: NpyReadOptions = {}): Tensor {
  const where = opts.file !== undefined ? { file: opts.file } : {};
  const bad = (message: string, hint?: string): never => {
    throw fail({ code: 'SNNC_E_NPY', message, ...where, ...(hint !== undefined ? { hint } : {}) });
  };
  const { descr, fortran, shape, dataStart } = npyHeader(bytes, bad);

  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = m !== null ? DESCR[`${m[2]}${m[3]}`] : undefined;
  if (m === null || dtype === undefined) {
    return bad(`unsupported .npy dtype '${descr}'`, 'supported: <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1');
  }
  if (m[1] === '>' && byteSize(dtype) > 1) bad(`big-endian dtype '${descr}' is not supported`, "save with arr.astype(arr.dtype.newbyteorder('<'))");
  if (fortran) bad('Fortran-order arrays are not supported', 'save np.ascontiguousarray(arr) instead');

  const n = shapeSize(shape, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, where);
  const nbytes = n * byteSize(dtype);
  if (dataStart + nbytes > bytes.length) {
    bad(`truncated .npy data: shape [${shape.join(', ')}] of ${descr} needs ${nbytes} bytes, file has ${bytes.length - dataStart}`);
  }
  return { dtype, shape, data: decodeData(bytes.subarray(dataStart, dataStart + nbytes), dtype, n) };
}

function parseHeader(header: string, bad: (m: string, h?: string) => never): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortranText = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) bad(`.npy header has no 'descr' string (structured dtypes are not supported): ${header.trim()}`);
  if (fortranText === undefined) bad(`.npy header has no 'fortran_order': ${header.trim()}`);
  if (shapeText === undefined) bad(`.npy header has no 'shape' tuple: ${header.trim()}`);
  const parts = (shapeText ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = parts.map((s) => {
    if (!/^\d+L?$/.test(s)) bad(`.npy shape entry '${s}' is not a non-negative integer`);
    return Number(s.replace('L', ''));
  });
  return { descr: descr ?? '', fortran: fortranText === 'True', shape };
}

/** Copy little-endian bytes into fresh (aligned) typed storage. */
function decodeData(raw: Uint8Array, dtype: DType, n: number): Tensor['data'] {
  // new Uint8Array(view) copies (Buffer#slice would not), giving an aligned, private buffer.
  const copy = new Uint8Array(raw).buffer;
  switch (dtype) {
    case 'float16': {
      const h = new Uint16Array(copy, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i] ?? 0);
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(copy, 0, n);
      for (let i = 0; i < n; i++) out[i] = out[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'float32':
      return new Float32Array(copy, 0, n);
    case 'float64':
      return new Float64Array(copy, 0, n);
    case 'int8':
      return new Int8Array(copy, 0, n);
    case 'int16':
      return new Int16Array(copy, 0, n);
    case 'int32':
      return new Int32Array(copy, 0, n);
    case 'int64':
      return new BigInt64Array(copy, 0, n);
    case 'uint8':
      return new Uint8Array(copy, 0, n);
    case 'uint16':
      return new Uint16Array(copy, 0, n);
    case 'uint32':
      return new Uint32Array(copy, 0, n);
    case 'uint64':
      return new BigUint64Array(copy, 0, n);
  }
}

/**
 * An .npy file of `dtype`/`shape` with its data still to be filled: `bytes` is the whole
 * file, `dataOffset` where the C-order data starts (a 64-byte boundary, as numpy writes). A
 * large array is then written once, in place, instead of built and copied in.
 */
export function npyFile(dtype: DType, shape: readonly number[], dataBytes: number): { readonly bytes: Uint8Array; readonly dataOffset: number } {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Version 1.0 unless the header needs 2.0.
  let major = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 0xffff) {
    major = 2;
    prefix = 12;
  }
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const out = new Uint8Array(total + dataBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  return { bytes: out, dataOffset: total };
}

/** Serialize a tensor as .npy (version 1.0 unless the header needs 2.0), C order, little-endian. */
export function writeNpy(t: Tensor): Uint8Array {
  const n = shapeSize(t.shape);
  if (t.data.length !== n) {
    throw fail({ code: 'SNNC_E_TENSOR_DATA', message: `tensor data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${n}` });
  }
  const body = encodeData(t);
  const f = npyFile(t.dtype, t.shape, body.length);
  f.bytes.set(body, f.dataOffset);
  return f.bytes;
}

function encodeData(t: Tensor): Uint8Array {
  if (t.dtype === 'float16') {
    const h = new Uint16Array(t.data.length);
    for (let i = 0; i < h.length; i++) h[i] = floatToHalf(Number(t.data[i] ?? 0));
    return new Uint8Array(h.buffer);
  }
  // A typed array of the wrong kind would be written with the wrong element size.
  if (allocData(t.dtype, 0).constructor !== t.data.constructor) {
    throw fail({ code: 'SNNC_E_TENSOR_DATA', message: `tensor of dtype ${t.dtype} holds a ${t.data.constructor.name}` });
  }
  // A view: writeNpy copies it into the file once (a copy here doubled a CIFAR layer's transient bytes).
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
