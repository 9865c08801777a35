// IMC functional simulation: hand-computed crossbar sums through the converters, and
// exact equality with an integer reference (same quantized weights, plain integer dot
// products, IF neurons written out here) when devices are ideal and the ADC is lossless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adcConverter, ditherOffsets, ditheredRefs, imcAffine, mapGraph, newScratch, programmedLevels, simulateImc } from '../../src/backends/imc/index.js';
import type { Converter, ImcOptions, LayerProgram, MappedLayer, MappedNetwork } from '../../src/backends/imc/index.js';
import { buildGraph, gemmAttrs } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { ImcTarget } from '../../src/costmodel/target.js';
import { adcless, convNet, convOnly, denseOnly, f32, hpadc, lcg, mlp, spikingConvNet } from './imc-graphs.js';
import { keepLevelsUpTo, psumsUpTo, runMapped } from '../../src/backends/imc/run-layer.js';
import { keepResidentUpTo } from '../../src/sim/ann/wasm/bitmm.js';
import { newHistograms } from '../../src/backends/imc/sense-amp.js';
import { calibrationImageCount } from '../../src/backends/imc/simulate.js';
import { convertModel } from '../../src/api/convert.js';
import { loadModel } from '../../src/api/load.js';
import { join } from 'node:path';
import { EXAMPLES } from '../helpers/paths.js';

/** Every group's programmed levels (the mapping makes them when asked). */
const levelsOf = (m: MappedLayer, net: MappedNetwork): Uint8Array[] => m.q.map((_, g) => programmedLevels(m, net.config, g));

// ---------------------------------------------------------------- hand-computed sums

/** Gemm 4 → 1, W = [3, 2, 1, −3]: with 3-bit weights s_w = 1 and q = W. */
function tiny(): Graph {
  return buildGraph({
    name: 'tiny',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
    initializers: { w: f32([1, 4], [3, 2, 1, -3]), th: f32([], [1]) },
    nodes: [
      { op: 'Gemm', name: 'fc', inputs: ['x', 'w', ''], outputs: ['h'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if', inputs: ['h', 'th'], outputs: ['s'], attrs: { reset: 'subtract', vInit: 0, fire: 'ge', refractory: 0 } },
    ],
    outputs: ['s'],
  });
}

function tinyRun(converter: Converter): number {
  const net = mapGraph(tiny(), hpadc(), { weightBits: 3, rows: 4, cols: 8 });
  const m = net.layers[0];
  assert.ok(m);
  const p: LayerProgram = {
    m,
    R: 4,
    cellBits: 1,
    slices: 3,
    weightBits: 3,
    eff: [Float64Array.from(programmedLevels(m, net.config, 0))],
    offEff: [],
    converter,
    readSigma: 0,
  };
  const out = new Float64Array(1);
  imcAffine(p, 0, Float64Array.from([1, 1, 1, 1]), out, newScratch(p));
  return out[0] as number;
}

test('imcAffine: column sums of |q| bits, converted and shift-added (hand-computed)', () => {
  // Columns (slice s, ±): s0+ = bit0 of {3,2,1} = 2, s0− = bit0 of 3 = 1, s1+ = 2, s1− = 1, s2± = 0.
  assert.equal(tinyRun({ kind: 'ideal' }), 3); // (2−1)·1 + (2−1)·2 = 3 + 2 + 1 − 3
  // Lossless bits ⌈log2(4 + 1)⌉ = 3. A 2-bit ADC has step 2: 2 → 2, 1 → round(0.5)·2 = 2.
  assert.equal(tinyRun(adcConverter(2, 2)), 0);
  // A 1-bit ADC of step 4: 2 → round(0.5) = 1 → 4; 1 → 0.  (4 − 0)·1 + (4 − 0)·2 = 12.
  assert.equal(tinyRun(adcConverter(1, 4)), 12);
  // Sense amplifier, ref 1.5, level 2: 2 → 2, 1 → 0.  2·1 + 2·2 = 6.
  const sa: Converter = { kind: 'sense-amp', ref: new Float64Array(4).fill(1.5), level: new Float64Array(4).fill(2) };
  assert.equal(tinyRun(sa), 6);
});

// ---------------------------------------------------------------- integer reference

function quant(w: Float64Array, bits: number): { s: number; q: Int32Array } {
  const qmax = 2 ** (bits - 1) - 1;
  let m = 0;
  for (const v of w) m = Math.max(m, Math.abs(v));
  const s = m / qmax;
  return { s, q: Int32Array.from(w, (v) => Math.round(v / s)) };
}

const init = (g: Graph, name: string): Float64Array => Float64Array.from((g.initializers.get(name) as Tensor).data as Float32Array);

/** IF with subtract reset, v0 = θ/2, spike when v ≥ θ. */
function ifStep(v: Float64Array, theta: Float64Array, cur: Float32Array, out: Float32Array): void {
  for (let i = 0; i < v.length; i++) {
    const th = theta[i % theta.length] as number;
    const vv = (v[i] as number) + (cur[i] as number);
    if (vv >= th) {
      v[i] = vv - th;
      out[i] = 1;
    } else {
      v[i] = vv;
      out[i] = 0;
    }
  }
}

/** mlp(): analog input quantized to 8 bits over [0, 1], fc1 + IF, fc2 readout. */
function mlpReference(g: Graph, x: Float32Array, N: number, T: number): { spikes: Float32Array[][]; readout: Float64Array } {
  const w1 = quant(init(g, 'w1'), 8); // [12][20] = [O][K]
  const w2 = quant(init(g, 'w2'), 8); // [12][3] = [K][O]
  const b1 = init(g, 'b1');
  const b2 = init(g, 'b2');
  const th = init(g, 'th1');
  const sX = 1 / 255;
  const spikes: Float32Array[][] = [];
  const readout = new Float64Array(N * 3);
  for (let n = 0; n < N; n++) {
    const code = Array.from({ length: 20 }, (_, k) => Math.max(0, Math.min(255, Math.round((x[n * 20 + k] as number) / sX))));
    const cur = new Float32Array(12);
    for (let o = 0; o < 12; o++) {
      let acc = 0;
      for (let k = 0; k < 20; k++) acc += (w1.q[o * 20 + k] as number) * (code[k] as number);
      cur[o] = acc * w1.s * sX + (b1[o] as number);
    }
    const v = Float64Array.from(th, (t) => t / 2);
    spikes.push([]);
    for (let t = 0; t < T; t++) {
      const s = new Float32Array(12);
      ifStep(v, th, cur, s);
      spikes[n]?.push(s);
      for (let o = 0; o < 3; o++) {
        let acc = 0;
        for (let k = 0; k < 12; k++) acc += (w2.q[k * 3 + o] as number) * (s[k] as number);
        readout[n * 3 + o] = (readout[n * 3 + o] as number) + Math.fround(acc * w2.s + (b2[o] as number));
      }
    }
  }
  return { spikes, readout };
}

/** convNet(): conv 3×3 pad 1 (analog 8-bit input) + IF → avgpool 2 (counts n/4) → fc readout. */
function convReference(g: Graph, x: Float32Array, N: number, T: number): { spikes: Float32Array[][]; readout: Float64Array } {
  const wc = quant(init(g, 'wc'), 8); // [3][1][3][3]
  const wf = quant(init(g, 'wf'), 8); // [4][27]
  const bc = init(g, 'bc');
  const bf = init(g, 'bf');
  const th = init(g, 'thc');
  const sX = 1 / 255;
  const spikes: Float32Array[][] = [];
  const readout = new Float64Array(N * 4);
  for (let n = 0; n < N; n++) {
    const code = (h: number, w: number): number =>
      h < 0 || h > 5 || w < 0 || w > 5 ? 0 : Math.max(0, Math.min(255, Math.round((x[n * 36 + h * 6 + w] as number) / sX)));
    const cur = new Float32Array(108);
    for (let c = 0; c < 3; c++) {
      for (let h = 0; h < 6; h++) {
        for (let w = 0; w < 6; w++) {
          let acc = 0;
          for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) acc += (wc.q[c * 9 + i * 3 + j] as number) * code(h - 1 + i, w - 1 + j);
          cur[c * 36 + h * 6 + w] = acc * wc.s * sX + (bc[c] as number);
        }
      }
    }
    const v = new Float64Array(108);
    const thFull = Float64Array.from({ length: 108 }, (_, i) => th[Math.floor(i / 36)] as number);
    for (let i = 0; i < 108; i++) v[i] = (thFull[i] as number) / 2;
    spikes.push([]);
    for (let t = 0; t < T; t++) {
      const s = new Float32Array(108);
      ifStep(v, thFull, cur, s);
      spikes[n]?.push(s);
      const counts: number[] = [];
      for (let c = 0; c < 3; c++) {
        for (let ph = 0; ph < 3; ph++) {
          for (let pw = 0; pw < 3; pw++) {
            let k = 0;
            for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) k += s[c * 36 + (2 * ph + i) * 6 + 2 * pw + j] as number;
            counts.push(k);
          }
        }
      }
      for (let o = 0; o < 4; o++) {
        let acc = 0;
        for (let i = 0; i < 27; i++) acc += (wf.q[o * 27 + i] as number) * (counts[i] as number);
        readout[n * 4 + o] = (readout[n * 4 + o] as number) + Math.fround(acc * wf.s * 0.25 + (bf[o] as number));
      }
    }
  }
  return { spikes, readout };
}

function dataset(N: number, F: number, shape: readonly number[], seed: number, classes: number): { x: Tensor; y: Int32Array } {
  return { x: f32([N, ...shape], lcg(N * F, seed, 0, 1)), y: Int32Array.from({ length: N }, (_, i) => i % classes) };
}

function argmax(a: Float64Array, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if ((a[off + i] as number) > (a[off + b] as number)) b = i;
  return b;
}

function checkExact(
  g: Graph,
  target: ImcTarget,
  opts: ImcOptions,
  ref: typeof mlpReference,
  F: number,
  shape: readonly number[],
  spikeNode: string,
  classes: number,
): void {
  const N = 5;
  const T = 12;
  const data = dataset(N, F, shape, 7, classes);
  const want = ref(g, data.x.data as Float32Array, N, T);
  const net = mapGraph(g, target, opts);
  const got: Float32Array[][] = Array.from({ length: N }, () => []);
  const res = simulateImc(g, net, data, {
    T,
    batchSize: 2,
    onSpikes: (node, _t, first, s) => {
      if (node !== spikeNode) return;
      const per = s.length / Math.min(2, N - first);
      for (let b = 0; first + b < N && b * per < s.length; b++) got[first + b]?.push(s.slice(b * per, (b + 1) * per));
    },
  });
  let total = 0;
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      assert.deepEqual(got[n]?.[t], want.spikes[n]?.[t], `sample ${n} step ${t}`);
      total += (want.spikes[n]?.[t] as Float32Array).reduce((a, b) => a + b, 0);
    }
    assert.equal(res.predictions[n], argmax(want.readout, n * classes, classes));
  }
  assert.ok(total > 0, 'the reference network spikes');
  assert.deepEqual([...res.readout], [...want.readout]);
}

test('ideal devices + lossless 8-bit ADC: IMC simulation = integer reference (mlp, 128×128)', () => {
  checkExact(mlp(), hpadc(), {}, mlpReference, 20, [20], 'if1', 3);
});

test('ideal devices + lossless ADC: exact with 8×8 tiles, 2-bit cells, offset columns', () => {
  checkExact(mlp(), hpadc(), { rows: 8, cols: 8, cellBits: 2, signed: 'offset' }, mlpReference, 20, [20], 'if1', 3);
});

test('ideal devices + lossless ADC: exact with a DAC-driven first layer (11-bit ADC for 8 rows)', () => {
  checkExact(mlp(), hpadc(), { rows: 8, cols: 16, analogInput: 'dac', adcBits: 11 }, mlpReference, 20, [20], 'if1', 3);
});

test('ideal devices + lossless ADC: exact for conv (padding) + IF + avgpool counts + dense', () => {
  checkExact(convNet(), hpadc(), { rows: 16, cols: 16 }, convReference, 36, [1, 6, 6], 'ifc', 4);
});

test('a lossy ADC changes the result (DAC mode, 8 bits where 11 are needed)', () => {
  const g = mlp();
  const data = dataset(5, 20, [20], 7, 3);
  const want = mlpReference(g, data.x.data as Float32Array, 5, 12);
  const res = simulateImc(g, mapGraph(g, hpadc(), { rows: 8, cols: 16, analogInput: 'dac' }), data, { T: 12 });
  assert.notDeepEqual([...res.readout], [...want.readout]);
});

test('ADC-less: differs from the exact result and is deterministic', () => {
  const g = convNet();
  const data = dataset(6, 36, [1, 6, 6], 7, 4);
  const calibration = dataset(8, 36, [1, 6, 6], 99, 4);
  const exact = simulateImc(g, mapGraph(g, hpadc(), { rows: 16, cols: 16 }), data, { T: 12 });
  const net = mapGraph(g, adcless(), { rows: 16, cols: 16 });
  const a = simulateImc(g, net, data, { T: 12, calibration });
  const b = simulateImc(g, net, data, { T: 12, calibration });
  assert.deepEqual([...a.readout], [...b.readout]);
  assert.deepEqual(a.senseRefs, b.senseRefs);
  assert.notDeepEqual([...a.readout], [...exact.readout]);
  const half = simulateImc(g, net, data, { T: 12, senseReference: 'half-max' });
  assert.notDeepEqual([...half.readout], [...a.readout]);
  assert.throws(() => simulateImc(g, net, data, { T: 12 }), /calibration samples/);
});

test('device non-idealities: reproducible per seed, different across seeds, none = ideal', () => {
  const g = mlp();
  const data = dataset(5, 20, [20], 7, 3);
  const net = mapGraph(g, hpadc(), { rows: 8, cols: 8 });
  const devices = { programNoise: 1, readNoise: 0.02, stuckAt: 0.01, driftTime: 3600, onOffRatio: 17 };
  const run = (seed: number): number[] => [...simulateImc(g, net, data, { T: 12, devices: { ...devices, seed } }).readout];
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
  // Read noise is per (layer, sample, step): the batch size does not change the draws.
  const r1 = simulateImc(g, net, data, { T: 12, batchSize: 1, devices: { readNoise: 0.05, seed: 1 } }).readout;
  const r5 = simulateImc(g, net, data, { T: 12, batchSize: 5, devices: { readNoise: 0.05, seed: 1 } }).readout;
  assert.deepEqual([...r1], [...r5]);
  const ideal = simulateImc(g, net, data, { T: 12 }).readout;
  assert.deepEqual([...simulateImc(g, net, data, { T: 12, devices: {} }).readout], [...ideal]);
  assert.deepEqual([...ideal], [...mlpReference(g, data.x.data as Float32Array, 5, 12).readout]);
});

test('the exact shortcut (ideal devices, lossless converter) equals the crossbar path bit for bit', () => {
  // The shortcut computes Σ_r q_ro·x_r directly; the crossbar path sums tile columns, converts
  // them losslessly and shifts-and-adds the slices. Same numbers for every layer and input.
  const configs: readonly [Graph, ImcOptions, number][] = [
    [mlp(), {}, 1],
    [mlp(), { rows: 8, cols: 8, cellBits: 2, signed: 'offset' }, 1],
    [mlp(), { rows: 8, cols: 8, weightBits: 6 }, 255],
    [convNet(), { rows: 16, cols: 16 }, 1],
  ];
  let nonzero = 0;
  for (const [g, opts, xMax] of configs) {
    const net = mapGraph(g, hpadc(), opts);
    for (const m of net.layers) {
      const bits = Math.max(m.losslessBits, 1);
      const slow: LayerProgram = {
        m,
        R: net.config.R,
        cellBits: net.config.cellBits,
        slices: net.config.slices,
        weightBits: net.config.weightBits,
        eff: levelsOf(m, net),
        offEff: m.polarity === 1 ? m.q.map(() => new Uint8Array(m.colTilesPerGroup * m.layer.rows).fill(1)) : [],
        converter: adcConverter(bits, 1),
        readSigma: 0,
      };
      const fast: LayerProgram = { ...slow, exact: true };
      const rows = m.layer.rows;
      const og = m.layer.outFeatures / m.layer.groups;
      for (let trial = 0; trial < 5; trial++) {
        const codes = lcg(rows, 31 * trial + 7, 0, 1).map((v) => Math.floor(v * (xMax + 1)) * (v < 0.6 ? 1 : 0));
        const x = Float64Array.from(codes.map((v) => Math.min(v, m.maxCodePerRead > 1 ? m.maxCodePerRead : 2 ** m.inputBits - 1)));
        for (let grp = 0; grp < m.layer.groups; grp++) {
          const a = new Float64Array(og);
          const b = new Float64Array(og);
          imcAffine(slow, grp, x, a, newScratch(slow));
          imcAffine(fast, grp, x, b, newScratch(fast));
          assert.deepEqual([...b], [...a], `${m.layer.name} group ${grp} trial ${trial}`);
          if (a.some((v) => v !== 0)) nonzero++;
        }
      }
    }
  }
  assert.ok(nonzero > 20, `${nonzero} evaluations with a nonzero output`);
});

test("the exact shortcut on a batch (one matrix product per chunk) gives the crossbar path's currents bit for bit", () => {
  const configs: readonly [Graph, ImcOptions][] = [
    [mlp(), {}],
    [mlp(), { rows: 8, cols: 8, weightBits: 6 }],
    [convNet(), { rows: 16, cols: 16 }],
    [convNet(), { rows: 8, cols: 8, cellBits: 2 }],
  ];
  let layers = 0;
  for (const [g, opts] of configs) {
    const net = mapGraph(g, hpadc(), opts);
    for (const m of net.layers) {
      const slow: LayerProgram = {
        m,
        R: net.config.R,
        cellBits: net.config.cellBits,
        slices: net.config.slices,
        weightBits: net.config.weightBits,
        // Float64 levels: the per-read crossbar path (imcAffine without the shortcut).
        eff: levelsOf(m, net).map((l) => Float64Array.from(l)),
        offEff: [],
        converter: adcConverter(Math.max(m.losslessBits, 1), 1),
        readSigma: 0,
      };
      const fast: LayerProgram = { ...slow, eff: levelsOf(m, net), exact: true };
      const n = 3;
      const F = m.layer.conv !== undefined ? m.layer.conv.cin * m.layer.conv.inH * m.layer.conv.inW : m.layer.rows;
      const raw = lcg(n * F, 11 + F, -0.2, 1.1);
      const x: Tensor = { dtype: 'float32', shape: [n, F], data: Float32Array.from(raw, (v) => (m.layer.input.kind === 'spike' ? (v > 0.5 ? 1 : 0) : v)) };
      const a = runMapped(slow, x, 0, n, 0, 0, 0);
      assert.ok((a.data as Float32Array).some((v) => v !== 0));
      assert.deepEqual(runMapped(fast, x, 0, n, 0, 0, 0).data, a.data, `${g.name}/${m.layer.name}`);
      layers++;
    }
  }
  assert.ok(layers >= 6, `${layers} layers compared`);
});

// ---------------------------------------------------------------- batched (GEMM) reads

test("the batched GEMM path gives the per-read path's currents bit for bit (sense amps, lossy ADC, bit-serial and DAC inputs, conv with padding, cell bits 1 and 2, with and without calibration histograms)", () => {
  const cases: { g: Graph; opts: ImcOptions }[] = [
    { g: convNet(), opts: { rows: 8, cols: 16 } },
    { g: convNet(), opts: { rows: 4, cols: 8, cellBits: 2, analogInput: 'dac' } },
    { g: mlp(), opts: { rows: 8, cols: 32, weightBits: 6 } },
    // Popcount products over more than one 64-bit word, and 2-bit cells as two bit planes.
    { g: denseOnly(150, 6), opts: { rows: 128, cols: 32, cellBits: 2 } },
    { g: convNet(), opts: { rows: 8, cols: 16, cellBits: 2 } },
    // Spikes scattered into the reads of a strided, grouped, padded conv.
    { g: spikingConvNet(), opts: { rows: 8, cols: 16 } },
  ];
  for (const { g, opts } of cases) {
    const net = mapGraph(g, adcless(), opts);
    for (const m of net.layers) {
      const S = net.config.slices;
      const converters: Converter[] = [
        {
          kind: 'sense-amp',
          ref: Float64Array.from({ length: S + 1 }, (_, i) => 0.5 + i),
          // Levels that are no short binary fractions: sums round, so the order of the read-out shows.
          level: Float64Array.from({ length: S + 1 }, (_, i) => 1 + 0.3 * i),
        },
        adcConverter(2, 4),
        { kind: 'ideal' },
      ];
      for (const [converter, probing] of converters.flatMap(
        (c) =>
          [
            [c, false],
            [c, true],
          ] as const,
      )) {
        const seen = [0, 1].map(() => newHistograms(m, net.config.R, net.config.cellBits, net.config.slices));
        // Float64 levels take the per-read path (imcAffine); the programmed Uint8 levels the GEMM
        // one; no levels (what the simulation gives a popcount layer) the GEMM one from q.
        const prog = (levels: 'float' | 'int' | 'none', k: 0 | 1): LayerProgram => ({
          m,
          R: net.config.R,
          cellBits: net.config.cellBits,
          slices: net.config.slices,
          weightBits: net.config.weightBits,
          ...(levels === 'none' ? {} : { eff: levelsOf(m, net).map((l) => (levels === 'float' ? Float64Array.from(l) : l)) }),
          offEff: [],
          converter,
          readSigma: 0,
          ...(probing ? { histograms: seen[k] as Float64Array[] } : {}),
        });
        const n = 3;
        const F = m.layer.conv !== undefined ? m.layer.conv.cin * m.layer.conv.inH * m.layer.conv.inW : m.layer.rows;
        const raw = lcg(n * F, 7 + F, -0.2, 1.1);
        const x: Tensor = { dtype: 'float32', shape: [n, F], data: Float32Array.from(raw, (v) => (m.layer.input.kind === 'spike' ? (v > 0.5 ? 1 : 0) : v)) };
        const a = runMapped(prog('float', 0), x, 0, n, 0, 0, 0);
        const b = runMapped(prog('int', 1), x, 0, n, 0, 0, 0);
        assert.deepEqual(b.data, a.data, `${g.name}/${m.layer.name}/${converter.kind}${probing ? ' counted' : ''}`);
        assert.deepEqual(seen[1], seen[0], 'the same partial sums are counted');
        if (m.maxCodePerRead === 1 && m.polarity === 2) {
          if (probing) seen[1]?.forEach((h) => h.fill(0));
          const c = runMapped(prog('none', 1), x, 0, n, 0, 0, 0);
          assert.deepEqual(c.data, a.data, `${g.name}/${m.layer.name}/${converter.kind}: levels made from q`);
          assert.deepEqual(seen[1], seen[0], 'the same partial sums are counted (levels made from q)');
        }
        // Layers too large to keep a float copy of their levels convert one row tile per read.
        const old = keepLevelsUpTo(0);
        try {
          assert.deepEqual(runMapped(prog('int', 0), x, 0, n, 0, 0, 0).data, a.data, `${g.name}/${m.layer.name}: levels converted per tile`);
        } finally {
          keepLevelsUpTo(old);
        }
        // Chunks of a few reads that start and end inside a sample.
        const oldPsums = psumsUpTo(5 * Math.max(m.dataCols, m.layer.rows));
        try {
          assert.deepEqual(runMapped(prog('int', 1), x, 0, n, 0, 0, 0).data, a.data, `${g.name}/${m.layer.name}: five reads per chunk`);
        } finally {
          psumsUpTo(oldPsums);
        }
        if (probing)
          assert.ok(
            (seen[0] ?? []).some((h) => h.some((c) => c > 0)),
            'the histograms were filled',
          );
      }
    }
  }
});

test("spikes scattered into the reads' bits in WebAssembly, with the scatter tables and tiles kept in memory, in none, or in an area that restarts: the per-read path's currents", () => {
  const g = spikingConvNet();
  const net = mapGraph(g, adcless(), { rows: 8, cols: 16 });
  const S = net.config.slices;
  const converter: Converter = {
    kind: 'sense-amp',
    ref: Float64Array.from({ length: S + 1 }, (_, i) => 0.5 + i),
    level: Float64Array.from({ length: S + 1 }, (_, i) => 1 + 0.3 * i),
  };
  const layers = net.layers.filter((l) => l.layer.input.kind === 'spike');
  assert.deepEqual(
    layers.map((l) => l.layer.name),
    ['conv2', 'fc'],
  );
  for (const m of layers) {
    const prog = (levels: 'float' | 'int'): LayerProgram => ({
      m,
      R: net.config.R,
      cellBits: net.config.cellBits,
      slices: S,
      weightBits: net.config.weightBits,
      eff: levelsOf(m, net).map((l) => (levels === 'float' ? Float64Array.from(l) : l)),
      offEff: [],
      converter,
      readSigma: 0,
    });
    const geo = m.layer.conv;
    const n = 4;
    const F = geo === undefined ? m.layer.rows : geo.cin * geo.inH * geo.inW;
    const x: Tensor = { dtype: 'float32', shape: [n, F], data: Float32Array.from(lcg(n * F, 11, 0, 1), (v) => (v > 0.6 ? 1 : 0)) };
    const want = runMapped(prog('float'), x, 0, n, 0, 0, 0).data;
    // 0: nothing kept (the TypeScript scatter); 1,200 bytes: conv2's three scatter tables
    // (592 + 576 + 576 bytes) never fit at once, so the TypeScript scatter runs; 2,500 bytes:
    // the tables and a tile's cell bytes (2 KB) push each other out on every call.
    for (const limit of [undefined, 0, 1200, 2500]) {
      const old = limit === undefined ? undefined : keepResidentUpTo(limit);
      try {
        assert.deepEqual(runMapped(prog('int'), x, 0, n, 0, 0, 0).data, want, `${m.layer.name}, area ${limit ?? 'default'}`);
        assert.deepEqual(runMapped(prog('int'), x, 0, n, 0, 0, 0).data, want, `${m.layer.name}, area ${limit ?? 'default'}, again`);
      } finally {
        if (old !== undefined) keepResidentUpTo(old);
      }
    }
  }
});

// ---------------------------------------------------------------- calibration budget

test('sense-amplifier calibration keeps all 64 images of a LeNet and at least one of any net; the simulation reports the count', async () => {
  const lenet = convertModel(await loadModel(join(EXAMPLES, 'lenet.onnx')), { calibSamples: 64 }).graph;
  const net = mapGraph(lenet, adcless());
  assert.equal(calibrationImageCount(lenet, net, 32, 64), 64);
  // Ten thousand steps of LeNet read more than 2^30 column partial sums per image: one image.
  assert.equal(calibrationImageCount(lenet, net, 10000, 64), 1);
  const g = mlp();
  const small = mapGraph(g, adcless());
  const x = f32([6, 20], lcg(120, 3, 0, 1));
  const r = simulateImc(g, small, { x, y: new Int32Array(6) }, { T: 4, calibration: { x, y: new Int32Array(6) } });
  assert.equal(r.calibrationImages, 6);
});

/** Layer m's program with ideal devices, read through sense amplifiers with references r (one dither phase). */
function phaseProgram(m: MappedLayer, cfg: MappedNetwork['config'], r: { ref: Float64Array; level: Float64Array }): LayerProgram {
  return {
    m,
    R: cfg.R,
    cellBits: cfg.cellBits,
    slices: cfg.slices,
    weightBits: cfg.weightBits,
    eff: [programmedLevels(m, cfg, 0)],
    offEff: [],
    converter: { kind: 'sense-amp', ...r },
    readSigma: 0,
  };
}

test("ADC-less, direct coding: the analog layer reads with step t's dithered references (hand-run IF neurons on imcAffine currents); width 0 keeps them fixed", () => {
  const g = mlp();
  const net = mapGraph(g, adcless());
  const m = net.layers[0] as MappedLayer;
  const cfg = net.config;
  const T = 6;
  const N = 4;
  const x = f32([N, 20], lcg(N * 20, 21, 0, 1));
  const th = g.initializers.get('th1')?.data as Float32Array;
  const bias = g.initializers.get('b1')?.data as Float32Array;
  const U = 3; // fixed reference u: ref u, level 2u (sense-amp.ts fixedRefs)
  const base = { ref: new Float64Array(cfg.slices + 1).fill(U), level: new Float64Array(cfg.slices + 1).fill(2 * U) };
  const spikesOf = (width: number): number[] => {
    const seen: number[] = [];
    simulateImc(
      g,
      net,
      { x, y: new Int32Array(N) },
      { T, senseReference: U, senseDither: width, onSpikes: (node, _t, _first, s) => node === 'if1' && seen.push(...s) },
    );
    return seen;
  };
  const byHand = (width: number): number[] => {
    const u = ditherOffsets(T);
    const v = Array.from({ length: N * 12 }, (_, i) => 0.5 * (th[i % 12] as number)); // vInit 0.5
    const out: number[] = [];
    const acc = new Float64Array(12);
    for (let t = 0; t < T; t++) {
      const p = phaseProgram(m, cfg, ditheredRefs(base, u[t] as number, width));
      for (let b = 0; b < N; b++) {
        const codes = Float64Array.from({ length: 20 }, (_, r) => Math.min(255, Math.round((x.data[b * 20 + r] as number) / m.sX)));
        imcAffine(p, 0, codes, acc, newScratch(p));
        for (let o = 0; o < 12; o++) {
          const i = b * 12 + o;
          const vi = (v[i] as number) + Math.fround((acc[o] as number) * m.sW * m.sX * m.layer.alpha + (bias[o] as number));
          const fire = vi >= (th[o] as number);
          v[i] = fire ? vi - (th[o] as number) : vi;
          out.push(fire ? 1 : 0);
        }
      }
    }
    return out;
  };
  const dithered = spikesOf(1);
  assert.deepEqual(dithered, byHand(1));
  assert.deepEqual(spikesOf(0), byHand(0));
  assert.notDeepEqual(dithered, spikesOf(0));
  assert.throws(() => spikesOf(-1), /dither/);
});

test('ADC-less, direct coding, conv: output position pos reads with the references of phase (t + pos) mod T (hand-run IF neurons on imcAffine currents)', () => {
  const [cin, cout, k, H, T, N] = [2, 3, 3, 5, 4, 2];
  const g = convOnly(cin, cout, k, H);
  const net = mapGraph(g, adcless());
  const m = net.layers[0] as MappedLayer;
  const cfg = net.config;
  const x = f32([N, cin, H, H], lcg(N * cin * H * H, 31, 0, 1));
  const U = 2;
  const base = { ref: new Float64Array(cfg.slices + 1).fill(U), level: new Float64Array(cfg.slices + 1).fill(2 * U) };
  const seen: number[] = [];
  simulateImc(g, net, { x, y: new Int32Array(N) }, { T, senseReference: U, senseDither: 1, onSpikes: (_node, _t, _first, s) => seen.push(...s) });
  const u = ditherOffsets(T);
  const phase = Array.from(u, (ut) => phaseProgram(m, cfg, ditheredRefs(base, ut, 1)));
  const oh = H - k + 1;
  const P = oh * oh;
  const v = new Array<number>(N * cout * P).fill(0.5); // vInit 0.5, θ = 1
  const want: number[] = [];
  const acc = new Float64Array(cout);
  const col = new Float64Array(cin * k * k);
  for (let t = 0; t < T; t++) {
    const spikes = new Array<number>(N * cout * P).fill(0);
    for (let b = 0; b < N; b++) {
      for (let pos = 0; pos < P; pos++) {
        const [py, px] = [Math.floor(pos / oh), pos % oh];
        for (let c = 0; c < cin; c++)
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++)
              col[c * k * k + i * k + j] = Math.min(255, Math.round((x.data[((b * cin + c) * H + py + i) * H + px + j] as number) / m.sX));
        const p = phase[(t + pos) % T] as LayerProgram;
        imcAffine(p, 0, col, acc, newScratch(p));
        for (let o = 0; o < cout; o++) {
          const at = (b * cout + o) * P + pos;
          const vi = (v[at] as number) + Math.fround((acc[o] as number) * m.sW * m.sX * m.layer.alpha);
          const fire = vi >= 1;
          v[at] = fire ? vi - 1 : vi;
          spikes[at] = fire ? 1 : 0;
        }
      }
    }
    want.push(...spikes);
  }
  assert.deepEqual(seen, want);
});
