// The current register of a current-based neuron in the integer program (program.ts contract,
// Loihi's CUBA current): i ← sat32(trunc(i·(4096 − d)/2^12) + I), truncation toward zero.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { initState, stepNeuron } from '../../src/sim/int/neuron.js';
import type { IntNeuron } from '../../src/sim/int/program.js';
import { checkProgram } from '../../src/sim/int/check.js';

const neuron = (over: Partial<IntNeuron> = {}): IntNeuron => ({
  threshold: Int32Array.of(1000),
  thresholdBits: 16,
  reset: 'zero',
  vReset: 0,
  fire: 'gt',
  vInit: Int32Array.of(0),
  leakShift: null,
  refractory: 0,
  membraneBits: 24,
  overflow: 'saturate',
  currentDecay: 2048,
  ...over,
});

it('the current halves (d = 2048) toward zero: −9, −13, −15, −16, −17 (floor would give −14, −16, …)', () => {
  const s = initState(neuron(), 1, 1);
  const I = Int32Array.of(-9);
  const out = new Int32Array(1);
  const seen: number[] = [];
  for (let t = 0; t < 5; t++) {
    stepNeuron(s, I, out);
    seen.push(s.i[0] as number);
  }
  assert.deepEqual(seen, [-9, -13, -15, -16, -17]);
  // The membrane integrates the current, not the input: v = −9, −22, −37, −53, −70.
  assert.equal(s.v[0], -70);
});

it('positive input: i = 9, 13, 15, 16 and the neuron (θ = 10, reset to 0) fires from step 2 on', () => {
  const s = initState(neuron({ threshold: Int32Array.of(10) }), 1, 1);
  const out = new Int32Array(1);
  const spikes: number[] = [];
  for (let t = 0; t < 4; t++) spikes.push(stepNeuron(s, Int32Array.of(9), out));
  // v: 9 (no), 9+13 = 22 > 10 (spike, 0), 15 (spike), 16 (spike)
  assert.deepEqual(spikes, [0, 1, 1, 1]);
});

it('the current keeps integrating through a refractory period', () => {
  const s = initState(neuron({ threshold: Int32Array.of(5), refractory: 2 }), 1, 1);
  const out = new Int32Array(1);
  const cur: number[] = [];
  for (let t = 0; t < 4; t++) {
    stepNeuron(s, Int32Array.of(8), out);
    cur.push(s.i[0] as number);
  }
  assert.deepEqual(cur, [8, 12, 14, 15]);
});

it('checkProgram: currentDecay outside 1..4096, or in a version-1 program, is refused', () => {
  const prog = (n: IntNeuron, version: number) => ({
    version,
    name: 'p',
    input: { name: 'x', shape: [1], coding: 'direct' as const, bits: 4, scale: 1 / 15 },
    layers: [
      {
        name: 'h',
        kind: 'dense' as const,
        inputs: ['x'],
        inShape: [1],
        outShape: [1],
        weights: Int32Array.of(1),
        weightShape: [1, 1],
        weightBits: 2,
        shift: 0,
        bias: new Int32Array(0),
        biasBits: 1,
        accBits: 8,
        neuron: n,
        unit: [1],
        outBits: 1,
      },
      {
        name: 'o',
        kind: 'dense' as const,
        inputs: ['h'],
        inShape: [1],
        outShape: [1],
        weights: Int32Array.of(1),
        weightShape: [1, 1],
        weightBits: 2,
        shift: 0,
        bias: new Int32Array(0),
        biasBits: 1,
        accBits: 4,
        neuron: null,
        unit: [1],
        outBits: 4,
      },
    ],
    output: 'o',
  });
  assert.doesNotThrow(() => checkProgram(prog(neuron(), 2)));
  assert.throws(() => checkProgram(prog(neuron(), 1)), /version 1/);
  assert.throws(() => checkProgram(prog(neuron({ currentDecay: 0 }), 2)), /currentDecay 0/);
  assert.throws(() => checkProgram(prog(neuron({ currentDecay: 5000 }), 2)), /currentDecay 5000/);
});
