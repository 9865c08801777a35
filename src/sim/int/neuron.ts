// The integer IF/LIF update of the IntProgram contract (program.ts): the synaptic current of
// a current-based neuron, leak by arithmetic shift, integrate, overflow (saturate | wrap) at
// membraneBits, fire (ge | gt), reset, refractory.
import type { IntNeuron, Overflow } from './program.js';

/** OV_m(x) for an exact integer x (|x| < 2^53) and m ≤ 32. */
export function overflow(x: number, m: number, mode: Overflow): number {
  if (mode === 'saturate') {
    const hi = 2 ** (m - 1) - 1;
    const lo = -(2 ** (m - 1));
    return x > hi ? hi : x < lo ? lo : x;
  }
  const w = x | 0; // ToInt32 = the low 32 bits, two's complement, exact for integer doubles
  return m === 32 ? w : (w << (32 - m)) >> (32 - m);
}

export interface IntNeuronState {
  readonly n: IntNeuron;
  /** Elements per output channel. */
  readonly per: number;
  readonly v: Int32Array;
  readonly r: Int32Array;
  /** The synaptic current of a current-based neuron (length 0 otherwise). */
  readonly i: Int32Array;
}

/** The start state of `count` samples' neurons, F per sample, back to back (count 1: one sample). */
export function initState(n: IntNeuron, F: number, channels: number, count = 1): IntNeuronState {
  const per = F / channels;
  const v = new Int32Array(F * count);
  for (let i = 0; i < F; i++) v[i] = (n.vInit.length === 1 ? n.vInit[0] : n.vInit[Math.floor(i / per)]) as number;
  for (let b = 1; b < count; b++) v.copyWithin(b * F, 0, F);
  return { n, per, v, r: new Int32Array(F * count), i: new Int32Array(n.currentDecay !== undefined ? F * count : 0) };
}

/**
 * One step: currents I → spikes out (0/1); returns the number of spikes. The state may hold
 * several samples back to back (initState's count): the channels then repeat per sample.
 */
export function stepNeuron(s: IntNeuronState, I: Int32Array, out: Int32Array): number {
  const { n, per, v, r } = s;
  const m = n.membraneBits;
  const sh = n.leakShift;
  // overflow() inlined with its bounds hoisted: this loop runs once per neuron and step.
  const sat = n.overflow === 'saturate';
  const hi = 2 ** (m - 1) - 1;
  const lo = -(2 ** (m - 1));
  const wrapShift = 32 - m;
  const ge = n.fire === 'ge';
  const sub = n.reset === 'subtract';
  const one = n.threshold.length === 1;
  const refractory = n.refractory;
  const syn = s.i;
  const keep = 4096 - (n.currentDecay ?? 4096);
  const cuba = n.currentDecay !== undefined;
  let spikes = 0;
  // Channel by channel, so the threshold is read once per channel (not divided out per neuron);
  // after a sample's last channel comes the next sample's first.
  for (let ch = 0, i = 0; i < v.length; ch++) {
    const th = (one ? n.threshold[0] : n.threshold[ch % n.threshold.length]) as number;
    for (const end = Math.min(v.length, i + per); i < end; i++) {
      let cur = I[i] as number;
      if (cuba) {
        // trunc(i·(4096 − d) / 2^12) + I, saturated to 32 bits; |i·keep| < 2^43 is exact in a double.
        const x = (syn[i] as number) * keep;
        const c = (x < 0 ? -Math.floor(-x / 4096) : Math.floor(x / 4096)) + cur;
        cur = c > 2147483647 ? 2147483647 : c < -2147483648 ? -2147483648 : c;
        syn[i] = cur;
      }
      if (refractory > 0 && (r[i] as number) > 0) {
        r[i] = (r[i] as number) - 1;
        out[i] = 0;
        continue;
      }
      let vv = v[i] as number;
      if (sh !== null) vv -= vv >> sh;
      vv += cur;
      vv = sat ? (vv > hi ? hi : vv < lo ? lo : vv) : ((vv | 0) << wrapShift) >> wrapShift;
      if (ge ? vv >= th : vv > th) {
        if (sub) {
          const d = vv - th;
          v[i] = sat ? (d > hi ? hi : d < lo ? lo : d) : ((d | 0) << wrapShift) >> wrapShift;
        } else {
          v[i] = n.vReset;
        }
        if (refractory > 0) r[i] = refractory;
        out[i] = 1;
        spikes++;
      } else {
        v[i] = vv;
        out[i] = 0;
      }
    }
  }
  return spikes;
}
