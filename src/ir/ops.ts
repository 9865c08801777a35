// The op table: one row per operator with its input/output arity and its shape rule.
// Semantics follow the newest ONNX form of each op (see types.ts). An op missing from
// this table cannot exist: `OPS` is typed over every `OpName`.
//
// Inputs are named in `inputs`; a trailing '?' marks an optional input (absent = ''),
// a trailing '...' a variadic one. min/max counts are derived from the names.
import { fail } from '../errors.js';
import type { DType, Dim, Node, OpName, Tensor, ValueInfo } from './types.js';
import {
  broadcastAll,
  broadcastShapes,
  canBroadcastTo,
  flattenShape,
  fmtShape,
  matmulShape,
  normalizeAxis,
  padShape,
  reduceShape,
  reshapeTarget,
  shapeSlice,
  squeezeShape,
  transposeShape,
  unsqueezeShape,
} from './shape-utils.js';
import {
  ANY,
  FLOATS,
  INDEX,
  NUMERIC,
  SIGNED_INTS,
  checkDtype,
  checkRank,
  checkScalar,
  constInts,
  need,
  sameDtype,
  shapeError,
  staticLength,
  unifyDim,
  windowOut,
} from './op-helpers.js';
import type { InferCtx, InferCtxBase, OutInfo } from './op-helpers.js';

export type { InferCtx, InferCtxBase, OutInfo } from './op-helpers.js';

export interface OpRow<O extends OpName = OpName> {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly minInputs: number;
  readonly maxInputs: number;
  readonly minOutputs: number;
  readonly maxOutputs: number;
  /** Output infos, one per output position the op can have (callers take what the node lists). */
  readonly infer: (c: InferCtx<O>) => OutInfo[];
}

function row<O extends OpName>(inputs: readonly string[], outputs: readonly string[], infer: (c: InferCtx<O>) => OutInfo[]): OpRow<O> {
  const count = (names: readonly string[]): [number, number] => {
    const variadic = names.some((n) => n.endsWith('...'));
    const min = names.filter((n) => !n.endsWith('?') && !n.endsWith('...')).length + (variadic ? 1 : 0);
    return [min, variadic ? Infinity : names.length];
  };
  const [minInputs, maxInputs] = count(inputs);
  const [minOutputs, maxOutputs] = count(outputs);
  return { inputs, outputs, minInputs, maxInputs, minOutputs, maxOutputs, infer };
}

/** Same dtype and shape as input 0 (elementwise unary ops). */
function unary<O extends OpName>(allowed: readonly DType[]): OpRow<O> {
  return row<O>(['X'], ['Y'], (c) => {
    checkDtype(c, 0, allowed);
    const x = need(c, 0);
    return [{ dtype: x.dtype, shape: x.shape }];
  });
}

/** Multidirectional broadcast of two operands of one dtype. */
function binary<O extends OpName>(allowed: readonly DType[], result?: DType): OpRow<O> {
  return row<O>(['A', 'B'], ['C'], (c) => {
    checkDtype(c, 0, allowed);
    checkDtype(c, 1, allowed);
    const dt = sameDtype(c, [0, 1]);
    return [{ dtype: result ?? dt, shape: broadcastShapes(need(c, 0).shape, need(c, 1).shape, c.node.name) }];
  });
}

// Rules shared by two ops are written once for the pair; the cast only re-reads the
// context, whose node is one of the pair by construction of the table.
function reduce<O extends 'ReduceMax' | 'ReduceSum' | 'ReduceMean'>(allowed: readonly DType[]): OpRow<O> {
  return row<O>(['data', 'axes?'], ['reduced'], (ctx) => {
    const c = ctx as InferCtxBase as InferCtx<'ReduceMax' | 'ReduceSum' | 'ReduceMean'>;
    checkDtype(c, 0, allowed);
    checkDtype(c, 1, ['int64']);
    const x = need(c, 0);
    const { keepdims, noopWithEmptyAxes } = c.node.attrs;
    let axes: number[] | undefined;
    if (c.inputs[1] !== undefined) {
      checkRank(c, 1, [1]);
      axes = constInts(c, 1);
      if (axes === undefined) {
        // Which axes go is unknown, but the rank follows from how many there are.
        const k = staticLength(c, 1, 'the output rank cannot be known');
        if (k === 0) return [{ dtype: x.dtype, shape: reduceShape(x.shape, [], keepdims, noopWithEmptyAxes, c.node.name) }];
        const rank = keepdims ? x.shape.length : x.shape.length - k;
        if (rank < 0) throw shapeError(c, `${k} axes to reduce but the input ${fmtShape(x.shape)} has rank ${x.shape.length}`);
        return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => c.fresh(0, i)) }];
      }
    }
    return [{ dtype: x.dtype, shape: reduceShape(x.shape, axes, keepdims, noopWithEmptyAxes, c.node.name) }];
  });
}

function pool<O extends 'MaxPool' | 'AveragePool' | 'SpikeMaxPool'>(outputs: readonly string[], allowed: readonly DType[]): OpRow<O> {
  return row<O>(['X'], outputs, (ctx) => {
    const c = ctx as InferCtxBase as InferCtx<'MaxPool' | 'AveragePool' | 'SpikeMaxPool'>;
    checkDtype(c, 0, allowed);
    const x = need(c, 0);
    if (x.shape.length < 3) throw shapeError(c, `input must be [N, C, spatial...], got ${fmtShape(x.shape)}`);
    const a = c.node.attrs;
    if (a.kernelShape.length !== x.shape.length - 2) {
      throw shapeError(c, `kernel_shape [${a.kernelShape.join(', ')}] needs one entry per spatial dim of ${fmtShape(x.shape)}`);
    }
    const shape = [x.shape[0] as Dim, x.shape[1] as Dim, ...windowOut(c, x.shape.slice(2), a, a.ceilMode, 2)];
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape },
    ];
  });
}

/** IF/LIF: spikes have the current's shape; θ must broadcast to it without growing it. */
function neuron<O extends 'IF' | 'LIF'>(): OpRow<O> {
  return row<O>(['current', 'threshold'], ['spikes'], (ctx) => {
    const c = ctx as InferCtxBase as InferCtx<'IF' | 'LIF'>;
    checkDtype(c, 0, FLOATS);
    const dt = sameDtype(c, [0, 1]);
    const x = need(c, 0);
    const th = need(c, 1);
    const b = broadcastAll([x.shape, th.shape], c.node.name);
    if (b.length !== x.shape.length || b.some((d, i) => d !== x.shape[i])) {
      throw shapeError(c, `threshold ${fmtShape(th.shape)} must broadcast to the current ${fmtShape(x.shape)} without changing it`);
    }
    const a = c.node.attrs;
    if (!(a.refractory >= 0) || !Number.isInteger(a.refractory)) throw shapeError(c, `refractory must be a non-negative integer, got ${a.refractory}`);
    if ('leak' in a && !(a.leak > 0 && a.leak <= 1)) throw shapeError(c, `leak must be in (0, 1], got ${a.leak}`);
    if ('synDecay' in a && a.synDecay !== undefined && !(a.synDecay >= 0 && a.synDecay < 1))
      throw shapeError(c, `synDecay must be in [0, 1), got ${a.synDecay}`);
    return [{ dtype: dt, shape: x.shape }];
  });
}

function globalPool<O extends 'GlobalAveragePool' | 'GlobalMaxPool'>(): OpRow<O> {
  return row<O>(['X'], ['Y'], (c) => {
    checkDtype(c, 0, FLOATS);
    const x = need(c, 0);
    if (x.shape.length < 3) throw shapeError(c, `input must be [N, C, spatial...], got ${fmtShape(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }];
  });
}

const gemm = row<'Gemm'>(['A', 'B', 'C?'], ['Y'], (c) => {
  for (const i of [0, 1, 2]) checkDtype(c, i, NUMERIC);
  const dt = sameDtype(c, [0, 1, 2]);
  const a = checkRank(c, 0, [2]).shape;
  const b = checkRank(c, 1, [2]).shape;
  const { transA, transB } = c.node.attrs;
  const [m, k1] = (transA ? [a[1], a[0]] : [a[0], a[1]]) as [Dim, Dim];
  const [k2, n] = (transB ? [b[1], b[0]] : [b[0], b[1]]) as [Dim, Dim];
  unifyDim(c, k1, k2, `inner dims of A ${fmtShape(a)} and B ${fmtShape(b)} differ (transA=${transA}, transB=${transB})`);
  const y = [m, n];
  const cIn = c.inputs[2];
  if (cIn !== undefined && !canBroadcastTo(cIn.shape, y)) {
    throw shapeError(c, `C ${fmtShape(cIn.shape)} cannot be broadcast to the output ${fmtShape(y)}`);
  }
  return [{ dtype: dt, shape: y }];
});

const conv = row<'Conv'>(['X', 'W', 'B?'], ['Y'], (c) => {
  for (const i of [0, 1, 2]) checkDtype(c, i, FLOATS);
  const dt = sameDtype(c, [0, 1, 2]);
  const x = need(c, 0).shape;
  if (x.length < 3) throw shapeError(c, `X must be [N, C, spatial...], got ${fmtShape(x)}`);
  const w = checkRank(c, 1, [x.length]).shape;
  const a = c.node.attrs;
  const g = a.group;
  if (!Number.isInteger(g) || g < 1) throw shapeError(c, `group must be a positive integer, got ${g}`);
  const [m, cPerGroup] = [w[0] as Dim, w[1] as Dim];
  const cIn = x[1] as Dim;
  if (typeof cIn === 'number' && typeof cPerGroup === 'number' && cIn !== cPerGroup * g) {
    throw shapeError(c, `X ${fmtShape(x)} has ${cIn} channels but W ${fmtShape(w)} with group ${g} expects ${cPerGroup * g}`);
  }
  if (typeof m === 'number' && m % g !== 0) throw shapeError(c, `W ${fmtShape(w)}: ${m} output channels do not divide into ${g} groups`);
  const wSpatial = w.slice(2);
  if (!wSpatial.every((d): d is number => typeof d === 'number')) {
    throw fail({ code: 'SNNC_E_DYNAMIC', message: `Conv '${c.node.name}': kernel ${fmtShape(w)} has symbolic spatial dims`, node: c.node.name });
  }
  if (a.kernelShape.length > 0 && a.kernelShape.some((k, i) => k !== wSpatial[i])) {
    throw shapeError(c, `kernel_shape [${a.kernelShape.join(', ')}] does not match W ${fmtShape(w)}`);
  }
  const bias = c.inputs[2];
  if (bias !== undefined) {
    checkRank(c, 2, [1]);
    unifyDim(c, bias.shape[0] as Dim, m, `bias ${fmtShape(bias.shape)} must have one entry per output channel of W ${fmtShape(w)}`);
  }
  const spatial = windowOut(c, x.slice(2), { ...a, kernelShape: wSpatial }, false, 2);
  return [{ dtype: dt, shape: [x[0] as Dim, m, ...spatial] }];
});

const batchNorm = row<'BatchNormalization'>(['X', 'scale', 'B', 'input_mean', 'input_var'], ['Y'], (c) => {
  for (const i of [0, 1, 2, 3, 4]) checkDtype(c, i, FLOATS);
  const x = need(c, 0);
  if (x.shape.length < 2) throw shapeError(c, `X must be [N, C, ...], got ${fmtShape(x.shape)}`);
  const ch = x.shape[1] as Dim;
  for (const i of [1, 2, 3, 4]) {
    const p = checkRank(c, i, [1]);
    unifyDim(c, p.shape[0] as Dim, ch, `'${p.name}' ${fmtShape(p.shape)} must have one entry per channel of X ${fmtShape(x.shape)}`);
  }
  return [{ dtype: x.dtype, shape: x.shape }];
});

const reshape = row<'Reshape'>(['data', 'shape'], ['reshaped'], (c) => {
  checkDtype(c, 1, ['int64']);
  const x = need(c, 0);
  const rank = staticLength(c, 1, 'the output rank cannot be known');
  const spec = constInts(c, 1);
  if (spec === undefined) return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => c.fresh(0, i)) }];
  return [{ dtype: x.dtype, shape: reshapeTarget(x.shape, spec, c.node.attrs.allowzero, c.node.name, (ax) => c.fresh(0, ax)) }];
});

const squeeze = row<'Squeeze'>(['data', 'axes?'], ['squeezed'], (c) => {
  checkDtype(c, 1, ['int64']);
  const x = need(c, 0);
  let axes: number[] | undefined;
  if (c.inputs[1] !== undefined) {
    checkRank(c, 1, [1]);
    axes = constInts(c, 1);
    if (axes === undefined) {
      // Which axes go is unknown, but the rank follows from how many there are.
      const rank = x.shape.length - staticLength(c, 1, 'the output rank cannot be known');
      if (rank < 0) throw shapeError(c, `more axes to squeeze than the rank of ${fmtShape(x.shape)}`);
      return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => c.fresh(0, i)) }];
    }
  }
  return [{ dtype: x.dtype, shape: squeezeShape(x.shape, axes, c.node.name) }];
});

const unsqueeze = row<'Unsqueeze'>(['data', 'axes'], ['expanded'], (c) => {
  checkDtype(c, 1, ['int64']);
  const x = need(c, 0);
  const axes = constInts(c, 1);
  if (axes === undefined) {
    const r = x.shape.length + staticLength(c, 1, 'the output rank cannot be known');
    return [{ dtype: x.dtype, shape: Array.from({ length: r }, (_, i) => c.fresh(0, i)) }];
  }
  return [{ dtype: x.dtype, shape: unsqueezeShape(x.shape, axes, c.node.name) }];
});

const concat = row<'Concat'>(['inputs...'], ['concat_result'], (c) => {
  const dt = sameDtype(
    c,
    c.inputs.map((_, i) => i),
  );
  const first = need(c, 0).shape;
  const r = first.length;
  const axis = normalizeAxis(c.node.attrs.axis, r, c.node.name);
  const out = [...first];
  let along: Dim = 0;
  c.inputs.forEach((_, i) => {
    const s = need(c, i).shape;
    if (s.length !== r) throw shapeError(c, `inputs must share a rank: ${fmtShape(first)} vs ${fmtShape(s)}`);
    s.forEach((d, k) => {
      if (k !== axis) out[k] = unifyDim(c, out[k] as Dim, d, `dim ${k} differs between ${fmtShape(first)} and ${fmtShape(s)}`);
    });
    const d = s[axis] as Dim;
    along = typeof along === 'number' && typeof d === 'number' ? along + d : c.fresh(0, axis);
  });
  out[axis] = along;
  return [{ dtype: dt, shape: out }];
});

const pad = row<'Pad'>(['data', 'pads', 'constant_value?', 'axes?'], ['output'], (c) => {
  checkDtype(c, 1, ['int64']);
  checkDtype(c, 3, INDEX);
  sameDtype(c, [0, 2]);
  checkScalar(c, 2);
  const x = need(c, 0);
  checkRank(c, 1, [1]);
  const pads = constInts(c, 1);
  let axes: number[] | undefined;
  if (c.inputs[3] !== undefined) {
    checkRank(c, 3, [1]);
    axes = constInts(c, 3);
    if (axes === undefined) return [{ dtype: x.dtype, shape: x.shape.map((_, i) => c.fresh(0, i)) }];
  }
  if (pads === undefined) {
    const padded = new Set(axes ?? x.shape.map((_, i) => i));
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (padded.has(i) || padded.has(i - x.shape.length) ? c.fresh(0, i) : d)) }];
  }
  return [{ dtype: x.dtype, shape: padShape(x.shape, pads, axes, c.node.name, (ax) => c.fresh(0, ax)) }];
});

/** The op table. */
const OPS: { readonly [O in OpName]: OpRow<O> } = {
  Gemm: gemm,
  MatMul: row<'MatMul'>(['A', 'B'], ['Y'], (c) => {
    checkDtype(c, 0, NUMERIC);
    checkDtype(c, 1, NUMERIC);
    return [{ dtype: sameDtype(c, [0, 1]), shape: matmulShape(need(c, 0).shape, need(c, 1).shape, c.node.name) }];
  }),
  Conv: conv,
  BatchNormalization: batchNorm,
  Relu: unary([...FLOATS, ...SIGNED_INTS]),
  LeakyRelu: unary(FLOATS),
  Clip: row<'Clip'>(['input', 'min?', 'max?'], ['output'], (c) => {
    checkDtype(c, 0, NUMERIC);
    const dt = sameDtype(c, [0, 1, 2]);
    checkScalar(c, 1);
    checkScalar(c, 2);
    return [{ dtype: dt, shape: need(c, 0).shape }];
  }),
  Sigmoid: unary(FLOATS),
  Tanh: unary(FLOATS),
  Exp: unary(FLOATS),
  Neg: unary([...FLOATS, ...SIGNED_INTS]),
  Softmax: row<'Softmax'>(['input'], ['output'], (c) => {
    checkDtype(c, 0, FLOATS);
    const x = need(c, 0);
    normalizeAxis(c.node.attrs.axis, x.shape.length, c.node.name);
    return [{ dtype: x.dtype, shape: x.shape }];
  }),
  MaxPool: pool(['Y', 'Indices?'], [...FLOATS, 'int8', 'uint8']),
  AveragePool: pool(['Y'], FLOATS),
  GlobalAveragePool: globalPool(),
  GlobalMaxPool: globalPool(),
  Flatten: row<'Flatten'>(['input'], ['output'], (c) => {
    const x = need(c, 0);
    return [{ dtype: x.dtype, shape: flattenShape(x.shape, c.node.attrs.axis, c.node.name, (ax) => c.fresh(0, ax)) }];
  }),
  Reshape: reshape,
  Transpose: row<'Transpose'>(['data'], ['transposed'], (c) => {
    const x = need(c, 0);
    return [{ dtype: x.dtype, shape: transposeShape(x.shape, c.node.attrs.perm, c.node.name) }];
  }),
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Add: binary(NUMERIC),
  Sub: binary(NUMERIC),
  Mul: binary(NUMERIC),
  Div: binary(NUMERIC),
  Max: row<'Max'>(['data_0...'], ['max'], (c) => {
    c.inputs.forEach((_, i) => checkDtype(c, i, NUMERIC));
    const dt = sameDtype(
      c,
      c.inputs.map((_, i) => i),
    );
    return [
      {
        dtype: dt,
        shape: broadcastAll(
          c.inputs.map((_, i) => need(c, i).shape),
          c.node.name,
        ),
      },
    ];
  }),
  Less: binary(NUMERIC, 'bool'),
  Where: row<'Where'>(['condition', 'X', 'Y'], ['output'], (c) => {
    checkDtype(c, 0, ['bool']);
    const dt = sameDtype(c, [1, 2]);
    return [{ dtype: dt, shape: broadcastAll([need(c, 0).shape, need(c, 1).shape, need(c, 2).shape], c.node.name) }];
  }),
  ReduceMax: reduce(ANY),
  ReduceSum: reduce(NUMERIC),
  ReduceMean: reduce(NUMERIC),
  Shape: row<'Shape'>(['data'], ['shape'], (c) => {
    const r = need(c, 0).shape.length;
    const [start, end] = shapeSlice(r, c.node.attrs.start, c.node.attrs.end);
    return [{ dtype: 'int64', shape: [Math.max(0, end - start)] }];
  }),
  Gather: row<'Gather'>(['data', 'indices'], ['output'], (c) => {
    checkDtype(c, 1, INDEX);
    const x = need(c, 0);
    const axis = normalizeAxis(c.node.attrs.axis, x.shape.length, c.node.name);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...need(c, 1).shape, ...x.shape.slice(axis + 1)] }];
  }),
  Cast: row<'Cast'>(['input'], ['output'], (c) => [{ dtype: c.node.attrs.to, shape: need(c, 0).shape }]),
  CastLike: row<'CastLike'>(['input', 'target_type'], ['output'], (c) => [{ dtype: need(c, 1).dtype, shape: need(c, 0).shape }]),
  Identity: row<'Identity'>(['input'], ['output'], (c) => {
    const x = need(c, 0);
    return [{ dtype: x.dtype, shape: x.shape }];
  }),
  Dropout: row<'Dropout'>(['data', 'ratio?', 'training_mode?'], ['output', 'mask?'], (c) => {
    checkDtype(c, 0, FLOATS);
    checkDtype(c, 1, FLOATS);
    checkDtype(c, 2, ['bool']);
    checkScalar(c, 1);
    checkScalar(c, 2);
    const x = need(c, 0);
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: 'bool', shape: x.shape },
    ];
  }),
  Pad: pad,
  IF: neuron(),
  LIF: neuron(),
  SpikeMaxPool: pool(['Y'], FLOATS),
};

/**
 * Infer the output ValueInfos of one node. `lookup` gives the info of each input
 * value and `constOf` its initializer tensor if it has one. Checks the arity first.
 */
export function inferNode(node: Node, lookup: (v: string) => ValueInfo, constOf: (v: string) => Tensor | undefined): ValueInfo[] {
  const r = (OPS as Readonly<Record<string, OpRow | undefined>>)[node.op];
  if (r === undefined) {
    throw fail({ code: 'SNNC_E_UNSUPPORTED_OP', message: `node '${node.name}' has unknown op '${String(node.op)}'`, node: node.name });
  }
  const nIn = lastPresent(node.inputs);
  const nOut = node.outputs.length;
  if (nIn < r.minInputs || nIn > r.maxInputs || nOut < r.minOutputs || nOut > r.maxOutputs) {
    const range = (lo: number, hi: number): string => (lo === hi ? `${lo}` : hi === Infinity ? `at least ${lo}` : `${lo}..${hi}`);
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `${node.op} '${node.name}' has ${nIn} inputs and ${nOut} outputs; it takes ${range(r.minInputs, r.maxInputs)} inputs (${r.inputs.join(', ')}) and ${range(r.minOutputs, r.maxOutputs)} outputs (${r.outputs.join(', ')})`,
      node: node.name,
    });
  }
  const inputs = node.inputs.slice(0, nIn).map((v) => (v === '' ? undefined : lookup(v)));
  const consts = node.inputs.slice(0, nIn).map((v) => (v === '' ? undefined : constOf(v)));
  const ctx: InferCtx = {
    node,
    inputs,
    consts,
    inputNames: r.inputs,
    fresh: (o, ax) => `${node.name}:${o}:${ax}`,
  };
  const outs = r.infer(ctx);
  const result: ValueInfo[] = [];
  node.outputs.forEach((name, i) => {
    const o = outs[i];
    if (name !== '' && o !== undefined) result.push({ name, dtype: o.dtype, shape: [...o.shape] });
  });
  return result;
}

/** Count of inputs up to the last present one (trailing '' are the same as omitted). */
function lastPresent(inputs: readonly string[]): number {
  let n = inputs.length;
  while (n > 0 && inputs[n - 1] === '') n--;
  return n;
}
