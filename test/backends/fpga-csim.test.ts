// The emitted HLS C++, compiled with g++ -Wall -Wextra -Werror and run as C-simulation, must
// reproduce snnc's integer simulator bit for bit (readout sums and predictions), for every
// layer kind and neuron feature of the IntProgram contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntProgram } from '../../src/sim/int/program.js';
import type { FpgaEmitOptions } from '../../src/backends/fpga/index.js';
import { emit } from '../../src/backends/fpga/index.js';
import { runSample } from '../../src/sim/int/sample.js';
import { addLayer, conv, dense, fpgaTarget, geom, input, ints, mlp, neuron, pool, program } from './fpga-programs.js';
import { csimProgram, expected, NO_GXX } from './fpga-util.js';

async function checkExact(p: IntProgram, inputs: Int32Array[], opts: FpgaEmitOptions = {}): Promise<void> {
  const T = opts.T ?? 8;
  const r = await csimProgram(p, { ...opts, T, goldenInputs: inputs });
  assert.equal(r.ok, true, r.stdout);
  assert.equal(r.samples, inputs.length);
  assert.equal(r.mismatches, 0);
  // Guard against a vacuous case: every neuron layer fires somewhere.
  const fired = new Array<number>(p.layers.filter((l) => l.neuron !== null).length).fill(0);
  inputs.forEach((x, s) => {
    for (const st of runSample(p, x, T, (opts.firstSample ?? 0) + s, opts.seed ?? 0).spikes)
      st.forEach((v, k) => {
        fired[k] = (fired[k] as number) + v;
      });
  });
  assert.ok(
    fired.every((f) => f > 0),
    `spikes per neuron layer: ${fired.join(', ')}`,
  );
  inputs.forEach((x, s) => {
    const e = expected(p, x, T, (opts.firstSample ?? 0) + s, opts.seed ?? 0);
    assert.deepEqual(r.results[s]?.sums, e.sums, `sample ${s} sums`);
    assert.equal(r.results[s]?.prediction, e.prediction, `sample ${s} prediction`);
  });
}

test('dense MLP (direct input, IF, saturate) matches the integer simulation', { skip: NO_GXX }, async () => {
  const inputs = [0, 1, 2, 3, 4].map((s) => ints(12, 10 + s, 0, 15));
  await checkExact(mlp(), inputs, { reuseFactor: 2 });
});

test('AXI-stream top gives the same results', { skip: NO_GXX }, async () => {
  const inputs = [0, 1].map((s) => ints(12, 20 + s, 0, 15));
  await checkExact(mlp(), inputs, { interface: 'axis' });
});

test('conv (stride, pads, groups, dilation), LIF leak, refractory, zero reset, sum-pool, shift', { skip: NO_GXX }, async () => {
  const g1 = geom(3, 2, [1, 1, 0, 0], 1, 2);
  const c1 = conv(
    'c1',
    'in',
    [2, 7, 7],
    4,
    g1,
    ints(4 * 1 * 9, 5, -7, 7),
    ints(4, 6, -4, 4),
    7,
    neuron({ threshold: [9, 12, 7, 15], vInit: [0, 3, -2, 5], leakShift: 2, refractory: 1, fire: 'gt', reset: 'zero', vReset: -3 }),
    2,
  );
  const sp = pool('sp', 'sum-pool', 'c1', c1.outShape as [number, number, number], geom(2, 1, [0, 0, 1, 1]), 1);
  const c2 = conv(
    'c2',
    'sp',
    sp.outShape as [number, number, number],
    3,
    geom(2, 1, [1, 1, 1, 1], 2),
    ints(3 * 4 * 4, 7, -5, 5),
    new Int32Array(0),
    4,
    neuron({ threshold: [6], leakShift: 1, membraneBits: 10 }),
  );
  const n2 = c2.outShape.reduce((a, b) => a * b, 1);
  const out = dense('out', 'c2', n2, ints(5 * n2, 8, -3, 3), ints(5, 9, -2, 2), 1, null);
  const p = program('convnet', input([2, 7, 7], 3), [c1, sp, c2, out]);
  const inputs = [0, 1, 2, 3].map((s) => ints(98, 30 + s, -7, 7));
  await checkExact(p, inputs, { T: 10, reuseFactor: 3 });
});

test('residual add with gains, spike max-pool with padding, Poisson input, wrap', { skip: NO_GXX }, async () => {
  const a = conv('a', 'in', [1, 6, 6], 2, geom(3, 1, [1, 1, 1, 1]), ints(18, 11, -6, 6), ints(2, 12, 0, 3), 1, neuron({ threshold: [5] }));
  const b = conv('b', 'a', [2, 6, 6], 2, geom(3, 1, [1, 1, 1, 1]), ints(36, 13, -6, 6), new Int32Array(0), 1, null);
  const bMax = 2 ** (b.accBits - 1);
  const add = addLayer(
    'res',
    ['b', 'a'],
    [2, 6, 6],
    [1, 3],
    Int32Array.from([1, -1]),
    [bMax, 1],
    neuron({ threshold: [6, 9], membraneBits: 6, thresholdBits: 4, overflow: 'wrap' }),
  );
  const mp = pool('mp', 'max-pool', 'res', [2, 6, 6], geom(3, 2, [1, 1, 1, 1]), 1);
  const nMp = mp.outShape.reduce((x, y) => x * y, 1);
  const out = dense('out', 'mp', nMp, ints(3 * nMp, 14, -4, 4), new Int32Array(0), 1, null);
  const p = program('resnet', input([1, 6, 6], 4, 'poisson'), [a, b, add, mp, out]);
  const inputs = [0, 1, 2].map((s) => ints(36, 40 + s, 0, 15));
  await checkExact(p, inputs, { T: 12, seed: 7, firstSample: 5 });
});

/** One neuron fed I = 20 every step, θ = 25 (ge, subtract) in a 6-bit membrane [−32, 31]. */
function overflowProgram(overflow: 'saturate' | 'wrap'): IntProgram {
  const l1 = dense('n', 'in', 1, Int32Array.from([20, -20]), new Int32Array(0), 1, neuron({ threshold: [25], membraneBits: 6, thresholdBits: 5, overflow }));
  const l2 = dense('out', 'n', 2, Int32Array.from([3, 0, 0, 1]), new Int32Array(0), 1, null);
  return program(`ov_${overflow}`, input([1], 1), [l1, l2]);
}

test('saturate vs wrap on a membrane that overflows (hand-computed)', { skip: NO_GXX }, async () => {
  // saturate: v = 20, 31 (40 clipped) fire→6, 26 fire→1, 21, 31 fire→6, 26 fire→1, 21, 31 fire:
  //   5 spikes × weight 3 = 15. wrap: 20, −24 (40−64), −4, 16, −28, −8, 12, −32: no spike.
  // Second neuron (I = −20, readout weight 1): saturate sticks at −32, never fires; wrap:
  //   −20, 24 (−40+64), 4, −16, 28 fire→3, −17, 27 fire→2, −18: 2 spikes.
  const x = [Int32Array.from([1])];
  const sat = await csimProgram(overflowProgram('saturate'), { T: 8, goldenInputs: x });
  const wrap = await csimProgram(overflowProgram('wrap'), { T: 8, goldenInputs: x });
  assert.deepEqual(sat.results[0]?.sums, [15, 0]);
  assert.deepEqual(wrap.results[0]?.sums, [0, 2]);
  assert.equal(sat.ok && wrap.ok, true, sat.stdout + wrap.stdout);
  assert.deepEqual(expected(overflowProgram('saturate'), x[0] as Int32Array, 8).sums, [15, 0]);
  assert.deepEqual(expected(overflowProgram('wrap'), x[0] as Int32Array, 8).sums, [0, 2]);
});

test('a wrong golden vector makes the testbench fail', { skip: NO_GXX }, async () => {
  const x = [Int32Array.from([1])];
  const r = await csimProgram(overflowProgram('saturate'), { T: 8, goldenInputs: x, goldenOutputs: [{ sums: [14, 0], prediction: 0 }] });
  assert.equal(r.ok, false);
  assert.equal(r.mismatches, 1);
  assert.deepEqual(r.results[0]?.sums, [15, 0]);
});

test('emitted files are byte-identical for the same program and list every project file', () => {
  const a = emit(mlp(), fpgaTarget(), { T: 4, reuseFactor: 2 });
  const b = emit(mlp(), fpgaTarget(), { T: 4, reuseFactor: 2 });
  assert.deepEqual(a.files, b.files);
  assert.deepEqual(
    a.files.map((f) => f.path),
    ['fpga/README.md', 'fpga/mlp.cpp', 'fpga/mlp.h', 'fpga/mlp_tb.cpp', 'fpga/mlp_weights.h', 'fpga/script.tcl', 'fpga/snnc_types.h'],
  );
  const tcl = String(a.files.find((f) => f.path === 'fpga/script.tcl')?.data);
  for (const cmd of [
    'open_project',
    'set_top mlp_top',
    'add_files mlp.cpp',
    'add_files -tb mlp_tb.cpp',
    'csim_design',
    'csynth_design',
    'cosim_design',
    'export_design',
    'set_part {xck26-sfvc784-2lv-c}',
    'create_clock -period 5 ',
  ]) {
    assert.ok(tcl.includes(cmd), cmd);
  }
  assert.match(String(a.files.find((f) => f.path === 'fpga/README.md')?.data), /Vitis HLS was not run/);
});
