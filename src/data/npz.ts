// NumPy .npz archives (a ZIP of .npy files, stored or deflated) and the dataset files
// built on them: arrays `x` (float32/float64 samples, [N, ...sample shape]) and `y`
// (integer class labels, [N]).
import { fail } from '../errors.js';
import { DEFAULT_MAX_ELEMENTS, shapeSize } from '../ir/dtype.js';
import type { DType, Tensor } from '../ir/types.js';
import type { Dataset } from './dataset.js';
import { npyShape, readFile, readNpy, writeNpy } from './npy.js';
import { extractZip, listZip, peekZip, writeZip } from './zip.js';

export interface NpzReadOptions {
  readonly file?: string;
  readonly maxElements?: number;
  /** Decode only these arrays (names without `.npy`); all when absent. */
  readonly names?: readonly string[];
}

/** Array names in the archive (entry names without the `.npy` suffix), in archive order. */
export function listNpz(bytes: Uint8Array, file?: string): string[] {
  return listZip(bytes, file).map((e) => e.name.replace(/\.npy$/, ''));
}

export function readNpz(bytes: Uint8Array, opts: NpzReadOptions = {}): Map<string, Tensor> {
  const maxElements = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  // Largest .npy we accept: the element limit at 8 bytes each, plus a generous header.
  const maxBytes = maxElements * 8 + (1 << 20);
  const want = opts.names !== undefined ? new Set(opts.names) : undefined;
  const out = new Map<string, Tensor>();
  for (const entry of listZip(bytes, opts.file)) {
    const name = entry.name.replace(/\.npy$/, '');
    if (want !== undefined && !want.has(name)) continue;
    const raw = extractZip(bytes, entry, maxBytes, opts.file);
    const at = opts.file !== undefined ? `${opts.file}:${entry.name}` : entry.name;
    out.set(name, readNpy(raw, { file: at, maxElements }));
  }
  return out;
}

export function loadNpz(path: string, opts: Omit<NpzReadOptions, 'file'> = {}): Map<string, Tensor> {
  return readNpz(readFile(path), { ...opts, file: path });
}

/** A deterministic .npz (stored entries, fixed timestamps) holding `arrays` in the given order. */
export function writeNpz(arrays: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): Uint8Array {
  const list = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays as Record<string, Tensor>);
  return writeZip(list.map(([name, t]) => ({ name: `${name}.npy`, data: writeNpy(t) })));
}

const INT_DTYPES: ReadonlySet<DType> = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

export interface NpzDatasetOptions {
  /** Required shape of one sample (x without its leading N), e.g. [1, 28, 28]. */
  readonly expectShape?: readonly number[];
  readonly maxElements?: number;
}

/** A dataset from an .npz holding `x` ([N, ...], float32/float64) and `y` ([N], integer labels ≥ 0). */
export function loadNpzDataset(path: string, opts: NpzDatasetOptions = {}): Dataset {
  const bytes = readFile(path);
  const names = listNpz(bytes, path);
  const bad = (array: string, message: string, hint: string): never => {
    throw fail({ code: 'SNNC_E_DATASET', message: `array '${array}': ${message}`, file: path, hint });
  };
  for (const need of ['x', 'y']) {
    if (!names.includes(need)) {
      bad(need, `missing (the file holds: ${names.length > 0 ? names.join(', ') : 'nothing'})`, 'save the dataset with numpy.savez(path, x=images, y=labels)');
    }
  }
  const limit = opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {};
  // Labels first (small), then x's declared shape from its header alone: a file whose x does
  // not match y, or is over the element limit, is refused before x is inflated.
  const y = readNpz(bytes, { file: path, names: ['y'], ...limit }).get('y') ?? bad('y', 'missing', 'save it with numpy.savez(path, x=images, y=labels)');
  const xEntry = listZip(bytes, path).find((e) => e.name.replace(/\.npy$/, '') === 'x');
  const xShape = xEntry !== undefined ? npyShape(peekZip(bytes, xEntry, 4096) ?? new Uint8Array(0)) : undefined;
  if (xShape !== undefined) {
    if (xShape.length >= 1 && y.shape.length === 1 && xShape[0] !== y.shape[0])
      bad('y', `has ${y.shape[0] ?? 0} labels but x has ${xShape[0] ?? 0} samples`, 'x and y must have the same first dimension');
    shapeSize(xShape, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, { file: `${path}:x.npy` });
  }
  const x = readNpz(bytes, { file: path, names: ['x'], ...limit }).get('x') ?? bad('x', 'missing', 'save it with numpy.savez(path, x=images, y=labels)');

  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    bad('x', `dtype ${x.dtype}, expected float32 or float64`, 'convert with x.astype(numpy.float32), scaled as the model was trained (e.g. pixels in [0, 1])');
  }
  if (x.shape.length < 1) bad('x', 'is a scalar; expected [N, ...sample shape]', 'stack the samples along a first axis');
  const n = x.shape[0] ?? 0;
  if (n === 0) bad('x', 'holds no samples (N = 0)', 'the dataset must contain at least one sample');
  const sample = x.shape.slice(1);
  if (opts.expectShape !== undefined && (sample.length !== opts.expectShape.length || sample.some((d, i) => d !== opts.expectShape?.[i]))) {
    bad(
      'x',
      `samples have shape [${sample.join(', ')}], the model expects [${opts.expectShape.join(', ')}]`,
      `reshape x to [N, ${opts.expectShape.join(', ')}] (channels first, NCHW)`,
    );
  }

  if (!INT_DTYPES.has(y.dtype))
    bad('y', `dtype ${y.dtype}, expected an integer dtype`, 'store class indices, e.g. y.astype(numpy.int64), not one-hot or float labels');
  if (y.shape.length !== 1) bad('y', `has shape [${y.shape.join(', ')}], expected [N]`, 'store one class index per sample (argmax one-hot labels first)');
  if (y.shape[0] !== n) bad('y', `has ${y.shape[0] ?? 0} labels but x has ${n} samples`, 'x and y must have the same first dimension');

  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(y.data[i] ?? 0);
    if (v < 0) bad('y', `label ${v} at index ${i} is negative`, 'labels are class indices 0..K-1');
    if (v > 0x7fffffff) bad('y', `label ${v} at index ${i} is too large`, 'labels are class indices 0..K-1');
    labels[i] = v;
  }
  const size = shapeSize(x.shape, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, { file: path });
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data as Float64Array);
  if (data.length !== size) bad('x', 'data length does not match its shape', 're-save the file');
  // A NaN or infinite pixel turns every current it reaches into NaN, and accuracy on it into
  // noise: refuse it, naming where it is, rather than report numbers built on it.
  let nonFinite = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i] ?? 0)) {
      if (first < 0) first = i;
      nonFinite++;
    }
  }
  if (nonFinite > 0) {
    const per = size / n;
    bad(
      'x',
      `holds ${nonFinite} non-finite value${nonFinite === 1 ? '' : 's'} (NaN or ±Inf), the first in sample ${Math.floor(first / per)}`,
      'clean the data first, e.g. x = numpy.nan_to_num(x) or drop those samples',
    );
  }
  return { x: { dtype: 'float32', shape: [...x.shape], data }, y: labels, name: path };
}
