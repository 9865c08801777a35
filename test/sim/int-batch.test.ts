// simulate.ts runs the integer program on several samples at once (sample.ts's runSamples). The
// contract is per sample, so a batch must give every sample exactly what it gets alone: every
// layer's output at every step, the spikes, the readout — for each kind of layer and neuron
// (shifted conv, sum pools tiling and not, spike max pool, per-channel add, the WebAssembly
// neuron step and the TypeScript one for refractory / current-based neurons), Poisson coding
// (each sample draws its own words), and with or without the WebAssembly kernels.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ConvGeometry, IntLayer, IntNeuron, IntProgram } from '../../src/sim/int/program.js';
import { checkProgram } from '../../src/sim/int/check.js';
import { wasmKernels } from '../../src/sim/int/fast-conv.js';
import type { Accelerator } from '../../src/sim/int/kernels.js';
import { makeRunner, quantizeInput, runSample, runSamples } from '../../src/sim/int/sample.js';
import { activityRecorder } from '../../src/sim/int/activity.js';
import { batchSize, simulateInt } from '../../src/sim/int/simulate.js';

const geo = (k: number, s: number, pad: number, group = 1): ConvGeometry => ({
  kernel: [k, k],
  strides: [s, s],
  pads: [pad, pad, pad, pad],
  dilations: [1, 1],
  group,
});

const neuron = (o: Partial<IntNeuron> = {}): IntNeuron => ({
  threshold: Int32Array.of(9, 6),
  thresholdBits: 8,
  reset: 'subtract',
  vReset: 0,
  fire: 'ge',
  vInit: Int32Array.of(2, -1),
  leakShift: null,
  refractory: 0,
  membraneBits: 12,
  overflow: 'saturate',
  ...o,
});

function layer(l: Partial<IntLayer> & Pick<IntLayer, 'name' | 'kind' | 'inputs' | 'inShape' | 'outShape'>): IntLayer {
  return {
    weights: new Int32Array(0),
    weightShape: [],
    weightBits: 4,
    shift: 0,
    bias: new Int32Array(0),
    biasBits: 4,
    accBits: 20,
    neuron: null,
    unit: [1],
    outBits: l.neuron !== undefined && l.neuron !== null ? 1 : 12,
    ...l,
  };
}

const ramp = (n: number, mod: number, off: number): Int32Array => Int32Array.from({ length: n }, (_, i) => ((i * 7 + 3) % mod) - off);

/** x [1,5,5] → c (conv 3×3, shift 1, IF) and c2 (conv 3×3, CUBA LIF, refractory 1) → a (add, per-channel gains, IF) → m (max pool) → o (readout); q (sum pool 2×2 stride 1 of c2) → d (dense, shift 2, IF). */
function program(coding: 'direct' | 'poisson'): IntProgram {
  const map = [2, 5, 5];
  return {
    version: 3,
    name: 'batch',
    input: { name: 'x', shape: [1, 5, 5], coding, bits: 4, scale: 1 / 15 },
    layers: [
      layer({
        name: 'c',
        kind: 'conv',
        inputs: ['x'],
        inShape: [1, 5, 5],
        outShape: map,
        weights: ramp(18, 11, 4),
        weightShape: [2, 1, 3, 3],
        shift: 1,
        bias: Int32Array.of(3, -2),
        geometry: geo(3, 1, 1),
        neuron: neuron({ threshold: Int32Array.of(40, 30) }),
      }),
      layer({
        name: 'c2',
        kind: 'conv',
        inputs: ['x'],
        inShape: [1, 5, 5],
        outShape: map,
        weights: ramp(18, 9, 3),
        weightShape: [2, 1, 3, 3],
        bias: Int32Array.of(1, -1),
        geometry: geo(3, 1, 1),
        neuron: neuron({ threshold: Int32Array.of(50, 35), leakShift: 3, refractory: 1, currentDecay: 1024 }),
      }),
      layer({
        name: 'a',
        kind: 'add',
        inputs: ['c', 'c2'],
        inShape: map,
        outShape: map,
        gains: Int32Array.of(3, 1, 2, 4),
        bias: Int32Array.of(1, 0),
        neuron: neuron({ threshold: Int32Array.of(4, 5), fire: 'gt', reset: 'zero', vReset: -1, overflow: 'wrap', membraneBits: 6 }),
      }),
      layer({ name: 'm', kind: 'max-pool', inputs: ['a'], inShape: map, outShape: [2, 2, 2], geometry: geo(2, 2, 0), outBits: 1 }),
      layer({ name: 'q', kind: 'sum-pool', inputs: ['c2'], inShape: map, outShape: [2, 4, 4], geometry: geo(2, 1, 0, 2) }),
      layer({
        name: 'd',
        kind: 'dense',
        inputs: ['q'],
        inShape: [32],
        outShape: [3],
        weights: ramp(96, 13, 6),
        weightShape: [3, 32],
        shift: 2,
        bias: Int32Array.of(1, 2, -3),
        neuron: neuron({ threshold: Int32Array.of(5), vInit: Int32Array.of(0) }),
      }),
      layer({ name: 'o', kind: 'dense', inputs: ['m'], inShape: [8], outShape: [3], weights: ramp(24, 5, 2), weightShape: [3, 8] }),
    ],
    output: 'o',
  };
}

const N = 5;
const inputs = (): Int32Array => Int32Array.from({ length: N * 25 }, (_, i) => (i * 37 + 11) % 16);

for (const coding of ['direct', 'poisson'] as const)
  for (const accel of [undefined, wasmKernels] as (Accelerator | undefined)[])
    it(`${N} samples at once = each alone (${coding} input, ${accel === undefined ? 'integer loops' : 'WebAssembly kernels'})`, () => {
      const p = program(coding);
      checkProgram(p);
      const T = 9;
      const xq = inputs();
      // Alone: every layer's output at every step, per sample; spikes per step and layer.
      const alone: Int32Array[][][] = [];
      const spikes = Array.from({ length: T }, () => new Int32Array(4));
      const readout: number[][] = Array.from({ length: T }, () => []);
      for (let b = 0; b < N; b++) {
        const steps: Int32Array[][] = [];
        const r = runSample(p, xq.subarray(b * 25, (b + 1) * 25), T, 10 + b, 7, (_t, outs) => steps.push(outs.map((o) => Int32Array.from(o))), accel);
        alone.push(steps);
        r.spikes.forEach((s, t) => s.forEach((v, k) => ((spikes[t] as Int32Array)[k] = ((spikes[t] as Int32Array)[k] as number) + v)));
        r.readout.forEach((o, t) => (readout[t] as number[]).push(...o));
      }
      let fired = 0;
      const together = runSamples(makeRunner(p, accel), p, xq, N, T, 10, 7, (t, outs) => {
        outs.forEach((o, i) => {
          const per = o.length / N;
          for (let b = 0; b < N; b++)
            assert.deepEqual(
              [...o.subarray(b * per, (b + 1) * per)],
              [...((alone[b] as Int32Array[][])[t] as Int32Array[])[i]!],
              `layer ${p.layers[i]?.name} sample ${b} step ${t}`,
            );
        });
      });
      together.spikes.forEach((s, t) => {
        assert.deepEqual([...s], [...(spikes[t] as Int32Array)], `spikes at step ${t}`);
        fired += s.reduce((a, v) => a + v, 0);
      });
      together.readout.forEach((o, t) => assert.deepEqual([...o], readout[t], `readout at step ${t}`));
      // Not a silent network: each neuron layer fires, and not every neuron at every step.
      for (let k = 0; k < 4; k++)
        assert.ok(
          spikes.some((s) => (s[k] as number) > 0),
          `neuron layer ${k} fires`,
        );
      assert.ok(fired < T * N * (50 + 50 + 50 + 3));
    });

it('simulateInt over 70 samples (batches of 64 and 6) = each sample run alone with its own index', () => {
  const p = program('poisson');
  const n = 70;
  const T = 6;
  const x = Float32Array.from({ length: n * 25 }, (_, i) => ((i * 29) % 16) / 15);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const whole = simulateInt(p, { x: { dtype: 'float32', shape: [n, 1, 5, 5], data: x }, y }, { T, seed: 4, trace: true, activity: true });
  // Alone: the sample's index picks its Poisson words (sample 64 starts the second batch).
  const r = makeRunner(p, wasmKernels);
  const rec = activityRecorder(p, r.prep, T);
  const spikes = Array.from({ length: 4 }, () => new Array<number>(T).fill(0));
  const correct = new Array<number>(T).fill(0);
  const predictions: number[] = [];
  for (let s = 0; s < n; s++) {
    const run = runSample(p, quantizeInput(p.input, x, s * 25), T, s, 4, rec.onStep, wasmKernels);
    const sums = [0, 0, 0];
    let pred = 0;
    run.readout.forEach((o, t) => {
      o.forEach((v, c) => (sums[c] = (sums[c] as number) + v));
      pred = sums.indexOf(Math.max(...sums));
      if (pred === y[s]) correct[t] = (correct[t] as number) + 1;
      run.spikes[t]?.forEach((v, k) => ((spikes[k] as number[])[t] = ((spikes[k] as number[])[t] as number) + v));
    });
    predictions.push(pred);
  }
  assert.deepEqual([...whole.predictions], predictions);
  assert.deepEqual(
    whole.accuracyPerStep.map((a) => Math.round(a * n)),
    correct,
  );
  assert.deepEqual(
    whole.trace?.map((l) => l.spikesPerStep),
    spikes,
  );
  assert.deepEqual(whole.activity, rec.result());
  assert.ok(new Set(predictions).size > 1, 'the predictions vary');
});

it('the batch is sized by all its registers, not by the widest layer: a deep net runs one sample at a time', () => {
  // Every layer 16 × 32 × 32 with a neuron (a ResNet-56's widths): 5 registers per element.
  const deep = (depth: number): IntProgram => ({
    version: 1,
    name: 'deep',
    input: { name: 'x', shape: [16, 32, 32], coding: 'direct', bits: 4, scale: 1 / 15 },
    layers: Array.from({ length: depth }, (_, i) =>
      layer({
        name: `a${i}`,
        kind: 'add',
        inputs: [i === 0 ? 'x' : `a${i - 1}`],
        inShape: [16, 32, 32],
        outShape: [16, 32, 32],
        neuron: neuron({ threshold: Int32Array.of(3), vInit: Int32Array.of(0) }),
      }),
    ),
    output: `a${depth - 1}`,
  });
  const words = (depth: number): number => 2 * 16384 + depth * 5 * 16384;
  for (const depth of [1, 2, 8, 57]) {
    const B = batchSize(deep(depth), 1000);
    assert.ok(B * words(depth) <= 2 ** 22 || B === 1, `depth ${depth}: ${B} samples hold ${B * words(depth)} values`);
    assert.ok(B >= 1);
  }
  assert.equal(batchSize(deep(57), 1000), 1);
  assert.equal(batchSize(deep(1), 1000), 36); // 2^22 / (2 + 5) · 16,384
  // Small nets take 64, or the whole dataset when it is smaller.
  assert.equal(batchSize(program('direct'), 1000), 64);
  assert.equal(batchSize(program('direct'), 5), 5);
});
