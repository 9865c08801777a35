// The training primitives against hand-computed values and against TF.js's own kernels:
// straight-through rounding, the QCFS activation, weight fake quantization, and the
// convolution whose gradient the wasm backend can compute.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { initTf } from '../../src/retrain/tf.js';
import { clipAt, fakeQuant, qcfs, resetToZeroRate, resetToZeroStep, steRound } from '../../src/retrain/quantizers.js';
import { forwardTf } from '../../src/retrain/forward.js';
import { buildGraph, windowAttrs } from '../../src/ir/build.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) <= tol * Math.max(1, Math.abs(b[i] ?? 0)), `[${i}] ${a[i]} vs ${b[i]}`);
};

it('steRound rounds half up forward and passes the gradient straight through', async () => {
  const tf = await initTf();
  const round = steRound(tf);
  const x = tf.tensor1d([-1.5, -0.4, 0.5, 1.49, 2.5]);
  close(round(x).dataSync(), [-1, 0, 1, 1, 3]);
  const g = tf.grad((v: Tensor) => tf.sum(tf.mul(round(v), tf.tensor1d([1, 2, 3, 4, 5]))))(x);
  close(g.dataSync(), [1, 2, 3, 4, 5]);
});

it('QCFS: λ·clip(⌊x·L/λ + ½⌋/L, 0, 1) and its gradients (hand-computed, L = 4, λ = 2)', async () => {
  const tf = await initTf();
  const x = tf.tensor1d([-1, 0.2, 0.26, 0.74, 1.3, 2.6]);
  const lam = tf.scalar(2);
  // x·L/λ = 2x: −2, 0.4, 0.52, 1.48, 2.6, 5.2 → ⌊·+½⌋ = −2, 0, 1, 1, 3, 5 → /4, clip → 0, 0, .25, .25, .75, 1 → ·2
  close(qcfs(tf, x, lam, 4).dataSync(), [0, 0, 0.5, 0.5, 1.5, 2]);
  // d/dx: 1 inside (0, λ), 0 below and above (the clip).
  close(
    tf
      .grad((v: Tensor) => tf.sum(qcfs(tf, v, lam, 4)))(x)
      .dataSync(),
    [0, 1, 1, 1, 1, 0],
  );
  // d/dλ per element: q − x/λ inside, 1 above λ, 0 below: 0 − .1, .25 − .13, .25 − .37, .75 − .65, 1 (x = 2.6 > λ)
  const dl =
    tf
      .grad((l: Tensor) => tf.sum(qcfs(tf, x, l, 4)))(lam)
      .dataSync()[0] ?? NaN;
  close([dl], [-0.1 + 0.12 - 0.12 + 0.1 + 1]);
});

it('fakeQuant: symmetric grid per output channel and per layer (hand-computed, 3 bits)', async () => {
  const tf = await initTf();
  // Two output channels on axis 0. M = 3. Channel 0: max 1 → s = 1/3; channel 1: max 0.3 → s = 0.1.
  const w = tf.tensor2d([
    [0.5, -1, 0.26],
    [0.3, -0.04, 0.16],
  ]);
  close(fakeQuant(tf, w, 3, 0, true).dataSync(), [2 / 3, -1, 1 / 3, 0.3, 0, 0.2]);
  // Per layer: s = 1/3 for all: 0.3 → ⌊0.9 + ½⌋ = 1, −0.04 → 0, 0.16 → ⌊0.48 + ½⌋ = 0.
  close(fakeQuant(tf, w, 3, 0, false).dataSync(), [2 / 3, -1, 1 / 3, 1 / 3, 0, 0]);
  // Straight-through: the gradient wrt w is the identity.
  close(
    tf
      .grad((v: Tensor) => tf.sum(tf.mul(fakeQuant(tf, v, 3, 0, true), 2)))(w)
      .dataSync(),
    [2, 2, 2, 2, 2, 2],
  );
});

it("the training convolution has the value and the gradients of TF.js's own conv2d (cpu kernels), strides 1 and 2, with padding", async () => {
  const tf = await initTf();
  // 7×7: stride 2's windows reach every row; 8×8: they miss the last row and column.
  for (const [stride, S] of [
    [1, 7],
    [2, 7],
    [2, 8],
  ] as const) {
    // A Conv node [O=3, I=2, 3, 3] on a 2×S×S input, pads 1.
    const g = buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, S, S] }],
      outputs: ['y'],
      initializers: { w: { dtype: 'float32', shape: [3, 2, 3, 3], data: Float32Array.from({ length: 54 }, (_, i) => Math.sin(i * 1.3)) } },
      nodes: [
        {
          op: 'Conv',
          name: 'c',
          inputs: ['x', 'w'],
          outputs: ['y'],
          attrs: { ...windowAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] }), group: 1 },
        },
      ],
    });
    const xs = tf.tensor4d(
      Float32Array.from({ length: 2 * 2 * S * S }, (_, i) => Math.cos(i * 0.7)),
      [2, 2, S, S],
    );
    const w0 = tf.tensor4d(g.initializers.get('w')?.data as Float32Array, [3, 2, 3, 3]);
    const dyWeights = (y: Tensor): Tensor => tf.mul(y, tf.mul(tf.reshape(tf.range(0, y.size), y.shape), 0.01));
    const ours = tf.grads((...[x, w]: Tensor[]) => {
      const y = forwardTf(tf, g, x as Tensor, { params: new Map([['w', w as Tensor]]) }).outputs.get('y');
      assert.ok(y !== undefined);
      return tf.sum(dyWeights(y));
    });
    const [dxOurs, dwOurs] = ours([xs, w0]) as Tensor[];
    const yOurs = forwardTf(tf, g, xs, { params: new Map([['w', w0]]) }).outputs.get('y');
    // Reference: TF.js's conv2d with its registered gradients, on the cpu backend.
    const backend = tf.getBackend();
    const vals = { dx: dxOurs?.dataSync(), dw: dwOurs?.dataSync(), y: yOurs?.dataSync() };
    await tf.setBackend('cpu');
    const ref = tf.grads((...[x, w]: Tensor[]) => {
      const y = tf.conv2d(
        tf.pad(tf.transpose(x as Tensor, [0, 2, 3, 1]) as Tensor4D, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        tf.transpose(w as Tensor, [2, 3, 1, 0]) as Tensor4D,
        stride,
        'valid',
      );
      return tf.sum(dyWeights(tf.transpose(y, [0, 3, 1, 2])));
    });
    const xc = tf.tensor4d(xs.dataSync(), [2, 2, S, S]);
    const wc = tf.tensor4d(w0.dataSync(), [3, 2, 3, 3]);
    const [dxRef, dwRef] = ref([xc, wc]) as Tensor[];
    const yRef = tf.transpose(
      tf.conv2d(
        tf.pad(tf.transpose(xc, [0, 2, 3, 1]) as Tensor4D, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        tf.transpose(wc, [2, 3, 1, 0]) as Tensor4D,
        stride,
        'valid',
      ),
      [0, 3, 1, 2],
    );
    close(vals.y ?? [], yRef.dataSync(), 1e-4);
    close(vals.dx ?? [], dxRef?.dataSync() ?? [], 1e-4);
    close(vals.dw ?? [], dwRef?.dataSync() ?? [], 1e-4);
    await tf.setBackend(backend);
  }
});

it('resetToZeroRate equals an IF neuron with reset to zero driven by a constant input, for v > θ and v ≥ θ', async () => {
  const tf = await initTf();
  const T = 8;
  const zs = Array.from({ length: 61 }, (_, i) => i / 40); // 0 … 1.5 in steps of 1/40
  for (const fire of ['gt', 'ge'] as const) {
    // The neuron itself, step by step, in exact rational arithmetic (input i/40, threshold 40/40).
    const want = zs.map((_, i) => {
      let v = 0;
      let n = 0;
      for (let t = 0; t < T; t++) {
        v += i;
        if (fire === 'gt' ? v > 40 : v >= 40) {
          n++;
          v = 0;
        }
      }
      return (3 * n) / T; // λ = 3
    });
    const got = resetToZeroRate(tf, tf.tensor1d(zs.map((z) => 3 * z)), 3, T, fire).dataSync();
    close(got, want);
  }
});

it("resetToZeroRate's gradient is the slope of z/(1 + z/2) inside (0, 1], so the output grows with λ on average as the neuron's does", async () => {
  const tf = await initTf();
  const T = 32;
  const lambda = 3;
  const zs = Array.from({ length: 90 }, (_, i) => -0.25 + i / 60); // −0.25 … 1.23
  // The neuron's rate, step by step (v > θ, reset to zero), for input z·θ.
  const rateOf = (z: number): number => {
    let v = 0;
    let n = 0;
    for (let t = 0; t < T; t++) {
      v += z;
      if (v > 1 + 1e-12) {
        n++;
        v = 0;
      }
    }
    return n / T;
  };
  const slope = (z: number): number => (z > 0 && z <= 1 ? 1 / (1 + z / 2) ** 2 : 0);
  const x = tf.tensor1d(zs.map((z) => z * lambda));
  const lam = tf.scalar(lambda);
  const [dx, dl] = tf.grads((a: Tensor, l: Tensor) => tf.sum(resetToZeroRate(tf, a, l, T)))([x, lam]);
  close(dx?.dataSync() ?? [], zs.map(slope));
  // y = λ·r(x/λ): ∂y/∂λ = r − z·r′ summed over the points.
  const want = zs.reduce((s, z) => s + rateOf(z) - z * slope(z), 0);
  close(dl?.dataSync() ?? [], [want], 1e-4);
  // Over the staircase it is positive, as λ·z/(1 + z/2) says; the identity's r − z was negative.
  assert.ok(want > 0, `∂y/∂λ summed ${want}`);
  assert.ok(zs.reduce((s, z) => s + rateOf(z) - (z > 0 ? z : 0), 0) < 0);
});

it('resetToZeroStep: T steps of a constant input give resetToZeroRate; a varying input gives the neuron computed by hand', async () => {
  const tf = await initTf();
  const T = 8;
  const zs = Array.from({ length: 61 }, (_, i) => i / 40);
  for (const fire of ['gt', 'ge'] as const) {
    const lam = tf.scalar(3);
    const x = tf.tensor1d(zs.map((z) => 3 * z));
    let v: Tensor | undefined;
    let sum = tf.zerosLike(x);
    for (let t = 0; t < T; t++) {
      const r = resetToZeroStep(tf, v, x, lam, fire);
      v = r.v;
      sum = tf.add(sum, r.out);
    }
    close(tf.div(sum, T).dataSync(), resetToZeroRate(tf, x, 3, T, fire).dataSync());
  }
  // λ = 2, inputs 1.5, 1, 0, 2, 2.5, −1: v 1.5 → 2.5 fires → 0 → 2, which fires only on ≥
  // (then 2.5 fires again from 0; on > it is 4.5, fires) → −1.
  const seq = [1.5, 1, 0, 2, 2.5, -1];
  const want = {
    gt: { out: [0, 2, 0, 0, 2, 0], v: [1.5, 0, 0, 2, 0, -1] },
    ge: { out: [0, 2, 0, 2, 2, 0], v: [1.5, 0, 0, 0, 0, -1] },
  };
  for (const fire of ['gt', 'ge'] as const) {
    let v: Tensor | undefined;
    const outs: number[] = [];
    const vs: number[] = [];
    for (const i of seq) {
      const r = resetToZeroStep(tf, v, tf.tensor1d([i]), tf.scalar(2), fire);
      v = r.v;
      outs.push(r.out.dataSync()[0] ?? NaN);
      vs.push(r.v.dataSync()[0] ?? NaN);
    }
    close(outs, want[fire].out);
    close(vs, want[fire].v);
  }
});

it('resetToZeroStep: the spike passes a triangle surrogate to the current and to λ; the reset passes none', async () => {
  const tf = await initTf();
  // One step from v = 0, λ = 2: z = I/2. out = λ·H(z − 1): d out/dI = tri(z) = max(0, 1 − |z − 1|);
  // d out/dλ = H(z − 1) + λ·tri(z)·(−I/λ²).
  const I = [1.5, 2.5, 0.5, 5];
  const dI = tf.grad((c: Tensor) => tf.sum(resetToZeroStep(tf, undefined, c, tf.scalar(2)).out))(tf.tensor1d(I));
  close(dI.dataSync(), [0.75, 0.75, 0.25, 0]);
  const dLam = tf.grad((l: Tensor) => tf.sum(resetToZeroStep(tf, undefined, tf.tensor1d(I), l).out))(tf.scalar(2));
  // 1.5: 0 + 2·.75·(−1.5/4) = −.5625; 2.5: 1 + 2·.75·(−2.5/4) = .0625; 0.5: 2·.25·(−.5/4) = −.0625; 5: 1
  close(dLam.dataSync(), [-0.5625 + 0.0625 - 0.0625 + 1]);
  // The membrane after a spike is 0 whatever the input: no gradient; below threshold it is v itself.
  const dv = tf.grad((c: Tensor) => tf.sum(resetToZeroStep(tf, undefined, c, tf.scalar(2)).v))(tf.tensor1d(I));
  close(dv.dataSync(), [1, 0, 1, 0]);
});

it('clipAt: min(max(x, 0), λ) with d/dλ = the number of elements above λ', async () => {
  const tf = await initTf();
  const x = tf.tensor2d([
    [-1, 0.5, 2],
    [3, 1, 0.2],
  ]);
  const lam = tf.scalar(1.5);
  close(clipAt(tf, x, lam).dataSync(), [0, 0.5, 1.5, 1.5, 1, 0.2]);
  close(
    [
      tf
        .grad((l: Tensor) => tf.sum(clipAt(tf, x, l)))(lam)
        .dataSync()[0] ?? NaN,
    ],
    [2],
  );
  close(
    tf
      .grad((v: Tensor) => tf.sum(clipAt(tf, v, lam)))(x)
      .dataSync(),
    [0, 1, 0, 0, 1, 1],
  );
});
