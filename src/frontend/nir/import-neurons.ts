// NIR IF / LIF / CubaLIF → snnc IF / LIF, by the dt convention of convention.ts:
//   leak = 1 − dt/τ (one τ for the whole layer), input gain g = dt·R/τ (IF: dt·R), spike on
//   v > θ, reset to v_reset = 0.
// CubaLIF (τ_syn İ = −I + w_in·S, τ_mem v̇ = −v + R·I) is a current-based snnc LIF: forward
//   Euler gives I ← (1 − dt/τ_syn)·I + (dt/τ_syn)·w_in·S and v ← (1 − dt/τ_mem)·v +
//   (dt·R/τ_mem)·I, the current updated first (as Loihi's CUBA neuron does). Scaling the
//   current by dt·R/τ_mem gives synDecay = 1 − dt/τ_syn and the gain
//   g = (dt·R/τ_mem)·(dt/τ_syn)·w_in (τ_syn = dt: no synaptic memory, a plain LIF).
// A gain that is not 1 is folded into the threshold (θ/g; exact for a reset to zero, since
// current and membrane scale together).
// Metadata snnc wrote (reset by subtraction, v ≥ θ, initial membrane, refractory period,
// threshold shape) is honoured so snnc's own files come back exactly.
import { fail } from '../../errors.js';
import { GAIN_TOLERANCE, nextUp, nirError, unbroadcast } from './convention.js';
import type { ImportCtx, Imported } from './import-fields.js';
import { expectShape, floats, inputName, metaShape, outputName } from './import-fields.js';

function param(c: ImportCtx, key: string): Float64Array {
  const a = floats(c, key);
  // Exporters write scalar parameters as one value (snnTorch: a scalar β gives a 0-d τ and a
  // [1] threshold): it applies to every neuron, as numpy would broadcast it.
  if (a.data.length === 1 && a.shape.every((d) => d === 1)) {
    return new Float64Array(c.inShape.reduce((p, d) => p * d, 1)).fill(a.data[0] as number);
  }
  expectShape(c, key, a.shape, c.inShape);
  return Float64Array.from(a.data);
}

function unsupported(c: ImportCtx, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_UNSUPPORTED_ATTR', message: `${c.where}: ${c.node.type} '${c.name}': ${message}`, node: c.name, file: c.where, hint });
}

/** The one leak factor of a layer's τ values. */
function layerLeak(c: ImportCtx, key: string, tau: Float64Array): number {
  const t0 = tau[0] ?? 0;
  if (!tau.every((t) => t === t0)) {
    throw unsupported(c, `${key} differs between neurons; snnc LIF layers share one leak`, 'use one time constant per layer');
  }
  const leak = 1 - c.dt / t0;
  if (!(leak > 0 && leak <= 1)) {
    throw nirError(
      `${c.where}/${key}: τ = ${t0} gives a per-step leak 1 − dt/τ = ${leak} outside (0, 1] at dt = ${c.dt}`,
      `${c.where}/${key}`,
      'NIR stores no dt; pass the dt the file was made for (snnc uses 1e-4)',
    );
  }
  return leak;
}

/** One synaptic decay 1 − dt/τ_syn per layer, in [0, 1) (τ_syn ≥ dt); snnc's exact value when it wrote the file. */
function synapticDecay(c: ImportCtx, tauSyn: Float64Array): number {
  const t0 = tauSyn[0] ?? 0;
  if (!tauSyn.every((t) => t === t0)) {
    throw unsupported(c, 'tau_syn differs between neurons; snnc current-based layers share one synaptic decay', 'use one synaptic time constant per layer');
  }
  let a = 1 - c.dt / t0;
  if (Math.abs(a) <= GAIN_TOLERANCE) return 0;
  if (!(a > 0 && a < 1)) {
    throw nirError(
      `${c.where}/tau_syn: τ_syn = ${t0} gives a per-step synaptic decay 1 − dt/τ_syn = ${a} outside [0, 1) at dt = ${c.dt}`,
      `${c.where}/tau_syn`,
      'τ_syn must be at least dt; pass the dt the file was made for (--nir-dt)',
    );
  }
  const exact = c.meta['synDecay'];
  if (typeof exact === 'number' && Math.abs(exact - a) <= 1e-12) a = exact;
  return a;
}

export function importNeuron(c: ImportCtx): Imported {
  const t = c.node.type;
  const vth = param(c, 'v_threshold');
  const r = param(c, 'r');
  const count = vth.length;
  const gain = new Float64Array(count);
  let leak = 1;
  let synDecay = 0;
  if (t === 'IF') {
    for (let i = 0; i < count; i++) gain[i] = c.dt * (r[i] as number);
  } else {
    const tauKey = t === 'LIF' ? 'tau' : 'tau_mem';
    const tau = param(c, tauKey);
    if (!param(c, 'v_leak').every((v) => v === 0)) throw unsupported(c, 'v_leak ≠ 0 has no snnc equivalent', 'snnc neurons leak toward 0');
    leak = layerLeak(c, tauKey, tau);
    // snnc's own files carry the exact leak when no float τ reproduces it (leaks < 0.5).
    const exact = c.meta['leak'];
    if (typeof exact === 'number' && Math.abs(exact - leak) <= 1e-12) leak = exact;
    for (let i = 0; i < count; i++) gain[i] = (c.dt * (r[i] as number)) / (tau[i] as number);
    if (t === 'CubaLIF') {
      const tauSyn = param(c, 'tau_syn');
      synDecay = synapticDecay(c, tauSyn);
      for (let i = 0; i < count; i++) gain[i] = ((gain[i] as number) * c.dt) / (tauSyn[i] as number);
      if (c.node.fields['w_in'] !== undefined) {
        const w = param(c, 'w_in');
        for (let i = 0; i < count; i++) gain[i] = (gain[i] as number) * (w[i] as number);
      }
    }
  }
  if (!gain.every((g) => g > 0 && Number.isFinite(g))) {
    throw nirError(`${c.where}/r: the input gain (dt·r${t === 'IF' ? '' : '/τ'}) must be positive and finite at dt = ${c.dt}`, `${c.where}/r`);
  }
  const unit = gain.every((g) => Math.abs(g - 1) <= GAIN_TOLERANCE);

  const reset = c.meta['reset'] === 'subtract' ? 'subtract' : 'zero';
  if (reset === 'zero' && c.node.fields['v_reset'] !== undefined && !param(c, 'v_reset').every((v) => v === 0)) {
    throw unsupported(c, 'v_reset ≠ 0 has no snnc equivalent', 'snnc neurons reset to 0 or by subtraction');
  }
  // snnc wrote v ≥ θ as v > (the float64 below θ); undo that only for its own unit-gain files.
  const ge = c.meta['fire'] === 'ge' && unit;
  const theta = Float64Array.from(vth, (v, i) => Math.fround(ge ? nextUp(v) : unit ? v : v / (gain[i] as number)));

  const want = metaShape(c, 'thresholdShape') ?? (Array.isArray(c.meta['thresholdShape']) && c.meta['thresholdShape'].length === 0 ? [] : undefined);
  let thShape: readonly number[] = c.inShape;
  let thData: Float64Array = theta;
  const fitted = want !== undefined ? unbroadcast(theta, c.inShape, want) : undefined;
  if (fitted !== undefined && want !== undefined) {
    thShape = want;
    thData = fitted;
  } else if (theta.every((v) => v === theta[0])) {
    thShape = [];
    thData = theta.subarray(0, 1);
  }
  const th = c.init(inputName(c, 1, 'threshold'), { dtype: 'float32', shape: thShape, data: Float32Array.from(thData) });

  const vInit = typeof c.meta['vInit'] === 'number' ? c.meta['vInit'] : 0;
  const refractory = typeof c.meta['refractory'] === 'number' && Number.isInteger(c.meta['refractory']) ? c.meta['refractory'] : 0;
  const attrs = { reset, vInit, fire: ge ? 'ge' : 'gt', refractory } as const;
  const value = outputName(c);
  const inputs = [c.inputs[0] ?? '', th];
  if (t === 'IF' && c.meta['op'] !== 'LIF') c.emit({ name: c.name, op: 'IF', attrs, inputs, outputs: [value] });
  else c.emit({ name: c.name, op: 'LIF', attrs: { ...attrs, leak, ...(synDecay > 0 ? { synDecay } : {}) }, inputs, outputs: [value] });
  return { value, shape: c.inShape };
}
