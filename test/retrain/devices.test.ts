// Device effects in training (src/retrain/devices.ts) against the IMC backend's own model of
// them (effectiveLevels of the mapping's programmed cells, read by imcAffine). A dense layer's
// crossbar digits are laid out as the mapping's cells (row by row, columns (o·S + s)·2 + p), so
// drawn from the same random stream they are the same chip, and the training forward must
// read the layer exactly as the functional model reads that chip — stuck cells in the
// never-used top slice included. Effects that draw nothing (drift without spread, an on/off
// ratio) determine the chip whatever the stream: the HP-ADC weights are checked with those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { effectiveLevels, makeRng } from '../../src/backends/imc/devices.js';
import type { DeviceEffects } from '../../src/backends/imc/devices.js';
import { cellRange, imcAffine, mapGraph, newScratch, programmedLevels, resolveOptions } from '../../src/backends/imc/index.js';
import type { LayerProgram, MappedLayer } from '../../src/backends/imc/index.js';
import { crossbarDense } from '../../src/retrain/crossbar.js';
import type { CrossbarGeometry } from '../../src/retrain/crossbar.js';
import { drawCells, drawWeights } from '../../src/retrain/devices.js';
import type { DeviceTraining } from '../../src/retrain/devices.js';
import { initTf } from '../../src/retrain/tf.js';
import { adcless, denseOnly, hpadc, lcg } from '../backends/imc-graphs.js';

const REF = [1.5, 2.5, 0.5, 3.5, 1.5, 2.5, 4.5, 0.5];
const LEVEL = [1.25, 3, 2, 4.5, 1, 2.75, 5, 1];
// Conductances drift down by ((t + 20)/20)^−0.06 and the periphery subtracts no baseline
// (G_max/G_min taken as 4 instead of the device's 17): every cell, 0 or 1, reads off its
// programmed level, and the top slice's zero cells read G_min each.
const EFFECTS: DeviceEffects = { driftTime: 3600, onOffRatio: 4 };
const RANDOM: DeviceEffects = { ...EFFECTS, programNoise: 2, stuckAt: 0.02 };

function deviceModel(target: ReturnType<typeof adcless>): DeviceTraining {
  const { lmax, gMinOverStep } = cellRange(resolveOptions(target, { weightBits: 8 }));
  return { effects: EFFECTS, lmax, gMinOverStep, seed: 0 };
}

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-3 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
}

test('crossbar training with noisy, stuck and drifted cells reads a layer as the functional model of the same chip does (every slice, two row tiles)', async () => {
  const tf = await initTf();
  const K = 200;
  const O = 4;
  const g = denseOnly(K, O);
  const target = adcless();
  const m = mapGraph(g, target).layers[0] as MappedLayer;
  const dev = { ...deviceModel(target), effects: RANDOM };
  // drawCells' stream for key [0, 0] (devices.ts), over the mapping's cells in their order.
  const eff = effectiveLevels(programmedLevels(m, { cellBits: 1, slices: 8, weightBits: 8 }, 0), dev.lmax, dev.gMinOverStep, RANDOM, makeRng(0, 7, 0, 0));
  const stuckTop = [...eff].filter((e, i) => i % 16 >= 14 && e > 0.5).length;
  assert.ok(stuckTop > 0, 'some cells of the top slice read as set');
  const p: LayerProgram = {
    m,
    R: 128,
    cellBits: 1,
    slices: 8,
    weightBits: 8,
    eff: [eff],
    offEff: [],
    converter: { kind: 'sense-amp', ref: Float64Array.from(REF), level: Float64Array.from(LEVEL) },
    readSigma: 0,
  };
  const w = g.initializers.get('w')?.data as Float32Array; // [O, K]
  const wKO = tf.transpose(tf.tensor2d(w, [O, K]));
  const N = 3;
  const x = lcg(N * K, 5, 0, 1).map((v) => (v < 0.3 ? 1 : 0));
  const sense = { ref: tf.variable(tf.tensor1d(REF)), level: tf.variable(tf.tensor1d(LEVEL)) };
  const geo: CrossbarGeometry = { R: 128, cellBits: 1, weightBits: 8, inputBits: 8, inputMax: 1, allSlices: true };
  const run = (cells?: (d: TF.Tensor) => TF.Tensor): Float32Array =>
    crossbarDense(tf, tf.tensor2d(x, [N, K]), wKO, { kind: 'spike', lambda: tf.scalar(1) }, sense, geo, { cells }).dataSync() as Float32Array;
  const y = run((d) => drawCells(tf, d, dev, [0, 0]));
  const out = new Float64Array(O);
  for (let b = 0; b < N; b++) {
    imcAffine(p, 0, Float64Array.from(x.slice(b * K, (b + 1) * K)), out, newScratch(p));
    for (let o = 0; o < O; o++) close((y[b * O + o] ?? NaN) / m.sW, out[o] as number, `sample ${b} output ${o}`);
  }
  // The chip differs from the programmed cells (else the test could not fail).
  const programmed = run();
  assert.ok(programmed.some((v, i) => Math.abs(v - (y[i] ?? 0)) > 1e-3));
});

test('HP-ADC training with drifted cells: the drawn weights are the integer sums an ideal converter reads from that chip', async () => {
  const tf = await initTf();
  const K = 150;
  const O = 3;
  const g = denseOnly(K, O);
  const target = hpadc();
  const m = mapGraph(g, target).layers[0] as MappedLayer;
  const dev = deviceModel(target);
  const cfg = resolveOptions(target, { weightBits: 8 });
  const eff = effectiveLevels(programmedLevels(m, cfg, 0), dev.lmax, dev.gMinOverStep, EFFECTS, makeRng(0, 1, 0));
  const p: LayerProgram = {
    m,
    R: cfg.R,
    cellBits: cfg.cellBits,
    slices: cfg.slices,
    weightBits: 8,
    eff: [eff],
    offEff: [],
    converter: { kind: 'ideal' },
    readSigma: 0,
  };
  const w = g.initializers.get('w')?.data as Float32Array; // [O, K], one scale per layer
  const wq = Float32Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / m.sW))) * m.sW);
  const drawn = drawWeights(tf, tf.tensor2d(wq, [O, K]), m.sW, cfg.slices, cfg.cellBits, dev, [0, 0]).dataSync();
  const x = lcg(K, 9, 0, 1).map((v) => (v < 0.4 ? 1 : 0));
  const out = new Float64Array(O);
  imcAffine(p, 0, Float64Array.from(x), out, newScratch(p));
  for (let o = 0; o < O; o++) {
    const sum = x.reduce<number>((a, v, k) => a + v * ((drawn[o * K + k] ?? 0) / m.sW), 0);
    close(sum, out[o] as number, `output ${o}`);
  }
  const programmed = x.reduce<number>((a, v, k) => a + v * ((wq[k] ?? 0) / m.sW), 0);
  assert.ok(Math.abs(programmed - (out[0] as number)) > 1e-2, 'drift changes the sums');
});

test('random device effects: the same key draws the same chip, another key another; the gradient passes straight through', async () => {
  const tf = await initTf();
  const dev: DeviceTraining = { effects: { programNoise: 3, stuckAt: 0.05 }, lmax: 1, gMinOverStep: 1 / 16, seed: 4 };
  const d = tf.tensor2d(
    lcg(64 * 8, 3, 0, 1).map((v) => (v < 0.5 ? 1 : 0)),
    [64, 8],
  );
  const a = drawCells(tf, d, dev, [1, 2, 0, 3]).dataSync();
  const b = drawCells(tf, d, dev, [1, 2, 0, 3]).dataSync();
  const c = drawCells(tf, d, dev, [1, 2, 1, 3]).dataSync();
  assert.deepEqual([...a], [...b]);
  assert.ok(a.some((v, i) => v !== c[i]));
  assert.ok(
    a.some((v, i) => Math.abs(v - (d.dataSync()[i] ?? 0)) > 0.5),
    'some cells stuck away from their level',
  );
  const grad = tf
    .grad((t: TF.Tensor) => tf.sum(tf.mul(drawCells(tf, t, dev, [0]), 3)))(d)
    .dataSync();
  assert.ok(grad.every((v) => v === 3));
});
