// Conv (1-D, 2-D, 3-D; groups, dilations, asymmetric pads, auto_pad) for float dtypes.
// Every rank is lifted to 3-D (missing leading spatial dims of size 1), patches are
// gathered per (image, group) into a [patch x pixels] matrix (im2col), and the product
// of the weights [out_ch x patch] with it runs in the shared GEMM kernel (NN form, so
// no transpose), writing straight into the output tensor.
import type { Node, Tensor, WindowAttrs } from '../../ir/types.js';
import { resolveWindow } from '../../ir/window.js';
import type { FArr } from './gemm-kernel.js';
import { gemmNN } from './gemm-kernel.js';
import type { Kernel } from './kernel.js';
import { alloc, dtypeErr, req, roundHalfInPlace, scratch, scratch64, shapeErr } from './kernel.js';

/** Window geometry lifted to exactly 3 spatial dims. */
export interface Geom3 {
  readonly inS: readonly [number, number, number];
  readonly outS: readonly [number, number, number];
  readonly k: readonly [number, number, number];
  readonly s: readonly [number, number, number];
  readonly d: readonly [number, number, number];
  readonly pb: readonly [number, number, number];
  readonly pe: readonly [number, number, number];
}

function lift(v: readonly number[], fill: number): [number, number, number] {
  const o = [fill, fill, fill];
  for (let i = 0; i < v.length; i++) o[3 - v.length + i] = v[i] as number;
  return o as [number, number, number];
}

/** Resolve the window (auto_pad, pads, ceil_mode) for the real rank, then lift to 3-D. */
export function geometry(node: Node, inSpatial: readonly number[], w: WindowAttrs, kernel: readonly number[], ceilMode: boolean): Geom3 {
  const r = inSpatial.length;
  if (r < 1 || r > 3) throw shapeErr(node, `only 1-D, 2-D and 3-D windows are supported, input has ${r} spatial dims`);
  const attrs: WindowAttrs = { ...w, kernelShape: kernel };
  const check = (name: string, arr: readonly number[], len: number): void => {
    if (arr.length !== 0 && arr.length !== len) {
      throw shapeErr(node, `attribute ${name} has ${arr.length} entries, the input has ${r} spatial dims`);
    }
  };
  check('kernel_shape', kernel, r);
  check('strides', w.strides, r);
  check('dilations', w.dilations, r);
  check('pads', w.pads, 2 * r);
  const rw = resolveWindow(inSpatial, attrs, ceilMode, node.name);
  const ones = new Array<number>(r).fill(1);
  return {
    inS: lift(inSpatial, 1),
    outS: lift(rw.outSpatial, 1),
    k: lift(kernel, 1),
    s: lift(w.strides.length > 0 ? w.strides : ones, 1),
    d: lift(w.dilations.length > 0 ? w.dilations : ones, 1),
    pb: lift(rw.padsBegin, 0),
    pe: lift(rw.padsEnd, 0),
  };
}

/**
 * col[q*P + p]: patch element q of output pixel p, for `cg` channels of one image.
 * Rows are filled along the output width, where the valid span is computed once, so
 * the copy loop has no bounds checks. This layout is the B operand of gemmNN as is.
 */
function im2col(x: FArr, xOff: number, cg: number, g: Geom3, col: FArr): void {
  const [D, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const [KD, KH, KW] = g.k;
  const [SD, SH, SW] = g.s;
  const [DD, DH, DW] = g.d;
  const [PD, PH, PW] = g.pb;
  const plane = D * H * W;
  let o = 0;
  for (let c = 0; c < cg; c++) {
    const cb = xOff + c * plane;
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          // Output columns whose input column iw = ow*SW - PW + kw*DW lies inside [0, W).
          const shift = kw * DW - PW;
          const lo = Math.min(OW, Math.max(0, Math.ceil(-shift / SW)));
          const hi = Math.max(lo, Math.min(OW, Math.floor((W - 1 - shift) / SW) + 1));
          for (let od = 0; od < OD; od++) {
            const id = od * SD - PD + kd * DD;
            for (let oh = 0; oh < OH; oh++, o += OW) {
              const ih = oh * SH - PH + kh * DH;
              if (id < 0 || id >= D || ih < 0 || ih >= H) {
                col.fill(0, o, o + OW);
                continue;
              }
              const rb = cb + (id * H + ih) * W + shift;
              for (let ow = 0; ow < lo; ow++) col[o + ow] = 0;
              for (let ow = lo; ow < hi; ow++) col[o + ow] = x[rb + ow * SW] as number;
              for (let ow = hi; ow < OW; ow++) col[o + ow] = 0;
            }
          }
        }
      }
    }
  }
}

function isPointwise(g: Geom3): boolean {
  return g.k.every((v) => v === 1) && g.s.every((v) => v === 1) && g.pb.every((v) => v === 0) && g.outS.every((v, i) => v === g.inS[i]);
}

export const conv: Kernel<'Conv'> = (node, inputs, ctx) => {
  const x = req(node, inputs, 0);
  const w = req(node, inputs, 1);
  const bias: Tensor | undefined = inputs[2];
  if (x.dtype !== 'float32' && x.dtype !== 'float16' && x.dtype !== 'float64') throw dtypeErr(node, x, 'X');
  if (w.dtype !== x.dtype) throw dtypeErr(node, w, 'W');
  const r = x.shape.length;
  if (r < 3 || w.shape.length !== r) {
    throw shapeErr(node, `X [${x.shape.join(', ')}] and W [${w.shape.join(', ')}] must both be N-D with N >= 3`);
  }
  const [N, C] = x.shape as [number, number];
  const [OC, Cg] = w.shape as [number, number];
  const group = node.attrs.group;
  if (!(group >= 1) || C !== Cg * group || OC % group !== 0) {
    throw shapeErr(node, `X has ${C} channels, W [${w.shape.join(', ')}] with group ${group} expects ${Cg * group} and out channels divisible by the group`);
  }
  if (bias !== undefined && (bias.data.length !== OC || bias.dtype !== x.dtype)) {
    throw shapeErr(node, `B must be ${x.dtype}[${OC}], got ${bias.dtype}[${bias.shape.join(', ')}]`);
  }
  const wk = w.shape.slice(2);
  const attrK = node.attrs.kernelShape;
  if (attrK.length > 0 && attrK.some((v, i) => v !== wk[i])) {
    throw shapeErr(node, `kernel_shape [${attrK.join(', ')}] does not match W spatial dims [${wk.join(', ')}]`);
  }
  const g = geometry(node, x.shape.slice(2), node.attrs, wk, false);
  const out = alloc(node, x.dtype, [N, OC, ...g.outS.slice(3 - (r - 2))], ctx);
  const P = g.outS[0] * g.outS[1] * g.outS[2];
  const K = Cg * g.k[0] * g.k[1] * g.k[2];
  const plane = g.inS[0] * g.inS[1] * g.inS[2];
  const OCg = OC / group;
  const od = out.data as FArr;
  const xd = x.data as FArr;
  const wd = w.data as FArr;
  if (bias !== undefined) {
    const bd = bias.data as FArr;
    for (let n = 0; n < N; n++) for (let o = 0; o < OC; o++) od.fill(bd[o] as number, (n * OC + o) * P, (n * OC + o + 1) * P);
  }
  // A 1x1 stride-1 unpadded conv needs no patches: the input itself is [Cg x pixels].
  const pointwise = isPointwise(g);
  const col = pointwise ? undefined : x.dtype === 'float64' ? scratch64(node, P * K, ctx) : scratch(node, P * K, ctx);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < group; gi++) {
      const xOff = (n * C + gi * Cg) * plane;
      const outOff = (n * OC + gi * OCg) * P;
      if (col === undefined) gemmNN(OCg, P, K, wd, gi * OCg * K, K, xd, xOff, plane, od, outOff, P, 1, bias !== undefined, ctx.exactSums === true);
      else {
        im2col(xd, xOff, Cg, g, col);
        gemmNN(OCg, P, K, wd, gi * OCg * K, K, col, 0, P, od, outOff, P, 1, bias !== undefined, ctx.exactSums === true);
      }
    }
  }
  if (x.dtype === 'float16') roundHalfInPlace(od as Float32Array);
  return [out];
};
