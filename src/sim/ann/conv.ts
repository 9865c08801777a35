// Conv (1-D, 2-D, 3-D; groups, dilations, asymmetric pads, auto_pad) for float dtypes.
// Every rank is lifted to 3-D (missing leading spatial dims of size 1), patches are
// gathered per (image, group) into a [patch x pixels] matrix (im2col), and the product
// of the weights [out_ch x patch] with it runs in the shared GEMM kernel (NN form, so
// no transpose), writing straight into the output tensor.
import type { Node, Tensor, WindowAttrs } from '../../ir/types.js';
import { resolveWindow } from '../../ir/window.js';
import type { FArr } from './gemm-kernel.js';
import { gemmNN } from './gemm-kernel.js';
import { align16, growMemory, MAX_WASM_BYTES, residentGemm } from './wasm/sgemm.js';
import type { Kernel } from './kernel.js';
import { alloc, dtypeErr, reluInPlace, req, roundHalfInPlace, scratch, scratch64, shapeErr } from './kernel.js';

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

/** [lo, hi): the outputs o < n whose input index o*stride + shift lies inside [0, size). */
function inside(shift: number, stride: number, size: number, n: number): [number, number] {
  const lo = Math.min(n, Math.max(0, Math.ceil(-shift / stride)));
  return [lo, Math.max(lo, Math.min(n, Math.floor((size - 1 - shift) / stride) + 1))];
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
          const [lo, hi] = inside(shift, SW, W, OW);
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

/**
 * The rows im2col fills for one (image, group), as segments for the WebAssembly im2col:
 * (base, lo, hi, count, stride) — `count` consecutive output rows oh of one (c, kd, kh,
 * kw, od), row r reading x[base + r*stride + ow*SW] for ow in [lo, hi) and zero elsewhere;
 * lo = hi = 0 for rows that fall wholly in the padding. The same bounds as the TS im2col
 * above, worked out once per call instead of once per image and row.
 */
function patchSegments(cg: number, g: Geom3): Int32Array {
  const [D, H, W] = g.inS;
  const [OD, OH, OW] = g.outS;
  const [KD, KH, KW] = g.k;
  const [SD, SH, SW] = g.s;
  const [DD, DH, DW] = g.d;
  const [PD, PH, PW] = g.pb;
  const plane = D * H * W;
  const out: number[] = [];
  const zeros = (count: number): void => {
    if (count > 0) out.push(0, 0, 0, count, 0);
  };
  for (let c = 0; c < cg; c++) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const shift = kw * DW - PW;
          const [lo, hi] = inside(shift, SW, W, OW);
          // Output rows oh whose input row ih = oh*SH - PH + kh*DH lies inside [0, H).
          const off = kh * DH - PH;
          const [ohLo, ohHi] = inside(off, SH, H, OH);
          for (let od = 0; od < OD; od++) {
            const id = od * SD - PD + kd * DD;
            if (id < 0 || id >= D || lo === hi) {
              zeros(OH);
              continue;
            }
            zeros(ohLo);
            if (ohHi > ohLo) out.push(c * plane + (id * H + ohLo * SH + off) * W + shift, lo, hi, ohHi - ohLo, SH * W);
            zeros(OH - ohHi);
          }
        }
      }
    }
  }
  return Int32Array.from(out);
}

/** Bytes of input and output batch the WebAssembly path keeps in its memory at once. */
const WASM_CHUNK_BYTES = 64 << 20;

/**
 * How the WebAssembly path reads the patches: a 1x1 stride-1 conv multiplies the input
 * itself; a conv with unit width stride on a 1-D or 2-D input reads them in place (the
 * `conv` kernel, from an input copied in with its padding made explicit); anything else
 * (width stride > 1, 3-D) gathers them per image (im2col).
 */
type Patches = 'pointwise' | 'direct' | 'im2col';

function patchMode(g: Geom3): Patches {
  if (isPointwise(g)) return 'pointwise';
  return g.s[2] === 1 && g.inS[0] === 1 && g.k[0] === 1 && g.outS[0] === 1 ? 'direct' : 'im2col';
}

/** For 'direct': byte offset of patch element (c, kh, kw) from output pixel (0, 0)'s window, in the padded image. */
function patchOffsets(cg: number, g: Geom3, hp: number, wp: number): Int32Array {
  const [, KH, KW] = g.k;
  const [, DH, DW] = g.d;
  const offs = new Int32Array(cg * KH * KW);
  for (let c = 0, p = 0; c < cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++, p++) offs[p] = 4 * ((c * hp + kh * DH) * wp + kw * DW);
  return offs;
}

/**
 * Copy images [n0, n0 + cnt) into the heap at element `at`, each channel plane
 * surrounded by its zero padding (hp x wp) when the conv has any ('direct' mode).
 */
function copyImages(heap: Float32Array, at: number, xd: Float32Array, n0: number, cnt: number, C: number, g: Geom3, hp: number, wp: number): void {
  const [D, H, W] = g.inS;
  if (hp === H && wp === W) {
    heap.set(xd.subarray(n0 * C * D * H * W, (n0 + cnt) * C * D * H * W), at);
    return;
  }
  // Padded planes only arise in 'direct' mode, where D is 1.
  const top = g.pb[1];
  const left = g.pb[2];
  heap.fill(0, at, at + cnt * C * hp * wp);
  for (let nc = 0; nc < cnt * C; nc++) {
    const src = (n0 * C + nc) * H * W;
    const dst = at + nc * hp * wp + top * wp + left;
    for (let h = 0; h < H; h++) heap.set(xd.subarray(src + h * W, src + (h + 1) * W), dst + h * wp);
  }
}

/**
 * float32 Conv with everything in WebAssembly memory: the weights and the patch table go
 * in once, the batch in chunks of images, and per (image, group) the product runs there,
 * straight into the output chunk — no copy per image. Every mode sums each output in the
 * nn kernel's order (float32 lanes, p ascending, bias added to the finished sum), so they
 * give the same bits as each other and as the per-image gemmNN path — also with exactSums,
 * whose order this is. False when the module is unavailable or refuses the memory; the
 * caller then runs the per-image path.
 */
function convResident(
  xd: Float32Array,
  wd: Float32Array,
  bd: Float32Array | undefined,
  od: Float32Array,
  N: number,
  C: number,
  OC: number,
  group: number,
  g: Geom3,
  relu: boolean,
): boolean {
  const e = residentGemm();
  if (e === null) return false;
  const Cg = C / group;
  const OCg = OC / group;
  const [, OH, OW] = g.outS;
  const P = g.outS[0] * OH * OW;
  const K = Cg * g.k[0] * g.k[1] * g.k[2];
  const mode = patchMode(g);
  const product = e.nn;
  // The input as placed in the heap: padded planes for 'direct', as given otherwise.
  const hp = mode === 'direct' ? g.inS[1] + g.pb[1] + g.pe[1] : g.inS[1];
  const wp = mode === 'direct' ? g.inS[2] + g.pb[2] + g.pe[2] : g.inS[2];
  const plane = g.inS[0] * hp * wp;
  const tab = mode === 'direct' ? patchOffsets(Cg, g, hp, wp) : mode === 'im2col' ? patchSegments(Cg, g) : new Int32Array(0);
  const wPtr = 0;
  const tabPtr = align16(4 * OC * K);
  const colPtr = align16(tabPtr + 4 * tab.length);
  const xPtr = align16(colPtr + (mode === 'im2col' ? 4 * K * P : 0));
  const perImage = 4 * (C * plane + OC * P);
  const nb = Math.max(1, Math.min(N, Math.floor(WASM_CHUNK_BYTES / perImage)));
  const outPtr = align16(xPtr + 4 * nb * C * plane);
  const need = outPtr + 4 * nb * OC * P;
  if (need > MAX_WASM_BYTES || !growMemory(e.mem, need)) return false;
  const heap = new Float32Array(e.mem.buffer);
  heap.set(wd.subarray(0, OC * K), wPtr / 4);
  new Int32Array(e.mem.buffer).set(tab, tabPtr / 4);
  const acc = bd === undefined ? 0 : 1;
  const rowBytes = 4 * g.s[1] * wp;
  for (let n0 = 0; n0 < N; n0 += nb) {
    const cnt = Math.min(nb, N - n0);
    copyImages(heap, xPtr / 4, xd, n0, cnt, C, g, hp, wp);
    if (bd !== undefined) {
      for (let n = 0; n < cnt; n++) for (let o = 0; o < OC; o++) heap.fill(bd[o] as number, outPtr / 4 + (n * OC + o) * P, outPtr / 4 + (n * OC + o + 1) * P);
    }
    for (let n = 0; n < cnt; n++) {
      for (let gi = 0; gi < group; gi++) {
        const src = xPtr + 4 * (n * C + gi * Cg) * plane;
        const dst = outPtr + 4 * (n * OC + gi * OCg) * P;
        const w = wPtr + 4 * gi * OCg * K;
        if (mode === 'pointwise') product(OCg, P, K, w, src, dst, 1, acc);
        else if (mode === 'direct') e.conv(OCg, OH, OW, K, w, src, tabPtr, acc, dst, rowBytes);
        else {
          e.im2col(tabPtr, tab.length / 5, OW, g.s[2], src, colPtr);
          product(OCg, P, K, w, colPtr, dst, 1, acc);
        }
      }
    }
    if (relu) e.relu(outPtr, cnt * OC * P);
    od.set(heap.subarray(outPtr / 4, outPtr / 4 + cnt * OC * P), n0 * OC * P);
  }
  return true;
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
  const bd = bias?.data as FArr | undefined;
  if (
    xd instanceof Float32Array &&
    wd instanceof Float32Array &&
    od instanceof Float32Array &&
    (bd === undefined || bd instanceof Float32Array) &&
    convResident(xd, wd, bd, od, N, C, OC, group, g, ctx.relu === true)
  ) {
    if (x.dtype === 'float16') roundHalfInPlace(od);
    return [out];
  }
  if (bd !== undefined) {
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
  if (ctx.relu === true) reluInPlace(od);
  return [out];
};
