// Hand-built spiking graphs for the SNN simulator tests (the converter is tested apart).
import { mulberry32 } from '../../src/sim/snn/rng.js';
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs, windowAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph, NeuronAttrs, Tensor } from '../../src/ir/types.js';

export const IF_ATTRS: NeuronAttrs = { reset: 'subtract', vInit: 0, fire: 'ge', refractory: 0 };

export function f32(shape: readonly number[], data: readonly number[] | Float32Array): Tensor {
  return { dtype: 'float32', shape: [...shape], data: Float32Array.from(data) };
}

/** The shared seeded generator (mulberry32), under this module's old name. */
export const rng = mulberry32;

export function randTensor(r: () => number, shape: readonly number[], scale: number, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return f32(
    shape,
    Array.from({ length: n }, () => (2 * r() - 1) * scale + offset),
  );
}

export function images(r: () => number, n: number, shape: readonly number[]): Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  return f32(
    [n, ...shape],
    Array.from({ length: n * per }, () => r()),
  );
}

export function labels(r: () => number, n: number, classes: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(r() * classes));
}

interface Opts {
  readonly coding?: 'direct' | 'poisson';
  readonly seed?: number;
  readonly neuron?: Partial<NeuronAttrs> & { readonly leak?: number };
  readonly perChannel?: boolean;
}

function meta(o: Opts): Record<string, string> {
  return { 'snnc.kind': 'snn', 'snnc.coding': o.coding ?? 'direct', 'snnc.readout': 'membrane' };
}

/** Adds an IF (or LIF when leak is given) with a random threshold (per channel when asked). */
function neuron(nodes: NodeSpec[], inits: Record<string, Tensor>, r: () => number, x: string, tag: string, channels: number, dense: boolean, o: Opts): string {
  const th =
    o.perChannel === true
      ? f32(
          dense ? [channels] : [channels, 1, 1],
          Array.from({ length: channels }, () => 0.5 + r()),
        )
      : f32([], [0.75 + 0.5 * r()]);
  inits[`${tag}.th`] = th;
  const attrs = { ...IF_ATTRS, ...o.neuron };
  if (o.neuron?.leak !== undefined)
    nodes.push({ op: 'LIF', name: tag, inputs: [x, `${tag}.th`], outputs: [`${tag}.s`], attrs: { ...attrs, leak: o.neuron.leak } });
  else
    nodes.push({
      op: 'IF',
      name: tag,
      inputs: [x, `${tag}.th`],
      outputs: [`${tag}.s`],
      attrs: { reset: attrs.reset, vInit: attrs.vInit, fire: attrs.fire, refractory: attrs.refractory },
    });
  return `${tag}.s`;
}

/** conv5x5(4)-IF-avgpool2-conv3x3(6, pad 1)-IF-flatten-gemm(32)-IF-gemm(10) on 1×12×12. */
export function lenetLike(seed: number, o: Opts = {}): Graph {
  const r = rng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  inits['c1.w'] = randTensor(r, [4, 1, 5, 5], 0.4, 0.05);
  inits['c1.b'] = randTensor(r, [4], 0.1);
  nodes.push({ op: 'Conv', name: 'c1', inputs: ['x', 'c1.w', 'c1.b'], outputs: ['c1.y'], attrs: convAttrs({ kernelShape: [5, 5] }) });
  let h = neuron(nodes, inits, r, 'c1.y', 'if1', 4, false, o);
  nodes.push({ op: 'AveragePool', name: 'p1', inputs: [h], outputs: ['p1.y'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) });
  inits['c2.w'] = randTensor(r, [6, 4, 3, 3], 0.5, 0.05);
  nodes.push({ op: 'Conv', name: 'c2', inputs: ['p1.y', 'c2.w', ''], outputs: ['c2.y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) });
  h = neuron(nodes, inits, r, 'c2.y', 'if2', 6, false, o);
  nodes.push({ op: 'Flatten', name: 'flat', inputs: [h], outputs: ['flat.y'], attrs: { axis: 1 } });
  inits['f1.w'] = randTensor(r, [32, 6 * 4 * 4], 0.3, 0.02);
  inits['f1.b'] = randTensor(r, [32], 0.1);
  nodes.push({ op: 'Gemm', name: 'f1', inputs: ['flat.y', 'f1.w', 'f1.b'], outputs: ['f1.y'], attrs: gemmAttrs({ transB: true }) });
  h = neuron(nodes, inits, r, 'f1.y', 'if3', 32, true, o);
  inits['f2.w'] = randTensor(r, [32, 10], 0.5);
  inits['f2.b'] = randTensor(r, [10], 0.1);
  nodes.push({ op: 'Gemm', name: 'f2', inputs: [h, 'f2.w', 'f2.b'], outputs: ['out'], attrs: gemmAttrs() });
  return buildGraph({
    name: 'lenet-like',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 12, 12] }],
    initializers: inits,
    nodes,
    outputs: ['out'],
    meta: meta(o),
  });
}

/** conv3x3(4, pad 1)-IF-SpikeMaxPool2-flatten-MatMul(10) on 1×8×8. */
export function maxPoolNet(seed: number, o: Opts = {}): Graph {
  const r = rng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  inits['c1.w'] = randTensor(r, [4, 1, 3, 3], 0.6, 0.1);
  nodes.push({ op: 'Conv', name: 'c1', inputs: ['x', 'c1.w'], outputs: ['c1.y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) });
  const h = neuron(nodes, inits, r, 'c1.y', 'if1', 4, false, o);
  nodes.push({
    op: 'SpikeMaxPool',
    name: 'mp',
    inputs: [h],
    outputs: ['mp.y'],
    attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false },
  });
  nodes.push({ op: 'Flatten', name: 'flat', inputs: ['mp.y'], outputs: ['flat.y'], attrs: { axis: 1 } });
  inits['fc.w'] = randTensor(r, [64, 10], 0.5);
  nodes.push({ op: 'MatMul', name: 'fc', inputs: ['flat.y', 'fc.w'], outputs: ['out'] });
  return buildGraph({
    name: 'maxpool-net',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 8, 8] }],
    initializers: inits,
    nodes,
    outputs: ['out'],
    meta: meta(o),
  });
}

/**
 * conv-IF, then a residual block conv-IF-conv + skip (Add) - IF - GlobalAveragePool - flatten - gemm,
 * on side × side inputs (16 and up: the batch's residual add is large enough for WebAssembly).
 */
export function residualNet(seed: number, o: Opts = {}, side = 6): Graph {
  const r = rng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  const conv = (x: string, tag: string, cin: number, cout: number): string => {
    inits[`${tag}.w`] = randTensor(r, [cout, cin, 3, 3], 0.5, 0.05);
    inits[`${tag}.b`] = randTensor(r, [cout], 0.1);
    nodes.push({
      op: 'Conv',
      name: tag,
      inputs: [x, `${tag}.w`, `${tag}.b`],
      outputs: [`${tag}.y`],
      attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }),
    });
    return `${tag}.y`;
  };
  const a = neuron(nodes, inits, r, conv('x', 'c1', 1, 4), 'if1', 4, false, o);
  const b = neuron(nodes, inits, r, conv(a, 'c2', 4, 4), 'if2', 4, false, o);
  const c = conv(b, 'c3', 4, 4);
  nodes.push({ op: 'Add', name: 'add', inputs: [c, a], outputs: ['add.y'] });
  const d = neuron(nodes, inits, r, 'add.y', 'if3', 4, false, o);
  nodes.push({ op: 'GlobalAveragePool', name: 'gap', inputs: [d], outputs: ['gap.y'] });
  nodes.push({ op: 'Flatten', name: 'flat', inputs: ['gap.y'], outputs: ['flat.y'], attrs: { axis: 1 } });
  inits['fc.w'] = randTensor(r, [10, 4], 1);
  nodes.push({ op: 'Gemm', name: 'fc', inputs: ['flat.y', 'fc.w'], outputs: ['out'], attrs: gemmAttrs({ transB: true, alpha: 0.5 }) });
  return buildGraph({
    name: 'residual-net',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, side, side] }],
    initializers: inits,
    nodes,
    outputs: ['out'],
    meta: meta(o),
  });
}
