// The Vitis HLS branch of snnc_types.h (ap_int/ap_uint) built with g++ against Xilinx's open
// ap_int headers (github.com/Xilinx/HLS_arbitrary_Precision_Types, include/) plus a minimal
// hls_stream.h: the same programs must stay bit-exact. Needs SNNC_AP_INT_INCLUDE=<that folder>;
// skipped otherwise. Extra flags: under __VITIS_HLS__ the pragmas and loop labels are real (for
// Vitis, unknown to g++), and ap_private.h itself trips g++ 12's -Wuninitialized at -O2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IntProgram } from '../../src/sim/int/program.js';
import { addLayer, conv, dense, geom, input, ints, mlp, neuron, pool, program } from './fpga-programs.js';
import { csimProgram, expected, GXX } from './fpga-util.js';

const INC = process.env['SNNC_AP_INT_INCLUDE'] ?? '';
const SKIP = !GXX
  ? 'g++ is not installed'
  : INC === '' || !existsSync(join(INC, 'ap_int.h'))
    ? 'set SNNC_AP_INT_INCLUDE to a folder with ap_int.h (and hls_stream.h) to run'
    : false;
const FLAGS = ['-D__VITIS_HLS__', '-Wno-unknown-pragmas', '-Wno-unused-label', '-Wno-uninitialized', '-Wno-maybe-uninitialized', '-isystem', INC];

async function exact(p: IntProgram, inputs: Int32Array[], T: number, iface: 'array' | 'axis' = 'array'): Promise<void> {
  const r = await csimProgram(p, { T, goldenInputs: inputs, interface: iface, seed: 3 }, FLAGS);
  assert.equal(r.ok, true, r.stdout);
  inputs.forEach((x, s) => assert.deepEqual(r.results[s]?.sums, expected(p, x, T, s, 3).sums));
}

test('ap_int build: MLP (array and axis) bit-exact', { skip: SKIP }, async () => {
  const xs = [0, 1, 2].map((s) => ints(12, 50 + s, 0, 15));
  await exact(mlp(), xs, 8);
  await exact(mlp(), xs, 8, 'axis');
});

test('ap_int build: conv/pool/residual/poisson/wrap/LIF/refractory bit-exact', { skip: SKIP }, async () => {
  // maxIn: 1 for Poisson spikes, 15 for 4-bit direct x_q (accBits must bound the real sums).
  const convA = (maxIn: number): ReturnType<typeof conv> =>
    conv(
      'a',
      'in',
      [1, 6, 6],
      2,
      geom(3, 1, [1, 1, 1, 1]),
      ints(18, 11, -6, 6),
      ints(2, 12, 0, 3),
      maxIn,
      neuron({ threshold: [5], leakShift: 2, refractory: 1 }),
      1,
    );
  const a = convA(1);
  const b = conv('b', 'a', [2, 6, 6], 2, geom(3, 1, [1, 1, 1, 1]), ints(36, 13, -6, 6), new Int32Array(0), 1, null);
  const add = addLayer(
    'res',
    ['b', 'a'],
    [2, 6, 6],
    [1, 3],
    Int32Array.from([1, -1]),
    [2 ** (b.accBits - 1), 1],
    neuron({ threshold: [6, 9], membraneBits: 6, thresholdBits: 4, overflow: 'wrap' }),
  );
  const sp = pool('sp', 'sum-pool', 'res', [2, 6, 6], geom(2, 2, [0, 0, 0, 0]), 1);
  const mp = pool('mp', 'max-pool', 'res', [2, 6, 6], geom(3, 2, [1, 1, 1, 1]), 1);
  const out = dense('out', 'mp', 18, ints(54, 14, -4, 4), new Int32Array(0), 1, null);
  const out2 = dense('out2', 'sp', 18, ints(36, 15, -4, 4), ints(2, 16, -3, 3), 4, null);
  await exact(
    program('res', input([1, 6, 6], 4, 'poisson'), [a, b, add, mp, out]),
    [0, 1].map((s) => ints(36, 60 + s, 0, 15)),
    12,
  );
  await exact(
    program('spnet', input([1, 6, 6], 4), [convA(15), b, add, sp, out2]),
    [0, 1].map((s) => ints(36, 70 + s, 0, 15)),
    12,
  );
});
