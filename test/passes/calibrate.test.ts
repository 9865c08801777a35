import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSnncError } from '../../src/errors.js';
import { buildGraph } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { calibrate, calibratePass, CHANNEL_BINS, LAYER_BINS, statsFromMeta } from '../../src/passes/calibrate.js';
import type { CalibrateOptions } from '../../src/passes/calibrate.js';
import { collectingContext } from '../../src/passes/context.js';
import { f32, rng } from '../sim/snn-graphs.js';

/** x [N, 2, 1, 2] → Relu (or Clip(0, 2.5)) → y. */
function actGraph(op: 'Relu' | 'Clip'): Graph {
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 1, 2] }],
    initializers: op === 'Clip' ? { lo: f32([], [0]), hi: f32([], [2.5]) } : {},
    nodes: [
      op === 'Clip' ? { op: 'Clip', name: 'act', inputs: ['x', 'lo', 'hi'], outputs: ['y'] } : { op: 'Relu', name: 'act', inputs: ['x'], outputs: ['y'] },
    ],
    outputs: ['y'],
  });
}

// Two samples; after the Relu, channel 0 holds {1, 0, 3, 2} and channel 1 {0, 4, 0, 0}.
//   sample 0: ch0 [1, -2], ch1 [0, 4];  sample 1: ch0 [3, 2], ch1 [-1, 0]
// max:        layer 4;  channels [3, 4]
// hoyer:      layer Σx²/Σx = (1 + 9 + 4 + 16)/(1 + 3 + 2 + 4) = 30/10 = 3;
//             ch0 (1 + 9 + 4)/(1 + 3 + 2) = 14/6; ch1 16/4 = 4
// percentile (nonzero values, rank k = ceil(p/100 · count)):
//   p = 50:   layer {1, 2, 3, 4}, k = 2 → 2;  ch0 {1, 2, 3}, k = 2 → 2;  ch1 {4}, k = 1 → 4
//   p = 25:   layer k = 1 → 1
//   p = 99.9: layer k = 4 → 4
const X = f32([2, 2, 1, 2], [1, -2, 0, 4, 3, 2, -1, 0]);
const data = { x: X, source: 'hand' };

function stat(g: Graph, opts: CalibrateOptions, x: Tensor = X): { layer: number; channel: number[] } {
  const s = calibrate(g, { x, source: 'hand' }, opts).values.get('y');
  assert.ok(s !== undefined);
  return { layer: s.layer, channel: s.channel === undefined ? [] : [...s.channel] };
}

function near(got: number, want: number, tol: number): void {
  assert.ok(got >= want - 1e-7 && got <= want + tol, `${got} vs ${want} (+${tol})`);
}

describe('calibrate: statistics computed by hand (e)', () => {
  it('max, per layer and per channel', () => {
    assert.deepEqual(stat(actGraph('Relu'), { method: 'max', granularity: 'layer' }), { layer: 4, channel: [] });
    assert.deepEqual(stat(actGraph('Relu'), { method: 'max', granularity: 'channel' }), { layer: 4, channel: [3, 4] });
  });
  it('hoyer extremum ‖x‖²/‖x‖₁', () => {
    const s = stat(actGraph('Relu'), { method: 'hoyer', granularity: 'channel' });
    assert.ok(Math.abs(s.layer - 3) < 1e-12);
    assert.ok(Math.abs((s.channel[0] as number) - 14 / 6) < 1e-6);
    assert.equal(s.channel[1], 4);
  });
  it('percentiles within the documented histogram bound (0 ≤ r − exact ≤ max/bins)', () => {
    const g = actGraph('Relu');
    const p50 = stat(g, { method: { percentile: 50 }, granularity: 'channel' });
    near(p50.layer, 2, 4 / LAYER_BINS);
    near(p50.channel[0] as number, 2, 3 / CHANNEL_BINS);
    assert.equal(p50.channel[1], 4);
    near(stat(g, { method: { percentile: 25 }, granularity: 'layer' }).layer, 1, 4 / LAYER_BINS);
    assert.equal(stat(g, { method: { percentile: 99.9 }, granularity: 'layer' }).layer, 4);
  });
  it('percentile of 3000 random values matches the exact order statistic within max/bins', () => {
    const r = rng(17);
    const n = 1500;
    const x = f32(
      [n, 2, 1, 1],
      Array.from({ length: 2 * n }, () => (r() < 0.3 ? -r() : r() ** 3 * 7)),
    );
    const g = buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 1, 1] }],
      nodes: [{ op: 'Relu', name: 'act', inputs: ['x'], outputs: ['y'] }],
      outputs: ['y'],
    });
    for (const p of [99, 99.9, 99.99, 90]) {
      const nz = [...(x.data as Float32Array)].filter((v) => v > 0).sort((a, b) => a - b);
      const exact = nz[Math.ceil((p / 100) * nz.length) - 1] as number;
      const max = nz[nz.length - 1] as number;
      near(stat(g, { method: { percentile: p }, granularity: 'layer' }, x).layer, exact, max / LAYER_BINS);
    }
  });
  it("'clip' takes the Clip's bound; on a plain Relu it is SNNC_E_CALIBRATION naming the node", () => {
    assert.deepEqual(stat(actGraph('Clip'), { method: 'clip', granularity: 'channel' }), { layer: 2.5, channel: [2.5, 2.5] });
    // max of a Clip(0, 2.5) activation: min(4, 2.5) = 2.5, channel 0: min(3, 2.5).
    assert.deepEqual(stat(actGraph('Clip'), { method: 'max', granularity: 'channel' }), { layer: 2.5, channel: [2.5, 2.5] });
    assert.throws(
      () => calibrate(actGraph('Relu'), data, { method: 'clip', granularity: 'layer' }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION' && e.node === 'act',
    );
  });
  it('batching does not change the result (deterministic)', () => {
    const g = actGraph('Relu');
    for (const method of ['max', 'hoyer', { percentile: 50 }] as const) {
      assert.deepEqual(stat(g, { method, granularity: 'channel', batchSize: 1 }), stat(g, { method, granularity: 'channel' }));
    }
  });
  it('the pass stores the statistics in the graph meta, readable back', () => {
    const ctx = collectingContext({ seed: 0, calibration: data });
    const h = calibratePass({ method: 'hoyer', granularity: 'channel' }).run(actGraph('Relu'), ctx);
    const s = statsFromMeta(h);
    assert.ok(s !== undefined);
    assert.equal(s.method, 'hoyer');
    assert.deepEqual(s.input, { min: -2, max: 4 });
    assert.deepEqual([...(s.values.get('y')?.channel ?? [])], [Math.fround(14 / 6), 4]);
  });
});

describe('calibrate: bad calibration data is SNNC_E_CALIBRATION (f)', () => {
  const g = actGraph('Relu');
  const bad = (x: Tensor, re: RegExp): void => {
    assert.throws(
      () => calibrate(g, { x, source: 'bad.npz' }, { method: 'max', granularity: 'layer' }),
      (e: unknown) => {
        assert.ok(isSnncError(e));
        assert.equal(e.code, 'SNNC_E_CALIBRATION');
        assert.match(e.message, re);
        return true;
      },
    );
  };
  it('wrong per-sample shape names both shapes', () => bad(f32([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]), /\[2, 2\].*\[2, 1, 2\]/));
  it('wrong dtype', () => bad({ dtype: 'float64', shape: [1, 2, 1, 2], data: new Float64Array(4) }, /float64/));
  it('no samples', () => bad(f32([0, 2, 1, 2], []), /no samples/));
  it('labels that do not match the samples', () => {
    assert.throws(
      () => calibrate(g, { x: X, y: Int32Array.of(1), source: 'bad.npz' }, { method: 'max', granularity: 'layer' }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION' && /labels/.test(e.message),
    );
  });
  it('a percentile outside (0, 100]', () => {
    assert.throws(
      () => calibrate(g, data, { method: { percentile: 120 }, granularity: 'layer' }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION',
    );
  });
  it('the pass without calibration data', () => {
    assert.throws(
      () => calibratePass({ method: 'max', granularity: 'layer' }).run(g, collectingContext()),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION',
    );
  });
});
