// One IR node → one NIR node: its type, fields (NIR names and layouts), the values that
// become incoming edges, and the extra facts snnc keeps in metadata to read it back exactly.
import { fail } from '../../errors.js';
import type { AttrsOf, Graph, Node, Tensor } from '../../ir/types.js';
import { resolveWindow } from '../../ir/window.js';
import { DT, broadcastTo, nextDown, tauFromLeak } from './convention.js';
import type { NirArray, NirDiagnostic } from './types.js';

export interface ExportCtx {
  readonly graph: Graph;
  /** Static per-sample shape of a value (throws otherwise). */
  readonly shapeOf: (v: string, node: string) => number[];
  readonly constant: (v: string) => Tensor | undefined;
  readonly warn: (d: NirDiagnostic) => void;
}

export interface ExportedNode {
  readonly type: string;
  readonly fields: Record<string, NirArray>;
  /** Values feeding the node through edges (summed by NIR when several). */
  readonly dataInputs: readonly string[];
  /** Facts NIR has no field for, stored in metadata/snnc. */
  readonly extra: Readonly<Record<string, unknown>>;
}

const SUPPORTED = 'Gemm, Conv, AveragePool, GlobalAveragePool, Flatten, Mul (by a constant), Add, IF, LIF';

const int = (data: readonly number[], scalar = false): NirArray => ({ kind: 'int', shape: scalar ? [] : [data.length], data });
const f32 = (shape: readonly number[], data: Float32Array): NirArray => ({ kind: 'float', shape, data });
const f64 = (shape: readonly number[], data: Float64Array): NirArray => ({ kind: 'float', shape, data });

function refuse(n: Node, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_NIR', message: `${n.op} '${n.name}': ${message}`, node: n.name, hint });
}

function floatConst(n: Node, v: string, ctx: ExportCtx, what: string): Tensor {
  const t = ctx.constant(v);
  if (t === undefined || (t.dtype !== 'float32' && t.dtype !== 'float64')) {
    throw refuse(n, `the ${what} must be a constant float tensor`, 'NIR stores parameters in the node; fold constants first (snnc convert does)');
  }
  return t;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A constant broadcast to the full per-sample shape (NIR parameters are per neuron). */
function perNeuron(n: Node, t: Tensor, shape: readonly number[], what: string): Float64Array {
  const out = new Float64Array(size(shape));
  try {
    broadcastTo(t.data as Float32Array | Float64Array, t.shape, shape, out);
  } catch {
    throw refuse(
      n,
      `${what} [${t.shape.join(', ')}] does not broadcast to the per-sample shape [${shape.join(', ')}]`,
      'use a scalar, [C,1,1] or [F] parameter',
    );
  }
  return out;
}

function exportGemm(n: Extract<Node, { op: 'Gemm' }>, ctx: ExportCtx): ExportedNode {
  const a = n.attrs;
  if (a.transA || a.alpha !== 1 || (a.beta !== 1 && (n.inputs[2] ?? '') !== '')) {
    throw refuse(n, 'only Gemm with transA = 0, alpha = 1, beta = 1 maps to NIR Affine', 'canonicalize the graph first');
  }
  const [x = '', wName = '', bName = ''] = n.inputs;
  const w = floatConst(n, wName, ctx, 'weight');
  if (w.shape.length !== 2) throw refuse(n, 'the weight must be 2-D', 'NIR Affine takes (out, in) weights');
  const [r = 0, c = 0] = w.shape;
  const [out, inF] = a.transB ? [r, c] : [c, r];
  const weight = new Float32Array(out * inF);
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) weight[o * inF + i] = (a.transB ? w.data[o * inF + i] : w.data[i * out + o]) as number;
  const fields: Record<string, NirArray> = { weight: f32([out, inF], weight) };
  const extra: Record<string, unknown> = a.transB ? {} : { transB: false };
  if (bName !== '') {
    const b = floatConst(n, bName, ctx, 'bias');
    if (b.data.length !== out) throw refuse(n, `bias has ${b.data.length} values for ${out} outputs`, 'NIR Affine bias is (out,)');
    fields['bias'] = f32([out], Float32Array.from(b.data as Float32Array));
    extra['biasShape'] = b.shape;
  }
  return { type: bName === '' ? 'Linear' : 'Affine', fields, dataInputs: [x], extra };
}

/** Symmetric explicit pads, or a refusal naming the node. */
function symmetricPads(n: Node, inSpatial: readonly number[], w: AttrsOf<'Conv'> | AttrsOf<'AveragePool'>, ceilMode: boolean): number[] {
  const r = resolveWindow(inSpatial, w, false, n.name);
  if (ceilMode && resolveWindow(inSpatial, w, true, n.name).outSpatial.some((d, i) => d !== r.outSpatial[i])) {
    throw refuse(n, 'ceil_mode changes the output size, NIR pooling rounds down', 'pad the input or use ceil_mode = 0');
  }
  if (r.padsBegin.some((p, i) => p !== r.padsEnd[i])) {
    throw refuse(n, `asymmetric padding [${[...r.padsBegin, ...r.padsEnd].join(', ')}] has no NIR form`, 'NIR (like PyTorch) pads both sides equally');
  }
  return [...r.padsBegin];
}

function exportConv(n: Extract<Node, { op: 'Conv' }>, ctx: ExportCtx): ExportedNode {
  const [x = '', wName = '', bName = ''] = n.inputs;
  const inShape = ctx.shapeOf(x, n.name);
  const spatial = inShape.slice(1);
  if (spatial.length !== 1 && spatial.length !== 2) throw refuse(n, `${spatial.length}-D convolution has no NIR node`, 'NIR has Conv1d and Conv2d');
  const w = floatConst(n, wName, ctx, 'weight');
  const cout = w.shape[0] ?? 0;
  const pads = symmetricPads(n, spatial, n.attrs, false);
  const bias = new Float32Array(cout);
  if (bName !== '') bias.set(floatConst(n, bName, ctx, 'bias').data as Float32Array);
  const one = spatial.length === 1;
  const geo = (v: readonly number[]): NirArray => (one ? int([v[0] ?? 0], true) : int(v));
  return {
    type: one ? 'Conv1d' : 'Conv2d',
    fields: {
      weight: f32(w.shape, Float32Array.from(w.data as Float32Array)),
      stride: geo(n.attrs.strides),
      padding: geo(pads),
      dilation: geo(n.attrs.dilations),
      groups: int([n.attrs.group], true),
      bias: f32([cout], bias),
      input_shape: geo(spatial),
    },
    dataInputs: [x],
    extra: {},
  };
}

function exportPool(n: Extract<Node, { op: 'AveragePool' | 'GlobalAveragePool' }>, ctx: ExportCtx): ExportedNode {
  const x = n.inputs[0] ?? '';
  const spatial = ctx.shapeOf(x, n.name).slice(1);
  if (spatial.length !== 2) throw refuse(n, `${spatial.length}-D pooling has no NIR node`, 'NIR has AvgPool2d and SumPool2d');
  if (n.op === 'GlobalAveragePool') {
    return {
      type: 'AvgPool2d',
      fields: { kernel_size: int(spatial), stride: int(spatial), padding: int([0, 0]) },
      dataInputs: [x],
      extra: { op: 'GlobalAveragePool' },
    };
  }
  if (n.attrs.dilations.some((d) => d !== 1)) throw refuse(n, 'dilated pooling has no NIR form', 'use dilation 1');
  const pads = symmetricPads(n, spatial, n.attrs, n.attrs.ceilMode);
  if (pads.some((p) => p > 0) && !n.attrs.countIncludePad) {
    throw refuse(n, 'padded average pooling that excludes the padding from the count has no NIR form', 'NIR AvgPool2d divides by the full window');
  }
  return {
    type: 'AvgPool2d',
    fields: { kernel_size: int(n.attrs.kernelShape), stride: int(n.attrs.strides), padding: int(pads) },
    dataInputs: [x],
    extra: { countIncludePad: n.attrs.countIncludePad, ceilMode: n.attrs.ceilMode },
  };
}

function exportNeuron(n: Extract<Node, { op: 'IF' | 'LIF' }>, ctx: ExportCtx): ExportedNode {
  const [x = '', thName = ''] = n.inputs;
  const shape = ctx.shapeOf(x, n.name);
  const th = floatConst(n, thName, ctx, 'threshold');
  const theta = perNeuron(n, th, shape, 'threshold');
  const a = n.attrs;
  // NIR fires on v > θ. snnc's v ≥ θ is the same test against the float64 just below θ
  // (the simulator's membrane is float64), so 'ge' is exported exactly, not approximated.
  const vth = a.fire === 'ge' ? theta.map(nextDown) : theta;
  const count = theta.length;
  const extra: Record<string, unknown> = { reset: a.reset, fire: a.fire, vInit: a.vInit, refractory: a.refractory, thresholdShape: th.shape };
  if (a.reset === 'subtract') {
    ctx.warn({
      severity: 'warning',
      code: 'SNNC_W_NIR_RESET',
      node: n.name,
      message: `${n.op} '${n.name}' resets by subtraction; NIR neurons reset to v_reset (written as 0), so other NIR tools will simulate a reset to zero`,
      hint: 'snnc reads the reset back from metadata/snnc; convert with --reset zero for an exact NIR network',
    });
  }
  if (a.vInit !== 0 || a.refractory !== 0) {
    ctx.warn({
      severity: 'warning',
      code: 'SNNC_W_NIR_STATE',
      node: n.name,
      message: `${n.op} '${n.name}' has ${a.vInit !== 0 ? `an initial membrane of ${a.vInit}·θ` : ''}${a.vInit !== 0 && a.refractory !== 0 ? ' and ' : ''}${a.refractory !== 0 ? `a refractory period of ${a.refractory} steps` : ''}; NIR has no field for it (kept in metadata/snnc only)`,
    });
  }
  const fields: Record<string, NirArray> = { v_threshold: f64(shape, vth), v_reset: f64(shape, new Float64Array(count)) };
  if (n.op === 'LIF' && (n.attrs.synDecay ?? 0) > 0) return exportCubaLif(n, fields, shape, x, extra);
  if (n.op === 'IF' || n.attrs.leak === 1) {
    // A LIF that never leaks is an IF (τ = ∞ has no finite R = τ/dt).
    fields['r'] = f64(shape, new Float64Array(count).fill(1 / DT));
    return { type: 'IF', fields, dataInputs: [x], extra: n.op === 'LIF' ? { ...extra, op: 'LIF' } : extra };
  }
  const tau = tauFromLeak(n.attrs.leak, DT);
  // Below 0.5 not every leak is 1 − dt/τ for some float τ: the exact value rides along.
  extra['leak'] = n.attrs.leak;
  fields['tau'] = f64(shape, new Float64Array(count).fill(tau));
  fields['r'] = f64(shape, new Float64Array(count).fill(tau / DT));
  fields['v_leak'] = f64(shape, new Float64Array(count));
  return { type: 'LIF', fields, dataInputs: [x], extra };
}

/**
 * A current-based LIF as NIR's CubaLIF (import-neurons.ts has the equations): τ_syn and τ_mem
 * from the two decays, w_in = 1 and R = τ_mem·τ_syn/dt² so the input gain is exactly 1. A
 * membrane without leak has no finite τ_mem: it gets one so long that 1 − dt/τ_mem rounds to 1,
 * and the exact decays ride along in metadata/snnc.
 */
function exportCubaLif(
  n: Extract<Node, { op: 'LIF' }>,
  fields: Record<string, NirArray>,
  shape: readonly number[],
  x: string,
  extra: Record<string, unknown>,
): ExportedNode {
  const count = shape.reduce((a, b) => a * b, 1);
  const a = n.attrs.synDecay ?? 0;
  const tauSyn = tauFromLeak(a, DT);
  const tauMem = n.attrs.leak === 1 ? DT * 1e18 : tauFromLeak(n.attrs.leak, DT);
  const fill = (v: number): NirArray => f64(shape, new Float64Array(count).fill(v));
  fields['tau_syn'] = fill(tauSyn);
  fields['tau_mem'] = fill(tauMem);
  fields['r'] = fill((tauMem * tauSyn) / (DT * DT));
  fields['v_leak'] = fill(0);
  fields['w_in'] = fill(1);
  return { type: 'CubaLIF', fields, dataInputs: [x], extra: { ...extra, leak: n.attrs.leak, synDecay: a } };
}

function exportMul(n: Extract<Node, { op: 'Mul' }>, ctx: ExportCtx): ExportedNode {
  const [a = '', b = ''] = n.inputs;
  const ca = ctx.constant(a);
  const cb = ctx.constant(b);
  if ((ca === undefined) === (cb === undefined))
    throw refuse(n, 'only a product with one constant operand maps to NIR Scale', 'NIR has no product of two signals');
  const x = ca === undefined ? a : b;
  const c = floatConst(n, ca === undefined ? b : a, ctx, 'scale');
  const shape = ctx.shapeOf(x, n.name);
  return {
    type: 'Scale',
    fields: { scale: f32(shape, Float32Array.from(perNeuron(n, c, shape, 'scale'))) },
    dataInputs: [x],
    extra: { constShape: c.shape, constFirst: ca !== undefined },
  };
}

function exportAdd(n: Extract<Node, { op: 'Add' }>, ctx: ExportCtx): ExportedNode {
  const [a = '', b = ''] = n.inputs;
  if (ctx.constant(a) !== undefined || ctx.constant(b) !== undefined) {
    throw refuse(n, 'adding a constant has no NIR node', 'fold the constant into the bias of the affine layer before it');
  }
  const sa = ctx.shapeOf(a, n.name);
  const sb = ctx.shapeOf(b, n.name);
  if (sa.join() !== sb.join()) throw refuse(n, `operands [${sa.join(', ')}] and [${sb.join(', ')}] differ in shape`, 'NIR sums edges of equal shape only');
  // NIR sums all edges into a node's input; a Scale by 1 is that sum as a node of its own.
  return { type: 'Scale', fields: { scale: f32(sa, new Float32Array(size(sa)).fill(1)) }, dataInputs: [a, b], extra: { op: 'Add' } };
}

export function exportNode(n: Node, ctx: ExportCtx): ExportedNode {
  switch (n.op) {
    case 'Gemm':
      return exportGemm(n, ctx);
    case 'Conv':
      return exportConv(n, ctx);
    case 'AveragePool':
    case 'GlobalAveragePool':
      return exportPool(n, ctx);
    case 'Flatten': {
      const x = n.inputs[0] ?? '';
      const shape = ctx.shapeOf(x, n.name);
      if (n.attrs.axis !== 1)
        throw refuse(n, `Flatten with axis ${n.attrs.axis} merges the batch dimension`, 'NIR Flatten works on batch-less shapes; use axis 1');
      return { type: 'Flatten', fields: { start_dim: int([0], true), end_dim: int([-1], true), input_type: int(shape) }, dataInputs: [x], extra: {} };
    }
    case 'Mul':
      return exportMul(n, ctx);
    case 'Add':
      return exportAdd(n, ctx);
    case 'IF':
    case 'LIF':
      return exportNeuron(n, ctx);
    case 'SpikeMaxPool':
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_OP',
        message: `SpikeMaxPool '${n.name}' has no NIR equivalent (NIR has sum and average pooling only)`,
        node: n.name,
        hint: 'convert with --maxpool avg to write this network as NIR',
      });
    default:
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_OP',
        message: `${n.op} '${n.name}' has no NIR equivalent; NIR export supports ${SUPPORTED}`,
        node: n.name,
        hint: 'convert the network first (snnc convert), which leaves only these ops',
      });
  }
}
