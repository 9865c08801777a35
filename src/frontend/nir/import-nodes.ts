// One NIR node → IR nodes and initializers. Every check names the HDF5 path of the field.
import { fail } from '../../errors.js';
import { resolveWindow } from '../../ir/window.js';
import { nirError, unbroadcast as unbroadcastOrUndefined } from './convention.js';
import { importNeuron } from './import-neurons.js';
import type { ImportCtx, Imported } from './import-fields.js';
import { expectShape, field, floats, inputName, ints, metaShape, outputName, same, size } from './import-fields.js';

/** Drop absent trailing optionals, keeping as many inputs as snnc wrote (if it did). */
function arity(c: ImportCtx, ins: string[]): string[] {
  const m = c.meta['inputs'];
  let n = ins.length;
  while (n > 0 && ins[n - 1] === '' && !(Array.isArray(m) && m.length >= n)) n--;
  return ins.slice(0, n);
}

function pair(c: ImportCtx, key: string, n: number): number[] {
  const v = ints(c, key);
  if (v.length === 1) return new Array<number>(n).fill(v[0] ?? 0);
  if (v.length !== n) throw nirError(`${c.where}/${key}: expected 1 or ${n} values, found ${v.length}`, `${c.where}/${key}`);
  return v;
}

function affine(c: ImportCtx): Imported {
  const w = floats(c, 'weight');
  if (w.shape.length !== 2) throw nirError(`${c.where}/weight: expected a 2-D (out, in) weight, found [${w.shape.join(', ')}]`, `${c.where}/weight`);
  const [out = 0, inF = 0] = w.shape;
  expectShape(c, 'weight', [inF], c.inShape);
  const transB = c.meta['transB'] !== false;
  const wd = Float32Array.from(w.data);
  const wt = transB ? wd : Float32Array.from({ length: wd.length }, (_v, k) => wd[(k % out) * inF + Math.floor(k / out)] as number);
  const wName = c.init(inputName(c, 1, 'weight'), { dtype: 'float32', shape: transB ? [out, inF] : [inF, out], data: wt });
  let bName = '';
  if (c.node.type === 'Affine') {
    const b = floats(c, 'bias');
    if (size(b.shape) !== out) throw nirError(`${c.where}/bias: ${size(b.shape)} values for ${out} outputs`, `${c.where}/bias`);
    const bs = metaShape(c, 'biasShape');
    bName = c.init(inputName(c, 2, 'bias'), { dtype: 'float32', shape: bs !== undefined && size(bs) === out ? bs : [out], data: Float32Array.from(b.data) });
  }
  const value = outputName(c);
  c.emit({
    name: c.name,
    op: 'Gemm',
    attrs: { alpha: 1, beta: 1, transA: false, transB },
    inputs: arity(c, [c.inputs[0] ?? '', wName, bName]),
    outputs: [value],
  });
  return { value, shape: [out] };
}

function conv(c: ImportCtx): Imported {
  const w = floats(c, 'weight');
  const k = c.node.type === 'Conv1d' ? 1 : 2;
  if (w.shape.length !== k + 2)
    throw nirError(`${c.where}/weight: ${c.node.type} needs a ${k + 2}-D weight, found [${w.shape.join(', ')}]`, `${c.where}/weight`);
  const [cout = 0, cinG = 0, ...kernel] = w.shape;
  const groups = ints(c, 'groups')[0] ?? 1;
  if (c.inShape.length !== k + 1 || cinG * groups !== c.inShape[0]) {
    throw nirError(
      `${c.where}/weight: [${w.shape.join(', ')}] with groups ${groups} does not fit the incoming shape [${c.inShape.join(', ')}]`,
      `${c.where}/weight`,
    );
  }
  const spatial = c.inShape.slice(1);
  if (c.node.fields['input_shape'] !== undefined) expectShape(c, 'input_shape', pair(c, 'input_shape', k), spatial);
  const strides = pair(c, 'stride', k);
  const dilations = pair(c, 'dilation', k);
  const pf = field(c, 'padding');
  let pads: number[];
  if (pf.kind === 'str') {
    const mode = pf.data[0];
    if (mode === 'valid') pads = new Array<number>(2 * k).fill(0);
    else if (mode === 'same' && strides.every((s) => s === 1)) {
      // PyTorch's 'same': total d·(k−1), the extra element on the end side.
      const total = kernel.map((kk, i) => (dilations[i] ?? 1) * (kk - 1));
      pads = [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
    } else
      throw nirError(
        `${c.where}/padding: '${mode ?? ''}' (with strides [${strides.join(', ')}]) is not a NIR padding`,
        `${c.where}/padding`,
        "use an int, a pair, 'valid', or 'same' with stride 1",
      );
  } else {
    const p = pair(c, 'padding', k);
    pads = [...p, ...p];
  }
  const attrs = { kernelShape: kernel, strides, pads, dilations, autoPad: 'NOTSET' as const, group: groups };
  const b = floats(c, 'bias');
  if (size(b.shape) !== cout) throw nirError(`${c.where}/bias: ${size(b.shape)} values for ${cout} output channels`, `${c.where}/bias`);
  const wName = c.init(inputName(c, 1, 'weight'), { dtype: 'float32', shape: w.shape, data: Float32Array.from(w.data) });
  const metaIns = c.meta['inputs'];
  const noBias = Array.isArray(metaIns) && (metaIns.length < 3 || metaIns[2] === '') && b.data.every((v) => v === 0);
  const bName = noBias ? '' : c.init(inputName(c, 2, 'bias'), { dtype: 'float32', shape: [cout], data: Float32Array.from(b.data) });
  const value = outputName(c);
  c.emit({ name: c.name, op: 'Conv', attrs, inputs: arity(c, [c.inputs[0] ?? '', wName, bName]), outputs: [value] });
  return { value, shape: [cout, ...resolveWindow(spatial, attrs, false, c.name).outSpatial] };
}

function pool(c: ImportCtx): Imported {
  if (c.inShape.length !== 3) throw nirError(`${c.where}: ${c.node.type} needs (C, H, W) input, found [${c.inShape.join(', ')}]`, c.where);
  const kernelShape = pair(c, 'kernel_size', 2);
  const strides = pair(c, 'stride', 2);
  const p = pair(c, 'padding', 2);
  const spatial = c.inShape.slice(1);
  const value = outputName(c);
  const x = c.inputs[0] ?? '';
  if (c.meta['op'] === 'GlobalAveragePool' && same(kernelShape, spatial) && same(strides, spatial) && p.every((v) => v === 0)) {
    c.emit({ name: c.name, op: 'GlobalAveragePool', inputs: [x], outputs: [value] });
    return { value, shape: [c.inShape[0] ?? 0, 1, 1] };
  }
  const sum = c.node.type === 'SumPool2d';
  const attrs = {
    kernelShape,
    strides,
    pads: [...p, ...p],
    dilations: [1, 1],
    autoPad: 'NOTSET' as const,
    ceilMode: c.meta['ceilMode'] === true,
    countIncludePad: sum || typeof c.meta['countIncludePad'] !== 'boolean' ? p.some((v) => v > 0) : c.meta['countIncludePad'],
  };
  const shape = [c.inShape[0] ?? 0, ...resolveWindow(spatial, attrs, attrs.ceilMode, c.name).outSpatial];
  if (!sum) {
    c.emit({ name: c.name, op: 'AveragePool', attrs, inputs: [x], outputs: [value] });
    return { value, shape };
  }
  // A sum over the window is the (padding-inclusive) mean times the window size.
  const avg = `${c.name}/mean`;
  c.emit({ name: avg, op: 'AveragePool', attrs: { ...attrs, countIncludePad: true }, inputs: [x], outputs: [avg] });
  const k = c.init(`${c.name}/window`, { dtype: 'float32', shape: [], data: Float32Array.of(size(kernelShape)) });
  c.emit({ name: c.name, op: 'Mul', inputs: [avg, k], outputs: [value] });
  return { value, shape };
}

function flatten(c: ImportCtx): Imported {
  const R = c.inShape.length;
  const norm = (d: number): number => (d < 0 ? d + R : d);
  const start = norm(ints(c, 'start_dim')[0] ?? 0);
  const end = norm(ints(c, 'end_dim')[0] ?? -1);
  if (c.node.fields['input_type'] !== undefined) expectShape(c, 'input_type', ints(c, 'input_type'), c.inShape);
  if (!(start >= 0 && start <= end && end < R))
    throw nirError(`${c.where}/start_dim: dims ${start}..${end} are not within the ${R}-D batch-less input`, `${c.where}/start_dim`);
  const shape = [...c.inShape.slice(0, start), size(c.inShape.slice(start, end + 1)), ...c.inShape.slice(end + 1)];
  const value = outputName(c);
  if (start === 0 && end === R - 1) {
    c.emit({ name: c.name, op: 'Flatten', attrs: { axis: 1 }, inputs: [c.inputs[0] ?? ''], outputs: [value] });
  } else {
    const s = c.init(`${c.name}/shape`, { dtype: 'int64', shape: [shape.length + 1], data: BigInt64Array.from([0, ...shape].map((d) => BigInt(d))) });
    c.emit({ name: c.name, op: 'Reshape', attrs: { allowzero: false }, inputs: [c.inputs[0] ?? '', s], outputs: [value] });
  }
  return { value, shape };
}

function scale(c: ImportCtx): Imported {
  const s = floats(c, 'scale');
  expectShape(c, 'scale', s.shape, c.inShape);
  const value = outputName(c);
  const [a = '', b = ''] = c.inputs;
  if (c.meta['op'] === 'Add' && c.inputs.length === 2 && s.data.every((v) => v === 1)) {
    c.emit({ name: c.name, op: 'Add', inputs: [a, b], outputs: [value] });
    return { value, shape: c.inShape };
  }
  const full = Float64Array.from(s.data);
  const want = metaShape(c, 'constShape') ?? (c.meta['constShape'] !== undefined ? [] : undefined);
  const fitted = want !== undefined ? unbroadcastOrUndefined(full, c.inShape, want) : undefined;
  const cName = c.init(inputName(c, c.meta['constFirst'] === true ? 0 : 1, 'scale'), {
    dtype: 'float32',
    shape: fitted !== undefined && want !== undefined ? want : [...c.inShape],
    data: Float32Array.from(fitted ?? full),
  });
  c.emit({ name: c.name, op: 'Mul', inputs: c.meta['constFirst'] === true ? [cName, c.inputs[0] ?? ''] : [c.inputs[0] ?? '', cName], outputs: [value] });
  return { value, shape: c.inShape };
}

function threshold(c: ImportCtx): Imported {
  const t = floats(c, 'threshold');
  expectShape(c, 'threshold', t.shape, c.inShape);
  const uniform = t.data.every((v) => v === t.data[0]);
  const th = c.init(`${c.name}/threshold`, {
    dtype: 'float32',
    shape: uniform ? [] : [...c.inShape],
    data: uniform ? Float32Array.of(t.data[0] ?? 0) : Float32Array.from(t.data),
  });
  const value = outputName(c);
  // Heaviside step: z = (x > θ), memoryless, as a comparison cast back to float.
  c.emit({ name: `${c.name}/compare`, op: 'Less', inputs: [th, c.inputs[0] ?? ''], outputs: [`${c.name}/compare`] });
  c.emit({ name: c.name, op: 'Cast', attrs: { to: 'float32' }, inputs: [`${c.name}/compare`], outputs: [value] });
  return { value, shape: c.inShape };
}

/** Why a NIR node type that is not imported here has no snnc form (docs/formats.md lists them). */
const WHY_NOT: Readonly<Record<string, string>> = {
  I: 'is an integrator in the middle of the network: snnc layers pass spikes, and a non-spiking membrane is only read out (accepted right before an Output)',
  LI: 'is a leaky integrator in the middle of the network: snnc layers pass spikes, and a non-spiking membrane is only read out (accepted right before an Output)',
  CubaLI:
    'is a current-based integrator in the middle of the network: snnc layers pass spikes, and a non-spiking membrane is only read out (accepted right before an Output)',
  Delay:
    'delays its input by a number of time constants; every snnc layer reads its inputs at the same step and there is no delay element (netx has none either)',
};

export function importNode(c: ImportCtx): Imported {
  switch (c.node.type) {
    case 'Affine':
    case 'Linear':
      return affine(c);
    case 'Conv1d':
    case 'Conv2d':
      return conv(c);
    case 'AvgPool2d':
    case 'SumPool2d':
      return pool(c);
    case 'Flatten':
      return flatten(c);
    case 'Scale':
      return scale(c);
    case 'Threshold':
      return threshold(c);
    case 'IF':
    case 'LIF':
    case 'CubaLIF':
      return importNeuron(c);
    default:
      throw fail({
        code: 'SNNC_E_NIR_UNSUPPORTED',
        message: `${c.where}: NIR ${c.node.type} node '${c.name}' ${WHY_NOT[c.node.type] ?? 'has no snnc equivalent'}`,
        node: c.name,
        file: c.where,
        hint: 'supported: Input, Output, Affine, Linear, Conv1d, Conv2d, AvgPool2d, SumPool2d, Flatten, Scale, Threshold, IF, LIF, CubaLIF, nested NIRGraph, and I/LI/CubaLI as the readout',
      });
  }
}
