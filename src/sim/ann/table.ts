// The dispatch table: one kernel per op of the IR. A new op in src/ir/types.ts
// without a row here is a type error, not a run-time surprise.
import { add, div, less, max, mul, sub, where } from './arith.js';
import { cast, castLike } from './cast.js';
import { conv } from './conv.js';
import { batchNormalization, clip, dropout, exp, identity, leakyRelu, neg, relu, sigmoid, tanh } from './elementwise.js';
import type { KernelTable } from './kernel.js';
import { gemm, matmul } from './matmul.js';
import { pad } from './pad.js';
import { averagePool, globalAveragePool, globalMaxPool, maxPool } from './pool.js';
import { reduceMax, reduceMean, reduceSum, softmax } from './reduce.js';
import { gather, shape } from './gather.js';
import { concat, flatten, reshape, squeeze, transpose, unsqueeze } from './shape-ops.js';

import { spikingOnly } from './spiking.js';

export const KERNELS: KernelTable = {
  Gemm: gemm,
  MatMul: matmul,
  Conv: conv,
  BatchNormalization: batchNormalization,
  Relu: relu,
  LeakyRelu: leakyRelu,
  Clip: clip,
  Sigmoid: sigmoid,
  Tanh: tanh,
  Exp: exp,
  Neg: neg,
  Softmax: softmax,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Max: max,
  Less: less,
  Where: where,
  ReduceMax: reduceMax,
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
  Shape: shape,
  Gather: gather,
  Cast: cast,
  CastLike: castLike,
  Identity: identity,
  Dropout: dropout,
  Pad: pad,
  IF: spikingOnly,
  LIF: spikingOnly,
  SpikeMaxPool: spikingOnly,
};
