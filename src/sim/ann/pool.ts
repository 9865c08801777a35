// MaxPool (with optional Indices), AveragePool, GlobalAveragePool, GlobalMaxPool.
// Windows are lifted to 3-D like Conv. For each output position and spatial dim the
// range of kernel taps landing inside the input is computed once, so the inner loops
// run without bounds checks. AveragePool's divisor: taps inside the input, or with
// count_include_pad taps inside the explicitly padded input [-pad_begin, in + pad_end);
// the extra area ceil_mode adds beyond that is never counted (ONNX reference).
import type { Node, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import type { Geom3 } from './conv.js';
import { geometry } from './conv.js';
import type { Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, dtypeErr, req, roundHalfInPlace, shapeErr } from './kernel.js';

interface Taps {
  /** First tap index inside [lo, hi) per output index. */
  readonly from: Int32Array;
  /** One past the last such tap. */
  readonly to: Int32Array;
}

/** Tap ranges along one dim: taps t with lo <= o*s - pb + t*d < hi. */
function taps(outN: number, k: number, s: number, d: number, pb: number, lo: number, hi: number): Taps {
  const from = new Int32Array(outN);
  const to = new Int32Array(outN);
  for (let o = 0; o < outN; o++) {
    const start = o * s - pb;
    const f = Math.max(0, Math.ceil((lo - start) / d));
    const t = Math.min(k, Math.floor((hi - 1 - start) / d) + 1);
    from[o] = f;
    to[o] = Math.max(f, t);
  }
  return { from, to };
}

function inputTaps(g: Geom3): [Taps, Taps, Taps] {
  return [0, 1, 2].map((i) => taps(g.outS[i] as number, g.k[i] as number, g.s[i] as number, g.d[i] as number, g.pb[i] as number, 0, g.inS[i] as number)) as [Taps, Taps, Taps];
}

function checkInput(node: Node, x: Tensor): void {
  if (x.shape.length < 3 || x.shape.length > 5) {
    throw shapeErr(node, `input must be [N, C, spatial...] with 1 to 3 spatial dims, got [${x.shape.join(', ')}]`);
  }
}

function outShapeOf(x: Tensor, g: Geom3): number[] {
  return [x.shape[0] as number, x.shape[1] as number, ...g.outS.slice(3 - (x.shape.length - 2))];
}

/** Most negative value of a dtype: the max over an empty window (all padding). */
function lowest(x: Tensor): number {
  if (isFloat(x.dtype)) return -Infinity;
  if (x.dtype === 'int8') return -128;
  return 0;
}

export const maxPool: Kernel<'MaxPool'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (!isFloat(x.dtype) && x.dtype !== 'int8' && x.dtype !== 'uint8') throw dtypeErr(node, x, 'X');
  checkInput(node, x);
  const a = node.attrs;
  const g = geometry(node, x.shape.slice(2), a, a.kernelShape, a.ceilMode);
  const y = alloc(node, x.dtype, outShapeOf(x, g), ctx);
  const wantIdx = node.outputs.length > 1 && node.outputs[1] !== '';
  const idx = wantIdx ? alloc(node, 'int64', y.shape, ctx) : undefined;
  const [tD, tH, tW] = inputTaps(g);
  const [D, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const plane = D * H * W;
  const xd = x.data as NumData;
  const yd = y.data as NumData;
  const id = idx?.data as BigInt64Array | undefined;
  const colMajor = a.storageOrder === 1;
  const low = lowest(x);
  const NC = (x.shape[0] as number) * (x.shape[1] as number);
  // Geometry in locals: the loops below run once per tap.
  const [SD, SH, SW] = g.s;
  const [DD, DH, DW] = g.d;
  const [PD, PH, PW] = g.pb;
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const xb = nc * plane;
    for (let od = 0; od < OD; od++) {
      const d0 = od * SD - PD;
      const kd0 = tD.from[od] as number;
      const kd1 = tD.to[od] as number;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * SH - PH;
        const kh0 = tH.from[oh] as number;
        const kh1 = tH.to[oh] as number;
        for (let ow = 0; ow < OW; ow++, o++) {
          const w0 = ow * SW - PW;
          const kw0 = tW.from[ow] as number;
          const kw1 = tW.to[ow] as number;
          let best = low;
          let bi = -1;
          for (let kd = kd0; kd < kd1; kd++) {
            const ii = d0 + kd * DD;
            for (let kh = kh0; kh < kh1; kh++) {
              const ih = h0 + kh * DH;
              const rb = xb + (ii * H + ih) * W;
              for (let kw = kw0; kw < kw1; kw++) {
                const iw = w0 + kw * DW;
                const v = xd[rb + iw] as number;
                // Strict > keeps the first maximum in row-major order, as onnxruntime does.
                if (v > best || bi < 0) {
                  best = v;
                  bi = (ii * H + ih) * W + iw;
                }
              }
            }
          }
          yd[o] = best;
          if (id !== undefined) {
            // Decode the winner to (d, h, w) only when indices are wanted.
            let flat = bi;
            if (bi >= 0 && colMajor) {
              const iw = bi % W;
              const ih = ((bi - iw) / W) % H;
              const ii = (bi - iw - ih * W) / (W * H);
              flat = ii + ih * D + iw * D * H;
            }
            id[o] = BigInt(bi < 0 ? -1 : xb + flat);
          }
        }
      }
    }
  }
  return idx !== undefined ? [y, idx] : [y];
};

export const averagePool: Kernel<'AveragePool'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (!isFloat(x.dtype)) throw dtypeErr(node, x, 'X');
  checkInput(node, x);
  const a = node.attrs;
  const g = geometry(node, x.shape.slice(2), a, a.kernelShape, a.ceilMode);
  const y = alloc(node, x.dtype, outShapeOf(x, g), ctx);
  const [tD, tH, tW] = inputTaps(g);
  // Taps counted by the divisor: inside the input, or inside the explicitly padded input.
  const cnt = a.countIncludePad
    ? ([0, 1, 2].map((i) => taps(g.outS[i] as number, g.k[i] as number, g.s[i] as number, g.d[i] as number, g.pb[i] as number,
      -(g.pb[i] as number), (g.inS[i] as number) + (g.pe[i] as number))) as [Taps, Taps, Taps])
    : [tD, tH, tW];
  const [D, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const plane = D * H * W;
  const xd = x.data as Float32Array | Float64Array;
  const yd = y.data as Float32Array | Float64Array;
  const NC = (x.shape[0] as number) * (x.shape[1] as number);
  const span = (t: Taps, i: number): number => (t.to[i] as number) - (t.from[i] as number);
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const xb = nc * plane;
    for (let od = 0; od < OD; od++) {
      const d0 = od * g.s[0] - g.pb[0];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * g.s[1] - g.pb[1];
        for (let ow = 0; ow < OW; ow++, o++) {
          const w0 = ow * g.s[2] - g.pb[2];
          let sum = 0;
          for (let kd = tD.from[od] as number; kd < (tD.to[od] as number); kd++) {
            const ii = d0 + kd * g.d[0];
            for (let kh = tH.from[oh] as number; kh < (tH.to[oh] as number); kh++) {
              const rb = xb + (ii * H + h0 + kh * g.d[1]) * W + w0;
              for (let kw = tW.from[ow] as number; kw < (tW.to[ow] as number); kw++) sum += xd[rb + kw * g.d[2]] as number;
            }
          }
          const count = span(cnt[0] as Taps, od) * span(cnt[1] as Taps, oh) * span(cnt[2] as Taps, ow);
          yd[o] = count > 0 ? sum / count : NaN;
        }
      }
    }
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return [y];
};

function globalPool(node: Node, x: Tensor, ctx: RunCtx, isMax: boolean): Tensor {
  if (!isFloat(x.dtype)) throw dtypeErr(node, x, 'X');
  if (x.shape.length < 2) throw shapeErr(node, `input must be [N, C, ...], got [${x.shape.join(', ')}]`);
  const [N, C] = x.shape as [number, number];
  const spatial = x.shape.slice(2);
  let plane = 1;
  for (const d of spatial) plane *= d;
  const y = alloc(node, x.dtype, [N, C, ...spatial.map(() => 1)], ctx);
  const xd = x.data as Float32Array | Float64Array;
  const yd = y.data as Float32Array | Float64Array;
  for (let nc = 0; nc < N * C; nc++) {
    const b = nc * plane;
    let acc = isMax ? -Infinity : 0;
    if (isMax) {
      for (let i = 0; i < plane; i++) {
        const v = xd[b + i] as number;
        if (v > acc || v !== v) acc = v;
      }
    } else {
      for (let i = 0; i < plane; i++) acc += xd[b + i] as number;
      acc /= plane;
    }
    yd[nc] = acc;
  }
  if (x.dtype === 'float16') roundHalfInPlace(yd as Float32Array);
  return y;
}

export const globalAveragePool: Kernel<'GlobalAveragePool'> = (node, inputs, ctx) => [globalPool(node, req(node, inputs, 0), ctx, false)];
export const globalMaxPool: Kernel<'GlobalMaxPool'> = (node, inputs, ctx) => [globalPool(node, req(node, inputs, 0), ctx, true)];
