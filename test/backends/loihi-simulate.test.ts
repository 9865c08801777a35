// `simulateLoihi`: a converted graph run as its netx file runs on Loihi. Checked against a
// hand-computed trace (with lava's synaptic delay and the read-out latency), against the
// integer simulator on a net that both quantize exactly, and on LeNet against the integer
// SNN at Loihi's precisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gemmAttrs, buildGraph } from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/types.js';
import { LOIHI_INT_SETTINGS, simulateLoihi } from '../../src/backends/loihi/simulate.js';
import { backendFor, withTargetSemantics } from '../../src/backends/registry.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { convertModel } from '../../src/api/convert.js';
import { loadModel } from '../../src/api/load.js';
import { loadMnist } from '../../src/data/index.js';
import { EXAMPLES } from '../helpers/paths.js';
import { LOIHI_IF, f32, twoLayer } from './loihi-graphs.js';

const data = (rows: number[][], y: number[]): { x: ReturnType<typeof f32>; y: Int32Array } => ({
  x: f32([rows.length, rows[0]?.length ?? 0], rows.flat()),
  y: Int32Array.from(y),
});

describe('simulateLoihi on the hand-made 2-layer net', () => {
  // twoLayer with binary input (inputScale 1) quantizes to the integers of
  // loihi-netx.test.ts: layer 1 w = [[64,−32,128,0],[12,26,−38,52],[−256,128,64,32]],
  // b = [13,0,−51], vThMant 128 (fire gt); readout w = [[254,−128,64],[−190,128,254]],
  // b = [127,−64] (integrator: v = Σ a + b, the bias once).
  const d = data(
    [
      [1, 0, 1, 0],
      [0, 1, 0, 1],
    ],
    [0, 1],
  );

  it("with lava's delay: T + 2 steps, prediction read 2 steps after the last input step", () => {
    const r = simulateLoihi(twoLayer(), d, { T: 3, inputScale: 1 });
    assert.equal(r.latency, 2);
    assert.equal(r.steps, 5);
    // sample 0, a1 = [192, −26, −192] from step 1 on: v0 = 13, 218 → spike, then 205 → spike
    //   every step: spikes at steps 1..4 (4); readout [127,−64] until step 2, then +[254,−190]
    //   per step → class 0 at every read-out step.
    // sample 1, a1 = [−32, 78, 160]: step 1 v = [−6, 78, 58]; step 2 [−25, 156 → spike,
    //   167 → spike]; step 3 [−44, 78, 109]; step 4 [−63, 156 → spike, 218 → spike]: 4 spikes.
    //   readout: idx 2 = [127, −64] (class 0), idx 3 = + W2·[0,1,1] = [63, 318] (class 1), idx 4 same.
    // T'=1 reads idx 2, T'=2 idx 3, T'=3 idx 4 → sample 1 right from T'=2 on.
    assert.deepEqual(r.accuracyPerStep, [0.5, 1, 1]);
    assert.deepEqual(Array.from(r.predictions), [0, 1]);
    assert.deepEqual(
      r.layers.map((l) => [l.name, l.spikes]),
      [['if1', 4]],
    );
    assert.equal(r.inputScale, 1);
    assert.equal(r.readout, 'integrator');
    assert.equal(r.aInOver16, 0);
  });

  it('without the delay: T steps, sample 0 spikes at every step (3)', () => {
    const r = simulateLoihi(twoLayer(), d, { T: 3, inputScale: 1, synapticDelay: false });
    assert.equal(r.latency, 0);
    assert.equal(r.steps, 3);
    // sample 1: v = [−19, 78, 58], [−38, 156 → s, 167 → s], [−57, 78, 109] → 2 spikes;
    // readout after step 1: [127, −64]; after step 2: [63, 318] → class 1 from T = 2.
    assert.deepEqual(
      r.layers.map((l) => l.spikes),
      [(3 + 2) / 2],
    );
    assert.deepEqual(r.accuracyPerStep, [0.5, 1, 1]);
  });

  it("defaults to the emitter's automatic input scale for direct coding (137 here, see loihi-netx.test.ts)", () => {
    const r = simulateLoihi(twoLayer(), d, { T: 1 });
    assert.equal(r.inputScale, 137);
    assert.equal(r.emitOptions.inputScale, 137);
  });
});

/** x(8) → 6 IF → 5 IF → 3 readout; weights in {−1, 0, 1}, θ = 2, no biases: exact in both quantizers. */
function ternaryNet(): Graph {
  const tern = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => ((i * k + 1) % 3) - 1);
  return buildGraph({
    name: 'ternary',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 8] }],
    initializers: {
      w1: f32([6, 8], tern(48, 5)),
      th1: f32([1], [2]),
      w2: f32([5, 6], tern(30, 7)),
      th2: f32([1], [2]),
      w3: f32([3, 5], tern(15, 2)),
    },
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1'], outputs: ['h1'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if1', inputs: ['h1', 'th1'], outputs: ['s1'], attrs: LOIHI_IF },
      { op: 'Gemm', name: 'fc2', inputs: ['s1', 'w2'], outputs: ['h2'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if2', inputs: ['h2', 'th2'], outputs: ['s2'], attrs: LOIHI_IF },
      { op: 'Gemm', name: 'fc3', inputs: ['s2', 'w3'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
    meta: { 'snnc.kind': 'snn', 'snnc.coding': 'direct', 'snnc.readout': 'membrane' },
  });
}

describe('simulateLoihi against the integer simulator', () => {
  it('without the delay, binary inputs: the same predictions at every step and the same spikes', () => {
    // Loihi: W/θ = ±0.5 → s = 508, w = ±254, θ_int = 508; readout w = ±254. Integer program:
    // w = ±127 per channel, θ = 2·127·255 (8-bit input 255): both exact, same fire/reset rule,
    // and readouts proportional, so the argmax (ties → lowest class) agrees.
    const g = ternaryNet();
    const rows = Array.from({ length: 16 }, (_, s) => Array.from({ length: 8 }, (_, i) => ((s * 13 + i * 5) % 7 < 4 ? 1 : 0)));
    const y = rows.map((_, s) => s % 3);
    const d = data(rows, y);
    const T = 12;
    const lo = simulateLoihi(g, d, { T, inputScale: 1, synapticDelay: false });
    const int = simulateInt(quantizeGraph(g).program, d, { T });
    assert.deepEqual(lo.accuracyPerStep, int.accuracyPerStep);
    assert.deepEqual(Array.from(lo.predictions), Array.from(int.predictions));
    assert.deepEqual(
      lo.layers.map((l) => l.spikes),
      int.layers.filter((l) => l.kind === 'dense' && l.name !== 'fc3').map((l) => l.spikes),
    );
    assert.ok(lo.spikesPerSample > 0, 'the net is active');
  });
});

describe('LeNet on Loihi', () => {
  it('stays close to the integer SNN at Loihi precision at T = 32 (first 200 test images)', async () => {
    const snn = convertModel(await loadModel(join(EXAMPLES, 'lenet.onnx')), withTargetSemantics(backendFor('loihi'), {})).graph;
    const test = loadMnist('test', { limit: 200 });
    const d = { x: test.x, y: test.y };
    const T = 32;
    const lo = simulateLoihi(snn, d, { T });
    const int = simulateInt(quantizeGraph(snn, LOIHI_INT_SETTINGS).program, d, { T });
    const gap = (lo.accuracyPerStep[T - 1] as number) - (int.accuracyPerStep[T - 1] as number);
    // Issue #7 asks for 0.5 pp on the full split (bench/loihi-lenet.ts). On 200 images one
    // sample is 0.5 pp, and the two disagree on ~2 % of images, so the paired difference has
    // a standard deviation of about √(0.02/200) ≈ 1 pp: allow 0.5 pp + 1 pp.
    assert.ok(Math.abs(gap) <= 0.015 + 1e-12, `Loihi − integer = ${(100 * gap).toFixed(2)} pp`);
    assert.ok((lo.accuracyPerStep[T - 1] as number) > 0.9);
    assert.equal(lo.aInOver16, 0);
  });

  it('the MLP (784-input first layer) keeps its weights: close to the integer SNN, not at chance', async () => {
    // With a fixed 8-bit input scale every fc1 weight rounded to 0 here (10 % accuracy).
    const snn = convertModel(await loadModel(join(EXAMPLES, 'mlp.onnx')), withTargetSemantics(backendFor('loihi'), {})).graph;
    const test = loadMnist('test', { limit: 200 });
    const d = { x: test.x, y: test.y };
    const T = 16;
    const lo = simulateLoihi(snn, d, { T });
    assert.ok(!lo.diagnostics.some((x) => x.code === 'SNNC_W_LOIHI_ZERO_WEIGHTS'));
    const int = simulateInt(quantizeGraph(snn, LOIHI_INT_SETTINGS).program, d, { T });
    const gap = (lo.accuracyPerStep[T - 1] as number) - (int.accuracyPerStep[T - 1] as number);
    // The input is coarser on Loihi (scale ${lo.inputScale} vs the integer SNN's 255), so allow
    // 1 pp more than for LeNet.
    assert.ok(Math.abs(gap) <= 0.025 + 1e-12, `Loihi − integer = ${(100 * gap).toFixed(2)} pp at input scale ${lo.inputScale}`);
    assert.equal(lo.aInOver16, 0);
  });
});
