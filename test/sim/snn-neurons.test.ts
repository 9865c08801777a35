// Hand-computed spike trains of the neuron models and the spike max-pool.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, NeuronAttrs } from '../../src/ir/types.js';
import { windowAttrs } from '../../src/ir/build.js';
import { initNeurons, neuronParams, stepNeurons } from '../../src/sim/snn/neurons.js';
import { initMaxPool, maxPoolPlan, stepMaxPool } from '../../src/sim/snn/spike-maxpool.js';
import { f32, IF_ATTRS } from './snn-graphs.js';
import { mulberry32 } from '../../src/sim/snn/rng.js';

/**
 * Steps (1-based) at which a single neuron spikes under a constant current. It runs as five
 * identical neurons (two SIMD pairs and a scalar tail of the WebAssembly kernel) that must agree.
 */
function train(attrs: Partial<NeuronAttrs> & { leak?: number }, current: number, theta: number, steps: number): number[] {
  const a = { ...IF_ATTRS, ...attrs };
  const node = (
    attrs.leak !== undefined
      ? {
          op: 'LIF',
          name: 'n',
          inputs: ['x', 'th'],
          outputs: ['s'],
          attrs: { reset: a.reset, vInit: a.vInit, fire: a.fire, refractory: a.refractory, leak: attrs.leak },
        }
      : { op: 'IF', name: 'n', inputs: ['x', 'th'], outputs: ['s'], attrs: { reset: a.reset, vInit: a.vInit, fire: a.fire, refractory: a.refractory } }
  ) as Extract<Node, { op: 'IF' | 'LIF' }>;
  const F = 5;
  const st = initNeurons(neuronParams(node, f32([], [theta]), [F]), 1);
  const cur = new Float32Array(F).fill(current);
  const out = new Float32Array(F);
  const counts = new Float64Array(1);
  const at: number[] = [];
  for (let t = 1; t <= steps; t++) {
    stepNeurons(st, 1, cur, 0, out, 0, counts, 0);
    assert.deepEqual(Array.from(out), new Array<number>(F).fill(out[0] as number), `step ${t}: identical neurons agree`);
    if (out[0] === 1) at.push(t);
  }
  assert.equal(counts[0], F * at.length);
  return at;
}

test('IF, θ=1, I=0.3, subtract reset: spikes at 4, 7, 10', () => {
  // float32(0.3) = 0.30000001192. v: .3 .6 .9 1.2→spike(v=.2) .5 .8 1.1→spike(.1) .4 .7 1.0000000358→spike
  assert.deepEqual(train({}, 0.3, 1, 10), [4, 7, 10]);
});

test('reset to zero loses the residue: I=0.3 spikes at 4, 8, 12', () => {
  // v: .3 .6 .9 1.2→spike(v=0) .3 .6 .9 1.2→spike(0) ...
  assert.deepEqual(train({ reset: 'zero' }, 0.3, 1, 12), [4, 8, 12]);
});

test("'ge' fires on v = θ, 'gt' waits for v > θ (I = 0.25, exact in binary)", () => {
  // ge: v .25 .5 .75 1→spike(0) … → 4, 8, 12
  assert.deepEqual(train({ fire: 'ge' }, 0.25, 1, 12), [4, 8, 12]);
  // gt: .25 .5 .75 1 (no) 1.25→spike(.25) .5 .75 1 (no) 1.25→spike → 5, 9
  assert.deepEqual(train({ fire: 'gt' }, 0.25, 1, 12), [5, 9]);
});

test('ties at θ under every fire × reset pair, IF and LIF (each pair is its own kernel loop)', () => {
  // IF, zero reset, gt, I = .25: .25 .5 .75 1 (no) 1.25→spike(0) … → 5, 10
  assert.deepEqual(train({ fire: 'gt', reset: 'zero' }, 0.25, 1, 10), [5, 10]);
  assert.deepEqual(train({ fire: 'ge', reset: 'zero' }, 0.25, 1, 8), [4, 8]);
  // LIF leak .5, I = 1, θ = 1. ge: v = 1 fires every step (subtract or zero: v → 0).
  assert.deepEqual(train({ leak: 0.5, fire: 'ge' }, 1, 1, 4), [1, 2, 3, 4]);
  assert.deepEqual(train({ leak: 0.5, fire: 'ge', reset: 'zero' }, 1, 1, 4), [1, 2, 3, 4]);
  // gt, subtract: 1 (no) 1.5→spike(.5) 1.25→spike(.25) 1.125→spike(.125)
  assert.deepEqual(train({ leak: 0.5, fire: 'gt' }, 1, 1, 4), [2, 3, 4]);
  // gt, zero: 1 (no) 1.5→spike(0) 1 (no) 1.5→spike
  assert.deepEqual(train({ leak: 0.5, fire: 'gt', reset: 'zero' }, 1, 1, 4), [2, 4]);
});

test('refractory 2: two silent, non-integrating steps after each spike', () => {
  // I=.5: .5, 1→spike(v=0, r=2); step 3, 4 held; .5, 1→spike at 6; 7, 8 held; .5, 1→spike at 10
  assert.deepEqual(train({ refractory: 2 }, 0.5, 1, 10), [2, 6, 10]);
});

test('LIF leak 0.5: I=0.6 spikes at 3, 6; I=0.4 settles below θ and never fires', () => {
  // v1 = .6; v2 = .3+.6 = .9; v3 = .45+.6 = 1.05→spike(.05); v4 = .025+.6 = .625;
  // v5 = .3125+.6 = .9125; v6 = .45625+.6 = 1.05625→spike
  assert.deepEqual(train({ leak: 0.5 }, 0.6, 1, 6), [3, 6]);
  // v → 0.4 / (1 − 0.5) = 0.8 < 1
  assert.deepEqual(train({ leak: 0.5 }, 0.4, 1, 50), []);
});

test('vInit is a fraction of θ: vInit 0.5, θ=2, I=0.5 → spikes at 2, 6', () => {
  // v0 = 1; 1.5; 2→spike(0); .5 1 1.5 2→spike at 6
  assert.deepEqual(train({ vInit: 0.5 }, 0.5, 2, 6), [2, 6]);
});

test('per-channel threshold [C,1,1] broadcasts over the feature map', () => {
  const node = { op: 'IF', name: 'n', inputs: ['x', 'th'], outputs: ['s'], attrs: IF_ATTRS } as Extract<Node, { op: 'IF' }>;
  const p = neuronParams(node, f32([2, 1, 1], [1, 0.5]), [2, 1, 2]);
  assert.deepEqual(Array.from(p.theta), [1, 1, 0.5, 0.5]);
  const dense = neuronParams(node, f32([3], [1, 2, 3]), [3]);
  assert.deepEqual(Array.from(dense.theta), [1, 2, 3]);
  assert.throws(() => neuronParams(node, f32([3], [1, 2, 3]), [2, 1, 2]), /SNNC_E_BAD_SHAPE|does not broadcast/);
});

/** A 2 × 2, stride-2 SpikeMaxPool node. */
function maxPool2x2(): Extract<Node, { op: 'SpikeMaxPool' }> {
  return {
    op: 'SpikeMaxPool',
    name: 'mp',
    inputs: ['x'],
    outputs: ['y'],
    attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false },
  } as Extract<Node, { op: 'SpikeMaxPool' }>;
}

test('SpikeMaxPool forwards the spike of the input with the largest accumulated count', () => {
  const node = maxPool2x2();
  const st = initMaxPool(maxPoolPlan(node, [1, 2, 2]), 1);
  // Window inputs in row-major order a, b, c, d; c and d stay silent.
  const a = [1, 1, 0, 0, 0];
  const b = [0, 0, 1, 1, 1];
  // counts after each step (a, b): (1,0)→a spikes 1; (2,0)→a 1; (2,1)→a wins, a silent → 0;
  // (2,2) tie → first (a), silent → 0; (2,3) → b, spikes → 1
  const want = [1, 1, 0, 0, 1];
  const out = new Float32Array(1);
  const counts = new Float64Array(1);
  const got: number[] = [];
  for (let t = 0; t < 5; t++) {
    stepMaxPool(st, 1, Float32Array.of(a[t] as number, b[t] as number, 0, 0), 0, out, 0, counts, 0);
    got.push(out[0] as number);
  }
  assert.deepEqual(got, want);
  assert.equal(counts[0], 3);
});

test('SpikeMaxPool: the direct path of tiling 2 × 2 windows gives the window lists’ outputs and counts', () => {
  const node = maxPool2x2();
  const plan = maxPoolPlan(node, [3, 6, 8]);
  assert.equal(plan.tile2, 8, 'the direct path applies');
  // A 7-wide input is not tiled by the windows (its last column is in none).
  assert.equal(maxPoolPlan(node, [3, 6, 7]).tile2, undefined);
  const lists = { ...plan, tile2: undefined };
  const B = 2;
  const direct = initMaxPool(plan, B);
  const general = initMaxPool(lists, B);
  const r = mulberry32(5);
  const n = B * 3 * 6 * 8;
  const outA = new Float32Array(B * 3 * 3 * 4);
  const outB = new Float32Array(outA.length);
  const cA = new Float64Array(B);
  const cB = new Float64Array(B);
  let forwarded = 0;
  for (let t = 0; t < 40; t++) {
    // Dense enough that windows see several spikes and ties of counts happen.
    const x = Float32Array.from({ length: n }, () => (r() < 0.3 ? 1 : 0));
    stepMaxPool(direct, B, x, 0, outA, 0, cA, 0);
    stepMaxPool(general, B, x, 0, outB, 0, cB, 0);
    assert.deepEqual(Array.from(outA), Array.from(outB), `step ${t}`);
    forwarded += outA.reduce((a, v) => a + v, 0);
  }
  assert.deepEqual(Array.from(direct.count), Array.from(general.count));
  assert.deepEqual(Array.from(cA), Array.from(cB));
  assert.ok(forwarded > 0 && forwarded < 40 * outA.length, 'some windows forward a spike, some do not');
});
