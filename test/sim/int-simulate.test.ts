// Integer-exact simulator: hand-computed traces, overflow and leak arithmetic, golden hashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IntLayer, IntNeuron, IntProgram } from '../../src/sim/int/program.js';
import { overflow, initState, stepNeuron } from '../../src/sim/int/neuron.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { runSample } from '../../src/sim/int/sample.js';
import { traceHash } from '../../src/sim/int/trace-hash.js';
import { checkProgram } from '../../src/sim/int/check.js';
import { isSnncError } from '../../src/errors.js';

const neuron = (o: Partial<IntNeuron> = {}): IntNeuron => ({
  threshold: Int32Array.of(4, 3),
  thresholdBits: 3,
  reset: 'subtract',
  vReset: 0,
  fire: 'ge',
  vInit: Int32Array.of(0, 1),
  leakShift: null,
  refractory: 0,
  membraneBits: 4,
  overflow: 'saturate',
  ...o,
});

const dense = (name: string, input: string, W: number[], O: number, I: number, bias: number[], n: IntNeuron | null): IntLayer => ({
  name,
  kind: 'dense',
  inputs: [input],
  inShape: [I],
  outShape: [O],
  weights: Int32Array.from(W),
  weightShape: [O, I],
  weightBits: 3,
  shift: 0,
  bias: Int32Array.from(bias),
  biasBits: 4,
  accBits: 8,
  neuron: n,
  unit: [1],
  outBits: n !== null ? 1 : 8,
});

/** x(2 values, 2-bit direct) → h: dense [[2,-1],[1,1]] + [1,0], IF θ=[4,3], vInit=[0,1] → out: dense [[1,-1],[0,2]]. */
function twoLayer(n: Partial<IntNeuron> = {}): IntProgram {
  return {
    version: 1,
    name: 'two',
    input: { name: 'x', shape: [2], coding: 'direct', bits: 2, scale: 1 / 3 },
    layers: [dense('h', 'x', [2, -1, 1, 1], 2, 2, [1, 0], neuron(n)), dense('out', 'h', [1, -1, 0, 2], 2, 2, [], null)],
    output: 'out',
  };
}

describe('integer simulator: hand-computed 2-layer traces', () => {
  it('x_q = [1, 2]: I = [1, 3]; neuron 0 fires at t = 3, neuron 1 every step', () => {
    const seen: number[][] = [];
    const r = runSample(twoLayer(), Int32Array.of(1, 2), 5, 0, 0, (_t, outs) => seen.push(Array.from(outs[0] as Int32Array)));
    // neuron 0: v = 1, 2, 3, 4→spike→0, 1 ; neuron 1: v0 = 1, then 4→spike→1 every step
    assert.deepEqual(seen, [
      [0, 1],
      [0, 1],
      [0, 1],
      [1, 1],
      [0, 1],
    ]);
    assert.deepEqual(
      r.spikes.map((s) => s[0]),
      [1, 1, 1, 2, 1],
    );
    // readout W·s: s = [0,1] → [-1, 2]; s = [1,1] → [0, 2]
    assert.deepEqual(
      r.readout.map((o) => Array.from(o)),
      [
        [-1, 2],
        [-1, 2],
        [-1, 2],
        [0, 2],
        [-1, 2],
      ],
    );
  });

  it('x_q = [0, 3]: neuron 0 saturates at −8 (4-bit membrane) and never fires; with wrap it fires at t = 4', () => {
    // I0 = 1 + 0 − 3 = −2: v = −2, −4, −6, −8, then −10 → saturate −8 | wrap −10 + 16 = 6 ≥ 4 → spike
    const sat: number[] = [];
    runSample(twoLayer(), Int32Array.of(0, 3), 5, 0, 0, (_t, outs) => sat.push((outs[0] as Int32Array)[0] as number));
    assert.deepEqual(sat, [0, 0, 0, 0, 0]);
    const wrap: number[] = [];
    runSample(twoLayer({ overflow: 'wrap' }), Int32Array.of(0, 3), 5, 0, 0, (_t, outs) => wrap.push((outs[0] as Int32Array)[0] as number));
    assert.deepEqual(wrap, [0, 0, 0, 0, 1]);
  });

  it('fire gt and reset zero change the trace as specified', () => {
    // neuron 1 with gt: v = 1+3 = 4 > 3 spike; reset zero → 0; then 3 > 3 no; 6 > 3 spike → 0; 3 no; ...
    const seen: number[] = [];
    runSample(twoLayer({ fire: 'gt', reset: 'zero' }), Int32Array.of(1, 2), 5, 0, 0, (_t, outs) => seen.push((outs[0] as Int32Array)[1] as number));
    assert.deepEqual(seen, [1, 0, 1, 0, 1]);
  });

  it('simulateInt: quantizes the input, accumulates the readout, accuracy per step', () => {
    const p = twoLayer();
    const x = { dtype: 'float32' as const, shape: [2, 2], data: Float32Array.of(1 / 3, 2 / 3, 0, 1) };
    const r = simulateInt(p, { x, y: Int32Array.of(1, 0) }, { T: 4, trace: true });
    // sample 0 sums: [-1,2] … class 1 always; sample 1: neuron 0 silent, neuron 1 fires every step → [-1, 2] → class 1
    assert.deepEqual(Array.from(r.predictions), [1, 1]);
    assert.deepEqual(r.accuracyPerStep, [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(r.trace, [{ layer: 'h', spikesPerStep: [2, 2, 2, 3] }]);
    assert.equal(r.spikesPerSample, 4.5);
  });
});

describe('integer neuron arithmetic', () => {
  it("overflow: saturate clamps, wrap keeps the low m bits (two's complement)", () => {
    assert.equal(overflow(8, 4, 'saturate'), 7);
    assert.equal(overflow(-9, 4, 'saturate'), -8);
    assert.equal(overflow(8, 4, 'wrap'), -8);
    assert.equal(overflow(-9, 4, 'wrap'), 7);
    assert.equal(overflow(2 ** 31, 32, 'wrap'), -(2 ** 31));
    assert.equal(overflow(2 ** 31, 32, 'saturate'), 2 ** 31 - 1);
  });

  it('LIF leak v ← v − (v >> s) uses the arithmetic (floor) shift', () => {
    const n = neuron({ threshold: Int32Array.of(100), vInit: Int32Array.of(5), leakShift: 1, membraneBits: 16 });
    const s = initState(n, 2, 1);
    s.v[1] = -5;
    stepNeuron(s, Int32Array.of(0, 0), new Int32Array(2));
    // 5 − (5 >> 1) = 5 − 2 = 3; −5 − (−5 >> 1) = −5 − (−3) = −2
    assert.deepEqual(Array.from(s.v), [3, -2]);
  });

  it('refractory: silent and frozen for r steps after a spike', () => {
    const n = neuron({ threshold: Int32Array.of(2), vInit: Int32Array.of(0), refractory: 2, membraneBits: 8 });
    const s = initState(n, 1, 1);
    const out = new Int32Array(1);
    const spikes: number[] = [];
    for (let t = 0; t < 6; t++) {
      stepNeuron(s, Int32Array.of(2), out);
      spikes.push(out[0] as number);
    }
    assert.deepEqual(spikes, [1, 0, 0, 1, 0, 0]);
  });
});

describe('integer simulator: determinism', () => {
  /** A fixed program: conv 2×3×3 (pad 1) + IF → sum-pool 2×2 → dense 4 (readout), 4×4 input, 4 bits. */
  function golden(): IntProgram {
    const w = Int32Array.from({ length: 18 }, (_, i) => ((i * 7) % 11) - 5);
    return {
      version: 1,
      name: 'golden',
      input: { name: 'x', shape: [1, 4, 4], coding: 'direct', bits: 4, scale: 1 / 15 },
      layers: [
        {
          name: 'c',
          kind: 'conv',
          inputs: ['x'],
          inShape: [1, 4, 4],
          outShape: [2, 4, 4],
          weights: w,
          weightShape: [2, 1, 3, 3],
          weightBits: 4,
          shift: 1,
          bias: Int32Array.of(3, -2),
          biasBits: 4,
          geometry: { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 },
          accBits: 12,
          neuron: neuron({ threshold: Int32Array.of(20, 15), thresholdBits: 5, vInit: Int32Array.of(10, 7), membraneBits: 8 }),
          unit: [1],
          outBits: 1,
        },
        {
          name: 'p',
          kind: 'sum-pool',
          inputs: ['c'],
          inShape: [2, 4, 4],
          outShape: [2, 2, 2],
          weights: new Int32Array(0),
          weightShape: [],
          weightBits: 1,
          shift: 0,
          bias: new Int32Array(0),
          biasBits: 1,
          geometry: { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 2 },
          accBits: 4,
          neuron: null,
          unit: [1],
          outBits: 4,
        },
        dense(
          'o',
          'p',
          Array.from({ length: 32 }, (_, i) => ((i * 5) % 7) - 3),
          4,
          8,
          [0, 1, -1, 0],
          null,
        ),
      ],
      output: 'o',
    };
  }
  const data = () => {
    const x = Float32Array.from({ length: 6 * 16 }, (_, i) => ((i * 37) % 16) / 15);
    return { x: { dtype: 'float32' as const, shape: [6, 1, 4, 4], data: x }, y: Int32Array.of(0, 1, 2, 3, 0, 1) };
  };

  it('the program is valid', () => checkProgram(golden()));

  it('identical trace on every run (golden sha256 of spike counts per step and predictions)', () => {
    const a = simulateInt(golden(), data(), { T: 12, trace: true });
    const b = simulateInt(golden(), data(), { T: 12, trace: true });
    assert.deepEqual(a.trace, b.trace);
    // Not a degenerate trace: the conv layer (6 samples × 32 neurons) fires some, not all.
    const counts = a.trace?.[0]?.spikesPerStep ?? [];
    assert.ok(counts.some((c) => c > 0) && counts.some((c) => c < 6 * 32));
    assert.equal(traceHash(a), traceHash(b));
    assert.equal(traceHash(a), GOLDEN);
  });

  it('Poisson coding is reproducible per seed and differs across seeds', () => {
    const p = { ...golden(), input: { ...golden().input, coding: 'poisson' as const } };
    const a = simulateInt(p, data(), { T: 12, seed: 5, trace: true });
    const b = simulateInt(p, data(), { T: 12, seed: 5, trace: true });
    const c = simulateInt(p, data(), { T: 12, seed: 6, trace: true });
    assert.equal(traceHash(a), traceHash(b));
    assert.notEqual(traceHash(a), traceHash(c));
  });

  it('a bad program fails with SNNC_E_INT_PROGRAM naming the layer', () => {
    const p = golden();
    const bad = { ...p, layers: [p.layers[0], { ...(p.layers[2] as IntLayer), inputs: ['nope'] }] } as IntProgram;
    assert.throws(
      () => checkProgram(bad),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_INT_PROGRAM' && e.node === 'o',
    );
    const wide = { ...p, layers: [{ ...(p.layers[0] as IntLayer), weights: Int32Array.from({ length: 18 }, () => 9) }, ...p.layers.slice(1)] } as IntProgram;
    assert.throws(() => checkProgram(wide), /outside the 4-bit range/);
  });

  it('an accumulator narrower than the largest possible sum is refused', () => {
    // h: |W| rows [2, 1] and [1, 1] on 2-bit direct input (|x| ≤ 3), bias [1, 0]:
    // row 0 sums to at most 3·3 = 9, plus the bias 10 → 5 signed bits; 4 are too few.
    const p = twoLayer();
    checkProgram(p);
    const narrow = { ...p, layers: [{ ...(p.layers[0] as IntLayer), accBits: 5 }, p.layers[1]] } as IntProgram;
    checkProgram(narrow);
    const tooNarrow = { ...p, layers: [{ ...(p.layers[0] as IntLayer), accBits: 4 }, p.layers[1]] } as IntProgram;
    assert.throws(
      () => checkProgram(tooNarrow),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_INT_PROGRAM' && e.node === 'h' && /largest sum 10, which needs 5 bits/.test(e.message),
    );
  });
});

// Recorded once; any change to the contract's arithmetic changes it (review such diffs).
const GOLDEN = 'd5bf911101aae7e28d6c7ba00d9295466527a7648dc3a0a451c54dec4a94324e';

describe('integer add with per-channel gains (program v3)', () => {
  // x: [2 channels × 2] direct 2-bit; a = dense identity of x, b = dense swapping the channels'
  // elements; add: I[c, j] = g[0·2 + c]·a + g[1·2 + c]·b with g = [1, 2 | 3, 1] → channel 0:
  // a + 3b, channel 1: 2a + b. Hand-computed for x = [1, 2, 3, 0]: a = x, b = [2, 1, 0, 3]
  // → I = [1 + 6, 2 + 3, 6 + 0, 0 + 3] = [7, 5, 6, 3].
  const id = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const swap = [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0];
  const add = (gains: number[]): IntLayer => ({
    name: 'sum',
    kind: 'add',
    inputs: ['a', 'b'],
    inShape: [2, 2],
    outShape: [2, 2],
    weights: new Int32Array(0),
    weightShape: [],
    weightBits: 1,
    bias: new Int32Array(0),
    biasBits: 1,
    shift: 0,
    gains: Int32Array.from(gains),
    accBits: 8,
    neuron: null,
    unit: [1],
    outBits: 8,
  });
  const program = (gains: number[], version: number): IntProgram => ({
    version,
    name: 'pc',
    input: { name: 'x', shape: [4], coding: 'direct', bits: 2, scale: 1 / 3 },
    layers: [dense('a', 'x', id, 4, 4, [], null), dense('b', 'x', swap, 4, 4, [], null), add(gains)],
    output: 'sum',
  });

  it('each channel sums its operands with its own gains', () => {
    const r = runSample(program([1, 2, 3, 1], 3), Int32Array.of(1, 2, 3, 0), 1, 0, 0);
    assert.deepEqual(Array.from(r.readout[0] as Int32Array), [7, 5, 6, 3]);
    // One gain per input still means the same gain for every channel.
    const u = runSample(program([1, 3], 1), Int32Array.of(1, 2, 3, 0), 1, 0, 0);
    assert.deepEqual(Array.from(u.readout[0] as Int32Array), [7, 5, 3, 9]);
  });

  it('the checker takes one gain per input or per input and channel, nothing else', () => {
    checkProgram(program([1, 2, 3, 1], 3));
    assert.throws(
      () => checkProgram(program([1, 2, 3], 3)),
      (e: unknown) => isSnncError(e) && /per input and channel/.test(e.message),
    );
  });
});
