// The ONNX import table: op type -> importer. Each importer maps one NodeProto (at the
// model's opset) to IR nodes in the newest ONNX form that src/ir/types.ts documents;
// older forms are normalized here (legacy.ts holds the ones that need rewriting).
// An op missing from the table is unsupported, and the error comes from the lookup.
import { fail } from '../../errors.js';
import type { AutoPad, Node, WindowAttrs } from '../../ir/types.js';
import type { OnnxNode } from './attrs.js';
import { attrEnum, attrError, attrFloat, attrInt, attrInts, checkKnownAttrs, invalid } from './attrs.js';
import type { ImportContext, Importer } from './context.js';
import { int64Tensor, needStatic } from './context.js';
import { importCast, importClip, importConstant, importDropout, importPad, legacyBroadcast, softmaxLegacy } from './legacy.js';

type Out = Node[];

const first = (n: OnnxNode): string => n.inputs[0] ?? '';
const one = (n: OnnxNode, node: Node): Out => [node];
const base = (n: OnnxNode) => ({ name: n.name, inputs: n.inputs, outputs: n.outputs });

/** Element-wise ops whose only legacy attribute is consumed_inputs (opset 1). */
function unary<O extends 'Relu' | 'Sigmoid' | 'Tanh' | 'Exp' | 'Neg' | 'Identity' | 'Max' | 'Where' | 'MatMul' | 'GlobalAveragePool' | 'GlobalMaxPool'>(
  op: O,
): Importer {
  return {
    attrs: ['consumed_inputs'],
    run: (n) => one(n, { ...base(n), op, attrs: {} } as Node),
  };
}

/** Binary arithmetic; before opset 7 these carried `broadcast`/`axis` attributes. */
function binary<O extends 'Add' | 'Sub' | 'Mul' | 'Div' | 'Less'>(op: O): Importer {
  return {
    attrs: ['broadcast', 'axis', 'consumed_inputs'],
    run: (n, ctx) => {
      const { inputs, nodes } = legacyBroadcast(n, ctx);
      return [...nodes, { name: n.name, inputs, outputs: n.outputs, op, attrs: {} } as Node];
    },
  };
}

const AUTO_PAD: readonly AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** kernel_shape/strides/dilations/pads/auto_pad with the ONNX defaults filled in. */
export function windowAttrs(n: OnnxNode, kernel: readonly number[] | undefined): WindowAttrs {
  if (kernel === undefined) invalid(n, 'missing required attribute kernel_shape');
  const r = kernel.length;
  const fill = (key: string, len: number, def: number): number[] => {
    const v = attrInts(n, key) ?? Array<number>(len).fill(def);
    if (v.length !== len) invalid(n, `attribute ${key} has ${v.length} entries, expected ${len} for ${r} spatial dims`);
    return v;
  };
  const w: WindowAttrs = {
    kernelShape: [...kernel],
    strides: fill('strides', r, 1),
    dilations: fill('dilations', r, 1),
    pads: fill('pads', 2 * r, 0),
    autoPad: attrEnum(n, 'auto_pad', 'NOTSET', AUTO_PAD),
  };
  for (const [key, v] of [
    ['kernel_shape', w.kernelShape],
    ['strides', w.strides],
    ['dilations', w.dilations],
  ] as const) {
    if (v.some((x) => x <= 0)) attrError(n, `${key} must be positive, got [${v.join(', ')}]`);
  }
  if (w.pads.some((x) => x < 0)) attrError(n, `negative pads [${w.pads.join(', ')}]`);
  return w;
}

function convKernel(n: OnnxNode, ctx: ImportContext): number[] {
  const k = attrInts(n, 'kernel_shape');
  if (k !== undefined) return k;
  // Optional in ONNX: inferred from the weight's spatial dims.
  const w = ctx.info(n.inputs[1] ?? '');
  if (w === undefined) return needStatic(n, 'the weight shape (needed because kernel_shape is absent)');
  const spatial = w.shape.slice(2);
  if (!spatial.every((d): d is number => typeof d === 'number')) return needStatic(n, 'the weight spatial shape');
  return spatial;
}

/** An `axes`-style int list attribute of older opsets becomes an int64 initializer input. */
function axesToInput(n: OnnxNode, ctx: ImportContext, key: string, newestFrom: number): string[] {
  if (ctx.opset >= newestFrom) return [...n.inputs];
  const axes = attrInts(n, key);
  if (axes === undefined) return [first(n)];
  return [first(n), ctx.addInitializer(`${n.name}_${key}`, int64Tensor(axes))];
}

function reduce<O extends 'ReduceMax' | 'ReduceSum' | 'ReduceMean'>(op: O, axesInputFrom: number): Importer {
  return {
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    run: (n, ctx) =>
      one(n, {
        name: n.name,
        outputs: n.outputs,
        op,
        inputs: axesToInput(n, ctx, 'axes', axesInputFrom),
        attrs: { keepdims: attrInt(n, 'keepdims', 1) !== 0, noopWithEmptyAxes: attrInt(n, 'noop_with_empty_axes', 0) !== 0 },
      } as Node),
  };
}

const TABLE: Readonly<Record<string, Importer>> = {
  Gemm: {
    attrs: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
    run: (n) =>
      one(n, {
        ...base(n),
        op: 'Gemm',
        attrs: { alpha: attrFloat(n, 'alpha', 1), beta: attrFloat(n, 'beta', 1), transA: attrInt(n, 'transA', 0) !== 0, transB: attrInt(n, 'transB', 0) !== 0 },
      }),
  },
  MatMul: unary('MatMul'),
  Conv: {
    attrs: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    run: (n, ctx) => {
      const group = attrInt(n, 'group', 1);
      if (group < 1) attrError(n, `group must be >= 1, got ${group}`);
      return one(n, { ...base(n), op: 'Conv', attrs: { ...windowAttrs(n, convKernel(n, ctx)), group } });
    },
  },
  BatchNormalization: {
    attrs: ['epsilon', 'momentum', 'spatial', 'is_test', 'consumed_inputs', 'training_mode'],
    run: (n) => {
      if (attrInt(n, 'spatial', 1) !== 1) attrError(n, 'spatial=0 (per-activation statistics) is not supported');
      if (attrInt(n, 'training_mode', 0) !== 0 || n.outputs.slice(1).some((o) => o !== '')) {
        attrError(n, 'training-mode BatchNormalization (running mean/var outputs) is not supported', 'export the model in eval/inference mode');
      }
      return one(n, {
        name: n.name,
        inputs: n.inputs,
        outputs: n.outputs.slice(0, 1),
        op: 'BatchNormalization',
        attrs: { epsilon: attrFloat(n, 'epsilon', 1e-5) },
      });
    },
  },
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Neg: unary('Neg'),
  Identity: unary('Identity'),
  Max: unary('Max'),
  Where: unary('Where'),
  GlobalAveragePool: unary('GlobalAveragePool'),
  GlobalMaxPool: unary('GlobalMaxPool'),
  LeakyRelu: {
    attrs: ['alpha', 'consumed_inputs'],
    run: (n) => one(n, { ...base(n), op: 'LeakyRelu', attrs: { alpha: attrFloat(n, 'alpha', 0.01) } }),
  },
  Clip: { attrs: ['min', 'max', 'consumed_inputs'], run: importClip },
  Softmax: {
    attrs: ['axis'],
    run: (n, ctx) =>
      ctx.opset >= 13 ? one(n, { ...base(n), op: 'Softmax', attrs: { axis: attrInt(n, 'axis', -1) } }) : softmaxLegacy(n, ctx, attrInt(n, 'axis', 1)),
  },
  MaxPool: {
    attrs: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    run: (n) => {
      const so = attrInt(n, 'storage_order', 0);
      if (so !== 0 && so !== 1) attrError(n, `storage_order must be 0 or 1, got ${so}`);
      return one(n, {
        ...base(n),
        op: 'MaxPool',
        attrs: { ...windowAttrs(n, attrInts(n, 'kernel_shape')), ceilMode: attrInt(n, 'ceil_mode', 0) !== 0, storageOrder: so === 1 ? 1 : 0 },
      });
    },
  },
  AveragePool: {
    attrs: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    run: (n) =>
      one(n, {
        ...base(n),
        op: 'AveragePool',
        attrs: {
          ...windowAttrs(n, attrInts(n, 'kernel_shape')),
          ceilMode: attrInt(n, 'ceil_mode', 0) !== 0,
          countIncludePad: attrInt(n, 'count_include_pad', 0) !== 0,
        },
      }),
  },
  Flatten: { attrs: ['axis'], run: (n) => one(n, { ...base(n), op: 'Flatten', attrs: { axis: attrInt(n, 'axis', 1) } }) },
  Reshape: {
    attrs: ['shape', 'consumed_inputs', 'allowzero'],
    run: (n, ctx) => {
      const inputs =
        ctx.opset >= 5
          ? [...n.inputs]
          : [first(n), ctx.addInitializer(`${n.name}_shape`, int64Tensor(attrInts(n, 'shape') ?? invalid(n, 'missing attribute shape')))];
      return one(n, { name: n.name, inputs, outputs: n.outputs, op: 'Reshape', attrs: { allowzero: attrInt(n, 'allowzero', 0) !== 0 } });
    },
  },
  Transpose: {
    attrs: ['perm'],
    run: (n) => {
      const perm = attrInts(n, 'perm');
      return one(n, { ...base(n), op: 'Transpose', attrs: perm !== undefined ? { perm } : {} });
    },
  },
  Squeeze: {
    attrs: ['axes'],
    run: (n, ctx) => one(n, { name: n.name, outputs: n.outputs, op: 'Squeeze', attrs: {}, inputs: axesToInput(n, ctx, 'axes', 13) }),
  },
  Unsqueeze: {
    attrs: ['axes'],
    run: (n, ctx) => {
      if (ctx.opset < 13 && attrInts(n, 'axes') === undefined) invalid(n, 'missing required attribute axes');
      return one(n, { name: n.name, outputs: n.outputs, op: 'Unsqueeze', attrs: {}, inputs: axesToInput(n, ctx, 'axes', 13) });
    },
  },
  Concat: {
    attrs: ['axis'],
    run: (n, ctx) => {
      if (ctx.opset >= 4 && !n.attrs.has('axis')) invalid(n, 'missing required attribute axis');
      return one(n, { ...base(n), op: 'Concat', attrs: { axis: attrInt(n, 'axis', 1) } });
    },
  },
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Less: binary('Less'),
  ReduceMax: reduce('ReduceMax', 18),
  ReduceSum: reduce('ReduceSum', 13),
  ReduceMean: reduce('ReduceMean', 18),
  Shape: {
    attrs: ['start', 'end'],
    run: (n) => {
      const end = n.attrs.has('end') ? attrInt(n, 'end', 0) : undefined;
      return one(n, { ...base(n), op: 'Shape', attrs: { start: attrInt(n, 'start', 0), ...(end === undefined ? {} : { end }) } });
    },
  },
  Gather: { attrs: ['axis'], run: (n) => one(n, { ...base(n), op: 'Gather', attrs: { axis: attrInt(n, 'axis', 0) } }) },
  Cast: { attrs: ['to', 'saturate'], run: importCast },
  CastLike: { attrs: ['saturate'], run: (n) => one(n, { ...base(n), op: 'CastLike', attrs: {} }) },
  Dropout: { attrs: ['ratio', 'is_test', 'consumed_inputs', 'seed'], run: importDropout },
  Pad: { attrs: ['pads', 'paddings', 'value', 'mode'], run: importPad },
  Constant: {
    attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
    run: importConstant,
  },
};

const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(TABLE).sort();

/** Import one node: the table lookup is where unsupported ops are reported. */
export function importNode(n: OnnxNode, ctx: ImportContext): Node[] {
  const row = Object.prototype.hasOwnProperty.call(TABLE, n.opType) ? TABLE[n.opType] : undefined;
  if (row === undefined) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `operator '${n.opType}' (node '${n.name}', opset ${ctx.opset}) is not supported`,
      node: n.name,
      ...(n.file !== undefined ? { file: n.file } : {}),
      hint: `supported operators: ${SUPPORTED_ONNX_OPS.join(', ')}`,
    });
  }
  checkKnownAttrs(n, row.attrs);
  if (n.outputs.length === 0 || n.outputs[0] === '') invalid(n, 'node has no output');
  return row.run(n, ctx);
}
