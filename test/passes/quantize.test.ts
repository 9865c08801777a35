// quantize: rounding error bounds (property tests), seeded stochastic rounding, argument
// errors, the program stored in the graph and the ONNX file, integer vs float simulation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSnncError } from '../../src/errors.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import type { Rounding } from '../../src/ir/types.js';
import { parseBits, parseLayerOverride, parseRounding, quantizeSymmetric, rounder } from '../../src/passes/quantize-config.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { programFromGraph } from '../../src/sim/int/serialize.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { simulate } from '../../src/sim/snn/simulate.js';
import { memoryReport } from '../../src/sim/int/memory.js';
import { images, labels, lenetLike, maxPoolNet, residualNet, rng } from '../sim/snn-graphs.js';

const usage =
  (re: RegExp) =>
  (e: unknown): boolean =>
    isSnncError(e) && e.code === 'SNNC_E_USAGE' && re.test(e.message);
const floats = fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 64 });

describe('symmetric quantizer error bounds', () => {
  for (const mode of ['nearest', 'trunc', 'stochastic'] as const) {
    it(`${mode}: |w − s·q| ${mode === 'nearest' ? '≤ s/2' : '< s'} for 2–16 bits, per tensor and pow2`, () => {
      fc.assert(
        fc.property(floats, fc.integer({ min: 2, max: 16 }), fc.boolean(), fc.integer(), (ws, bits, pow2, seed) => {
          const { q, scale } = quantizeSymmetric(ws, 1, bits, rounder(mode, seed, 't'), pow2);
          const s = scale[0] as number;
          ws.forEach((w, i) => {
            const err = Math.abs(w - s * (q[i] as number));
            if (mode === 'nearest') assert.ok(err <= s / 2 + 1e-9 * s, `err ${err} > s/2 = ${s / 2}`);
            else assert.ok(err < s * (1 + 1e-9), `err ${err} ≥ s = ${s}`);
            assert.ok(Math.abs(q[i] as number) <= 2 ** (bits - 1) - 1);
          });
        }),
        { numRuns: 200 },
      );
    });
  }

  it('trunc never rounds away from zero; nearest rounds half away from zero', () => {
    const t = rounder('trunc', 0, '');
    const n = rounder('nearest', 0, '');
    assert.deepEqual([2.7, -2.7, 0.5, -0.5, 1.5].map(t), [2, -2, 0, 0, 1]);
    assert.deepEqual([2.4, -2.6, 0.5, -0.5, 1.5].map(n), [2, -3, 1, -1, 2]);
  });

  it('stochastic rounding is reproducible per seed and unbiased on average', () => {
    const a = Array.from({ length: 1000 }, rounder('stochastic', 7, 'w').bind(null, 0.3));
    const b = Array.from({ length: 1000 }, rounder('stochastic', 7, 'w').bind(null, 0.3));
    const c = Array.from({ length: 1000 }, rounder('stochastic', 8, 'w').bind(null, 0.3));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const x of [0.3, -1.75, 2.5]) {
      const r = rounder('stochastic', 1, `m${x}`);
      let sum = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) {
        const v = r(x);
        assert.ok(v === Math.floor(x) || v === Math.floor(x) + 1);
        sum += v;
      }
      assert.ok(Math.abs(sum / n - x) < 0.02, `mean ${sum / n} vs ${x}`);
    }
  });

  it('1 bit: q = sign(w) ∈ {−1, +1}, s = mean|w|', () => {
    const { q, scale } = quantizeSymmetric([0.5, -1.5, 0, 2], 1, 1, rounder('nearest', 0, ''), false);
    assert.deepEqual(Array.from(q), [1, -1, 1, 1]);
    assert.equal(scale[0], 1);
  });

  it('per channel: one scale per group, max|w| maps to qMax', () => {
    const { q, scale } = quantizeSymmetric([1, -0.5, 10, 5], 2, 4, rounder('nearest', 0, ''), false);
    assert.deepEqual(scale, [1 / 7, 10 / 7]);
    assert.deepEqual(Array.from(q), [7, -4, 7, 4]);
  });
});

describe('quantize arguments', () => {
  it('bits outside 1–16 and malformed --bits are SNNC_E_USAGE', () => {
    assert.throws(() => parseBits('w=0'), usage(/w=0 is not a bit width in 1–16/));
    assert.throws(() => parseBits('w=17'), usage(/1–16/));
    assert.throws(() => parseBits('w=4,th=x'), usage(/th=NaN/));
    assert.throws(() => parseBits('q=4'), usage(/unknown key 'q'/));
    assert.throws(() => parseLayerOverride('conv1'), usage(/layer:key=bits/));
    assert.deepEqual(parseBits('w=4,th=8,v=auto'), { w: 4, th: 8, v: 'auto' });
    assert.throws(() => quantizeGraph(lenetLike(1), { bits: { w: 0 } }), usage(/w=0/));
  });

  it('an unknown layer in an override names the layers', () => {
    assert.throws(() => quantizeGraph(lenetLike(1), { layers: { conv9: { w: 4 } } }), usage(/'conv9', which is not a layer/));
  });

  it('a rounding typo says which names exist', () => {
    assert.throws(
      () => parseRounding('nearst'),
      (e: unknown) => usage(/unknown rounding 'nearst'/)(e) && /did you mean 'nearest'/.test((e as { hint: string }).hint),
    );
    assert.throws(() => quantizeGraph(lenetLike(1), { rounding: 'round' as Rounding }), usage(/unknown rounding 'round'/));
  });

  it('an ANN (not converted) is refused', () => {
    const g = lenetLike(1);
    assert.throws(() => quantizeGraph({ ...g, meta: {} }), usage(/converted spiking network/));
  });
});

describe('quantized graph and stored program', () => {
  it('the program round-trips through the graph and through ONNX bytes', () => {
    for (const g of [lenetLike(2, { perChannel: true }), maxPoolNet(2), residualNet(2)]) {
      const q = quantizeGraph(g, { bits: { w: 6, th: 10 } });
      assert.deepEqual(programFromGraph(q.graph), q.program);
      assert.deepEqual(programFromGraph(importOnnx(exportOnnx(q.graph))), q.program);
    }
  });

  it('per-layer overrides reach their layer; stochastic rounding with a seed gives identical programs', () => {
    const g = lenetLike(3, { perChannel: true });
    const q = quantizeGraph(g, { bits: { w: 4 }, layers: { if2: { w: 6 } } });
    assert.deepEqual(
      q.program.layers.filter((l) => l.kind === 'conv' || l.kind === 'dense').map((l) => [l.name, l.weightBits]),
      [
        ['if1', 4],
        ['if2', 6],
        ['if3', 4],
        ['f2', 4],
      ],
    );
    const a = quantizeGraph(g, { bits: { w: 3 }, rounding: 'stochastic', seed: 11 });
    const b = quantizeGraph(g, { bits: { w: 3 }, rounding: 'stochastic', seed: 11 });
    const c = quantizeGraph(g, { bits: { w: 3 }, rounding: 'stochastic', seed: 12 });
    assert.deepEqual(a.program, b.program);
    assert.notDeepEqual(a.program.layers[0]?.weights, c.program.layers[0]?.weights);
  });

  it('AveragePool becomes a sum-pool and the next layer absorbs 1/k²', () => {
    const q = quantizeGraph(lenetLike(4), { bits: { w: 8 } });
    const pool = q.program.layers.find((l) => l.kind === 'sum-pool');
    assert.equal(pool?.name, 'p1');
    assert.deepEqual(pool?.unit, [0.25]); // spikes (unit 1) summed over 2×2
  });

  it('memory: weights at w bits vs 32, neuron state at the membrane width', () => {
    const q = quantizeGraph(lenetLike(5), { bits: { w: 4, th: 8 } });
    const m = memoryReport(q.program);
    const f1 = m.layers.find((r) => r.layer === 'if3');
    assert.equal(f1?.biasBits, 32 * 16);
    assert.equal(f1?.weightBits, 32 * 96 * 4);
    const layer = q.program.layers.find((l) => l.name === 'if3');
    assert.equal(f1?.stateBits, 32 * (layer?.neuron?.membraneBits ?? 0));
    assert.ok(m.compression > 4);
  });
});

describe('integer vs float simulation', () => {
  const data = (shape: readonly number[]) => {
    const r = rng(7);
    return { x: images(r, 150, shape), y: labels(r, 150, 10) };
  };

  it('16-bit weights and thresholds: identical predictions on the max-pool net, ≥ 97 % agreement elsewhere', () => {
    const cases = [
      [maxPoolNet(3), [1, 8, 8], 1],
      [lenetLike(3, { perChannel: true, neuron: { vInit: 0.5 } }), [1, 12, 12], 0.97],
      [residualNet(3, { neuron: { vInit: 0.5 } }), [1, 6, 6], 0.97],
    ] as const;
    for (const [g, shape, agree] of cases) {
      const d = data(shape);
      const f = simulate(g, d, { T: 16 });
      const q = quantizeGraph(g, { bits: { w: 16, th: 16, b: 16, in: 10 } });
      const r = simulateInt(q.program, d, { T: 16 });
      const same = f.predictions.filter((p, i) => p === r.predictions[i]).length / d.y.length;
      assert.ok(same >= agree, `${g.name}: ${same} agreement`);
      assert.ok(Math.abs(r.spikesPerSample - f.spikesPerSample) <= 0.01 * f.spikesPerSample, `${g.name}: spikes ${r.spikesPerSample} vs ${f.spikesPerSample}`);
    }
  });

  it('fewer bits move further from the float network (8 bits closer than 3)', () => {
    const g = lenetLike(6, { perChannel: true, neuron: { vInit: 0.5 } });
    const d = data([1, 12, 12]);
    const f = simulate(g, d, { T: 16 });
    const agree = (w: number): number => {
      const r = simulateInt(quantizeGraph(g, { bits: { w, th: 8 } }).program, d, { T: 16 });
      return f.predictions.filter((p, i) => p === r.predictions[i]).length;
    };
    assert.ok(agree(8) > agree(3));
  });
});
