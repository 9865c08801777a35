// A deliberately plain reference simulation of converted graphs for the convert tests:
// one sample at a time, float64, straightforward loops, only the ops the test graphs use.
// Independent of src/sim (no kernels shared) so it checks the converter, not the simulator.
import type { Graph, Node, Tensor } from '../../src/ir/types.js';

interface Arr {
  readonly shape: number[];
  readonly data: Float64Array;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function arr(t: Tensor): Arr {
  return { shape: [...t.shape], data: Float64Array.from(t.data as Float32Array) };
}

/** numpy broadcasting of a binary op. */
function bcast(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i] as number));
  const out = new Float64Array(size(shape));
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    for (let i = r - 1; i >= 0; i--) {
      idx[i] = rem % (shape[i] as number);
      rem = Math.floor(rem / (shape[i] as number));
    }
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < r; i++) {
      ia = ia * (pa[i] as number) + ((pa[i] as number) === 1 ? 0 : (idx[i] as number));
      ib = ib * (pb[i] as number) + ((pb[i] as number) === 1 ? 0 : (idx[i] as number));
    }
    out[o] = f(a.data[ia] as number, b.data[ib] as number);
  }
  return { shape, data: out };
}

function gemm(n: Extract<Node, { op: 'Gemm' }>, x: Arr, w: Arr, c: Arr | undefined): Arr {
  const K = x.shape[1] as number;
  const M = n.attrs.transB ? (w.shape[0] as number) : (w.shape[1] as number);
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (x.data[k] as number) * (w.data[n.attrs.transB ? m * K + k : k * M + m] as number);
    out[m] = n.attrs.alpha * s;
  }
  const y = { shape: [1, M], data: out };
  return c === undefined ? y : bcast(y, { shape: c.shape, data: c.data.map((v) => v * n.attrs.beta) }, (p, q) => p + q);
}

function conv(n: Extract<Node, { op: 'Conv' }>, x: Arr, w: Arr, b: Arr | undefined): Arr {
  const [, C, H, W] = x.shape as [number, number, number, number];
  const [M, , kh, kw] = w.shape as [number, number, number, number];
  const [pt, pl, pb, pr] = n.attrs.pads as [number, number, number, number];
  const [sh, sw] = n.attrs.strides as [number, number];
  const Ho = Math.floor((H + pt + pb - kh) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - kw) / sw) + 1;
  const out = new Float64Array(M * Ho * Wo);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let s = b === undefined ? 0 : (b.data[m] as number);
        for (let c = 0; c < C; c++) {
          for (let u = 0; u < kh; u++) {
            for (let v = 0; v < kw; v++) {
              const yi = i * sh + u - pt;
              const xj = j * sw + v - pl;
              if (yi < 0 || yi >= H || xj < 0 || xj >= W) continue;
              s += (x.data[(c * H + yi) * W + xj] as number) * (w.data[((m * C + c) * kh + u) * kw + v] as number);
            }
          }
        }
        out[(m * Ho + i) * Wo + j] = s;
      }
    }
  }
  return { shape: [1, M, Ho, Wo], data: out };
}

function avgPool(k: readonly number[], s: readonly number[], x: Arr): Arr {
  const [, C, H, W] = x.shape as [number, number, number, number];
  const [kh, kw] = k as [number, number];
  const [sh, sw] = s as [number, number];
  const Ho = Math.floor((H - kh) / sh) + 1;
  const Wo = Math.floor((W - kw) / sw) + 1;
  const out = new Float64Array(C * Ho * Wo);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let t = 0;
        for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) t += x.data[(c * H + i * sh + u) * W + j * sw + v] as number;
        out[(c * Ho + i) * Wo + j] = t / (kh * kw);
      }
    }
  }
  return { shape: [1, C, Ho, Wo], data: out };
}

/**
 * Runs a converted graph (direct coding) on one sample for T steps; returns the graph
 * output accumulated over the steps, divided by T (the rate-decoded readout).
 */
export function refSimulate(g: Graph, x: Float32Array, T: number): Float64Array {
  const input = g.inputs[0] as string;
  const inShape = (g.values.get(input)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
  const consts = new Map<string, Arr>();
  for (const [k, t] of g.initializers) consts.set(k, arr(t));
  const membranes = new Map<string, Float64Array>();
  const out = g.outputs[0] as string;
  let acc: Float64Array | undefined;
  for (let t = 0; t < T; t++) {
    const env = new Map<string, Arr>(consts);
    env.set(input, { shape: inShape, data: Float64Array.from(x) });
    const get = (v: string | undefined): Arr | undefined => (v === undefined || v === '' ? undefined : env.get(v));
    const need = (v: string | undefined): Arr => {
      const a = get(v);
      if (a === undefined) throw new Error(`ref: missing value ${String(v)}`);
      return a;
    };
    for (const n of g.nodes) {
      const [a, b, c] = n.inputs;
      let y: Arr;
      switch (n.op) {
        case 'Gemm':
          y = gemm(n, need(a), need(b), get(c));
          break;
        case 'Conv':
          y = conv(n, need(a), need(b), get(c));
          break;
        case 'AveragePool':
          y = avgPool(n.attrs.kernelShape, n.attrs.strides, need(a));
          break;
        case 'GlobalAveragePool': {
          const xa = need(a);
          y = avgPool([xa.shape[2] as number, xa.shape[3] as number], [1, 1], xa);
          break;
        }
        case 'Flatten': {
          const xa = need(a);
          y = { shape: [1, size(xa.shape)], data: xa.data };
          break;
        }
        case 'Add':
          y = bcast(need(a), need(b), (p, q) => p + q);
          break;
        case 'Mul':
          y = bcast(need(a), need(b), (p, q) => p * q);
          break;
        case 'Identity':
          y = need(a);
          break;
        case 'IF': {
          const cur = need(a);
          const th = bcast(cur, need(b), (_p, q) => q).data;
          let v = membranes.get(n.name);
          if (v === undefined) {
            v = th.map((q) => n.attrs.vInit * q);
            membranes.set(n.name, v);
          }
          const s = new Float64Array(cur.data.length);
          for (let i = 0; i < s.length; i++) {
            v[i] = (v[i] as number) + (cur.data[i] as number);
            const fire = n.attrs.fire === 'ge' ? (v[i] as number) >= (th[i] as number) : (v[i] as number) > (th[i] as number);
            if (fire) {
              s[i] = 1;
              v[i] = n.attrs.reset === 'subtract' ? (v[i] as number) - (th[i] as number) : 0;
            }
          }
          y = { shape: cur.shape, data: s };
          break;
        }
        default:
          throw new Error(`ref: op ${n.op} not in the reference`);
      }
      env.set(n.outputs[0] as string, y);
    }
    const o = need(out).data;
    if (acc === undefined) acc = new Float64Array(o.length);
    for (let i = 0; i < o.length; i++) acc[i] = (acc[i] as number) + (o[i] as number);
  }
  return (acc as Float64Array).map((v) => v / T);
}
