// Importers that normalize older ONNX forms into the newest one: attributes that later
// became inputs (Clip, Pad), pre-opset-7 broadcasting, pre-13 Softmax semantics, and the
// Constant/Cast/Dropout variants. Each rewrite is exact, never an approximation.
import { fail } from '../../errors.js';
import type { Node, PadMode, Tensor } from '../../ir/types.js';
import type { OnnxNode } from './attrs.js';
import { attrEnum, attrError, attrFloat, attrFloats, attrInt, attrInts, attrString, attrTensor, has, invalid } from './attrs.js';
import type { ImportContext } from './context.js';
import { int64Tensor, needStatic, scalarLike, scalarTensor } from './context.js';
import { onnx } from './proto.js';
import { dtypeFromOnnx, onnxTypeName, tensorFromProto } from './tensor.js';

const where = (n: OnnxNode) => ({ node: n.name, ...(n.file !== undefined ? { file: n.file } : {}) });

/** Drop trailing absent optional inputs so equal graphs compare equal. */
function trimInputs(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.length > 1 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Clip-6 carried min/max as float attributes; Clip-11+ takes them as optional inputs. */
export function importClip(n: OnnxNode, ctx: ImportContext): Node[] {
  const x = n.inputs[0] ?? '';
  if (ctx.opset >= 11) return [{ name: n.name, inputs: trimInputs(n.inputs), outputs: n.outputs, op: 'Clip', attrs: {} }];
  const extra: Node[] = [];
  const bound = (key: 'min' | 'max'): string => {
    if (!has(n, key)) return '';
    const s = scalarLike(n, ctx, key, attrFloat(n, key, 0), x);
    extra.push(...s.nodes);
    return s.name;
  };
  const inputs = trimInputs([x, bound('min'), bound('max')]);
  return [...extra, { name: n.name, inputs, outputs: n.outputs, op: 'Clip', attrs: {} }];
}

/** Pad-1/2 carried pads (or `paddings`) and value as attributes; Pad-11+ takes inputs. */
export function importPad(n: OnnxNode, ctx: ImportContext): Node[] {
  const modes: readonly PadMode[] = ctx.opset >= 19 ? ['constant', 'reflect', 'edge', 'wrap'] : ['constant', 'reflect', 'edge'];
  const mode = attrEnum(n, 'mode', 'constant', modes);
  const x = n.inputs[0] ?? '';
  if (ctx.opset >= 11) return [{ name: n.name, inputs: trimInputs(n.inputs), outputs: n.outputs, op: 'Pad', attrs: { mode } }];
  const pads = attrInts(n, 'pads') ?? attrInts(n, 'paddings') ?? invalid(n, 'missing required attribute pads');
  const inputs = [x, ctx.addInitializer(`${n.name}_pads`, int64Tensor(pads))];
  const value = attrFloat(n, 'value', 0);
  const extra: Node[] = [];
  if (mode === 'constant' && value !== 0) {
    const s = scalarLike(n, ctx, 'value', value, x);
    extra.push(...s.nodes);
    inputs.push(s.name);
  }
  return [...extra, { name: n.name, inputs, outputs: n.outputs, op: 'Pad', attrs: { mode } }];
}

/** Dropout before opset 12 had ratio/is_test attributes; inference makes it the identity either way. */
export function importDropout(n: OnnxNode, ctx: ImportContext): Node[] {
  const inputs = ctx.opset >= 12 ? trimInputs(n.inputs) : [n.inputs[0] ?? ''];
  return [{ name: n.name, inputs, outputs: n.outputs, op: 'Dropout', attrs: {} }];
}

/** Cast-1 named the target type as a string ('FLOAT'); Cast-6+ uses the TensorProto code. */
export function importCast(n: OnnxNode, ctx: ImportContext): Node[] {
  if (!has(n, 'to')) invalid(n, 'missing required attribute to');
  const a = n.attrs.get('to');
  let code: number;
  if (ctx.opset < 6 || a?.type === onnx.AttributeProto.AttributeType.STRING) {
    const name = attrString(n, 'to', '').toUpperCase();
    const found = Object.values(onnx.TensorProto.DataType).find((v) => typeof v === 'number' && onnxTypeName(v) === name);
    if (typeof found !== 'number') attrError(n, `Cast target type '${name}' is unknown`);
    code = found;
  } else {
    code = attrInt(n, 'to', 0);
  }
  const to = dtypeFromOnnx(code, `the Cast target type`, where(n));
  return [{ name: n.name, inputs: n.inputs, outputs: n.outputs, op: 'Cast', attrs: { to } }];
}

/** Constant nodes become initializers named after their output; no IR node remains. */
export function importConstant(n: OnnxNode, ctx: ImportContext): Node[] {
  const keys = [...n.attrs.keys()];
  if (keys.length !== 1) invalid(n, `Constant needs exactly one value attribute, got ${keys.length}`);
  const key = keys[0] ?? '';
  let t: Tensor;
  switch (key) {
    case 'value': {
      const tp = attrTensor(n, 'value') ?? invalid(n, 'value attribute holds no tensor');
      t = tensorFromProto(tp, {
        maxElements: ctx.maxElements,
        node: n.name,
        ...(ctx.file !== undefined ? { file: ctx.file } : {}),
        ...(ctx.baseDir !== undefined ? { baseDir: ctx.baseDir } : {}),
      });
      break;
    }
    case 'value_float':
      t = scalarTensor('float32', attrFloat(n, key, 0));
      break;
    case 'value_floats': {
      const v = attrFloats(n, key) ?? [];
      t = { dtype: 'float32', shape: [v.length], data: Float32Array.from(v) };
      break;
    }
    case 'value_int':
      t = int64Tensor([attrInt(n, key, 0)], true);
      break;
    case 'value_ints':
      t = int64Tensor(attrInts(n, key) ?? []);
      break;
    default:
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_DTYPE',
        message: `Constant node '${n.name}': ${key} (string or sparse constants) is not supported`,
        ...where(n),
      });
  }
  ctx.defineConstant(n.outputs[0] ?? '', t);
  return [];
}

/**
 * Before opset 7, Add/Sub/Mul/Div/Less broadcast B only with broadcast=1, aligned at `axis`
 * of A (numpy aligns at the end). When the two differ, B gets trailing unit dims.
 */
export function legacyBroadcast(n: OnnxNode, ctx: ImportContext): { inputs: string[]; nodes: Node[] } {
  const inputs = [...n.inputs];
  if (ctx.opset >= 7 || attrInt(n, 'broadcast', 0) === 0 || !has(n, 'axis')) return { inputs, nodes: [] };
  const [a, b] = [inputs[0] ?? '', inputs[1] ?? ''];
  const ia = ctx.info(a);
  const ib = ctx.info(b);
  if (ia === undefined || ib === undefined) return needStatic(n, 'the operand ranks (legacy broadcast with axis)');
  const ra = ia.shape.length;
  const rb = ib.shape.length;
  let axis = attrInt(n, 'axis', 0);
  if (axis < 0) axis += ra;
  const trailing = ra - axis - rb;
  if (axis < 0 || trailing < 0) attrError(n, `broadcast axis ${attrInt(n, 'axis', 0)} does not fit operands of rank ${ra} and ${rb}`);
  if (trailing === 0) return { inputs, nodes: [] };
  const units = Array<number>(trailing).fill(1);
  const cb = ctx.constant(b);
  if (cb !== undefined) {
    inputs[1] = ctx.addInitializer(`${n.name}_B`, { ...cb, shape: [...cb.shape, ...units] });
    return { inputs, nodes: [] };
  }
  const axes = ctx.addInitializer(`${n.name}_B_axes`, int64Tensor(units.map((_, i) => rb + i)));
  const out = ctx.freshValue(`${n.name}_B`);
  inputs[1] = out;
  return { inputs, nodes: [{ name: ctx.freshNode(`${n.name}/unsqueeze_B`), op: 'Unsqueeze', attrs: {}, inputs: [b, axes], outputs: [out] }] };
}

/**
 * Softmax before opset 13 flattened the input to 2-D at `axis` and normalized each row.
 * That equals opset-13 Softmax only when axis is the last one; otherwise it becomes
 * Flatten -> Softmax(-1) -> Reshape back to the input shape.
 */
export function softmaxLegacy(n: OnnxNode, ctx: ImportContext, axis: number): Node[] {
  const x = n.inputs[0] ?? '';
  const info = ctx.info(x);
  if (info === undefined) return needStatic(n, 'the input rank (Softmax before opset 13 flattens at axis)');
  const r = info.shape.length;
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r) attrError(n, `axis ${axis} is out of range for rank ${r}`);
  if (a === r - 1) return [{ name: n.name, inputs: [x], outputs: n.outputs, op: 'Softmax', attrs: { axis: -1 } }];
  const symbolic = info.shape.filter((d) => typeof d !== 'number').length;
  if (symbolic > 1) return needStatic(n, `the input shape [${info.shape.join(', ')}] (more than one symbolic dim)`);
  const target = info.shape.map((d) => (typeof d === 'number' ? d : -1));
  const flat = ctx.freshValue(`${n.name}_2d`);
  const soft = ctx.freshValue(`${n.name}_2d_softmax`);
  const shape = ctx.addInitializer(`${n.name}_shape`, int64Tensor(target));
  return [
    { name: ctx.freshNode(`${n.name}/flatten`), op: 'Flatten', attrs: { axis: a }, inputs: [x], outputs: [flat] },
    { name: n.name, op: 'Softmax', attrs: { axis: -1 }, inputs: [flat], outputs: [soft] },
    { name: ctx.freshNode(`${n.name}/reshape`), op: 'Reshape', attrs: { allowzero: false }, inputs: [soft, shape], outputs: [n.outputs[0] ?? ''] },
  ];
}
