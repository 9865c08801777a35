// Float32 Add/Sub/Mul/Div in WebAssembly (src/sim/ann/arith.ts → sgemm-module.ts `ew`): the
// SNN's residual rescales and adds take this path every step. The reference is numpy's
// broadcasting written out here per element — Math.fround(x ∘ y), which is the correctly
// rounded float32 result — so the f32x4 kernel must give exactly these bits for every
// broadcast layout the row plan produces (same shape, per-channel, scalar, leading broadcast,
// outer product) and every row tail (lengths not a multiple of four).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Tensor } from '../../src/ir/types.js';
import { KERNELS } from '../../src/sim/ann/table.js';
import { wasmGemmEnabled } from '../../src/sim/ann/wasm/sgemm.js';
import { mulberry32 } from '../../src/sim/snn/rng.js';

const forcedOff = process.env['SNNC_NO_WASM'] === '1';

function rand(n: number, seed: number, zeros = false): Float32Array {
  const u = mulberry32(seed);
  // Values over many binades (and some exact zeros) so that rounding differences would show.
  return Float32Array.from({ length: n }, () => {
    const v = (u() - 0.5) * 2 ** Math.floor(u() * 40 - 20);
    return zeros && u() < 0.3 ? 0 : v;
  });
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** numpy broadcasting: the element of `shape` that output index `idx` (of outShape) reads. */
function at(shape: readonly number[], outShape: readonly number[], idx: readonly number[]): number {
  const off = outShape.length - shape.length;
  let flat = 0;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    flat = flat * d + (d === 1 ? 0 : (idx[off + i] as number));
  }
  return flat;
}

function reference(op: string, as: readonly number[], a: Float32Array, bs: readonly number[], b: Float32Array): { shape: number[]; data: Float32Array } {
  const r = Math.max(as.length, bs.length);
  const pad = (s: readonly number[]): number[] => [...new Array<number>(r - s.length).fill(1), ...s];
  const shape = pad(as).map((d, i) => Math.max(d, pad(bs)[i] as number));
  const y = new Float32Array(size(shape));
  const idx = new Array<number>(r).fill(0);
  for (let q = 0; q < y.length; q++) {
    let rest = q;
    for (let i = r - 1; i >= 0; i--) {
      idx[i] = rest % (shape[i] as number);
      rest = Math.floor(rest / (shape[i] as number));
    }
    const x = a[at(as, shape, idx)] as number;
    const z = b[at(bs, shape, idx)] as number;
    y[q] = Math.fround(op === 'Add' ? x + z : op === 'Sub' ? x - z : op === 'Mul' ? x * z : x / z);
  }
  return { shape, data: y };
}

const CASES: readonly { name: string; a: number[]; b: number[] }[] = [
  { name: 'same shape (a residual add)', a: [16, 16, 14, 14], b: [16, 16, 14, 14] },
  { name: 'per channel (a residual rescale)', a: [16, 16, 14, 14], b: [16, 1, 1] },
  { name: 'scalar on the left', a: [1], b: [3, 7, 61] },
  { name: 'leading broadcast, odd rows', a: [5, 13, 23], b: [13, 23] },
  { name: 'outer product', a: [67, 1], b: [1, 45] },
  { name: 'row vector on the right', a: [9, 8, 37], b: [37] },
];

describe('float32 binary ops in WebAssembly', { skip: forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
  it('the module is there (SIMD available)', () => assert.ok(wasmGemmEnabled()));
  for (const c of CASES) {
    for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
      it(`${op}: ${c.name}, bit for bit against per-element float32 rounding`, () => {
        const a = rand(size(c.a), 11, true);
        const b = rand(size(c.b), 23, op !== 'Div');
        const node = { op, name: `n_${op}`, inputs: ['a', 'b'], outputs: ['y'], attrs: {} } as unknown as Node;
        const kernel = KERNELS[op] as (n: Node, i: readonly (Tensor | undefined)[], ctx: { limit: number }) => readonly (Tensor | undefined)[];
        const [y] = kernel(
          node,
          [
            { dtype: 'float32', shape: c.a, data: a },
            { dtype: 'float32', shape: c.b, data: b },
          ],
          { limit: 1e8 },
        );
        const want = reference(op, c.a, a, c.b, b);
        assert.deepEqual(y?.shape, want.shape);
        assert.ok(size(want.shape) >= 1024, 'large enough for the WebAssembly path');
        const got = new Uint32Array((y?.data as Float32Array).buffer);
        const exp = new Uint32Array(want.data.buffer);
        for (let i = 0; i < exp.length; i++) {
          // NaN (0/0) may differ in payload only.
          if (Number.isNaN(want.data[i])) assert.ok(Number.isNaN((y?.data as Float32Array)[i]), `element ${i}`);
          else if (got[i] !== exp[i]) assert.fail(`element ${i}: ${(y?.data as Float32Array)[i]} != ${want.data[i]}`);
        }
      });
    }
  }
});
