// convert: a ReLU ANN → an SNN of IF neurons, by threshold balancing through weight
// normalization (Diehl et al. 2015, Rueckauer et al. 2017), following
// notes/snn-design.md. Every value carries a scale (convert-scales.ts): the SNN value
// times its scale is the ANN value; a spike of a neuron layer stands for its λ.
//
// - An affine op (Conv/Gemm/MatMul, constant weights) gets W' = W·s_in[in]/s_out[out],
//   b' = b/s_out, where s_out is the scale its consumer wants: λ of the Relu it feeds
//   (directly, or through AvgPool/GAP/Identity/Dropout, or through a residual Add whose
//   output feeds a Relu), or 1 (ANN units) for the classifier, whose output is integrated
//   over time (membrane readout).
// - Relu / Clip(0, a) → IF with threshold θ = λ / s_in (= 1 when the weights were
//   normalized; other cases, e.g. a Relu after a MaxPool, need no extra node).
// - Add / Sub / Concat(axis ≠ 1) of differently scaled operands: Mul(x, s_x / s_out)
//   on the branch that differs (a branch produced by an affine op is folded instead,
//   via s_out above). Concat on channels concatenates the scales.
// - MaxPool on spikes → SpikeMaxPool ('gate') or AveragePool ('avg', with a warning);
//   MaxPool on the static analog input (direct coding) stays exact as it is.
// - A trailing Softmax/Sigmoid is dropped (monotonic: same argmax).
// Anything else with no spiking equivalent is an SNNC_E_CONVERT error naming the node.
import { fail } from '../errors.js';
import { verifyGraph } from '../ir/verify.js';
import type { Graph, NeuronAttrs, Node, Tensor } from '../ir/types.js';
import type { CalibrationStats, Granularity } from './calibrate.js';
import { clipNeuron, statsFromMeta, withoutStats } from './calibrate.js';
import type { Diagnostic, Pass } from './context.js';
import type { Scale } from './convert-scales.js';
import { channelTensor, expandScale, flattenScale, isUniform, isUnit, ratio, sAt, scaleAddend, scaleBias, scaleWeights, unitScale } from './convert-scales.js';
import { desiredScales, lambdas } from './convert-plan.js';
import { nameAllocator, rebuildGraph } from './graph-edit.js';

export interface ConvertOptions {
  readonly reset: 'subtract' | 'zero';
  readonly coding: 'direct' | 'poisson';
  readonly maxpool: 'gate' | 'avg';
  readonly granularity: Granularity;
  /**
   * Initial membrane potential as a fraction of θ. Default 0.5 with reset by subtraction:
   * it centres the rate-coding error (rate = round instead of floor of T·I/θ, Bu et al.
   * 2022 / Deng & Gu 2021); 0 with reset to zero, where the residual is lost anyway.
   */
  readonly vInit?: number;
  readonly fire?: 'ge' | 'gt';
  readonly maxElements?: number;
}

type Kind = 'static' | 'spikes' | 'dynamic';

interface State {
  readonly g: Graph;
  readonly opts: ConvertOptions;
  readonly report: (d: Diagnostic) => void;
  readonly neuron: NeuronAttrs;
  readonly scale: Map<string, Scale>;
  readonly kind: Map<string, Kind>;
  readonly lambda: Map<string, Scale>;
  readonly desired: Map<string, Scale>;
  readonly nodes: Node[];
  readonly inits: Map<string, Tensor>;
  readonly fresh: (base: string) => string;
  /** Graph outputs whose producer was dropped → the value now read out. */
  readonly dropped: Map<string, string>;
}

function convertError(node: Node, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_CONVERT', message: `${node.op} '${node.name}': ${message}`, node: node.name, hint });
}

/**
 * Every weight a spiking layer would carry must be a number: a NaN or ±∞ in a Conv, Gemm or
 * MatMul operand (or NaN in any other float constant) gives currents of NaN — silently, as a
 * plausible-looking accuracy (a LeNet with one NaN weight scored 70 %) — and the event-driven
 * scatter, which skips zero inputs, would then differ from the dense kernels (0·∞ is NaN).
 * Clip bounds may be ±∞.
 */
function checkFiniteWeights(g: Graph): void {
  for (const node of g.nodes) {
    const weights = node.op === 'Conv' || node.op === 'Gemm' || node.op === 'MatMul';
    node.inputs.forEach((name, i) => {
      const t = g.initializers.get(name);
      if (t === undefined || (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16')) return;
      const d = t.data as Float32Array | Float64Array;
      for (let k = 0; k < d.length; k++) {
        const v = d[k] as number;
        if (Number.isNaN(v) || (weights && !Number.isFinite(v))) {
          throw convertError(
            node,
            `input ${i} ('${name}') holds ${String(v)} at element ${k}`,
            'the spiking network would compute NaN currents; check the export (a diverged training run?) and give the model finite weights',
          );
        }
      }
    });
  }
}

function shapeOf(st: State, v: string): readonly (number | string)[] {
  return st.g.values.get(v)?.shape ?? [];
}

function channelsOf(st: State, node: Node, v: string): number {
  const c = shapeOf(st, v)[1];
  if (typeof c !== 'number')
    throw convertError(node, `value '${v}' has no fixed channel dimension (axis 1)`, 'give the model static shapes after the batch dim');
  return c;
}

function scaleOf(st: State, node: Node, v: string): Scale {
  const s = st.scale.get(v);
  if (s === undefined) {
    throw convertError(
      node,
      `input '${v}' is a constant or an unsupported value where a signal is expected`,
      'run canonicalize (constant folding) before convert',
    );
  }
  return s;
}

function kindOf(st: State, values: readonly string[], keepSpikes: boolean): Kind {
  const ks = values.filter((v) => v !== '' && !st.inits.has(v)).map((v) => st.kind.get(v) ?? 'dynamic');
  if (ks.every((k) => k === 'static')) return 'static';
  if (keepSpikes && ks.every((k) => k === 'spikes')) return 'spikes';
  return 'dynamic';
}

function addConst(st: State, base: string, t: Tensor): string {
  const name = st.fresh(base);
  st.inits.set(name, t);
  return name;
}

function setOut(st: State, n: Node, s: Scale, k: Kind): void {
  const out = n.outputs[0] as string;
  st.scale.set(out, s);
  st.kind.set(out, k);
}

function affine(st: State, n: Node): void {
  if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') return;
  const [x = '', wName = '', bName = ''] = n.inputs;
  const w = st.g.initializers.get(wName);
  if (w === undefined)
    throw convertError(n, `weights '${wName}' are computed at run time`, 'only layers with constant weights convert; run canonicalize first');
  if (n.op === 'Gemm' && n.attrs.transA) throw convertError(n, 'transA = 1 is not supported', 'export the layer with the input untransposed');
  const sIn = scaleOf(st, n, x);
  if (sIn.length > 1 && n.op === 'MatMul' && shapeOf(st, x).length !== 2)
    throw convertError(n, 'per-channel scales reach a batched MatMul', 'convert with --granularity layer');
  const M = n.op === 'Conv' ? (w.shape[0] as number) : n.op === 'Gemm' && n.attrs.transB ? (w.shape[0] as number) : (w.shape[1] as number);
  const out = n.outputs[0] as string;
  const sOut = st.desired.get(out) ?? unitScale();
  const inputs = [x, wName, bName];
  if (!(isUnit(sIn) && isUnit(sOut))) {
    inputs[1] = addConst(st, `${wName}/snn`, scaleWeights(n, w, sIn, sOut));
    if (bName !== '') {
      const b = st.g.initializers.get(bName);
      if (b === undefined) throw convertError(n, `bias '${bName}' is computed at run time`, 'run canonicalize first');
      inputs[2] = addConst(st, `${bName}/snn`, scaleBias(n, b, sOut, M));
    }
  }
  st.nodes.push({ ...n, inputs: n.inputs.length < 3 ? inputs.slice(0, n.inputs.length) : inputs });
  setOut(st, n, sOut, kindOf(st, [x], false));
}

function toNeuron(st: State, n: Node): void {
  const x = n.inputs[0] as string;
  const out = n.outputs[0] as string;
  const lambda = st.lambda.get(out) as Scale;
  const theta = ratio(lambda, scaleOf(st, n, x));
  const rank = shapeOf(st, out).length;
  const perChannel = st.opts.granularity === 'channel' || !isUniform(theta);
  const th = perChannel ? expandScale(theta, channelsOf(st, n, out)) : theta;
  const thName = addConst(st, `${n.name}/threshold`, channelTensor(th, rank, perChannel));
  st.nodes.push({ op: 'IF', name: n.name, inputs: [x, thName], outputs: [out], attrs: st.neuron });
  setOut(st, n, lambda, 'spikes');
}

function passThrough(st: State, n: Node, keepSpikes: boolean, s?: Scale): void {
  const x = n.inputs[0] as string;
  st.nodes.push(n);
  setOut(st, n, s ?? scaleOf(st, n, x), kindOf(st, [x], keepSpikes));
}

/** Flatten/Reshape to [N, C·inner] expand per-channel scales; other reshapes need one scale. */
function reshape(st: State, n: Node): void {
  const x = n.inputs[0] as string;
  const s = scaleOf(st, n, x);
  if (isUniform(s)) return passThrough(st, n, true, Float64Array.of(s[0] as number));
  const inShape = shapeOf(st, x);
  const outShape = shapeOf(st, n.outputs[0] as string);
  const per = inShape.slice(2);
  const flatLike =
    outShape.length === 2 && per.every((d) => typeof d === 'number') && outShape[1] === (inShape[1] as number) * (per as number[]).reduce((a, b) => a * b, 1);
  if (flatLike)
    return passThrough(
      st,
      n,
      true,
      flattenScale(
        s,
        channelsOf(st, n, x),
        (per as number[]).reduce((a, b) => a * b, 1),
      ),
    );
  const same = outShape.length === inShape.length && outShape.every((d, i) => i === 0 || d === inShape[i]);
  if (same) return passThrough(st, n, true, s);
  throw convertError(n, 'per-channel scales cannot follow this reshape', 'convert with --granularity layer');
}

function uniformOnly(st: State, n: Node): void {
  const s = scaleOf(st, n, n.inputs[0] as string);
  if (!isUniform(s)) throw convertError(n, 'per-channel scales cannot follow this layout change', 'convert with --granularity layer');
  passThrough(st, n, true, Float64Array.of(s[0] as number));
}

function maxPool(st: State, n: Node): void {
  if (n.op !== 'MaxPool' && n.op !== 'GlobalMaxPool') return;
  const x = n.inputs[0] as string;
  const s = scaleOf(st, n, x);
  const k = st.kind.get(x);
  if (k === 'static') return passThrough(st, n, false, s); // analog input, same every step: exact
  if (n.outputs.length > 1 && n.outputs[1] !== '') throw convertError(n, 'the Indices output has no spiking equivalent', 'drop the Indices output');
  const spatial = shapeOf(st, x).slice(2);
  if (st.opts.maxpool === 'avg') {
    st.report({
      severity: 'warning',
      code: 'SNNC_W_MAXPOOL_AVG',
      pass: 'convert',
      node: n.name,
      message: `${n.op} '${n.name}' replaced by average pooling of the same window; accuracy drops unless the ANN is retrained with average pooling`,
      hint: 'retrain with AvgPool, or convert with --maxpool gate (SpikeMaxPool; not on Loihi)',
    });
    const node: Node =
      n.op === 'MaxPool'
        ? {
            op: 'AveragePool',
            name: n.name,
            inputs: [x],
            outputs: [n.outputs[0] as string],
            attrs: {
              kernelShape: n.attrs.kernelShape,
              strides: n.attrs.strides,
              pads: n.attrs.pads,
              dilations: n.attrs.dilations,
              autoPad: n.attrs.autoPad,
              ceilMode: n.attrs.ceilMode,
              countIncludePad: false,
            },
          }
        : { op: 'GlobalAveragePool', name: n.name, inputs: [x], outputs: [n.outputs[0] as string], attrs: {} };
    st.nodes.push(node);
    setOut(st, n, s, 'dynamic');
    return;
  }
  if (k !== 'spikes')
    throw convertError(
      n,
      'max-pooling gated by spike counts needs spikes as input, but this input is an analog, time-varying value',
      'put the ReLU before the max-pool (they commute), or convert with --maxpool avg',
    );
  let attrs;
  if (n.op === 'MaxPool') {
    attrs = {
      kernelShape: n.attrs.kernelShape,
      strides: n.attrs.strides,
      pads: n.attrs.pads,
      dilations: n.attrs.dilations,
      autoPad: n.attrs.autoPad,
      ceilMode: n.attrs.ceilMode,
    };
  } else {
    if (!spatial.every((d) => typeof d === 'number'))
      throw convertError(n, 'global max-pool over a symbolic spatial size', 'give the model static spatial shapes');
    const r = spatial.length;
    attrs = {
      kernelShape: spatial as number[],
      strides: new Array<number>(r).fill(1),
      pads: new Array<number>(2 * r).fill(0),
      dilations: new Array<number>(r).fill(1),
      autoPad: 'NOTSET' as const,
      ceilMode: false,
    };
  }
  st.nodes.push({ op: 'SpikeMaxPool', name: n.name, inputs: [x], outputs: [n.outputs[0] as string], attrs });
  setOut(st, n, s, 'spikes');
}

/** `value` brought from scale `from` to scale `to` (a Mul node when they differ). */
function rescaled(st: State, n: Node, value: string, from: Scale, to: Scale): string {
  const r = ratio(from, to);
  if (isUnit(r)) return value;
  const uni = isUniform(r);
  const c = channelTensor(uni ? Float64Array.of(r[0] as number) : expandScale(r, channelsOf(st, n, value)), shapeOf(st, value).length, !uni);
  const k = addConst(st, `${n.name}/rescale`, c);
  const out = st.fresh(`${value}/rescaled`);
  st.nodes.push({ op: 'Mul', name: st.fresh(`${n.name}/rescale_${value}`), inputs: [value, k], outputs: [out], attrs: {} });
  return out;
}

/** Add/Sub: with a constant operand (a bias) or between signals in one unit. */
function addLike(st: State, n: Node): void {
  if (n.op !== 'Add' && n.op !== 'Sub') return;
  const out = n.outputs[0] as string;
  const consts = n.inputs.map((v) => st.inits.has(v));
  if (consts[0] === true && consts[1] === true) throw convertError(n, 'both operands are constants', 'run canonicalize (constant folding) first');
  if (consts[0] === true || consts[1] === true) {
    if (n.op === 'Sub' && consts[0] === true) throw convertError(n, 'constant minus signal negates the signal', 'rewrite the model without the negation');
    const ci = consts[0] === true ? 0 : 1;
    const x = n.inputs[1 - ci] as string;
    const s = scaleOf(st, n, x);
    const c = st.inits.get(n.inputs[ci] as string) as Tensor;
    const inputs = [...n.inputs];
    inputs[ci] = addConst(st, `${n.inputs[ci] as string}/snn`, scaleAddend(n, c, s, shapeOf(st, out).length));
    st.nodes.push({ ...n, inputs });
    setOut(st, n, s, kindOf(st, [x], false));
    return;
  }
  const [a = '', b = ''] = n.inputs;
  const sOut = st.desired.get(out) ?? scaleOf(st, n, a);
  const inputs = [rescaled(st, n, a, scaleOf(st, n, a), sOut), rescaled(st, n, b, scaleOf(st, n, b), sOut)];
  st.nodes.push({ ...n, inputs });
  setOut(st, n, sOut, kindOf(st, [a, b], false));
}

function mulLike(st: State, n: Node): void {
  const ci = n.inputs.findIndex((v) => st.inits.has(v));
  if (ci < 0 || (n.op === 'Div' && ci !== 1)) {
    throw convertError(
      n,
      'the product or quotient of two signals is not linear and has no spiking equivalent',
      'only multiplication/division by constants converts',
    );
  }
  const x = n.inputs[1 - ci] as string;
  passThrough(st, { ...n, inputs: n.inputs } as Node, false, scaleOf(st, n, x));
  st.kind.set(n.outputs[0] as string, kindOf(st, [x], false));
}

function concat(st: State, n: Node): void {
  if (n.op !== 'Concat') return;
  const out = n.outputs[0] as string;
  const rank = shapeOf(st, out).length;
  const axis = n.attrs.axis < 0 ? n.attrs.axis + rank : n.attrs.axis;
  const scales = n.inputs.map((v) => scaleOf(st, n, v));
  const first = scales[0] as Scale;
  const allSame = scales.every((s) => isUniform(s) && Math.abs(sAt(s, 0) - sAt(first, 0)) <= 1e-9 * sAt(first, 0));
  if (axis === 1 && !allSame) {
    const parts = n.inputs.map((v, i) => expandScale(scales[i] as Scale, channelsOf(st, n, v)));
    const s = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      s.set(p, off);
      off += p.length;
    }
    st.nodes.push(n);
    setOut(st, n, s, kindOf(st, n.inputs, true));
    return;
  }
  const inputs = n.inputs.map((v, i) => rescaled(st, n, v, scales[i] as Scale, first));
  st.nodes.push({ ...n, inputs });
  setOut(
    st,
    n,
    first,
    kindOf(
      st,
      n.inputs,
      inputs.every((v, i) => v === n.inputs[i]),
    ),
  );
}

const NOT_CONVERTIBLE: Readonly<Record<string, string>> = {
  BatchNormalization: 'run fold-batchnorm first (a BatchNorm that cannot fold into a Conv/Gemm has no spiking equivalent)',
  Sigmoid: 'replace the hidden Sigmoid by ReLU (or Clip(0, a)) and retrain; only a final Sigmoid is dropped',
  Tanh: 'replace the hidden Tanh by ReLU (or Clip(0, a)) and retrain',
  LeakyRelu: 'replace LeakyReLU by ReLU and retrain (IF neurons cannot emit negative rates)',
  Softmax: 'only a final Softmax (feeding a graph output) is dropped; a hidden one has no spiking equivalent',
  Clip: 'only Clip(x, 0, a) with constant bounds converts (to an IF neuron)',
};

function step(st: State, n: Node): void {
  switch (n.op) {
    case 'Conv':
    case 'Gemm':
    case 'MatMul':
      return affine(st, n);
    case 'Relu':
      return toNeuron(st, n);
    case 'Clip':
      if (clipNeuron(st.g, n) !== undefined) return toNeuron(st, n);
      break;
    case 'AveragePool':
    case 'GlobalAveragePool':
      return passThrough(st, n, false);
    case 'Identity':
    case 'Dropout':
      return passThrough(st, n, true);
    case 'Flatten':
    case 'Reshape':
      return reshape(st, n);
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Transpose':
      return uniformOnly(st, n);
    case 'Pad': {
      const cv = n.inputs[2];
      const v = cv !== undefined && cv !== '' ? st.inits.get(cv) : undefined;
      if (n.attrs.mode === 'constant' && (v === undefined || Number(v.data[0]) === 0)) return passThrough(st, n, true);
      throw convertError(n, 'only zero padding converts', 'pad with zeros');
    }
    case 'MaxPool':
    case 'GlobalMaxPool':
      return maxPool(st, n);
    case 'Add':
    case 'Sub':
      return addLike(st, n);
    case 'Mul':
    case 'Div':
      return mulLike(st, n);
    case 'Concat':
      return concat(st, n);
    case 'Softmax':
    case 'Sigmoid': {
      const out = n.outputs[0] as string;
      if (st.g.outputs.includes(out)) {
        st.dropped.set(out, n.inputs[0] as string);
        st.report({
          severity: 'info',
          code: 'SNNC_I_OUTPUT_DROPPED',
          pass: 'convert',
          node: n.name,
          message: `final ${n.op} '${n.name}' dropped: the membrane readout keeps its input (same argmax)`,
        });
        return;
      }
      break;
    }
    case 'IF':
    case 'LIF':
    case 'SpikeMaxPool':
      throw convertError(n, 'the graph is already spiking', 'convert an ANN, not a converted model');
    default:
      break;
  }
  throw convertError(
    n,
    'this operator has no spiking equivalent in this position',
    NOT_CONVERTIBLE[n.op] ??
      'supported: Conv, Gemm, MatMul, Relu, Clip(0,a), AveragePool, GlobalAveragePool, MaxPool, Flatten, Reshape, Add, Concat, Mul/Div by constants, Dropout, Identity, Pad; run canonicalize first',
  );
}

function neuronAttrs(o: ConvertOptions): NeuronAttrs {
  const vInit = o.vInit ?? (o.reset === 'subtract' ? 0.5 : 0);
  if (!Number.isFinite(vInit) || vInit < 0 || vInit >= 1) {
    throw fail({
      code: 'SNNC_E_USAGE',
      message: `vInit ${vInit} is not a fraction of the threshold in [0, 1)`,
      hint: 'use 0.5 (default with reset by subtraction) or 0',
    });
  }
  return { reset: o.reset, vInit, fire: o.fire ?? 'ge', refractory: 0 };
}

export function convert(g: Graph, stats: CalibrationStats, opts: ConvertOptions, report: (d: Diagnostic) => void = () => undefined): Graph {
  if (g.meta['snnc.kind'] === 'snn')
    throw fail({ code: 'SNNC_E_CONVERT', message: `graph '${g.name}' is already a converted SNN`, hint: 'convert the ANN it came from' });
  checkFiniteWeights(g);
  const lambda = lambdas(g, stats, opts.granularity, report);
  const st: State = {
    g,
    opts,
    report,
    lambda,
    neuron: neuronAttrs(opts),
    scale: new Map(g.inputs.map((v) => [v, unitScale()])),
    kind: new Map(g.inputs.map((v) => [v, opts.coding === 'direct' ? 'static' : 'spikes'])),
    desired: desiredScales(g, lambda),
    nodes: [],
    inits: new Map(g.initializers),
    fresh: nameAllocator(g),
    dropped: new Map(),
  };
  if (opts.coding === 'poisson' && (stats.input.min < 0 || stats.input.max > 1)) {
    report({
      severity: 'warning',
      code: 'SNNC_W_POISSON_RANGE',
      pass: 'convert',
      message: `Poisson coding fires with probability = input, but the calibration inputs span [${stats.input.min}, ${stats.input.max}]`,
      hint: 'scale the inputs to [0, 1] or use --coding direct',
    });
  }
  for (const n of g.nodes) step(st, n);
  const outputs = g.outputs.map((o) => st.dropped.get(o) ?? o);
  let nodes = st.nodes;
  // Graph outputs are read out in ANN units: a value in other units gets a final Mul.
  for (const o of outputs) {
    const s = st.scale.get(o);
    if (s === undefined || isUnit(s) || g.inputs.includes(o)) continue;
    const inner = st.fresh(`${o}/snn`);
    const r = (v: string): string => (v === o ? inner : v);
    nodes = nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
    const uni = isUniform(s);
    const k = addConst(st, `${o}/readout_scale`, channelTensor(uni ? s : expandScale(s, shapeOf(st, o)[1] as number), shapeOf(st, o).length, !uni));
    nodes.push({ op: 'Mul', name: st.fresh(`${o}/readout`), inputs: [inner, k], outputs: [o], attrs: {} });
  }
  const meta = {
    ...withoutStats(g.meta),
    'snnc.kind': 'snn',
    'snnc.coding': opts.coding,
    'snnc.readout': 'membrane',
    'snnc.calibration': stats.method,
    'snnc.granularity': opts.granularity,
    'snnc.maxpool': opts.maxpool,
    'snnc.reset': opts.reset,
  };
  const out = rebuildGraph({ ...g, meta }, { nodes, initializers: st.inits, outputs }, opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {});
  verifyGraph(out);
  return out;
}

/** The pass: reads the statistics the calibrate pass left in the graph meta. */
export function convertPass(opts: ConvertOptions): Pass {
  return {
    name: 'convert',
    run: (g, ctx) => {
      const stats = statsFromMeta(g);
      if (stats === undefined) {
        throw fail({
          code: 'SNNC_E_CALIBRATION',
          message: 'convert found no calibration statistics in the graph',
          hint: 'run the calibrate pass before convert (snnPasses does)',
        });
      }
      const o = ctx.maxElements !== undefined && opts.maxElements === undefined ? { ...opts, maxElements: ctx.maxElements } : opts;
      return convert(g, stats, o, ctx.report);
    },
  };
}
