// Lower a converted (spiking) graph to the chain of layers netx can build: input, conv
// (+ neuron), dense (+ neuron), flatten, and the membrane readout (a dense layer without
// neuron). Average pooling becomes a 'pool' layer (written as a depthwise strided conv).
// Anything netx cannot express is refused here, naming the node: residual Add and Concat
// (netx has no merge layers), SpikeMaxPool/MaxPool (no max on Loihi), and any op that is
// not part of a plain feed-forward chain.
import { fail } from '../../errors.js';
import type { SnncError } from '../../errors.js';
import { isFloat, isStatic } from '../../ir/dtype.js';
import { resolveWindow } from '../../ir/window.js';
import type { Graph, Node, Tensor } from '../../ir/types.js';
import type { BackendDiagnostic } from '../common/types.js';
import type { FloatLayer, FloatNeuron } from './types.js';

type Affine = Extract<FloatLayer, { kind: 'dense' | 'conv' }>;
type PendingAffine = Omit<Extract<Affine, { kind: 'dense' }>, 'neuron'> | Omit<Extract<Affine, { kind: 'conv' }>, 'neuron'>;

function refuse(node: Node, message: string, hint: string): SnncError {
  return fail({ code: 'SNNC_E_BACKEND', message: `loihi: ${node.op} '${node.name}': ${message}`, node: node.name, hint });
}

const NIR_HINT = 'netx has no merge layers; export NIR instead (snnc convert … -o net.nir) and deploy through a NIR-aware toolchain';
const MAXPOOL_HINT = 'convert with --maxpool avg so max pooling becomes average pooling, which netx can express as a strided conv';

function floatData(g: Graph, name: string, node: Node, what: string): { t: Tensor; data: Float64Array } {
  const t = g.initializers.get(name);
  if (t === undefined) throw refuse(node, `${what} '${name}' is not a constant`, 'netx stores fixed weights and thresholds; fold the graph to constants first');
  if (!isFloat(t.dtype)) throw refuse(node, `${what} '${name}' has dtype ${t.dtype}, expected a float tensor`, 'run the converter on a float model');
  return { t, data: Float64Array.from(t.data as Float32Array | Float64Array) };
}

/** θ per output channel/feature; netx has one threshold per layer, so anything finer than a channel is refused. */
function thetaPerChannel(g: Graph, node: Node, channels: number): Float64Array {
  const { t, data } = floatData(g, node.inputs[1] ?? '', node, 'threshold');
  if (data.length === 1) return new Float64Array(channels).fill(data[0] as number);
  const squeezed = t.shape.filter((d) => d !== 1);
  const trailingOnes = t.shape.slice(t.shape.indexOf(channels) + 1).every((d) => d === 1);
  if (data.length === channels && squeezed.length === 1 && trailingOnes) return data;
  throw refuse(
    node,
    `threshold of shape [${t.shape.join(', ')}] is neither per layer nor per channel (${channels} channels)`,
    'netx has one threshold per neuron group; convert with per-layer or per-channel calibration',
  );
}

function neuronOf(g: Graph, node: Node, channels: number): FloatNeuron {
  if (node.op !== 'IF' && node.op !== 'LIF') throw new Error('neuronOf: not a neuron');
  const a = node.attrs;
  return {
    node: node.name,
    op: node.op,
    leak: node.op === 'LIF' ? node.attrs.leak : 1,
    synDecay: node.op === 'LIF' ? (node.attrs.synDecay ?? 0) : 0,
    theta: thetaPerChannel(g, node, channels),
    reset: a.reset,
    fire: a.fire,
    refractory: a.refractory,
    vInit: a.vInit,
  };
}

function pair(v: readonly number[], node: Node, what: string): [number, number] {
  if (v.length !== 2) throw refuse(node, `${what} has ${v.length} spatial dims; netx conv layers are 2-D`, 'use 2-D convolutions and pooling');
  return [v[0] as number, v[1] as number];
}

function symmetricPads(node: Node, begin: readonly number[], end: readonly number[]): [number, number] {
  if (begin[0] !== end[0] || begin[1] !== end[1]) {
    throw refuse(node, `padding (${begin.join(', ')}) / (${end.join(', ')}) is asymmetric`, 'netx conv padding is symmetric; pad the input symmetrically');
  }
  return [begin[0] ?? 0, begin[1] ?? 0];
}

function perSample(g: Graph, value: string, node?: Node): number[] {
  const vi = g.values.get(value);
  const shape = vi?.shape ?? [];
  const rest = shape.slice(1);
  if (vi === undefined || !isStatic(rest)) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: value '${value}' has no static per-sample shape`,
      ...(node !== undefined ? { node: node.name } : {}),
      hint: 'run shape inference with a fixed input size',
    });
  }
  return [...rest];
}

export function lowerGraph(g: Graph, diagnostics: BackendDiagnostic[]): FloatLayer[] {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: netx networks have one input and one output; graph '${g.name}' has ${g.inputs.length} and ${g.outputs.length}`,
      hint: 'export NIR for multi-input/output networks',
    });
  }
  const input = g.inputs[0] as string;
  let shape = perSample(g, input);
  if (shape.length !== 1 && shape.length !== 3) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: input '${input}' has per-sample shape [${shape.join(', ')}]; netx takes (C, H, W) or (F)`,
      hint: 'reshape the input to NCHW or NF',
    });
  }
  const layers: FloatLayer[] = [{ kind: 'input', shape }];
  let cur = input;
  let pending = null as PendingAffine | null;
  let ended = false; // a softmax after the readout closes the chain
  // A constant scale between layers (NIR's SumPool2d imports as AveragePool × k²): linear,
  // so the next synaptic layer's weights absorb it.
  let gain = 1;

  for (const node of g.nodes) {
    if (node.inputs[0] !== cur) {
      throw refuse(node, `reads '${node.inputs[0] ?? ''}' instead of the running chain value '${cur}'; the graph branches`, NIR_HINT);
    }
    if (ended && node.op !== 'Softmax' && node.op !== 'Identity' && node.op !== 'Dropout') {
      throw refuse(node, 'follows the readout layer; netx ends at the membrane readout', 'remove ops after the classifier');
    }
    const out = node.outputs[0] ?? '';
    switch (node.op) {
      case 'Identity':
      case 'Dropout':
        break;
      case 'Softmax':
        if (pending?.kind !== 'dense')
          throw refuse(node, 'softmax not right after the dense readout', 'the converter drops the final softmax; a hidden softmax cannot be converted');
        ended = true;
        diagnostics.push({
          severity: 'info',
          code: 'SNNC_I_LOIHI_SOFTMAX',
          node: node.name,
          message: `softmax '${node.name}' dropped: the readout argmax is unchanged`,
        });
        break;
      case 'Conv': {
        if (pending !== null)
          throw refuse(node, `follows '${pending.origin.node}' without a neuron in between`, 'every hidden affine layer needs an IF/LIF neuron on Loihi');
        if (shape.length !== 3)
          throw refuse(node, `input has per-sample shape [${shape.join(', ')}], expected (C, H, W)`, 'netx conv layers take 2-D feature maps');
        const { t, data: raw } = floatData(g, node.inputs[1] ?? '', node, 'weight');
        const data = gain === 1 ? raw : raw.map((x) => x * gain);
        gain = 1;
        const [cOut, cInG, kH, kW] = t.shape as [number, number, number, number];
        const a = node.attrs;
        const kernel = pair(t.shape.slice(2), node, 'kernel');
        const win = resolveWindow(shape.slice(1), { ...a, kernelShape: kernel }, false, node.name);
        const padding = symmetricPads(node, win.padsBegin, win.padsEnd);
        const bias = (node.inputs[2] ?? '') === '' ? null : floatData(g, node.inputs[2] ?? '', node, 'bias').data;
        if (cInG * a.group !== shape[0]) throw refuse(node, `weight expects ${cInG * a.group} input channels, input has ${shape[0]}`, 'check the model');
        const outShape: [number, number, number] = [cOut, win.outSpatial[0] as number, win.outSpatial[1] as number];
        pending = {
          kind: 'conv',
          origin: { node: node.name },
          inShape: shape as [number, number, number],
          outShape,
          weight: data,
          kernel: [kH, kW],
          bias,
          stride: pair(a.strides, node, 'strides'),
          padding,
          dilation: pair(a.dilations, node, 'dilations'),
          groups: a.group,
        };
        shape = outShape;
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        if (pending !== null)
          throw refuse(node, `follows '${pending.origin.node}' without a neuron in between`, 'every hidden affine layer needs an IF/LIF neuron on Loihi');
        if (shape.length !== 1) throw refuse(node, `input has per-sample shape [${shape.join(', ')}], expected a vector`, 'flatten before the dense layer');
        const { t, data } = floatData(g, node.inputs[1] ?? '', node, 'weight');
        const inF = shape[0] as number;
        if (t.shape.length !== 2) throw refuse(node, `weight has rank ${t.shape.length}, expected 2`, 'use a 2-D weight');
        let alpha = gain;
        gain = 1;
        let transB = false;
        if (node.op === 'Gemm') {
          if (node.attrs.transA) throw refuse(node, 'transA is set', 'netx dense layers compute W·x');
          alpha *= node.attrs.alpha;
          transB = node.attrs.transB;
        }
        const [r, c] = t.shape as [number, number];
        const outF = transB ? r : c;
        if ((transB ? c : r) !== inF) throw refuse(node, `weight [${r}, ${c}] does not take ${inF} inputs`, 'check the model');
        const w = new Float64Array(outF * inF);
        for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) w[o * inF + i] = alpha * (data[transB ? o * c + i : i * c + o] as number);
        let bias: Float64Array | null = null;
        if (node.op === 'Gemm' && (node.inputs[2] ?? '') !== '') {
          const b = floatData(g, node.inputs[2] ?? '', node, 'bias').data;
          if (b.length !== outF && b.length !== 1) throw refuse(node, `bias has ${b.length} elements, expected ${outF}`, 'use a per-output bias');
          bias = Float64Array.from({ length: outF }, (_, o) => node.attrs.beta * (b[b.length === 1 ? 0 : o] as number));
        }
        pending = { kind: 'dense', origin: { node: node.name }, inF, outF, weight: w, bias };
        shape = [outF];
        break;
      }
      case 'Mul': {
        const c = g.initializers.get(node.inputs[1] ?? '');
        if (pending !== null || c === undefined || c.data.length !== 1 || c.dtype.startsWith('int'))
          throw refuse(node, 'multiplies by something other than a constant scalar between layers', 'netx layers have no elementwise product');
        gain *= Number(c.data[0]);
        break;
      }
      case 'Add': {
        const other = node.inputs[1] ?? '';
        const b = g.initializers.get(other);
        const p: PendingAffine | null = pending;
        const hasBias = p === null || p.bias !== null;
        if (p === null || hasBias || b === undefined) throw refuse(node, 'adds two branches (residual connection)', NIR_HINT);
        const channels: number = p.kind === 'dense' ? p.outF : p.outShape[0];
        const bd = floatData(g, other, node, 'bias').data;
        if (bd.length !== channels && bd.length !== 1) throw refuse(node, `constant of ${bd.length} elements is not a per-channel bias`, NIR_HINT);
        const bias = Float64Array.from({ length: channels }, (_, i) => bd[bd.length === 1 ? 0 : i] as number);
        pending = p.kind === 'dense' ? { ...p, bias } : { ...p, bias };
        break;
      }
      case 'IF':
      case 'LIF': {
        if (gain !== 1) throw refuse(node, `receives spikes scaled by ${gain} with no synaptic layer to absorb the scale`, 'scale the weights instead');
        const p: PendingAffine | null = pending;
        if (p === null) throw refuse(node, 'has no affine layer (Conv/Gemm) right before it', 'netx neurons belong to a dense or conv layer');
        const channels: number = p.kind === 'dense' ? p.outF : p.outShape[0];
        const neuron = neuronOf(g, node, channels);
        const origin = { node: p.origin.node, neuron: node.name };
        layers.push(p.kind === 'dense' ? { ...p, origin, neuron } : { ...p, origin, neuron });
        pending = null;
        break;
      }
      case 'AveragePool':
      case 'GlobalAveragePool': {
        if (pending !== null) throw refuse(node, `pools the membrane of '${pending.origin.node}' (no neuron before it)`, 'pool after the neuron');
        if (shape.length !== 3) throw refuse(node, `input has per-sample shape [${shape.join(', ')}], expected (C, H, W)`, 'pool 2-D feature maps');
        const [C, H, W] = shape as [number, number, number];
        let kernel: [number, number] = [H, W];
        let stride: [number, number] = [1, 1];
        let padding: [number, number] = [0, 0];
        let outHW: [number, number] = [1, 1];
        if (node.op === 'AveragePool') {
          const a = node.attrs;
          kernel = pair(a.kernelShape, node, 'kernel');
          stride = pair(a.strides, node, 'strides');
          if (a.dilations.some((d) => d !== 1)) throw refuse(node, 'dilated pooling', 'use undilated pooling');
          const win = resolveWindow([H, W], a, a.ceilMode, node.name);
          padding = symmetricPads(node, win.padsBegin, win.padsEnd);
          if (
            a.ceilMode &&
            (win.outSpatial[0] !== Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1 ||
              win.outSpatial[1] !== Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1)
          ) {
            throw refuse(node, 'ceil_mode adds partial windows netx conv cannot express', 'use ceil_mode 0');
          }
          if ((padding[0] > 0 || padding[1] > 0) && !a.countIncludePad) {
            throw refuse(
              node,
              'padded windows divide by fewer elements (count_include_pad 0), which a fixed-weight conv cannot express',
              'pool without padding or with count_include_pad 1',
            );
          }
          outHW = [win.outSpatial[0] as number, win.outSpatial[1] as number];
        }
        const outShape: [number, number, number] = [C, outHW[0], outHW[1]];
        layers.push({ kind: 'pool', origin: { node: node.name }, inShape: [C, H, W], outShape, kernel, stride, padding });
        shape = outShape;
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        if (pending !== null) throw refuse(node, `reshapes the membrane of '${pending.origin.node}' (no neuron before it)`, 'flatten after the neuron');
        const next = perSample(g, out, node);
        const size = shape.reduce((p, d) => p * d, 1);
        if (layers.length === 1 && (next.length === 1 || next.length === 3) && next.reduce((p, d) => p * d, 1) === size) {
          // A reshape of the input itself (NHWC with one channel read as NCHW): the same
          // bytes, so the input layer simply takes the new shape.
          layers[0] = { kind: 'input', shape: next };
          shape = next;
          break;
        }
        if (next.length !== 1 || next[0] !== size)
          throw refuse(node, `produces per-sample shape [${next.join(', ')}]; only flattening to a vector is expressible`, 'flatten (C, H, W) to (C·H·W)');
        if (shape.length !== 1) layers.push({ kind: 'flatten', node: node.name, inShape: shape });
        shape = next;
        break;
      }
      case 'SpikeMaxPool':
      case 'MaxPool':
      case 'GlobalMaxPool':
        throw refuse(node, 'max pooling has no netx layer (Loihi has no max operation)', MAXPOOL_HINT);
      case 'Concat':
        throw refuse(node, 'concatenates branches', NIR_HINT);
      default:
        throw refuse(
          node,
          'has no netx equivalent',
          node.op === 'Relu' || node.op === 'Clip'
            ? 'convert the ANN to a spiking network first (snnc convert)'
            : 'netx expresses input, dense, conv, flatten and CUBA neurons only; export NIR instead',
        );
    }
    cur = out;
  }
  if (pending !== null) {
    if (pending.kind === 'conv') {
      throw fail({
        code: 'SNNC_E_BACKEND',
        message: `loihi: Conv '${pending.origin.node}' ends the network without a neuron; netx conv layers require one`,
        node: pending.origin.node,
        hint: 'end the network with a dense (Gemm) readout',
      });
    }
    layers.push({ ...pending, neuron: null });
  }
  if (cur !== g.outputs[0]) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: graph output '${g.outputs[0] ?? ''}' is not the end of the layer chain ('${cur}')`,
      hint: 'netx networks are a single feed-forward chain',
    });
  }
  if (!layers.some((l) => (l.kind === 'dense' || l.kind === 'conv') && l.neuron !== null)) {
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `loihi: graph '${g.name}' has no IF/LIF neurons; it is not a converted spiking network`,
      hint: 'run snnc convert first',
    });
  }
  return layers;
}
