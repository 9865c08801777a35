// quantize: converted (spiking) float graph → IntProgram (src/sim/int/program.ts), plus the
// float graph rewritten to the values the integers stand for (fake-quantized weights,
// thresholds and biases), so float tools see the quantized network.
//
// Every signal carries a unit per channel: the float value one integer step means.
//   graph input  x_q = round(x / s_in), s_in = inputMax / (2^in − 1)
//   spikes       unit 1 (binary)
//   AveragePool  → integer sum-pool; unit u/k² — the 1/k² is folded into the next layer's
//                  weights when it is quantized (W_eff = W·u_in), never divided at run time
//   Flatten/Reshape/Identity/Dropout: the same integers (per-channel units expand per feature)
//   Mul by a positive constant: only the unit changes
//   Conv/Gemm/MatMul → dense/conv layer whose current unit comes from its weight scale
//                  (quantize-layer.ts), with the IF/LIF that follows it as its neuron
//   residual Add of currents: the branches' affine layers are quantized to one common unit
//                  u_A = the coarsest weight scale among them, so their
//                  integer currents add with gain 1; a spike operand of unit u_k enters with
//                  gain round(u_k / u_A)
// Layers without a neuron (the readout) use one scale for all channels: per-channel units
// would make the argmax of integer sums differ from the argmax of the real values.
import { isNeuron } from '../ir/types.js';
import type { Graph, Node } from '../ir/types.js';
import type { Diagnostic } from './context.js';
import { consumersOf } from './graph-edit.js';
import type { IntLayer, IntNeuron, IntProgram } from '../sim/int/program.js';
import { programVersion, qMax, signedBitsFor } from '../sim/int/program.js';
import { programFromGraph } from '../sim/int/serialize.js';
import type { BitWidths, QuantizeSettings } from './quantize-config.js';
import { bitsFor, checkSettings, pow2Up, rounder } from './quantize-config.js';
import type { FloatAffine, NeuronInts } from './quantize-layer.js';
import { affineOf, effectiveWeights, neuronInts, qerr, quantizeAffine, shiftFor } from './quantize-layer.js';
import { fakeQuantGraph } from './quantize-graph.js';
import type { Dequant } from './quantize-graph.js';
import { fail } from '../errors.js';

interface Sig {
  readonly layer: string;
  readonly unit: readonly number[];
  readonly maxAbs: number;
}

export interface QuantizeResult {
  readonly program: IntProgram;
  /** The float graph with dequantized parameters and the program embedded (quantize-graph.ts). */
  readonly graph: Graph;
  readonly diagnostics: Diagnostic[];
}

type NeuronNode = Extract<Node, { op: 'IF' | 'LIF' }>;

function thetaOf(g: Graph, n: NeuronNode, O: number): Float64Array {
  const t = g.initializers.get(n.inputs[1] as string);
  if (t === undefined || (t.dtype !== 'float32' && t.dtype !== 'float64'))
    throw qerr(n.name, 'the threshold must be a constant float tensor', 'quantize a graph produced by snnc convert');
  const d = Float64Array.from(t.data as Float32Array);
  if (d.length !== 1 && d.length !== O)
    throw qerr(n.name, `threshold has ${d.length} values for ${O} channels`, 'use one threshold per layer or per output channel');
  if (d.some((x) => !(x > 0))) throw qerr(n.name, 'thresholds must be positive', 'reconvert the model');
  return d;
}

/** Loihi's 12-bit current decay for a current-based LIF (absent for IF and plain LIF). */
function currentDecayOf(n: NeuronNode): number | undefined {
  const a = n.op === 'LIF' ? (n.attrs.synDecay ?? 0) : 0;
  if (!(a > 0)) return undefined;
  return Math.min(4096, Math.max(1, Math.round(4096 * (1 - a))));
}

function leakShift(n: NeuronNode): number | null {
  if (n.op === 'IF' || n.attrs.leak >= 1) return null;
  return Math.min(31, Math.max(1, Math.round(-Math.log2(1 - n.attrs.leak))));
}

function expandUnit(u: readonly number[], from: readonly number[], to: readonly number[]): readonly number[] {
  if (u.length === 1) return u;
  const fe = from.reduce((a, b) => a * b, 1);
  if (to.length === 1 && to[0] === fe) {
    const per = fe / u.length;
    return Array.from({ length: fe }, (_, i) => u[Math.floor(i / per)] as number);
  }
  if (to[0] === from[0]) return u;
  throw fail({
    code: 'SNNC_E_QUANTIZE',
    message: `a reshape from [${from.join(', ')}] to [${to.join(', ')}] mixes channels with different scales`,
    hint: 'convert with --granularity layer',
  });
}

export function quantizeGraph(g: Graph, s: QuantizeSettings = {}): QuantizeResult {
  checkSettings(s);
  if (g.meta['snnc.kind'] !== 'snn')
    throw fail({
      code: 'SNNC_E_USAGE',
      message: 'quantize needs a converted spiking network',
      hint: 'convert the ANN first (snnc quantize converts it for you)',
    });
  const known = new Set(g.nodes.map((n) => n.name));
  for (const name of Object.keys(s.layers ?? {})) {
    if (!known.has(name)) {
      const layers = g.nodes.filter((n) => isNeuron(n) || n.op === 'Conv' || n.op === 'Gemm' || n.op === 'MatMul').map((n) => n.name);
      throw fail({ code: 'SNNC_E_USAGE', message: `--layer names '${name}', which is not a layer of the model`, hint: `layers: ${layers.join(', ')}` });
    }
  }
  const diagnostics: Diagnostic[] = [];
  const seed = s.seed ?? 0;
  const mode = s.rounding ?? 'nearest';
  const pow2 = s.pow2 === true;
  const cons = consumersOf(g);
  const shapeOf = (v: string): number[] => (g.values.get(v)?.shape.slice(1) ?? []) as number[];
  const input = g.inputs[0] as string;
  const inBits = bitsFor(s, []).in;
  let inScale = (s.inputMax ?? 1) / (2 ** inBits - 1);
  if (pow2) inScale = pow2Up(inScale);
  const coding = g.meta['snnc.coding'] === 'poisson' ? 'poisson' : 'direct';
  const sigs = new Map<string, Sig>([
    [input, { layer: input, unit: [coding === 'poisson' ? 1 : inScale], maxAbs: coding === 'poisson' ? 1 : 2 ** inBits - 1 }],
  ]);
  const layers: IntLayer[] = [];
  const deq: Dequant[] = [];
  const pending = new Map<string, { a: FloatAffine; wEff: Float64Array; src: Sig }>();
  const sig = (v: string, n: Node): Sig => {
    const x = sigs.get(v);
    if (x === undefined)
      throw qerr(n.name, `input '${v}' is not a signal the integer program computes (a constant?)`, 'quantize graphs produced by snnc convert');
    return x;
  };
  const soleConsumer = (v: string): Node | undefined => {
    const c = cons.get(v) ?? [];
    return c.length === 1 && !g.outputs.includes(v) ? c[0] : undefined;
  };

  const makeNeuron = (name: string, nn: NeuronNode, ni: NeuronInts, bits: BitWidths, currentBound: number): IntNeuron => {
    const thMax = ni.theta.reduce((m, x) => Math.max(m, x), 0);
    const currentDecay = currentDecayOf(nn);
    // A current-based neuron integrates its synaptic current, which sums a geometric series of
    // inputs: |i| ≤ max|I| · 4096/d (truncation toward zero only shrinks it).
    const bound = currentDecay === undefined ? currentBound : Math.ceil((currentBound * 4096) / currentDecay);
    if (bound > 2147483647)
      throw qerr(name, `its synaptic current can reach ${bound}, beyond the 32-bit current register`, 'lower the input range or the synaptic time constant');
    const mb = bits.v === 'auto' ? Math.min(32, signedBitsFor(thMax + bound)) : bits.v;
    if (2 ** (mb - 1) - 1 < thMax)
      throw qerr(
        name,
        `a ${mb}-bit membrane cannot hold the threshold ${thMax}`,
        `raise the membrane width, e.g. --layer ${name}:v=${signedBitsFor(thMax) + 1}`,
      );
    const lim = 2 ** (mb - 1);
    return {
      threshold: ni.theta,
      thresholdBits: bits.th,
      reset: nn.attrs.reset,
      vReset: 0,
      fire: nn.attrs.fire,
      vInit: ni.vInit.map((v) => Math.max(-lim, Math.min(lim - 1, v))),
      leakShift: leakShift(nn),
      refractory: nn.attrs.refractory,
      membraneBits: mb,
      overflow: s.overflow ?? 'saturate',
      ...(currentDecay !== undefined ? { currentDecay } : {}),
    };
  };

  /** Builds the int layer of an affine node (+ optional neuron node). */
  const emitAffine = (
    a: FloatAffine,
    src: Sig,
    nn: NeuronNode | undefined,
    opts: { perTensor?: boolean; minUnit?: readonly number[]; shift?: number } = {},
  ): Sig => {
    const names = nn !== undefined ? [a.node.name, nn.name] : [a.node.name];
    const name = nn?.name ?? a.node.name;
    const bits = bitsFor(s, names);
    const perChannel = s.perChannel !== false && opts.perTensor !== true;
    const wEff = effectiveWeights(a, src.unit);
    const th = nn !== undefined ? thetaOf(g, nn, a.O) : undefined;
    const fq = quantizeAffine(
      a,
      wEff,
      bits,
      perChannel,
      pow2,
      rounder(mode, seed, `${name}/w`),
      rounder(mode, seed, `${name}/p`),
      nn !== undefined ? { theta: th as Float64Array, vInit: nn.attrs.vInit } : null,
      opts.minUnit,
      opts.shift,
    );
    if (fq.biasClipped > 0)
      diagnostics.push({
        severity: 'warning',
        code: 'SNNC_W_BIAS_CLIPPED',
        node: name,
        message: `${fq.biasClipped} biases of '${name}' exceed ${bits.b} bits and were clipped`,
        hint: `raise the bias width, e.g. --layer ${name}:b=${bits.b + 4}`,
      });
    const per = a.fanIn;
    let bound = 0;
    let sBound = 0;
    for (let o = 0; o < a.O; o++) {
      let acc = 0;
      for (let j = 0; j < per; j++) acc += Math.abs(fq.q[o * per + j] as number) * src.maxAbs;
      sBound = Math.max(sBound, acc);
      bound = Math.max(bound, Math.ceil(acc / 2 ** fq.shift) + Math.abs(fq.bias[o] ?? 0));
    }
    const accBits = signedBitsFor(Math.max(sBound, bound));
    if (accBits > 32) throw qerr(name, `synaptic sums need ${accBits} bits (> 32)`, 'use fewer weight or input bits for this layer');
    let neuron: IntNeuron | null = null;
    if (nn !== undefined && fq.neuron !== undefined) neuron = makeNeuron(name, nn, fq.neuron, bits, bound);
    layers.push({
      name,
      kind: a.kind,
      inputs: [src.layer],
      inShape: a.inShape,
      outShape: a.outShape,
      weights: fq.q,
      weightShape: a.kind === 'dense' ? [a.O, a.fanIn] : a.wShape,
      weightBits: bits.w,
      shift: fq.shift,
      bias: fq.bias,
      biasBits: bits.b,
      ...(a.geometry !== undefined ? { geometry: a.geometry } : {}),
      accBits,
      neuron,
      unit: fq.unit,
      outBits: neuron !== null ? 1 : accBits,
    });
    deq.push({
      affine: a,
      neuronNode: nn,
      q: fq.q,
      unit: fq.wScale,
      current: fq.unit,
      uIn: src.unit,
      bias: fq.bias,
      theta: neuron?.threshold,
      vInit: neuron?.vInit,
    });
    return neuron !== null ? { layer: name, unit: [1], maxAbs: 1 } : { layer: name, unit: fq.unit, maxAbs: bound };
  };

  for (const n of g.nodes) {
    const out = n.outputs[0] as string;
    switch (n.op) {
      case 'Conv':
      case 'Gemm':
      case 'MatMul': {
        const a = affineOf(g, n);
        const src = sig(n.inputs[0] as string, n);
        const next = soleConsumer(out);
        if (isNeuron(next) && next.inputs[0] === out) {
          sigs.set(next.outputs[0] as string, emitAffine(a, src, next));
        } else if (next?.op === 'Add') {
          pending.set(out, { a, wEff: effectiveWeights(a, src.unit), src });
        } else {
          sigs.set(out, emitAffine(a, src, undefined, { perTensor: true }));
        }
        break;
      }
      case 'IF':
      case 'LIF':
        if (!sigs.has(out)) throw qerr(n.name, 'a neuron must follow a Conv, Gemm, MatMul or residual Add', 'quantize graphs produced by snnc convert');
        break;
      case 'AveragePool':
      case 'GlobalAveragePool': {
        const src = sig(n.inputs[0] as string, n);
        const [C, H, W] = shapeOf(n.inputs[0] as string) as [number, number, number];
        const [, OH, OW] = shapeOf(out) as [number, number, number];
        let geometry;
        if (n.op === 'GlobalAveragePool')
          geometry = { kernel: [H, W] as const, strides: [1, 1] as const, pads: [0, 0, 0, 0] as const, dilations: [1, 1] as const, group: C };
        else {
          const pads = n.attrs.pads;
          if (n.attrs.ceilMode || (pads.some((p) => p !== 0) && !n.attrs.countIncludePad) || n.attrs.autoPad.startsWith('SAME')) {
            throw qerr(n.name, 'an average pool with padding that is not counted (or ceil mode) has no integer sum-pool form', 'use unpadded pools');
          }
          geometry = {
            kernel: [n.attrs.kernelShape[0] ?? 1, n.attrs.kernelShape[1] ?? 1] as const,
            strides: [n.attrs.strides[0] ?? 1, n.attrs.strides[1] ?? 1] as const,
            pads: [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0] as const,
            dilations: [1, 1] as const,
            group: C,
          };
        }
        const k = geometry.kernel[0] * geometry.kernel[1];
        layers.push({
          name: n.name,
          kind: 'sum-pool',
          inputs: [src.layer],
          inShape: [C, H, W],
          outShape: [C, OH, OW],
          weights: new Int32Array(0),
          weightShape: [],
          weightBits: 1,
          shift: 0,
          bias: new Int32Array(0),
          biasBits: 1,
          geometry,
          accBits: signedBitsFor(k * src.maxAbs),
          neuron: null,
          unit: src.unit.map((u) => u / k),
          outBits: signedBitsFor(k * src.maxAbs),
        });
        sigs.set(out, { layer: n.name, unit: src.unit.map((u) => u / k), maxAbs: k * src.maxAbs });
        break;
      }
      case 'SpikeMaxPool': {
        const src = sig(n.inputs[0] as string, n);
        const inShape = shapeOf(n.inputs[0] as string);
        const r = { pads: n.attrs.pads };
        layers.push({
          name: n.name,
          kind: 'max-pool',
          inputs: [src.layer],
          inShape,
          outShape: shapeOf(out),
          weights: new Int32Array(0),
          weightShape: [],
          weightBits: 1,
          shift: 0,
          bias: new Int32Array(0),
          biasBits: 1,
          geometry: {
            kernel: [n.attrs.kernelShape[0] ?? 1, n.attrs.kernelShape[1] ?? 1],
            strides: [n.attrs.strides[0] ?? 1, n.attrs.strides[1] ?? 1],
            pads: [r.pads[0] ?? 0, r.pads[1] ?? 0, r.pads[2] ?? 0, r.pads[3] ?? 0],
            dilations: [n.attrs.dilations[0] ?? 1, n.attrs.dilations[1] ?? 1],
            group: inShape[0] ?? 1,
          },
          accBits: 2,
          neuron: null,
          unit: src.unit,
          outBits: 1,
        });
        sigs.set(out, { layer: n.name, unit: src.unit, maxAbs: src.maxAbs });
        break;
      }
      case 'Flatten':
      case 'Reshape':
      case 'Identity':
      case 'Dropout': {
        const src = sig(n.inputs[0] as string, n);
        sigs.set(out, { ...src, unit: expandUnit(src.unit, shapeOf(n.inputs[0] as string), shapeOf(out)) });
        break;
      }
      case 'Mul': {
        const [x, c] = sigs.has(n.inputs[0] as string) ? [n.inputs[0] as string, n.inputs[1] as string] : [n.inputs[1] as string, n.inputs[0] as string];
        const src = sig(x, n);
        const k = g.initializers.get(c);
        const kd = k !== undefined ? Array.from(k.data as Float32Array) : [];
        if (k === undefined || kd.some((v) => !(v > 0)))
          throw qerr(n.name, 'only multiplication by a positive constant (a rescale) is supported', 'quantize graphs produced by snnc convert');
        const unit = kd.length === 1 ? src.unit.map((u) => u * (kd[0] as number)) : kd.map((v, i) => v * (src.unit[src.unit.length === 1 ? 0 : i] as number));
        sigs.set(out, { ...src, unit });
        break;
      }
      case 'Add':
        sigs.set(out, residualAdd(n));
        break;
      default:
        throw qerr(
          n.name,
          `${n.op} has no integer form`,
          'supported: Conv, Gemm, MatMul, IF, LIF, AveragePool, GlobalAveragePool, SpikeMaxPool, Flatten, Reshape, Mul by a constant, residual Add',
        );
    }
  }

  function residualAdd(n: Node): Sig {
    const next = soleConsumer(n.outputs[0] as string);
    const nn = isNeuron(next) ? next : undefined;
    const bits = bitsFor(s, nn !== undefined ? [n.name, nn.name] : [n.name]);
    const ops = n.inputs.map((v) => pending.get(v) ?? sig(v, n));
    let uA = 0;
    for (const o of ops) {
      if (!('a' in o)) continue;
      const b = bitsFor(s, [o.a.node.name]);
      let m = 0;
      for (const w of o.wEff) m = Math.max(m, Math.abs(w));
      uA = Math.max(uA, m / qMax(b.w));
    }
    const O = shapeOf(n.outputs[0] as string)[0] ?? 1;
    const th = nn !== undefined ? thetaOf(g, nn, O) : undefined;
    if (!(uA > 0)) uA = 1;
    if (pow2) uA = pow2Up(uA);
    // The branches' sums are shifted so θ fits its width; their common current unit is uA·2^k.
    const k = th !== undefined ? shiftFor(th, [uA], bits.th) : 0;
    const uI = uA * 2 ** k;
    let bound = 0;
    const inputs: string[] = [];
    // One gain per operand, or per operand and channel when an operand's unit differs by
    // channel (a per-channel conversion): the scales are aligned at the add in integers.
    const perOperand: number[][] = [];
    for (const o of ops) {
      const si = 'a' in o ? emitAffine(o.a, o.src, undefined, { perTensor: true, minUnit: [uA], shift: k }) : o;
      if (si.unit.length !== 1 && si.unit.length !== O)
        throw qerr(n.name, `a residual operand has ${si.unit.length} scales for ${O} channels`, 'convert with --granularity layer');
      const gk = si.unit.map((u) => Math.round(u / uI));
      if (gk.some((x) => x < 1)) throw qerr(n.name, 'a residual operand is finer than the common current unit', 'give the branch layers more weight bits');
      inputs.push(si.layer);
      perOperand.push(gk);
      bound += Math.max(...gk) * si.maxAbs;
    }
    const perChannel = perOperand.some((gk) => gk.length > 1 && gk.some((x) => x !== gk[0]));
    const gains = perChannel
      ? perOperand.flatMap((gk) => (gk.length === 1 ? new Array<number>(O).fill(gk[0] as number) : gk))
      : perOperand.map((gk) => gk[0] as number);
    const name = nn?.name ?? n.name;
    const shape = shapeOf(n.outputs[0] as string);
    let neuron: IntNeuron | null = null;
    if (nn !== undefined && th !== undefined) {
      neuron = makeNeuron(name, nn, neuronInts({ theta: th, vInit: nn.attrs.vInit }, [uI], O, bits.th, rounder(mode, seed, `${name}/p`)), bits, bound);
      deq.push({ neuronNode: nn, unit: [uI], theta: neuron.threshold, vInit: neuron.vInit });
    }
    if (signedBitsFor(bound) > 32) throw qerr(name, 'the residual sum needs more than 32 bits', 'use fewer weight bits');
    layers.push({
      name,
      kind: 'add',
      inputs,
      inShape: shape,
      outShape: shape,
      weights: new Int32Array(0),
      weightShape: [],
      weightBits: 1,
      bias: new Int32Array(0),
      biasBits: 1,
      shift: 0,
      gains: Int32Array.from(gains),
      accBits: signedBitsFor(bound),
      neuron,
      unit: [uI],
      outBits: neuron !== null ? 1 : signedBitsFor(bound),
    });
    if (nn !== undefined) sigs.set(nn.outputs[0] as string, { layer: name, unit: [1], maxAbs: 1 });
    return { layer: name, unit: [uI], maxAbs: bound };
  }

  let outSig = sigs.get(g.outputs[0] as string);
  if (outSig === undefined)
    throw qerr(g.outputs[0] as string, 'the graph output is not computed by the integer program', 'quantize graphs produced by snnc convert');
  const last = layers.find((l) => l.name === outSig?.layer);
  if (last?.neuron != null) {
    // A network that ends in spikes (NIR files do) is read out by counting them: a one-input
    // add layer passes the spikes through and the readout sums them over the steps.
    const name = `${last.name}/count`;
    layers.push({
      name,
      kind: 'add',
      inputs: [last.name],
      inShape: last.outShape,
      outShape: last.outShape,
      weights: new Int32Array(0),
      weightShape: [],
      weightBits: 1,
      bias: new Int32Array(0),
      biasBits: 1,
      shift: 0,
      gains: Int32Array.of(1),
      accBits: 2,
      neuron: null,
      unit: [1],
      outBits: 2,
    });
    outSig = { layer: name, unit: [1], maxAbs: 1 };
  }
  const inShape = shapeOf(input);
  const program: IntProgram = {
    version: programVersion(layers),
    name: g.name,
    input: { name: input, shape: inShape, coding, bits: inBits, scale: coding === 'poisson' ? 1 / (2 ** inBits - 1) : inScale },
    layers,
    output: outSig.layer,
  };
  return { program, graph: fakeQuantGraph(g, program, deq, { rounding: mode, perChannel: s.perChannel !== false }), diagnostics };
}

/**
 * The integer program a graph stands for: the one stored in it (a file `snnc quantize` wrote,
 * with the widths the user chose) or, for a float spiking network, its quantization with `s`.
 * Every consumer that runs "the program" asks here, so none re-quantizes a stored program.
 */
export function programOf(g: Graph, s: QuantizeSettings = {}): IntProgram {
  return programFromGraph(g) ?? quantizeGraph(g, s).program;
}
