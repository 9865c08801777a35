// Device non-idealities in training (noise-aware training, as IBM aihwkit trains for analog
// tiles: the forward pass sees weights as a freshly programmed chip would hold them). Every
// training forward draws the cells of each synaptic layer anew through the backend's own
// device model (src/backends/imc/devices.ts effectiveLevels: programming noise, drift, stuck
// cells, a finite on/off ratio), so the network learns weights that hold up over the
// distribution of chips rather than on one; the gradient passes straight through the draw.
// Read noise is not drawn here (it varies per read, not per chip): the rounds are measured
// with it.
import type * as TF from '@tensorflow/tfjs-core';
import { effectiveLevels, makeRng } from '../backends/imc/devices.js';
import type { DeviceEffects } from '../backends/imc/devices.js';

type Tf = typeof TF;
type T = TF.Tensor;

/** The device model a retrain trains for: the effects and the cells' conductance range (plain data: the helper thread gets a copy). */
export interface DeviceTraining {
  readonly effects: DeviceEffects;
  /** Largest cell level, 2^cellBits − 1. */
  readonly lmax: number;
  /** G_min / ΔG of the target (ΔG = (G_max − G_min) / lmax). */
  readonly gMinOverStep: number;
  readonly seed: number;
}

/** Which draw: a training forward's key (epoch, batch, half) and the synaptic layer, last. */
export type DrawKey = readonly number[];

/** Programmed levels as the chip of draw `at` holds them (the backend's device model, a stream of its own per draw). */
function drawLevels(levels: Uint8Array, dev: DeviceTraining, at: DrawKey): Float64Array {
  return effectiveLevels(levels, dev.lmax, dev.gMinOverStep, dev.effects, makeRng(dev.seed, 7, ...at));
}

/**
 * Cell levels `digits` (integers 0…lmax, any shape) as the device model leaves them, drawn for
 * `at`: the levels forward, the gradient of `digits` backward (straight through).
 */
export function drawCells(tf: Tf, digits: T, dev: DeviceTraining, at: DrawKey): T {
  const d = digits.dataSync();
  const n = d.length;
  // Plain loops: Uint8Array.from with a mapping function took ~100 ns a cell (LeNet's fc1 holds 768 k).
  const levels = new Uint8Array(n);
  for (let i = 0; i < n; i++) levels[i] = Math.round(d[i] as number);
  const eff = drawLevels(levels, dev, at);
  const delta = new Float32Array(n);
  for (let i = 0; i < n; i++) delta[i] = (eff[i] as number) - (levels[i] as number);
  return tf.add(digits, tf.tensor(delta, digits.shape));
}

/**
 * A weight tensor `w` (already on its grid: q·sW, q integer with |q| ≤ 2^(bits−1) − 1) as
 * differential crossbar columns hold it — each |q| in `slices` digits of `cellBits` bits on the
 * column of its sign, 0 on the other — with every cell drawn by the device model: Σ_s
 * 2^(cellBits·s)·(e⁺_s − e⁻_s)·sW forward, w's gradient backward. The cells of the never-used
 * top digit and of the zero polarity are drawn too: a stuck cell there reads like any other.
 */
export function drawWeights(tf: Tf, w: T, sW: number, slices: number, cellBits: number, dev: DeviceTraining, at: DrawKey): T {
  const v = w.dataSync();
  const n = v.length;
  const base = 2 ** cellBits;
  // Cell j = (i·slices + s)·2 + p of weight i, slice s, polarity p (0: positive part).
  const levels = new Uint8Array(n * slices * 2);
  for (let i = 0; i < n; i++) {
    const q = Math.round((v[i] as number) / sW);
    let mag = Math.abs(q);
    const p = q < 0 ? 1 : 0;
    for (let s = 0; s < slices; s++) {
      levels[(i * slices + s) * 2 + p] = mag % base;
      mag = Math.floor(mag / base);
    }
  }
  const eff = drawLevels(levels, dev, at);
  const delta = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let s = slices - 1; s >= 0; s--) {
      const j = (i * slices + s) * 2;
      q = q * base + ((eff[j] as number) - (eff[j + 1] as number));
    }
    delta[i] = q * sW - (v[i] as number);
  }
  return tf.add(w, tf.tensor(delta, w.shape));
}

/** One seed for a draw `key` (the functional simulation's device seed when it runs a training batch): the first value of that draw's stream. */
export function drawSeed(seed: number, key: DrawKey): number {
  return Math.floor(makeRng(seed, 8, ...key).uniform() * 2 ** 32);
}
