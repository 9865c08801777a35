// The quantized float graph: every parameter replaced by the real value its integer stands
// for (W = q·u_out/u_in, b = b_q·u, θ = θ_q·u), weights annotated with `Tensor.quant` where
// one scale per output channel describes them, and the IntProgram embedded (serialize.ts) so
// `snnc simulate --int` and the backends recover the exact integers from the written file.
import type { Graph, Node, Rounding, Tensor, ValueInfo } from '../ir/types.js';
import type { IntProgram } from '../sim/int/program.js';
import { programToParts } from '../sim/int/serialize.js';
import type { FloatAffine } from './quantize-layer.js';
import { inputUnitIndex } from './quantize-layer.js';

export interface Dequant {
  readonly affine?: FloatAffine;
  readonly neuronNode?: Extract<Node, { op: 'IF' | 'LIF' }> | undefined;
  readonly q?: Int32Array;
  /** Weight scale (affine) or current unit (residual neuron). */
  readonly unit: readonly number[];
  /** Current unit of θ and bias (default `unit`). */
  readonly current?: readonly number[];
  readonly uIn?: readonly number[];
  readonly bias?: Int32Array;
  readonly theta?: Int32Array | undefined;
  readonly vInit?: Int32Array | undefined;
}

function at(u: readonly number[], i: number): number {
  return (u.length === 1 ? u[0] : u[i]) as number;
}

function weightTensor(d: Dequant, a: FloatAffine, orig: Tensor, bits: number, rounding: Rounding): Tensor {
  const q = d.q as Int32Array;
  const uIn = d.uIn as readonly number[];
  const out = new Float32Array(q.length);
  const n = a.node;
  const colMajor = (n.op === 'Gemm' && !n.attrs.transB) || n.op === 'MatMul'; // stored [I, O]
  for (let o = 0; o < a.O; o++) {
    for (let j = 0; j < a.fanIn; j++) {
      const v = ((q[o * a.fanIn + j] as number) * at(d.unit, o)) / (uIn[inputUnitIndex(a, o, j, uIn.length)] as number);
      out[colMajor ? j * a.O + o : o * a.fanIn + j] = v;
    }
  }
  const uniformIn = uIn.every((x) => x === uIn[0]);
  const scale = Array.from({ length: d.unit.length }, (_, o) => at(d.unit, o) / (uIn[0] as number));
  return {
    dtype: 'float32',
    shape: orig.shape,
    data: out,
    ...(uniformIn ? { quant: { bits, scale, zeroPoint: 0, ...(scale.length > 1 ? { perChannelAxis: colMajor ? 1 : 0 } : {}), rounding } } : {}),
  };
}

export function fakeQuantGraph(g: Graph, p: IntProgram, deq: readonly Dequant[], opts: { readonly rounding: Rounding; readonly perChannel: boolean }): Graph {
  const inits = new Map(g.initializers);
  const values = new Map<string, ValueInfo>(g.values);
  const nodes = new Map<string, Node>(g.nodes.map((n) => [n.name, n]));
  for (const d of deq) {
    const a = d.affine;
    if (a !== undefined) {
      const layer = p.layers.find((l) => l.name === (d.neuronNode?.name ?? a.node.name));
      const wName = a.node.inputs[1] as string;
      inits.set(wName, weightTensor(d, a, g.initializers.get(wName) as Tensor, layer?.weightBits ?? 8, opts.rounding));
      // Gemm's alpha/beta are folded into the dequantized values.
      if (a.node.op === 'Gemm') nodes.set(a.node.name, { ...a.node, attrs: { ...a.node.attrs, alpha: 1, beta: 1 } });
      const bName = a.node.inputs[2];
      const bq = d.bias;
      if (bName !== undefined && bName !== '' && bq !== undefined && bq.length > 0) {
        const ob = g.initializers.get(bName) as Tensor;
        inits.set(bName, { dtype: 'float32', shape: ob.shape, data: Float32Array.from(bq, (v, o) => v * at(d.current ?? d.unit, o)) });
      }
    }
    const nn = d.neuronNode;
    if (nn !== undefined && d.theta !== undefined) {
      const tName = nn.inputs[1] as string;
      const ot = g.initializers.get(tName) as Tensor;
      const th = d.theta;
      const data = Float32Array.from(th, (v, o) => v * at(d.current ?? d.unit, o));
      const shape = data.length === ot.data.length ? ot.shape : a?.kind === 'conv' ? [data.length, 1, 1] : [data.length];
      inits.set(tName, { dtype: 'float32', shape, data });
      values.set(tName, { name: tName, dtype: 'float32', shape });
      // One vInit fraction per node: the first channel's (the others differ by rounding only).
      const vi = d.vInit?.[0];
      if (vi !== undefined) nodes.set(nn.name, { ...nn, attrs: { ...nn.attrs, vInit: vi / (th[0] as number) } } as Node);
    }
  }
  const parts = programToParts(p);
  for (const [k, t] of parts.tensors) {
    inits.set(k, t);
    values.set(k, { name: k, dtype: t.dtype, shape: t.shape });
  }
  return {
    ...g,
    nodes: g.nodes.map((n) => nodes.get(n.name) as Node),
    initializers: inits,
    values,
    meta: {
      ...g.meta,
      ...parts.meta,
      'snnc.quantized': 'true',
      'snnc.quant.rounding': opts.rounding,
      'snnc.quant.granularity': opts.perChannel ? 'channel' : 'layer',
    },
  };
}
