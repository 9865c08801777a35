// Weight shards of the TF.js layers format: `weightsManifest` is a list of groups, each
// naming shard files (relative to model.json) whose concatenated bytes hold the group's
// weights back to back. float32/int32 are stored raw; the converter's quantized weights
// (uint8/uint16 affine: value = q·scale + min, or float16) are dequantized to float32.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fail } from '../../errors.js';
import { halfToFloat, shapeSize } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/types.js';
import type { Json } from './model-json.js';
import { isObject } from './model-json.js';

/** Float32 (or int32) weights by manifest name, in Keras layouts. */
export function readWeights(manifest: Json | undefined, modelJson: string, maxElements: number, onRead?: (path: string) => void): Map<string, Tensor> {
  const file = modelJson;
  const invalid = (message: string): never => {
    throw fail({ code: 'SNNC_E_TFJS_INVALID', message, file, hint: 'the weightsManifest must list groups of {paths, weights}' });
  };
  if (!Array.isArray(manifest)) invalid('weightsManifest is missing or not a list');
  const out = new Map<string, Tensor>();
  const dir = dirname(modelJson);
  for (const [gi, group] of (manifest as Json[]).entries()) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights']))
      return invalid(`weightsManifest group ${gi} lacks paths or weights`);
    const bytes = concat(group['paths'].map((p) => readShard(p, dir, file, onRead)));
    let at = 0;
    for (const w of group['weights']) {
      if (!isObject(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape']) || typeof w['dtype'] !== 'string')
        return invalid(`a weight of group ${gi} lacks name, shape or dtype`);
      const name = w['name'];
      const shape = w['shape'].map((d) => (typeof d === 'number' ? d : -1));
      const n = shapeSize(shape, maxElements, { file, node: name });
      const q = isObject(w['quantization']) ? w['quantization'] : undefined;
      const stored = q !== undefined ? String(q['dtype']) : w['dtype'];
      const width = stored === 'float32' || stored === 'int32' ? 4 : stored === 'uint16' || stored === 'float16' ? 2 : stored === 'uint8' ? 1 : 0;
      if (width === 0 || (w['dtype'] !== 'float32' && w['dtype'] !== 'int32')) {
        throw fail({
          code: 'SNNC_E_UNSUPPORTED_DTYPE',
          message: `weight '${name}' has dtype ${w['dtype']}${q !== undefined ? ` quantized as ${stored}` : ''}`,
          file,
          hint: 'float32 and int32 weights (optionally uint8/uint16/float16-quantized) are supported',
        });
      }
      const end = at + n * width;
      if (end > bytes.length) {
        throw fail({
          code: 'SNNC_E_TENSOR_DATA',
          message: `weight '${name}' [${shape.join(', ')}] needs bytes ${at}..${end} but the shards of group ${gi} hold ${bytes.length}`,
          file,
          hint: 'the weight files are truncated or do not belong to this model.json',
        });
      }
      const raw = new Uint8Array(bytes.subarray(at, end)).buffer; // a private, aligned copy
      out.set(name, { dtype: w['dtype'] === 'int32' ? 'int32' : 'float32', shape, data: decode(raw, stored, n, q) });
      at = end;
    }
  }
  return out;
}

function decode(raw: ArrayBuffer, stored: string, n: number, q: { [k: string]: Json } | undefined): Float32Array | Int32Array {
  if (stored === 'float32') return new Float32Array(raw, 0, n);
  if (stored === 'int32') return new Int32Array(raw, 0, n);
  const out = new Float32Array(n);
  if (stored === 'float16') {
    const h = new Uint16Array(raw, 0, n);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i] ?? 0);
    return out;
  }
  const scale = typeof q?.['scale'] === 'number' ? q['scale'] : 1;
  const min = typeof q?.['min'] === 'number' ? q['min'] : 0;
  const src = stored === 'uint8' ? new Uint8Array(raw, 0, n) : new Uint16Array(raw, 0, n);
  for (let i = 0; i < n; i++) out[i] = (src[i] ?? 0) * scale + min;
  return out;
}

/** A shard path must stay inside the model folder, also after following symlinks. */
function readShard(p: Json, dir: string, file: string, onRead?: (path: string) => void): Uint8Array {
  const escape = (why: string): never => {
    throw fail({
      code: 'SNNC_E_EXTERNAL_DATA',
      message: `weight shard '${String(p)}' ${why}`,
      file,
      hint: 'keep the weight shards next to model.json and name them relative to it',
    });
  };
  if (typeof p !== 'string' || p === '') return escape('is not a file name');
  if (isAbsolute(p) || p.includes('\\')) escape('is an absolute path');
  const full = resolve(dir, p);
  const rel = relative(dir, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) escape('points outside the model folder');
  if (!existsSync(full)) {
    throw fail({
      code: 'SNNC_E_TENSOR_DATA',
      message: `weight shard '${p}' is missing`,
      file,
      hint: 'copy every group*-shard*of*.bin file listed in model.json next to it',
    });
  }
  const real = realpathSync(full);
  const realDir = realpathSync(dir);
  if (!real.startsWith(realDir + sep)) escape('is a symlink to a file outside the model folder');
  try {
    const bytes = readFileSync(real);
    onRead?.(full);
    return bytes;
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `cannot read weight shard '${p}' (${e instanceof Error ? e.message : String(e)})`, file });
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
