// One mapped layer on a batch: encode the inputs as word-line codes (spikes as 0/1,
// pooled spike counts as integers, analog values quantized), unroll convolutions
// im2col-style one output position at a time, run imcAffine, and scale the integer
// accumulators back to currents: acc · s_w · s_x · alpha + bias (rounded to float32).
import type { Tensor } from '../../ir/types.js';
import type { Rng } from './devices.js';
import { makeRng } from './devices.js';
import type { LayerProgram } from './functional.js';
import { imcAffine, newScratch } from './functional.js';

/** The word-line code of one input value. */
export function encoder(p: LayerProgram): (v: number) => number {
  const m = p.m;
  const inp = m.layer.input;
  if (inp.kind === 'spike') return (v) => (v !== 0 ? 1 : 0);
  if (inp.kind === 'count') return (v) => Math.max(0, Math.min(inp.k, Math.round(v * inp.k)));
  const top = Math.max(m.maxCodePerRead, 2 ** m.inputBits - 1);
  return (v) => Math.max(0, Math.min(top, Math.round(v / m.sX)));
}

/**
 * x: [n, ...] float32 for samples first..first+n−1 at step t (−1: a static value).
 * Read noise draws from a stream per (layer, sample, step), independent of batching.
 */
export function runMapped(p: LayerProgram, x: Tensor, first: number, n: number, seed: number, layerIndex: number, t: number): Tensor {
  const m = p.m;
  const L = m.layer;
  const G = L.groups;
  const og = L.outFeatures / G;
  const rows = L.rows;
  const enc = encoder(p);
  const scale = m.sW * m.sX * L.alpha;
  const xd = x.data as Float32Array;
  const perIn = xd.length / n;
  const P = L.positions;
  const out = new Float32Array(n * L.outFeatures * P);
  const codes = new Float64Array(rows);
  const acc = new Float64Array(og);
  const scratch = newScratch(p);
  const geo = L.conv;
  for (let b = 0; b < n; b++) {
    const rng: Rng | undefined = p.readSigma > 0 ? makeRng(seed, 2, layerIndex, first + b, t + 1) : undefined;
    const xo = b * perIn;
    for (let grp = 0; grp < G; grp++) {
      for (let pos = 0; pos < P; pos++) {
        if (geo === undefined) {
          for (let r = 0; r < rows; r++) codes[r] = enc(xd[xo + r] as number);
        } else {
          const oh = Math.floor(pos / geo.outW);
          const ow = pos % geo.outW;
          const cg = geo.cin / G;
          let r = 0;
          for (let ci = 0; ci < cg; ci++) {
            const plane = xo + (grp * cg + ci) * geo.inH * geo.inW;
            for (let ki = 0; ki < geo.kh; ki++) {
              const ih = oh * geo.sh - geo.padT + ki * geo.dh;
              for (let kj = 0; kj < geo.kw; kj++, r++) {
                const iw = ow * geo.sw - geo.padL + kj * geo.dw;
                codes[r] = ih >= 0 && ih < geo.inH && iw >= 0 && iw < geo.inW ? enc(xd[plane + ih * geo.inW + iw] as number) : 0;
              }
            }
          }
        }
        imcAffine(p, grp, codes, acc, scratch, rng);
        for (let o = 0; o < og; o++) {
          const oc = grp * og + o;
          out[(b * L.outFeatures + oc) * P + pos] = (acc[o] as number) * scale + (L.bias[oc] as number);
        }
      }
    }
  }
  const shape = geo === undefined ? [n, L.outFeatures] : [n, L.outFeatures, geo.outH, geo.outW];
  return { dtype: 'float32', shape, data: out };
}
