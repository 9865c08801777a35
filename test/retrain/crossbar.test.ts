// The training forward of ADC-less crossbars (src/retrain/crossbar.ts) against the IMC
// backend's own functional model (imcAffine): on inputs that are the same every step the
// mean-field value has no variance, so it must equal the sense-amplifier read-out of the
// mapped layer column for column — same tiles, digits, references and shift-and-add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { ditherOffsets, ditheredRefs, imcAffine, mapGraph, newScratch, programmedLevels, trainedDither, trainedRefs } from '../../src/backends/imc/index.js';
import type { LayerProgram, MappedLayer } from '../../src/backends/imc/index.js';
import { crossbarConv, crossbarDense, digitsOf } from '../../src/retrain/crossbar.js';
import type { CrossbarGeometry, SenseAmps } from '../../src/retrain/crossbar.js';
import { SENSE_META } from '../../src/backends/imc/sense-amp.js';
import { initTf } from '../../src/retrain/tf.js';
import { adcless, convOnly, denseOnly, lcg } from '../backends/imc-graphs.js';

const REF = [1.5, 2.5, 0.5, 3.5, 1.5, 2.5, 4.5, 0.5, 0.5];
const LEVEL = [1.25, 3, 2, 4.5, 1, 2.75, 5, 1, 1];
const GEO: CrossbarGeometry = { R: 128, cellBits: 1, weightBits: 8, inputBits: 8, inputMax: 1 };

function program(m: MappedLayer): LayerProgram {
  return {
    m,
    R: 128,
    cellBits: 1,
    slices: 8,
    weightBits: 8,
    eff: [programmedLevels(m, { cellBits: 1, slices: 8, weightBits: 8 }, 0)],
    offEff: [],
    converter: { kind: 'sense-amp', ref: Float64Array.from(REF), level: Float64Array.from(LEVEL) },
    readSigma: 0,
  };
}

function amps(tf: typeof TF): SenseAmps {
  return { ref: tf.variable(tf.tensor1d(REF.slice(0, 8))), level: tf.variable(tf.tensor1d(LEVEL.slice(0, 8))) };
}

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-3 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
}

test('crossbarDense on spikes equals the mapped layer read through sense amplifiers (two row tiles)', async () => {
  const tf = await initTf();
  const K = 200;
  const O = 4;
  const g = denseOnly(K, O);
  const m = mapGraph(g, adcless()).layers[0] as MappedLayer;
  assert.equal(m.mapping.rowTiles, 2);
  const p = program(m);
  const w = g.initializers.get('w')?.data as Float32Array; // [O, K]
  const wKO = tf.transpose(tf.tensor2d(w, [O, K]));
  const N = 3;
  const x = lcg(N * K, 5, 0, 1).map((v) => (v < 0.3 ? 1 : 0));
  const sense = amps(tf);
  const y = crossbarDense(tf, tf.tensor2d(x, [N, K]), wKO, { kind: 'spike', lambda: tf.scalar(1) }, sense, GEO).dataSync();
  const out = new Float64Array(O);
  for (let b = 0; b < N; b++) {
    imcAffine(p, 0, Float64Array.from(x.slice(b * K, (b + 1) * K)), out, newScratch(p));
    for (let o = 0; o < O; o++) close((y[b * O + o] ?? NaN) / m.sW, out[o] as number, `sample ${b} output ${o}`);
  }
  // Not the ideal product: the sense amplifiers change it (else the test could not fail).
  const ideal = x.slice(0, K).reduce<number>((a, v, k) => a + v * (w[k] ?? 0), 0);
  assert.ok(Math.abs((y[0] ?? 0) - ideal) > 1e-2);
});

test('crossbarConv on 8-bit analog inputs equals the mapped layer bit plane by bit plane, rows in the mapping order', async () => {
  const tf = await initTf();
  const [cin, cout, k, H] = [8, 3, 5, 7];
  const g = convOnly(cin, cout, k, H);
  const m = mapGraph(g, adcless()).layers[0] as MappedLayer;
  assert.equal(m.layer.rows, 200);
  const p = program(m);
  const w = g.initializers.get('w')?.data as Float32Array; // [O, C, kh, kw]
  const hwio = tf.transpose(tf.tensor4d(w, [cout, cin, k, k]), [2, 3, 1, 0]);
  const codes = lcg(H * H * cin, 9, 0, 256).map(Math.floor); // NHWC
  const x = tf.div(tf.tensor4d(codes, [1, H, H, cin]), 255);
  const conv = (a: TF.Tensor, b: TF.Tensor): TF.Tensor => tf.conv2d(a as TF.Tensor4D, b as TF.Tensor4D, 1, 'valid');
  const y = crossbarConv(tf, x, hwio, conv, { kind: 'analog' }, amps(tf), GEO).dataSync();
  const oh = H - k + 1;
  const out = new Float64Array(cout);
  const col = new Float64Array(m.layer.rows);
  for (let py = 0; py < oh; py++) {
    for (let px = 0; px < oh; px++) {
      for (let c = 0; c < cin; c++)
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) col[c * k * k + i * k + j] = codes[((py + i) * H + px + j) * cin + c] as number;
      imcAffine(p, 0, col, out, newScratch(p));
      for (let o = 0; o < cout; o++) close(((y[(py * oh + px) * cout + o] ?? NaN) * 255) / m.sW, out[o] as number, `position ${py},${px} output ${o}`);
    }
  }
});

test('crossbarConv on analog inputs with dithered references equals the mean over T steps of the mapped layer, each step with its own references', async () => {
  const tf = await initTf();
  const [cin, cout, k, H, T] = [8, 3, 5, 6, 8];
  const g = convOnly(cin, cout, k, H);
  const m = mapGraph(g, adcless()).layers[0] as MappedLayer;
  const w = g.initializers.get('w')?.data as Float32Array;
  const hwio = tf.transpose(tf.tensor4d(w, [cout, cin, k, k]), [2, 3, 1, 0]);
  const codes = lcg(H * H * cin, 4, 0, 256).map(Math.floor);
  const x = tf.div(tf.tensor4d(codes, [1, H, H, cin]), 255);
  const conv = (a: TF.Tensor, b: TF.Tensor): TF.Tensor => tf.conv2d(a as TF.Tensor4D, b as TF.Tensor4D, 1, 'valid');
  const geo: CrossbarGeometry = { ...GEO, dither: { steps: T, width: 1 } };
  const y = crossbarConv(tf, x, hwio, conv, { kind: 'analog' }, amps(tf), geo).dataSync();
  const fixed = crossbarConv(tf, x, hwio, conv, { kind: 'analog' }, amps(tf), GEO).dataSync();
  const steps = Array.from(ditherOffsets(T), (u) => ({
    ...program(m),
    converter: { kind: 'sense-amp' as const, ...ditheredRefs({ ref: Float64Array.from(REF), level: Float64Array.from(LEVEL) }, u, 1) },
  }));
  const oh = H - k + 1;
  const out = new Float64Array(cout);
  const mean = new Float64Array(cout);
  const col = new Float64Array(m.layer.rows);
  let differs = 0;
  for (let py = 0; py < oh; py++) {
    for (let px = 0; px < oh; px++) {
      for (let c = 0; c < cin; c++)
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) col[c * k * k + i * k + j] = codes[((py + i) * H + px + j) * cin + c] as number;
      mean.fill(0);
      for (const p of steps) {
        imcAffine(p, 0, col, out, newScratch(p));
        for (let o = 0; o < cout; o++) mean[o] = (mean[o] as number) + (out[o] as number) / T;
      }
      for (let o = 0; o < cout; o++) {
        const at = (py * oh + px) * cout + o;
        close(((y[at] ?? NaN) * 255) / m.sW, mean[o] as number, `position ${py},${px} output ${o}`);
        if (Math.abs((y[at] ?? 0) - (fixed[at] ?? 0)) > 1e-6) differs++;
      }
    }
  }
  // The dither changes the read-out (else the test could not tell it from fixed references).
  assert.ok(differs > 0);
});

test('crossbarDense with dithered references: gradients to the current, the reference and the level are the ramp level·clamp(z, 0, 1)', async () => {
  const tf = await initTf();
  // One row, one output of weight q = 1 (a single 1-bit digit on slice 0), input code c on plane 0:
  // the column partial sum is c; z = (c − ref)/(width·level) + ½.
  const geo: CrossbarGeometry = { R: 8, cellBits: 1, weightBits: 2, inputBits: 1, inputMax: 1, dither: { steps: 4, width: 2 } };
  const sense = { ref: tf.variable(tf.tensor1d([0.75, 0.5])), level: tf.variable(tf.tensor1d([1, 1])) };
  const w = tf.tensor2d([[1]]);
  const x = tf.tensor2d([[1]]);
  // z = (1 − 0.75)/2 + ½ = 0.625: n = clamp(⌊4·0.625 + ½⌋, 0, 4) = 3 of 4 steps pass.
  const y = crossbarDense(tf, x, w, { kind: 'analog' }, sense, geo).dataSync();
  close(y[0] ?? NaN, 0.75, 'read-out');
  const { grads } = tf.variableGrads(() => tf.sum(crossbarDense(tf, x, w, { kind: 'analog' }, sense, geo)) as TF.Scalar, [sense.ref, sense.level]);
  // d/dref = −1/width = −0.5; d/dlevel = r − (z − ½) = 0.75 − 0.125 = 0.625 (slice 0; slice 1 reads nothing).
  close(grads[sense.ref.name]?.dataSync()[0] ?? NaN, -0.5, 'd/dref');
  close(grads[sense.level.name]?.dataSync()[0] ?? NaN, 0.625, 'd/dlevel');
});

test('trainedDither: the width a retrained model carries; 0 for references without one (trained before the dither); none without references', () => {
  assert.equal(trainedDither({ [SENSE_META]: JSON.stringify({ rows: 128, dither: 1.5 }) }), 1.5);
  assert.equal(trainedDither({ [SENSE_META]: JSON.stringify({ rows: 128 }) }), 0);
  assert.equal(trainedDither({ [SENSE_META]: JSON.stringify({ dither: -1 }) }), 0);
  assert.equal(trainedDither({}), undefined);
});

test('trainedRefs: references in the metadata are used only when they fit the mapping', () => {
  const g = denseOnly(200, 4);
  const net = mapGraph(g, adcless());
  const doc = { rows: 128, cellBits: 1, weightBits: 8, layers: [{ ref: REF.slice(0, 8), level: LEVEL.slice(0, 8) }] };
  const refs = trainedRefs({ [SENSE_META]: JSON.stringify(doc) }, net)?.get('fc');
  assert.deepEqual([...(refs?.ref ?? [])], [...REF.slice(0, 8), 0.5]);
  assert.deepEqual([...(refs?.level ?? [])], [...LEVEL.slice(0, 8), 1]);
  for (const bad of [
    { ...doc, rows: 64 },
    { ...doc, weightBits: 4 },
    { ...doc, layers: [] },
    { ...doc, layers: [{ ref: [1], level: [1] }] },
  ]) {
    assert.equal(trainedRefs({ [SENSE_META]: JSON.stringify(bad) }, net), undefined);
  }
  assert.equal(trainedRefs({ [SENSE_META]: '{' }, net), undefined);
  assert.equal(trainedRefs({}, net), undefined);
});

test('digitsOf: the digits of q per slice and polarity, and a gradient that spreads dq evenly over the slices', async () => {
  const tf = await initTf();
  // 2-bit cells, 6-bit weights: M = 31, slices of place value 1, 4, 16 (usedSlices: ⌈5/2⌉ = 3).
  const geo: CrossbarGeometry = { R: 8, cellBits: 2, weightBits: 6, inputBits: 8, inputMax: 1 };
  const q = [27.4, -13, 0, 40, -0.4, 6.6]; // rounds/clamps to 27, −13, 0, 31, 0, 7
  const digits = digitsOf(tf, geo);
  const y = Array.from(digits(tf.tensor2d(q, [3, 2])).dataSync());
  // Column j = (o·3 + s)·2 + p of row r: the base-4 digits of max(q, 0) (p = 0) and max(−q, 0) (p = 1).
  const want = (v: number): number[] => {
    const m = Math.max(-31, Math.min(31, Math.round(v)));
    const out: number[] = [];
    for (let s = 0; s < 3; s++) out.push(Math.floor(Math.max(m, 0) / 4 ** s) % 4, Math.floor(Math.max(-m, 0) / 4 ** s) % 4);
    return out;
  };
  assert.deepEqual(y, q.flatMap(want));
  // d/dq of Σ_j c_j·digit_j: Σ_s c_(s,p)/(3·4^s) through q's own polarity p; both halves at q = 0.
  const coef = Array.from({ length: 36 }, (_, j) => ((j * 5) % 7) - 3);
  const grad = Array.from(
    tf
      .grad((x: TF.Tensor) => tf.sum(tf.mul(digits(x), tf.tensor2d(coef, [3, 12]))))(tf.tensor2d(q, [3, 2]))
      .dataSync(),
  );
  q.forEach((v, i) => {
    const m = Math.max(-31, Math.min(31, Math.round(v)));
    const half = (p: number): number => [0, 1, 2].reduce((a, s) => a + (coef[i * 6 + s * 2 + p] as number) / (3 * 4 ** s), 0);
    const g = m > 0 ? half(0) : m < 0 ? -half(1) : (half(0) - half(1)) / 2;
    close(grad[i] as number, g, `dq[${i}]`);
  });
});
