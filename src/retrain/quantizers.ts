// The non-differentiable steps of hardware-aware training, each with a straight-through
// gradient (the value is the hardware's, the gradient is the identity's):
// - the quantization-clip-floor-shift activation of QCFS (Bu et al., ICLR 2022): an ANN
//   whose ReLU is λ·clip(⌊x·L/λ + ½⌋/L, 0, 1) with a trainable λ converts to an IF network
//   (θ = λ, v(0) = θ/2, reset by subtraction) whose rate after T = L steps matches it, so
//   low-T conversion loses little;
// - the rate of a neuron that resets to zero (Loihi), which loses each spike's overshoot
//   (its gradient the slope of a smooth curve through the staircase, not the identity's);
// - symmetric weight fake quantization to b bits, one scale per output channel or per
//   layer — the grid snnc's quantize pass puts the converted weights on (those are the ANN
//   weights times a per-layer constant λ_in/λ_out, so the grid is the same).
import type * as TF from '@tensorflow/tfjs-core';

type Tf = typeof TF;
type T = TF.Tensor;

/** `fn` forward, identity backward (a straight-through estimator). */
function straightThrough(tf: Tf, fn: (x: T) => T): (x: T) => T {
  return tf.customGrad(((x: T) => ({
    value: fn(x),
    gradFunc: (dy: T | T[]) => [dy as T],
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;
}

/** ⌊x + ½⌋ forward, identity backward. */
export function steRound(tf: Tf): (x: T) => T {
  return straightThrough(tf, (x) => tf.floor(tf.add(x, 0.5)));
}

/**
 * The rate of an IF neuron with reset to zero that fires on v > θ (Loihi's CUBA neuron
 * without leak), driven by a constant input a = I/θ for T steps from v = 0: v reaches above θ
 * after k = ⌊1/a⌋ + 1 steps and restarts from 0, so it fires ⌊T/k⌋ times. Unlike reset by
 * subtraction, the overshoot is lost: a = 1 gives rate ½, not 1. `fire` 'ge' (fires on v ≥ θ:
 * k = ⌈1/z⌉) is Loihi's average-pool layer, whose threshold is an exact spike count.
 * Forward: λ·⌊T/k⌋/T for z = x/λ. Backward: the slope of the curve through the middle of the
 * staircase, r(z) = z/(1 + z/2) for 0 < z ≤ 1 (each step of 1/k lies between z/(1 + z) and z,
 * as k runs between 1/z and 1/z + 1), 0 outside — not the identity: with r(z) < z the identity
 * made ∂y/∂λ = r − z negative, the opposite of the neuron's (y = λ·r(x/λ) grows with λ, by
 * r − z·r′ = (z/2)²/(1 + z/2)²). Trained on that sign, LeNet on loihi2 at T = 32 drove its last
 * clips to their lower bound in the first round, and a rate penalty raised the spikes (15.6 k →
 * 23 k per sample) by lowering the clips.
 */
export function resetToZeroRate(tf: Tf, x: T, lambda: T | number, steps: number, fire: 'gt' | 'ge' = 'gt'): T {
  const rate = tf.customGrad(((z: T, save: TF.GradSaveFunc) => {
    save([z]);
    const pos = tf.greater(z, 0);
    // v > θ: k = ⌊1/z⌋ + 1 steps per spike; v ≥ θ: k = ⌈1/z⌉ (with a little slack for float error).
    const inv = tf.div(1, tf.where(pos, z, tf.onesLike(z)));
    const k = fire === 'gt' ? tf.add(tf.floor(inv), 1) : tf.ceil(tf.sub(inv, 1e-6));
    return {
      value: tf.where(pos, tf.minimum(tf.div(tf.floor(tf.div(steps, k)), steps), 1), tf.zerosLike(z)),
      gradFunc: (dy: T | T[], saved: T[]) => {
        const [zz] = saved as [T];
        const inside = tf.logicalAnd(tf.greater(zz, 0), tf.lessEqual(zz, 1));
        const slope = tf.div(1, tf.square(tf.add(1, tf.mul(zz, 0.5))));
        return [tf.where(inside, tf.mul(dy as T, slope), tf.zerosLike(zz))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: T) => T;
  return tf.mul(rate(tf.div(x, lambda)), lambda);
}

/**
 * One step of an IF neuron that resets to zero (Loihi's CUBA neuron without leak, as netx
 * configures it), in ANN units: v ← v + I; it fires λ when v > λ ('gt'; 'ge': v ≥ λ, Loihi's
 * average-pool layer) and v restarts from 0. Returns the output λ·s and the new membrane. The
 * spike's gradient is a triangle of width λ around the threshold (a surrogate: the step itself
 * has none); the reset passes no gradient to the spike (it only selects), as is usual.
 */
export function resetToZeroStep(tf: Tf, v0: T | undefined, current: T, lambda: T, fire: 'gt' | 'ge' = 'gt'): { out: T; v: T } {
  const v = v0 === undefined ? current : tf.add(v0, current);
  const z = tf.div(v, lambda);
  const s = spikeOf(tf, fire)(z);
  return { out: tf.mul(s, lambda), v: tf.mul(v, tf.sub(1, detached(tf)(s))) };
}

/**
 * One step of an IF neuron that resets by subtraction and fires on v ≥ λ (the converted SNN of
 * every target but Loihi): v ← v + current; a spike (λ out) and v ← v − λ when v ≥ λ. The
 * spike's gradient is the triangle surrogate of spikeOf; none through the reset.
 */
export function subtractStep(tf: Tf, v0: T, current: T, lambda: T): { out: T; v: T } {
  const v = tf.add(v0, current);
  const s = spikeOf(tf, 'ge')(tf.div(v, lambda));
  return { out: tf.mul(s, lambda), v: tf.sub(v, tf.mul(detached(tf)(s), lambda)) };
}

/** x forward, no gradient backward. */
function detached(tf: Tf): (x: T) => T {
  return tf.customGrad(((x: T) => ({
    value: tf.clone(x),
    gradFunc: (dy: T | T[]) => [tf.zerosLike(dy as T)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: T) => T;
}

/** H(z − 1) forward (z > 1 or z ≥ 1), max(0, 1 − |z − 1|) backward. */
function spikeOf(tf: Tf, fire: 'gt' | 'ge'): (z: T) => T {
  return tf.customGrad(((z: T, save: TF.GradSaveFunc) => {
    save([z]);
    return {
      value: tf.cast(fire === 'gt' ? tf.greater(z, 1) : tf.greaterEqual(z, 1), 'float32'),
      gradFunc: (dy: T | T[], saved: T[]) => {
        const [zs] = saved as [T];
        return [tf.mul(dy as T, tf.relu(tf.sub(1, tf.abs(tf.sub(zs, 1)))))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: T) => T;
}

/**
 * QCFS activation with L levels and clip λ (a scalar tensor, trainable). Through the
 * straight-through round, d/dx = 1 on (0, λ) and d/dλ is the quantization residual there
 * and 1 above λ (the clip's own gradient): λ settles where clipping and rounding balance.
 */
export function qcfs(tf: Tf, x: T, lambda: T, levels: number, round = steRound(tf)): T {
  const z = tf.div(x, lambda);
  const q = tf.clipByValue(tf.div(round(tf.mul(z, levels)), levels), 0, 1);
  return tf.mul(q, lambda);
}

/** A trainable clip without quantization, for large T: min(max(x, 0), λ) with d/dλ = 1 above λ. */
export function clipAt(tf: Tf, x: T, lambda: T): T {
  // min(a, λ) = λ − relu(λ − a): TF.js's Minimum gradient does not sum a broadcast λ back
  // to its scalar shape; Sub's does.
  return tf.sub(lambda, tf.relu(tf.sub(lambda, tf.relu(x))));
}

/**
 * Symmetric fake quantization to `bits` (levels −M..M, M = 2^(bits−1) − 1) of a weight
 * tensor whose output channel is axis `axis` (0 for Conv [O, I, kh, kw] and for a
 * transposed Gemm B, 1 for Gemm/MatMul B [K, N]); perChannel false: one scale for all.
 * The scale s = max|w| / M is held constant in the step (no gradient through the max).
 */
export function fakeQuant(tf: Tf, w: T, bits: number, axis: number, perChannel: boolean, round = steRound(tf)): T {
  const M = 2 ** (bits - 1) - 1;
  const absMax = perChannel ? maxAbsAlong(tf, w, axis) : tf.max(tf.abs(w));
  // A zero channel keeps scale 1 (its weights stay zero).
  const s = tf.div(tf.where(tf.greater(absMax, 0), absMax, tf.onesLike(absMax)), M);
  const sConst = tf.tensor(s.dataSync(), s.shape);
  return tf.mul(tf.clipByValue(round(tf.div(w, sConst)), -M, M), sConst);
}

/** max |w| over every axis but `axis`, shaped to broadcast against w. */
function maxAbsAlong(tf: Tf, w: T, axis: number): T {
  const axes = w.shape.map((_, i) => i).filter((i) => i !== axis);
  return tf.max(tf.abs(w), axes, true);
}
