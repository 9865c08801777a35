// Synaptic layers of a converted graph, as crossbar matrices: every Conv (unrolled
// im2col-style, one matrix per group: rows = Cin/group·kH·kW, columns = Cout/group),
// Gemm and MatMul with constant weights (rows = in_features, columns = out_features).
// Also classifies what drives each layer's word lines:
//   'spike'  binary spikes (1-bit pulses, no DAC)
//   'count'  an AveragePool of spikes without padding: value = n / k, n ∈ 0..k integer,
//            applied bit-serially as the integer n (k folded into the output scale)
//   'analog' anything else (the graph input): quantized to inputBits over [0, inputMax]
import { SHAPE_ONLY_OPS } from '../../ir/types.js';
import { fail } from '../../errors.js';
import type { Graph, Node, Tensor } from '../../ir/types.js';
import { resolveWindow } from '../../ir/window.js';
import { planGraph } from '../../sim/snn/plan.js';
import type { SimPlan } from '../../sim/snn/plan.js';

export type InputKind = { readonly kind: 'spike' } | { readonly kind: 'count'; readonly k: number } | { readonly kind: 'analog' };

export interface ConvGeom {
  readonly cin: number;
  readonly inH: number;
  readonly inW: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padT: number;
  readonly padL: number;
  readonly outH: number;
  readonly outW: number;
}

export interface SynapticLayer {
  readonly name: string;
  readonly op: 'Conv' | 'Gemm' | 'MatMul';
  readonly groups: number;
  /** Rows per group (fan-in of one output). */
  readonly rows: number;
  /** Outputs (all groups). */
  readonly outFeatures: number;
  /** Crossbar reads per step: 1 for dense, H_out·W_out for conv. */
  readonly positions: number;
  /** Weights per group, row-major [rows][outFeatures / groups], float64. */
  readonly weights: readonly Float64Array[];
  /** Bias per output, already multiplied by Gemm beta (zeros when absent). */
  readonly bias: Float64Array;
  /** Gemm alpha (1 otherwise); multiplies the product. */
  readonly alpha: number;
  readonly input: InputKind;
  readonly conv?: ConvGeom;
}

function backendError(node: Node, message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_BACKEND', message: `imc: ${node.op} '${node.name}': ${message}`, node: node.name, hint });
}

function staticDims(g: Graph, value: string, node: Node): number[] {
  const info = g.values.get(value);
  const dims = info?.shape.slice(1) ?? [];
  if (info === undefined || dims.some((d) => typeof d !== 'number')) {
    throw backendError(node, `input '${value}' has no static per-sample shape`, 'run shape inference with a static input shape');
  }
  return dims as number[];
}

function floats(t: Tensor): Float64Array {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return new Float64Array(0);
  return Float64Array.from(t.data as Float32Array | Float64Array);
}

/**
 * What drives the rows of a layer that reads value x, given which values carry spikes
 * (`binary`) and who produces each value: spikes (through order-keeping ops), an average pool of
 * spikes without excluded padding (a count of k), or anything else. `source`: the spike value
 * itself, or the one the pool averages. Shared with the retraining forward (src/retrain), which
 * asks it on the ANN so its crossbars read what these do.
 */
export function rowInput(
  g: Graph,
  producer: (v: string) => Node | undefined,
  binary: (v: string) => boolean,
  x: string,
): { readonly kind: InputKind; readonly source?: string } {
  let v = x;
  for (let p = producer(v); p !== undefined && SHAPE_ONLY_OPS.has(p.op); p = producer(v)) v = p.inputs[0] ?? '';
  if (binary(v)) return { kind: { kind: 'spike' }, source: v };
  const analog = { kind: { kind: 'analog' } } as const;
  const p = producer(v);
  const src = p?.inputs[0] ?? '';
  if (p === undefined || !binary(src)) return analog;
  if (p.op === 'GlobalAveragePool') {
    const d = g.values.get(src)?.shape.slice(2) ?? [];
    const k = d.reduce<number>((a, b) => a * (typeof b === 'number' ? b : NaN), 1);
    return Number.isInteger(k) && k > 0 ? { kind: { kind: 'count', k }, source: src } : analog;
  }
  if (p.op === 'AveragePool') {
    const a = p.attrs;
    const padded = a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER' || a.pads.some((q) => q !== 0) || a.ceilMode;
    if (padded && !a.countIncludePad) return analog;
    return { kind: { kind: 'count', k: a.kernelShape.reduce((m, q) => m * q, 1) }, source: src };
  }
  return analog;
}

function inputKind(plan: SimPlan, g: Graph, x: string): InputKind {
  return rowInput(
    g,
    (v) => plan.producer.get(v),
    (v) => plan.binary.has(v),
    x,
  ).kind;
}

/** Whether a node is a synaptic layer the mapping puts on crossbars: every Conv, and Gemm/MatMul with constant weights. */
export function isSynaptic(g: Graph, n: Node): boolean {
  return n.op === 'Conv' || ((n.op === 'Gemm' || n.op === 'MatMul') && g.initializers.has(n.inputs[1] ?? ''));
}

function constWeight(g: Graph, node: Node, name: string, what: string): Tensor {
  const t = g.initializers.get(name);
  if (t === undefined || (t.dtype !== 'float32' && t.dtype !== 'float64')) {
    throw backendError(node, `the ${what} '${name}' is not a constant float tensor`, 'crossbars store constant weights; fold or convert the model first');
  }
  return t;
}

function biasOf(g: Graph, node: Node, name: string | undefined, O: number, scale: number): Float64Array {
  const out = new Float64Array(O);
  if (name === undefined || name === '') return out;
  const b = floats(constWeight(g, node, name, 'bias'));
  if (b.length !== O && b.length !== 1) throw backendError(node, `bias has ${b.length} elements for ${O} outputs`, 'use a per-output or scalar bias');
  for (let o = 0; o < O; o++) out[o] = scale * (b[b.length === 1 ? 0 : o] as number);
  return out;
}

function convLayer(g: Graph, plan: SimPlan, node: Extract<Node, { op: 'Conv' }>): SynapticLayer {
  const w = constWeight(g, node, node.inputs[1] ?? '', 'kernel');
  if (w.shape.length !== 4) throw backendError(node, `kernel of rank ${w.shape.length}; only 2-D convolutions map onto crossbars here`, 'use Conv2d layers');
  const [O, cg, kh, kw] = w.shape as [number, number, number, number];
  const G = node.attrs.group;
  const inDims = staticDims(g, node.inputs[0] ?? '', node);
  const [cin, inH, inW] = inDims as [number, number, number];
  const win = resolveWindow([inH, inW], node.attrs, false, node.name);
  const geom: ConvGeom = {
    cin,
    inH,
    inW,
    kh,
    kw,
    sh: node.attrs.strides[0] ?? 1,
    sw: node.attrs.strides[1] ?? 1,
    dh: node.attrs.dilations[0] ?? 1,
    dw: node.attrs.dilations[1] ?? 1,
    padT: win.padsBegin[0] ?? 0,
    padL: win.padsBegin[1] ?? 0,
    outH: win.outSpatial[0] ?? 1,
    outW: win.outSpatial[1] ?? 1,
  };
  const rows = cg * kh * kw;
  const og = O / G;
  const data = floats(w);
  const weights: Float64Array[] = [];
  for (let grp = 0; grp < G; grp++) {
    const m = new Float64Array(rows * og);
    for (let oo = 0; oo < og; oo++) {
      const src = (grp * og + oo) * rows;
      for (let r = 0; r < rows; r++) m[r * og + oo] = data[src + r] as number;
    }
    weights.push(m);
  }
  return {
    name: node.name,
    op: 'Conv',
    groups: G,
    rows,
    outFeatures: O,
    positions: geom.outH * geom.outW,
    weights,
    bias: biasOf(g, node, node.inputs[2], O, 1),
    alpha: 1,
    input: inputKind(plan, g, node.inputs[0] ?? ''),
    conv: geom,
  };
}

function denseLayer(g: Graph, plan: SimPlan, node: Extract<Node, { op: 'Gemm' | 'MatMul' }>): SynapticLayer {
  const w = constWeight(g, node, node.inputs[1] ?? '', 'weight');
  if (w.shape.length !== 2) throw backendError(node, `weight of rank ${w.shape.length}`, 'only 2-D weight matrices map onto crossbars');
  let alpha = 1;
  let beta = 1;
  let transB = false;
  if (node.op === 'Gemm') {
    if (node.attrs.transA) throw backendError(node, 'transA = 1 is not supported', 'export the model with the activations as the first, untransposed operand');
    alpha = node.attrs.alpha;
    beta = node.attrs.beta;
    transB = node.attrs.transB;
  }
  const K = (transB ? w.shape[1] : w.shape[0]) as number;
  const O = (transB ? w.shape[0] : w.shape[1]) as number;
  const inDims = staticDims(g, node.inputs[0] ?? '', node);
  if (inDims.length !== 1 || inDims[0] !== K)
    throw backendError(node, `input per-sample shape [${inDims.join(', ')}] is not [${K}]`, 'flatten the input before the dense layer');
  const data = floats(w);
  const m = new Float64Array(K * O);
  for (let k = 0; k < K; k++) for (let o = 0; o < O; o++) m[k * O + o] = data[transB ? o * K + k : k * O + o] as number;
  return {
    name: node.name,
    op: node.op,
    groups: 1,
    rows: K,
    outFeatures: O,
    positions: 1,
    weights: [m],
    bias: biasOf(g, node, node.op === 'Gemm' ? node.inputs[2] : undefined, O, beta),
    alpha,
    input: inputKind(plan, g, node.inputs[0] ?? ''),
  };
}

/** The synaptic layers of a converted graph, in node order. */
export function synapticLayers(g: Graph): SynapticLayer[] {
  const plan = planGraph(g);
  const out: SynapticLayer[] = [];
  for (const node of g.nodes) {
    if (!isSynaptic(g, node)) continue;
    out.push(node.op === 'Conv' ? convLayer(g, plan, node) : denseLayer(g, plan, node as Extract<Node, { op: 'Gemm' | 'MatMul' }>));
  }
  if (out.length === 0) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `imc: graph '${g.name}' has no Conv, Gemm or MatMul layer with constant weights to map`,
      hint: 'convert an ANN with dense or convolution layers',
    });
  }
  return out;
}
