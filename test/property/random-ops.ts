// One builder per op family for the random-graph generator (see random-graph.ts): each
// reads its attribute choices from `p`, clamps them to what the operand's shape allows
// (ONNX validity: pool pads < kernel, reflect pads < dim, group divides channels, ...)
// and adds the node, tracking a bound on |output| from the actual weights.
import { avgPoolAttrs, convAttrs, int64Tensor, maxPoolAttrs } from '../../src/ir/build.js';
import { makeTensor } from '../../src/ir/dtype.js';
import { resolveWindow } from '../../src/ir/window.js';
import type { AutoPad, DType, WindowAttrs } from '../../src/ir/types.js';
import type { Builder, Picks, State, Val } from './random-graph.js';
import { add, fill, fresh, initF, initT, maxAbs, size, tensorOf, uniform } from './random-graph.js';
import { binaryOps, concatOp, whereOp } from './random-ops-multi.js';

const scalarF = (st: State, v: number): string => initT(st, tensorOf([], [v]), 'c');

/** Rows (of length `cols`) with the largest sum of |w|: the gain of a linear map. */
function rowGain(w: readonly number[], rows: number, cols: number): number {
  let g = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.abs(w[r * cols + c] ?? 0);
    g = Math.max(g, s);
  }
  return g;
}

function colGain(w: readonly number[], rows: number, cols: number): number {
  let g = 0;
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += Math.abs(w[r * cols + c] ?? 0);
    g = Math.max(g, s);
  }
  return g;
}

const weights = (st: State, shape: readonly number[], fanIn: number): number[] => {
  const s = 1 / Math.sqrt(Math.max(1, fanIn));
  return fill(st, shape, () => uniform(st, -s, s) * 1.5);
};

/** Conv and pools need [N, C, spatial 1..3]; a rank-2 operand gets a spatial dim of 1 first. */
function spatialOperand(st: State, x: Val): Val | undefined {
  if (x.shape.length >= 3 && x.shape.length <= 5) return x;
  if (x.shape.length !== 2) return undefined;
  const outs = add(st, { op: 'Unsqueeze', inputs: [x.name, initT(st, int64Tensor([-1]))], outputs: [fresh(st, `${x.name}_u`)] }, x.bound, x.raw);
  return outs === undefined ? undefined : (st.vals[st.vals.length - 1] as Val);
}

const AUTO: readonly AutoPad[] = ['NOTSET', 'NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Window attrs that produce at least one output per dim; pool pads stay below the kernel. */
function window(x: Val, p: Picks, pool: boolean, maxStride: number, allowDilation: boolean): WindowAttrs | undefined {
  const spatial = x.shape.slice(2);
  const autoPad = p.choose(AUTO);
  const k: number[] = [];
  const s: number[] = [];
  const d: number[] = [];
  const pb: number[] = [];
  const pe: number[] = [];
  for (const n of spatial) {
    let kk = p.int(1, 3);
    // ORT rejects dilations together with SAME_* auto_pad (an ORT limit, not ONNX's).
    let dd = allowDilation && !autoPad.startsWith('SAME') ? p.int(1, 2) : 1;
    const b = pool ? p.int(0, kk - 1) : p.int(0, 2);
    const e = pool ? p.int(0, kk - 1) : p.int(0, 2);
    const room = n + (autoPad === 'NOTSET' ? b + e : 0);
    if ((kk - 1) * dd + 1 > room) dd = 1;
    if (kk > room) kk = Math.max(1, room);
    k.push(kk);
    d.push(dd);
    // ORT's pools reject SAME_* when stride > kernel (its pad total goes negative).
    s.push(pool && autoPad.startsWith('SAME') ? p.int(1, Math.min(maxStride, kk)) : p.int(1, maxStride));
    pb.push(Math.min(b, kk - (pool ? 1 : 0)));
    pe.push(Math.min(e, kk - (pool ? 1 : 0)));
  }
  const w: WindowAttrs = { kernelShape: k, strides: s, dilations: d, pads: [...pb, ...pe], autoPad };
  return w;
}

/**
 * The window yields outputs, and (for pools) every window holds at least one real input
 * element: a window wholly in the padding has no defined max/average (ORT returns the
 * lowest float for MaxPool there), so such geometries are not generated.
 */
const fits = (x: Val, w: WindowAttrs, ceil: boolean, pool: boolean): boolean => {
  const spatial = x.shape.slice(2);
  let rw;
  try {
    rw = resolveWindow(spatial, w, ceil);
  } catch {
    return false;
  }
  if (!pool) return true;
  // ceil_mode windows that would start in the end padding are dropped (ONNX spec, and
  // ORT's kernels agree), but ORT's static shape inference still counts them, so a
  // later node can fail to load; such geometries are left out.
  if (
    ceil &&
    spatial.some((n, i) => {
      const span = n + (w.pads[i] ?? 0) + (w.pads[i + spatial.length] ?? 0) - ((w.kernelShape[i] ?? 1) - 1) * (w.dilations[i] ?? 1) - 1;
      return Math.ceil(span / (w.strides[i] ?? 1)) + 1 !== rw.outSpatial[i];
    })
  )
    return false;
  return spatial.every((n, i) => {
    const [k, s, d, pb] = [w.kernelShape[i] ?? 1, w.strides[i] ?? 1, w.dilations[i] ?? 1, rw.padsBegin[i] ?? 0];
    for (let o = 0; o < (rw.outSpatial[i] ?? 0); o++) {
      let hit = false;
      for (let j = 0; j < k && !hit; j++) {
        const at = o * s - pb + j * d;
        hit = at >= 0 && at < n;
      }
      if (!hit) return false;
    }
    return true;
  });
};

const conv: Builder = (st, x0, p) => {
  const x = spatialOperand(st, x0);
  if (x === undefined) return false;
  const c = x.shape[1] as number;
  const divisors = Array.from({ length: c }, (_, i) => i + 1).filter((g) => c % g === 0);
  const group = p.choose(divisors);
  const oc = group * p.int(1, Math.max(1, Math.floor(6 / group)));
  const w = window(x, p, false, 2, true);
  if (w === undefined || !fits(x, w, false, false)) return false;
  const cg = c / group;
  const wShape = [oc, cg, ...w.kernelShape];
  const fanIn = size(wShape.slice(1));
  const wd = weights(st, wShape, fanIn);
  const bias = p.bool() ? fill(st, [oc], () => uniform(st, -0.5, 0.5)) : undefined;
  const attrs = convAttrs({ ...w, group, ...(p.int(0, 3) === 3 ? { kernelShape: [] } : {}) });
  const inputs = [x.name, initF(st, wShape, wd), ...(bias !== undefined ? [initF(st, [oc], bias, 'b')] : [])];
  const bound = x.bound * rowGain(wd, oc, fanIn) + maxAbs(bias ?? []);
  return add(st, { op: 'Conv', inputs, outputs: [fresh(st, `${x.name}_conv`)], attrs }, bound) !== undefined;
};

const maxPool: Builder = (st, x0, p) => {
  const x = spatialOperand(st, x0);
  if (x === undefined) return false;
  const w = window(x, p, true, 3, true);
  const ceilMode = w !== undefined && w.autoPad === 'NOTSET' && p.bool();
  if (w === undefined || !fits(x, w, ceilMode, true)) return false;
  // Indices are compared exactly, so only where no ties can occur: on raw random inputs.
  const indices = x.raw && p.int(0, 2) === 2;
  const out = fresh(st, `${x.name}_mp`);
  const outputs = indices ? [out, `${out}_idx`] : [out];
  return add(st, { op: 'MaxPool', inputs: [x.name], outputs, attrs: maxPoolAttrs({ ...w, ceilMode }) }, x.bound) !== undefined;
};

const avgPool: Builder = (st, x0, p) => {
  const x = spatialOperand(st, x0);
  if (x === undefined) return false;
  // Dilated AveragePool needs opset 19, which the writer selects by itself.
  const w = window(x, p, true, 3, p.int(0, 3) === 3);
  const ceilMode = w !== undefined && w.autoPad === 'NOTSET' && p.bool();
  const countIncludePad = p.bool();
  if (w === undefined || !fits(x, w, ceilMode, true)) return false;
  const attrs = avgPoolAttrs({ ...w, ceilMode, countIncludePad });
  return add(st, { op: 'AveragePool', inputs: [x.name], outputs: [fresh(st, `${x.name}_ap`)], attrs }, x.bound) !== undefined;
};

const globalPool: Builder = (st, x0, p) => {
  const x = spatialOperand(st, x0);
  if (x === undefined) return false;
  const op = p.bool() ? 'GlobalMaxPool' : 'GlobalAveragePool';
  return add(st, { op, inputs: [x.name], outputs: [fresh(st, `${x.name}_gp`)] }, x.bound) !== undefined;
};

/** Gemm on a rank-2 operand; anything of higher rank is flattened first. */
const gemm: Builder = (st, x0, p) => {
  let x = x0;
  if (x.shape.length > 2) {
    if (add(st, { op: 'Flatten', inputs: [x.name], outputs: [fresh(st, `${x.name}_fl`)], attrs: { axis: 1 } }, x.bound, x.raw) === undefined) return false;
    x = st.vals[st.vals.length - 1] as Val;
  }
  if (x.shape.length !== 2) return false;
  const transA = p.bool();
  const transB = p.bool();
  const [m, k] = (transA ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]]) as [number, number];
  const n = p.int(1, 6);
  const alpha = p.choose([1, 0.5, -1.25, 2]);
  const beta = p.choose([1, 0.5, 0, -2]);
  const b = weights(st, [k, n], k);
  // Stored transposed when transB, so the same matrix multiplies either way.
  const bData = transB ? Array.from({ length: k * n }, (_, i) => b[(i % k) * n + Math.floor(i / k)] as number) : b;
  const cShape = p.choose<number[] | undefined>([undefined, [n], [], [1, n], [m, 1], [m, n], [1, 1], [1]]);
  const cData = cShape === undefined ? [] : fill(st, cShape, () => uniform(st, -1, 1));
  const inputs = [x.name, initF(st, transB ? [n, k] : [k, n], bData), ...(cShape !== undefined ? [initF(st, cShape, cData, 'b')] : [])];
  const bound = Math.abs(alpha) * x.bound * colGain(b, k, n) + Math.abs(beta) * maxAbs(cData);
  const attrs = { alpha, beta, transA, transB };
  return add(st, { op: 'Gemm', inputs, outputs: [fresh(st, `${x.name}_gemm`)], attrs }, bound) !== undefined;
};

/** MatMul with a weight on either side, 1-D and broadcast batch forms included. */
const matmul: Builder = (st, x, p) => {
  const r = x.shape.length;
  if (r < 1) return false;
  const out = fresh(st, `${x.name}_mm`);
  const k = x.shape[r - 1] as number;
  const form = p.int(0, 3);
  if (form === 1 && r >= 2) {
    // W @ x: W is [m, x[-2]] (broadcast over x's batch dims).
    const kk = x.shape[r - 2] as number;
    const m = p.int(1, 5);
    const w = weights(st, [m, kk], kk);
    return add(st, { op: 'MatMul', inputs: [initF(st, [m, kk], w), x.name], outputs: [out] }, x.bound * rowGain(w, m, kk)) !== undefined;
  }
  if (form === 2) {
    const w = weights(st, [k], k);
    return add(st, { op: 'MatMul', inputs: [x.name, initF(st, [k], w)], outputs: [out] }, x.bound * colGain(w, k, 1)) !== undefined;
  }
  const n = p.int(1, 6);
  // Batch dims of W: a broadcastable suffix of x's (each dim kept or 1), for form 3.
  const batch = form === 3 && r >= 3 ? x.shape.slice(p.int(0, r - 3), r - 2).map((d) => (p.bool() ? 1 : d)) : [];
  const nb = size(batch);
  const w = weights(st, [...batch, k, n], k);
  let gain = 0;
  for (let i = 0; i < nb; i++) gain = Math.max(gain, colGain(w.slice(i * k * n, (i + 1) * k * n), k, n));
  return add(st, { op: 'MatMul', inputs: [x.name, initF(st, [...batch, k, n], w)], outputs: [out] }, x.bound * gain) !== undefined;
};

const batchNorm: Builder = (st, x, p) => {
  if (x.shape.length < 2) return false;
  const c = x.shape[1] as number;
  const epsilon = p.choose([1e-5, 1e-3, 0.1]);
  const scale = fill(st, [c], () => uniform(st, -2, 2));
  const bias = fill(st, [c], () => uniform(st, -1, 1));
  const mean = fill(st, [c], () => uniform(st, -1, 1));
  const variance = fill(st, [c], () => uniform(st, 0.2, 2));
  let bound = 0;
  for (let i = 0; i < c; i++) {
    const g = Math.abs(scale[i] ?? 0) / Math.sqrt((variance[i] ?? 1) + epsilon);
    bound = Math.max(bound, g * (x.bound + Math.abs(mean[i] ?? 0)) + Math.abs(bias[i] ?? 0));
  }
  const inputs = [x.name, initF(st, [c], scale, 's'), initF(st, [c], bias, 'b'), initF(st, [c], mean, 'm'), initF(st, [c], variance, 'v')];
  return add(st, { op: 'BatchNormalization', inputs, outputs: [fresh(st, `${x.name}_bn`)], attrs: { epsilon } }, bound) !== undefined;
};

/** Unary ops that fit any operand: the fallback when a step's op does not fit. */
export const unary: Builder = (st, x, p) => {
  const out = fresh(st, `${x.name}_u`);
  switch (p.int(0, 5)) {
    case 0:
      return add(st, { op: 'Relu', inputs: [x.name], outputs: [out] }, x.bound) !== undefined;
    case 1:
      return add(st, { op: 'LeakyRelu', inputs: [x.name], outputs: [out], attrs: { alpha: p.choose([0.01, 0.2, 1.5]) } }, 1.5 * x.bound) !== undefined;
    case 2:
      return add(st, { op: 'Sigmoid', inputs: [x.name], outputs: [out] }, 1) !== undefined;
    case 3:
      return add(st, { op: 'Tanh', inputs: [x.name], outputs: [out] }, 1) !== undefined;
    case 4:
      return add(st, { op: 'Neg', inputs: [x.name], outputs: [out] }, x.bound) !== undefined;
    default:
      return add(st, { op: 'Identity', inputs: [x.name], outputs: [out] }, x.bound) !== undefined;
  }
};

const clip: Builder = (st, x, p) => {
  const lo = p.bool() ? uniform(st, -1, 0) : undefined;
  const hi = p.bool() ? uniform(st, 0, 1) : undefined;
  const inputs = [x.name, lo !== undefined ? scalarF(st, lo) : '', hi !== undefined ? scalarF(st, hi) : ''];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const bound = Math.min(x.bound, Math.max(Math.abs(lo ?? x.bound), Math.abs(hi ?? x.bound)));
  return add(st, { op: 'Clip', inputs, outputs: [fresh(st, `${x.name}_clip`)] }, bound) !== undefined;
};

/** Exp only on bounded inputs: a Tanh goes first when the bound is large. */
const exp: Builder = (st, x0, _p) => {
  let x = x0;
  if (x.bound > 6) {
    if (add(st, { op: 'Tanh', inputs: [x.name], outputs: [fresh(st, `${x.name}_t`)] }, 1) === undefined) return false;
    x = st.vals[st.vals.length - 1] as Val;
  }
  return add(st, { op: 'Exp', inputs: [x.name], outputs: [fresh(st, `${x.name}_exp`)] }, Math.exp(x.bound)) !== undefined;
};

const softmax: Builder = (st, x, p) => {
  const r = x.shape.length;
  if (r < 1) return false;
  return add(st, { op: 'Softmax', inputs: [x.name], outputs: [fresh(st, `${x.name}_sm`)], attrs: { axis: p.int(-r, r - 1) } }, 1) !== undefined;
};

const flatten: Builder = (st, x, p) => {
  const r = x.shape.length;
  if (r < 1) return false;
  return add(st, { op: 'Flatten', inputs: [x.name], outputs: [fresh(st, `${x.name}_fl`)], attrs: { axis: p.int(-r, r) } }, x.bound, x.raw) !== undefined;
};

function primeFactors(n: number): number[] {
  const f: number[] = [];
  let m = n;
  for (let d = 2; d * d <= m; d++)
    while (m % d === 0) {
      f.push(d);
      m /= d;
    }
  if (m > 1) f.push(m);
  return f;
}

const reshape: Builder = (st, x, p) => {
  const rank = p.int(1, 4);
  const dims = new Array<number>(rank).fill(1);
  for (const f of primeFactors(size(x.shape))) {
    const i = p.int(0, rank - 1);
    dims[i] = (dims[i] as number) * f;
  }
  const spec: number[] = [...dims];
  const zeroOk = dims.map((d, i) => d === x.shape[i]);
  const useZero = p.bool();
  if (useZero)
    spec.forEach((d, i) => {
      if (zeroOk[i] === true && p.bool()) spec[i] = 0;
    });
  if (p.bool()) spec[p.int(0, rank - 1)] = -1;
  const allowzero = !spec.includes(0) && p.bool();
  const inputs = [x.name, initT(st, int64Tensor(spec))];
  return add(st, { op: 'Reshape', inputs, outputs: [fresh(st, `${x.name}_rs`)], attrs: { allowzero } }, x.bound, x.raw) !== undefined;
};

const transpose: Builder = (st, x, p) => {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  for (let i = r - 1; i > 0; i--) {
    const j = p.int(0, i);
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  const attrs = p.int(0, 3) === 3 ? {} : { perm };
  return add(st, { op: 'Transpose', inputs: [x.name], outputs: [fresh(st, `${x.name}_tr`)], attrs }, x.bound, x.raw) !== undefined;
};

const squeeze: Builder = (st, x, p) => {
  const r = x.shape.length;
  const ones = x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  const chosen = ones.filter(() => p.bool());
  const inputs = [x.name];
  // No axes input squeezes every size-1 dim.
  if (chosen.length > 0 || (p.bool() && ones.length > 0)) {
    const axes = (chosen.length > 0 ? chosen : [ones[0] as number]).map((a) => (p.bool() ? a - r : a));
    inputs.push(initT(st, int64Tensor(axes)));
  }
  return add(st, { op: 'Squeeze', inputs, outputs: [fresh(st, `${x.name}_sq`)] }, x.bound, x.raw) !== undefined;
};

const unsqueeze: Builder = (st, x, p) => {
  const r = x.shape.length;
  const k = p.int(1, 2);
  if (r + k > 6) return false;
  const outRank = r + k;
  const axes: number[] = [];
  while (axes.length < k) {
    const a = p.int(0, outRank - 1);
    if (!axes.includes(a)) axes.push(a);
  }
  const spec = axes.map((a) => (p.bool() ? a - outRank : a));
  return add(st, { op: 'Unsqueeze', inputs: [x.name, initT(st, int64Tensor(spec))], outputs: [fresh(st, `${x.name}_us`)] }, x.bound, x.raw) !== undefined;
};

const pad: Builder = (st, x, p) => {
  const r = x.shape.length;
  if (r < 1) return false;
  const mode = p.choose(['constant', 'reflect', 'edge', 'wrap'] as const);
  const all = Array.from({ length: r }, (_, i) => i);
  const axes = p.bool() ? all.filter(() => p.bool()) : undefined;
  const padded = axes ?? all;
  const begins: number[] = [];
  const ends: number[] = [];
  for (const a of padded) {
    const d = x.shape[a] as number;
    const hi = mode === 'reflect' ? d - 1 : mode === 'wrap' ? Math.min(d, 2) : 2;
    // Negative pads crop; only in constant mode, and leaving at least one element.
    const lo = mode === 'constant' && p.int(0, 3) === 3 ? -Math.min(1, d - 1) : 0;
    let b = p.int(lo, hi);
    let e = p.int(lo, hi);
    if (d + b + e < 1) b = e = 0;
    begins.push(b);
    ends.push(e);
  }
  const inputs = [x.name, initT(st, int64Tensor([...begins, ...ends]))];
  const cval = mode === 'constant' && p.bool() ? uniform(st, -1, 1) : undefined;
  inputs.push(cval !== undefined ? scalarF(st, cval) : '');
  if (axes !== undefined) inputs.push(initT(st, int64Tensor(axes.map((a) => (p.bool() ? a - r : a)))));
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const bound = Math.max(x.bound, Math.abs(cval ?? 0));
  return add(st, { op: 'Pad', inputs, outputs: [fresh(st, `${x.name}_pad`)], attrs: { mode } }, bound) !== undefined;
};

const reduce: Builder = (st, x, p) => {
  const r = x.shape.length;
  const op = p.bool() ? 'ReduceMax' : 'ReduceSum';
  const keepdims = p.bool();
  const noopWithEmptyAxes = p.bool();
  const inputs = [x.name];
  const form = p.int(0, 2);
  if (form === 1)
    inputs.push(
      initT(
        st,
        int64Tensor(
          Array.from({ length: r }, (_, i) => i)
            .filter(() => p.bool())
            .map((a) => (p.bool() ? a - r : a)),
        ),
      ),
    );
  if (form === 2) inputs.push(initT(st, int64Tensor([])));
  const bound = op === 'ReduceMax' ? x.bound : x.bound * size(x.shape);
  return add(st, { op, inputs, outputs: [fresh(st, `${x.name}_red`)], attrs: { keepdims, noopWithEmptyAxes } }, bound) !== undefined;
};

/** A round trip through another dtype (Cast/CastLike there and back to float32). */
const castPair: Builder = (st, x, p) => {
  // Narrowing casts round to a coarse grid (half ulps, integers), so a last-bit
  // difference upstream (ORT sums in float32, we in float64) can move a value across a
  // grid boundary: they are applied only to raw inputs, which both engines see exactly.
  // Integer casts of out-of-range floats are undefined in ORT (C++ casts): stay in range.
  const to = p.choose<DType>(x.raw && x.bound < 100 ? ['float64', 'float16', 'int32', 'int64', 'bool', 'int8'] : ['float64']);
  const mid = fresh(st, `${x.name}_as`);
  const scaled = x.bound;
  if (p.bool()) {
    const like = initT(st, makeTensor(to, [1]), 'like');
    if (add(st, { op: 'CastLike', inputs: [x.name, like], outputs: [mid] }, scaled) === undefined) return false;
  } else if (add(st, { op: 'Cast', inputs: [x.name], outputs: [mid], attrs: { to } }, scaled) === undefined) return false;
  return add(st, { op: 'Cast', inputs: [mid], outputs: [`${mid}_f`], attrs: { to: 'float32' } }, Math.max(1, scaled)) !== undefined;
};

const dropout: Builder = (st, x, p) => {
  const inputs = [x.name];
  if (p.bool()) inputs.push(scalarF(st, p.choose([0.5, 0.1, 0])));
  const outputs = [fresh(st, `${x.name}_do`)];
  if (p.bool()) outputs.push(`${outputs[0] ?? ''}_mask`);
  return add(st, { op: 'Dropout', inputs, outputs }, x.bound, x.raw) !== undefined;
};

export const BUILDERS: Readonly<Record<string, Builder>> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: avgPool,
  GlobalPool: globalPool,
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  Unary: unary,
  Clip: clip,
  Exp: exp,
  Softmax: softmax,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Pad: pad,
  Reduce: reduce,
  Cast: castPair,
  Dropout: dropout,
  Concat: concatOp,
  Where: whereOp,
  ...binaryOps,
};

export const GEN_OPS: readonly string[] = Object.keys(BUILDERS);
