// MaxPool (with optional Indices), AveragePool, GlobalAveragePool, GlobalMaxPool.
// Windows are lifted to 3-D like Conv. For each output position and spatial dim the
// range of kernel taps landing inside the input is computed once, so the inner loops
// run without bounds checks. AveragePool's divisor: taps inside the input, or with
// count_include_pad taps inside the explicitly padded input [-pad_begin, in + pad_end);
// the extra area ceil_mode adds beyond that is never counted (ONNX reference).
import type { Node, Tensor } from '../../ir/types.js';
import { isFloat } from '../../ir/dtype.js';
import type { Geom3 } from './conv.js';
import type { FArr } from './gemm-kernel.js';
import { geometry } from './conv.js';
import { align16, growMemory, residentGemm } from './wasm/sgemm.js';
import type { Kernel, NumData, RunCtx } from './kernel.js';
import { alloc, dtypeErr, req, roundHalfInPlace, shapeErr } from './kernel.js';

/** Taps t in [from[o], to[o]) of output o satisfy lo ≤ o·s − pb + t·d < hi (one dim). */
export interface DimTaps {
  readonly from: Int32Array;
  readonly to: Int32Array;
}

/** Tap ranges along one dim (also used by the spiking kernels in src/sim/snn). */
export function dimTaps(outN: number, k: number, s: number, d: number, pb: number, lo: number, hi: number): DimTaps {
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

/** Input taps of each lifted dim (D, H, W). */
export function geomTaps(g: Geom3): [DimTaps, DimTaps, DimTaps] {
  return [0, 1, 2].map((i) => dimTaps(g.outS[i] as number, g.k[i] as number, g.s[i] as number, g.d[i] as number, g.pb[i] as number, 0, g.inS[i] as number)) as [
    DimTaps,
    DimTaps,
    DimTaps,
  ];
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
  const [tD, tH, tW] = geomTaps(g);
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

/** Divisor per output position (taps counted), row-major over the output window grid. */
function divisors(g: Geom3, cnt: readonly [DimTaps, DimTaps, DimTaps]): Float64Array {
  const [OD, OH, OW] = g.outS;
  const [cD, cH, cW] = cnt;
  const count = new Float64Array(OD * OH * OW);
  for (let od = 0, q = 0; od < OD; od++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, q++) {
        count[q] =
          ((cD.to[od] as number) - (cD.from[od] as number)) *
          ((cH.to[oh] as number) - (cH.from[oh] as number)) *
          ((cW.to[ow] as number) - (cW.from[ow] as number));
      }
    }
  }
  return count;
}

/** [lo, hi): the outputs along one dim whose whole window lies inside the input (a contiguous range). */
function interior(t: DimTaps, k: number): [number, number] {
  let lo = 0;
  while (lo < t.from.length && !(t.from[lo] === 0 && t.to[lo] === k)) lo++;
  let hi = lo;
  while (hi < t.from.length && t.from[hi] === 0 && t.to[hi] === k) hi++;
  return [lo, hi];
}

/**
 * The interior four-tap case in WebAssembly (the same float64 sums and rounding, see avg4 in
 * sgemm-module.ts): input and output pass through the module's memory. False when the module
 * is unavailable or refuses the memory.
 */
function avg4Wasm(xd: Float32Array, yd: Float32Array, NC: number, g: Geom3, o1: number, o2: number, o3: number): boolean {
  const e = residentGemm();
  if (e === null) return false;
  const [, H, W] = g.inS;
  const [, OH, OW] = g.outS;
  const yPtr = align16(4 * xd.length);
  if (!growMemory(e.mem, yPtr + 4 * yd.length)) return false;
  const heap = new Float32Array(e.mem.buffer);
  heap.set(xd);
  // Every window inside the input means the first starts at 0: no leading padding to offset by.
  e.avg4(0, yPtr, NC, OH, OW, 4 * H * W, 4 * g.s[1] * W, 4 * g.s[2], 4 * o1, 4 * o2, 4 * o3);
  yd.set(heap.subarray(yPtr / 4, yPtr / 4 + yd.length));
  return true;
}

/**
 * The AveragePool sums. Windows lying wholly inside the input (all but the border)
 * read their taps through a precomputed offset list — unrolled for four taps, the
 * common 2x2 — since nested loops of two or three trips cost more in branches than
 * in loads; border windows walk their clipped tap ranges. The summation order is the
 * row-major tap order either way. A function of its own so V8 optimizes it whole.
 */
function averageLoops(xd: FArr, yd: FArr, NC: number, g: Geom3, t: readonly [DimTaps, DimTaps, DimTaps], count: Float64Array): void {
  const [D, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const [KD, KH, KW] = g.k;
  const [SD, SH, SW] = g.s;
  const [DD, DH, DW] = g.d;
  const [PD, PH, PW] = g.pb;
  const [tD, tH, tW] = t;
  const plane = D * H * W;
  const offs = new Int32Array(KD * KH * KW);
  for (let kd = 0, i = 0; kd < KD; kd++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++, i++) offs[i] = (kd * DD * H + kh * DH) * W + kw * DW;
  const T = offs.length;
  const o0 = offs[0] ?? 0,
    o1 = offs[1] ?? 0,
    o2 = offs[2] ?? 0,
    o3 = offs[3] ?? 0;
  const [dLo, dHi] = interior(tD, KD);
  const [hLo, hHi] = interior(tH, KH);
  const [wLo, wHi] = interior(tW, KW);
  if (T === 4 && dLo === 0 && dHi === OD && hLo === 0 && hHi === OH && wLo === 0 && wHi === OW) {
    if (xd instanceof Float32Array && yd instanceof Float32Array && D === 1 && avg4Wasm(xd, yd, NC, g, o1, o2, o3)) return;
    // Every window inside the input, four taps (the common 2×2 pool, every step of an SNN): the
    // loop below's interior sums, walking the input instead of recomputing each window's base
    // and testing it against the border (half the time per input).
    for (let nc = 0, o = 0; nc < NC; nc++) {
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++, o += OW) {
          let a = nc * plane + ((od * SD - PD) * H + oh * SH - PH) * W - PW;
          for (let ow = 0; ow < OW; ow++, a += SW)
            yd[o + ow] = ((xd[a + o0] as number) + (xd[a + o1] as number) + (xd[a + o2] as number) + (xd[a + o3] as number)) / 4;
        }
      }
    }
    return;
  }
  let o = 0;
  for (let nc = 0; nc < NC; nc++) {
    const xb = nc * plane;
    let q = 0;
    for (let od = 0; od < OD; od++) {
      const d0 = od * SD - PD;
      const kd0 = tD.from[od] as number;
      const kd1 = tD.to[od] as number;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * SH - PH;
        const kh0 = tH.from[oh] as number;
        const kh1 = tH.to[oh] as number;
        // Interior windows of this row: ow in [lo, hi); the rest take the clipped loops.
        const inner = od >= dLo && od < dHi && oh >= hLo && oh < hHi;
        const lo = inner ? wLo : OW;
        const hi = inner ? wHi : OW;
        for (let ow = 0; ow < OW; ow++, o++, q++) {
          const w0 = ow * SW - PW;
          let sum = 0;
          if (ow >= lo && ow < hi) {
            const rb = xb + (d0 * H + h0) * W + w0;
            if (T === 4) sum = (xd[rb + o0] as number) + (xd[rb + o1] as number) + (xd[rb + o2] as number) + (xd[rb + o3] as number);
            else for (let i = 0; i < T; i++) sum += xd[rb + (offs[i] as number)] as number;
            yd[o] = sum / T;
            continue;
          }
          const kw0 = tW.from[ow] as number;
          const kw1 = tW.to[ow] as number;
          for (let kd = kd0; kd < kd1; kd++) {
            const ii = d0 + kd * DD;
            for (let kh = kh0; kh < kh1; kh++) {
              const rb = xb + (ii * H + h0 + kh * DH) * W + w0;
              for (let kw = kw0; kw < kw1; kw++) sum += xd[rb + kw * DW] as number;
            }
          }
          const c = count[q] as number;
          yd[o] = c > 0 ? sum / c : NaN;
        }
      }
    }
  }
}

export const averagePool: Kernel<'AveragePool'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  if (!isFloat(x.dtype)) throw dtypeErr(node, x, 'X');
  checkInput(node, x);
  const a = node.attrs;
  const g = geometry(node, x.shape.slice(2), a, a.kernelShape, a.ceilMode);
  const y = alloc(node, x.dtype, outShapeOf(x, g), ctx);
  const [tD, tH, tW] = geomTaps(g);
  // Taps counted by the divisor: inside the input, or inside the explicitly padded input.
  const cnt: [DimTaps, DimTaps, DimTaps] = a.countIncludePad
    ? ([0, 1, 2].map((i) =>
        dimTaps(
          g.outS[i] as number,
          g.k[i] as number,
          g.s[i] as number,
          g.d[i] as number,
          g.pb[i] as number,
          -(g.pb[i] as number),
          (g.inS[i] as number) + (g.pe[i] as number),
        ),
      ) as [DimTaps, DimTaps, DimTaps])
    : [tD, tH, tW];
  const xd = x.data as FArr;
  const yd = y.data as FArr;
  const NC = (x.shape[0] as number) * (x.shape[1] as number);
  averageLoops(xd, yd, NC, g, [tD, tH, tW], divisors(g, cnt));
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
