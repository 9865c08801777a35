import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSnncError } from '../../src/errors.js';
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs, maxPoolAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph, Node, Tensor } from '../../src/ir/types.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { calibrate } from '../../src/passes/calibrate.js';
import type { Granularity } from '../../src/passes/calibrate.js';
import { collectingContext } from '../../src/passes/context.js';
import { convert } from '../../src/passes/convert.js';
import type { ConvertOptions } from '../../src/passes/convert.js';
import { snnPasses } from '../../src/passes/snn-pipeline.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { f32, images, randTensor, rng } from '../sim/snn-graphs.js';
import { refSimulate } from './ref-if.js';

const OPTS: ConvertOptions = { reset: 'subtract', coding: 'direct', maxpool: 'gate', granularity: 'layer' };

function node(g: Graph, name: string): Node {
  const n = g.nodes.find((m) => m.name === name);
  assert.ok(n !== undefined, `node ${name}`);
  return n;
}
function init(g: Graph, name: string): Tensor {
  const t = g.initializers.get(name);
  assert.ok(t !== undefined, `initializer ${name}`);
  return t;
}
function assertClose(got: ArrayLike<number>, want: readonly number[], tol = 1e-6): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= tol, `[${i}] ${got[i]} vs ${want[i]}`);
}

// --- graphs ----------------------------------------------------------------------

/** 2-2-2 MLP with hand-picked weights (see test (a)). */
function handMlp(): Graph {
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }],
    initializers: {
      w1: f32([2, 2], [1, 2, 3, -1]),
      b1: f32([2], [0.5, -1]),
      w2: f32([2, 2], [1, -1, 0.5, 2]),
      b2: f32([2], [0.25, 0]),
    },
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h1'], attrs: gemmAttrs({ transB: true }) },
      { op: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['a1'] },
      { op: 'Gemm', name: 'fc2', inputs: ['a1', 'w2', 'b2'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
  });
}

/** With `plus`, fc1's output gets a scalar constant added before its ReLU. */
function randomMlp(seed: number, plus = false): Graph {
  const r = rng(seed);
  const fc1: NodeSpec[] = plus
    ? [
        { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h0'], attrs: gemmAttrs({ transB: true }) },
        { op: 'Add', name: 'plus', inputs: ['h0', 'c'], outputs: ['h1'] },
      ]
    : [{ op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h1'], attrs: gemmAttrs({ transB: true }) }];
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 8] }],
    initializers: {
      w1: randTensor(r, [16, 8], 0.6, 0.05),
      b1: randTensor(r, [16], 0.2),
      w2: randTensor(r, [12, 16], 0.5, 0.05),
      b2: randTensor(r, [12], 0.2),
      w3: randTensor(r, [5, 12], 0.6),
      b3: randTensor(r, [5], 0.2),
      c: { dtype: 'float32', shape: [1], data: new Float32Array([0.1]) },
    },
    nodes: [
      ...fc1,
      { op: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['a1'] },
      { op: 'Gemm', name: 'fc2', inputs: ['a1', 'w2', 'b2'], outputs: ['h2'], attrs: gemmAttrs({ transB: true }) },
      { op: 'Relu', name: 'relu2', inputs: ['h2'], outputs: ['a2'] },
      { op: 'Gemm', name: 'fc3', inputs: ['a2', 'w3', 'b3'], outputs: ['logits'], attrs: gemmAttrs({ transB: true }) },
      { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: 1 } },
    ],
    outputs: ['probs'],
  });
}

/** conv3x3(4)-relu-avgpool2-conv3x3(6)-relu-flatten-gemm(5) on 1×8×8. */
function convNet(seed: number): Graph {
  const r = rng(seed);
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 8, 8] }],
    initializers: {
      c1w: randTensor(r, [4, 1, 3, 3], 0.5, 0.05),
      c1b: randTensor(r, [4], 0.1),
      c2w: randTensor(r, [6, 4, 3, 3], 0.4, 0.03),
      c2b: randTensor(r, [6], 0.1),
      fw: randTensor(r, [5, 96], 0.3),
      fb: randTensor(r, [5], 0.1),
    },
    nodes: [
      { op: 'Conv', name: 'c1', inputs: ['x', 'c1w', 'c1b'], outputs: ['c1y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'Relu', name: 'r1', inputs: ['c1y'], outputs: ['r1y'] },
      { op: 'AveragePool', name: 'p1', inputs: ['r1y'], outputs: ['p1y'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      { op: 'Conv', name: 'c2', inputs: ['p1y', 'c2w', 'c2b'], outputs: ['c2y'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
      { op: 'Relu', name: 'r2', inputs: ['c2y'], outputs: ['r2y'] },
      { op: 'Flatten', name: 'flat', inputs: ['r2y'], outputs: ['fy'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['fy', 'fw', 'fb'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
  });
}

/** stem conv-relu, block [conv-relu-conv, Add skip]-relu, GAP, gemm on 1×6×6. */
function resNet(seed: number): Graph {
  const r = rng(seed);
  const conv = (name: string, x: string, w: string, b: string, y: string): NodeSpec => ({
    op: 'Conv',
    name,
    inputs: [x, w, b],
    outputs: [y],
    attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }),
  });
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }],
    initializers: {
      sw: randTensor(r, [4, 1, 3, 3], 0.6, 0.05),
      sb: randTensor(r, [4], 0.1),
      aw: randTensor(r, [4, 4, 3, 3], 0.3, 0.02),
      ab: randTensor(r, [4], 0.1),
      bw: randTensor(r, [4, 4, 3, 3], 0.3),
      bb: randTensor(r, [4], 0.1),
      fw: randTensor(r, [3, 4], 0.8),
      fb: randTensor(r, [3], 0.1),
    },
    nodes: [
      conv('stem', 'x', 'sw', 'sb', 'sy'),
      { op: 'Relu', name: 'stem_relu', inputs: ['sy'], outputs: ['s'] },
      conv('conv_a', 's', 'aw', 'ab', 'ay'),
      { op: 'Relu', name: 'relu_a', inputs: ['ay'], outputs: ['a'] },
      conv('conv_b', 'a', 'bw', 'bb', 'by'),
      { op: 'Add', name: 'add', inputs: ['s', 'by'], outputs: ['sum'] },
      { op: 'Relu', name: 'relu_out', inputs: ['sum'], outputs: ['o'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['o'], outputs: ['gy'] },
      { op: 'Flatten', name: 'flat', inputs: ['gy'], outputs: ['fy'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['fy', 'fw', 'fb'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
  });
}

/**
 * Max over outputs and samples of |SNN rate readout − ANN output| / (ANN output range),
 * with 'max' calibration on the same inputs and the reference IF simulation at T steps.
 */
function rateError(g: Graph, x: Tensor, granularity: Granularity, T = 2000): { err: number; snn: Graph } {
  const stats = calibrate(g, { x, source: 'test' }, { method: 'max', granularity });
  const snn = convert(g, stats, { ...OPTS, granularity });
  verifyGraph(snn);
  // The ANN reference is the pre-softmax output when the model ends in a Softmax.
  const annOut = snn.outputs[0] as string;
  const ann = runGraph({ ...g, outputs: [annOut] }, new Map([[g.inputs[0] as string, x]])).get(annOut) as Tensor;
  const N = x.shape[0] as number;
  const per = x.data.length / N;
  const M = ann.data.length / N;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ann.data as Float32Array) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  let err = 0;
  for (let i = 0; i < N; i++) {
    const rate = refSimulate(snn, (x.data as Float32Array).subarray(i * per, (i + 1) * per), T);
    for (let m = 0; m < M; m++) err = Math.max(err, Math.abs((rate[m] as number) - (ann.data[i * M + m] as number)) / (hi - lo));
  }
  return { err, snn };
}

describe('convert: weight normalization by hand (a)', () => {
  // Calibration inputs [1, 1] and [2, 0]: fc1 gives h = [3.5, 1] and [2.5, 5]
  // (h0 = x0 + 2·x1 + 0.5, h1 = 3·x0 − x1 − 1), so λ_layer = 5 and λ_channel = [3.5, 5].
  const x = f32([2, 2], [1, 1, 2, 0]);
  it('per layer: W1/5, b1/5, θ = 1 (shape []), W2·5, b2 unchanged', () => {
    const g = handMlp();
    const snn = convert(g, calibrate(g, { x, source: 't' }, { method: 'max', granularity: 'layer' }), OPTS);
    const fc1 = node(snn, 'fc1');
    assertClose(init(snn, fc1.inputs[1] as string).data as Float32Array, [0.2, 0.4, 0.6, -0.2]);
    assertClose(init(snn, fc1.inputs[2] as string).data as Float32Array, [0.1, -0.2]);
    const n = node(snn, 'relu1');
    assert.equal(n.op, 'IF');
    assert.deepEqual(n.attrs, { reset: 'subtract', vInit: 0.5, fire: 'ge', refractory: 0 });
    const th = init(snn, n.inputs[1] as string);
    assert.deepEqual(th.shape, []);
    assertClose(th.data as Float32Array, [1]);
    const fc2 = node(snn, 'fc2');
    assertClose(init(snn, fc2.inputs[1] as string).data as Float32Array, [5, -5, 2.5, 10]);
    assertClose(init(snn, fc2.inputs[2] as string).data as Float32Array, [0.25, 0]);
    assert.deepEqual(snn.outputs, ['y']);
    assert.equal(snn.meta['snnc.kind'], 'snn');
    assert.equal(snn.meta['snnc.coding'], 'direct');
    assert.equal(snn.meta['snnc.readout'], 'membrane');
    assert.equal(snn.meta['snnc.calibration'], 'max');
    assert.equal(snn.meta['snnc.maxpool'], 'gate');
    assert.equal(snn.meta['snnc.reset'], 'subtract');
  });
  it('per channel: rows of W1 over [3.5, 5], θ shape [2], columns of W2 times [3.5, 5]', () => {
    const g = handMlp();
    const snn = convert(g, calibrate(g, { x, source: 't' }, { method: 'max', granularity: 'channel' }), {
      ...OPTS,
      granularity: 'channel',
      reset: 'zero',
      fire: 'gt',
    });
    const fc1 = node(snn, 'fc1');
    assertClose(init(snn, fc1.inputs[1] as string).data as Float32Array, [1 / 3.5, 2 / 3.5, 0.6, -0.2]);
    assertClose(init(snn, fc1.inputs[2] as string).data as Float32Array, [0.5 / 3.5, -0.2]);
    const n = node(snn, 'relu1');
    assert.deepEqual(n.attrs, { reset: 'zero', vInit: 0, fire: 'gt', refractory: 0 });
    const th = init(snn, n.inputs[1] as string);
    assert.deepEqual(th.shape, [2]);
    assertClose(th.data as Float32Array, [1, 1]);
    assertClose(init(snn, node(snn, 'fc2').inputs[1] as string).data as Float32Array, [3.5, -5, 1.75, 10]);
  });
});

describe('convert: rate-coding identity against a reference IF simulation (b, c, d)', () => {
  for (const gran of ['layer', 'channel'] as const) {
    it(`random ReLU MLP (Softmax dropped), ${gran}`, () => {
      const g = randomMlp(7);
      const { err, snn } = rateError(g, images(rng(11), 10, [8]), gran);
      assert.deepEqual(snn.outputs, ['logits']);
      assert.ok(!snn.nodes.some((n) => n.op === 'Softmax'));
      assert.ok(err < 0.01, `relative error ${err}`);
    });
    it(`a scalar added before a ReLU (an exporter's \`h + 0.1\`) is spread per channel, ${gran}`, () => {
      const { err, snn } = rateError(randomMlp(7, true), images(rng(11), 10, [8]), gran);
      const plus = node(snn, 'plus');
      if (gran === 'channel') assert.deepEqual(init(snn, plus.inputs[1] as string).shape, [1, 16]);
      assert.ok(err < 0.01, `relative error ${err}`);
    });
    it(`tiny conv net, ${gran}`, () => {
      const { err, snn } = rateError(convNet(3), images(rng(5), 6, [1, 8, 8]), gran);
      if (gran === 'channel') assert.deepEqual(init(snn, node(snn, 'r1').inputs[1] as string).shape, [4, 1, 1]);
      assert.ok(err < 0.01, `relative error ${err}`);
    });
    it(`residual net: the skip branch is rescaled to the Add's units, ${gran}`, () => {
      const g = resNet(21);
      const x = images(rng(8), 6, [1, 6, 6]);
      const { err, snn } = rateError(g, x, gran);
      assert.ok(err < 0.01, `relative error ${err}`);
      // Hand check of the consistent scaling: Add reads conv_b (normalized to λ_out) and
      // Mul(s, λ_stem/λ_out).
      const stats = calibrate(g, { x, source: 't' }, { method: 'max', granularity: 'layer' });
      if (gran === 'layer') {
        const add = node(snn, 'add');
        const mul = snn.nodes.find((n) => n.outputs[0] === add.inputs[0]);
        assert.ok(mul !== undefined && mul.op === 'Mul' && mul.inputs[0] === 's');
        const want = (stats.values.get('s')?.layer as number) / (stats.values.get('o')?.layer as number);
        assertClose(init(snn, mul.inputs[1] as string).data as Float32Array, [want], 1e-6 * want);
        assert.equal(add.inputs[1], 'by');
      }
    });
  }
});

describe('convert: max-pooling, readout, passes', () => {
  function poolNet(): Graph {
    const r = rng(1);
    return buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 4, 4] }],
      initializers: { w: randTensor(r, [2, 1, 3, 3], 0.5, 0.1), fw: randTensor(r, [3, 8], 0.5) },
      nodes: [
        { op: 'MaxPool', name: 'inpool', inputs: ['x'], outputs: ['xp'], attrs: maxPoolAttrs({ kernelShape: [1, 1] }) },
        { op: 'Conv', name: 'c', inputs: ['xp', 'w'], outputs: ['cy'], attrs: convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }) },
        { op: 'Relu', name: 'r', inputs: ['cy'], outputs: ['ry'] },
        { op: 'MaxPool', name: 'mp', inputs: ['ry'], outputs: ['my'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
        { op: 'Flatten', name: 'f', inputs: ['my'], outputs: ['fy'], attrs: { axis: 1 } },
        { op: 'Gemm', name: 'fc', inputs: ['fy', 'fw', ''], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
      ],
      outputs: ['y'],
    });
  }
  const x = images(rng(2), 4, [1, 4, 4]);
  it("'gate' → SpikeMaxPool on spikes; a MaxPool on the static input stays", () => {
    const g = poolNet();
    const ctx = collectingContext();
    const snn = convert(g, calibrate(g, { x, source: 't' }, { method: 'max', granularity: 'layer' }), OPTS, ctx.report);
    assert.equal(node(snn, 'mp').op, 'SpikeMaxPool');
    assert.equal(node(snn, 'inpool').op, 'MaxPool');
    assert.equal(ctx.diagnostics.length, 0);
  });
  it("'avg' → AveragePool of the same window plus a SNNC_W_MAXPOOL_AVG warning", () => {
    const g = poolNet();
    const ctx = collectingContext();
    const snn = convert(g, calibrate(g, { x, source: 't' }, { method: 'max', granularity: 'layer' }), { ...OPTS, maxpool: 'avg' }, ctx.report);
    const n = node(snn, 'mp');
    assert.equal(n.op, 'AveragePool');
    if (n.op === 'AveragePool') assert.deepEqual(n.attrs.kernelShape, [2, 2]);
    assert.deepEqual(
      ctx.diagnostics.map((d) => [d.code, d.node]),
      [['SNNC_W_MAXPOOL_AVG', 'mp']],
    );
    assert.equal(snn.meta['snnc.maxpool'], 'avg');
  });
  it('a per-channel scale reaching a graph output gets a readout Mul (ANN units)', () => {
    // The output is the Relu itself: spikes times λ per channel give back ANN units.
    const g = buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }],
      initializers: { w: f32([2, 2], [1, 0, 0, 2]) },
      nodes: [
        { op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['y'] },
      ],
      outputs: ['y'],
    });
    // λ = [1, 4] from the inputs [1, 2] and [0.5, 0]: h = x·w.
    const snn = convert(g, calibrate(g, { x: f32([2, 2], [1, 2, 0.5, 0]), source: 't' }, { method: 'max', granularity: 'channel' }), {
      ...OPTS,
      granularity: 'channel',
    });
    const mul = snn.nodes.find((n) => n.outputs[0] === 'y');
    assert.ok(mul !== undefined && mul.op === 'Mul');
    assertClose(init(snn, mul.inputs[1] as string).data as Float32Array, [1, 4]);
    assertClose(init(snn, node(snn, 'mm').inputs[1] as string).data as Float32Array, [1, 0, 0, 0.5]);
  });
  it('snnPasses: calibrate stores the statistics, convert consumes them (same graph as direct calls)', () => {
    const g = randomMlp(4);
    const xs = images(rng(3), 5, [8]);
    const ctx = { ...collectingContext({ seed: 0, calibration: { x: xs, source: 'test' } }) };
    let h = g;
    const passes = snnPasses({ method: { percentile: 99.9 }, granularity: 'channel', reset: 'subtract', coding: 'direct', maxpool: 'gate' });
    assert.deepEqual(
      passes.map((p) => p.name),
      ['calibrate', 'convert'],
    );
    for (const p of passes) h = p.run(h, ctx);
    const direct = convert(g, calibrate(g, { x: xs, source: 'test' }, { method: { percentile: 99.9 }, granularity: 'channel' }), {
      ...OPTS,
      granularity: 'channel',
    });
    assert.equal(h.meta['snnc.calibration'], 'percentile:99.9');
    assert.equal(h.meta['snnc.calibration.stats'], undefined);
    for (const [k, t] of direct.initializers) assert.deepEqual(h.initializers.get(k), t, k);
  });
});

describe('convert: errors (f)', () => {
  function sigmoidNet(op: 'Sigmoid' | 'BatchNormalization'): Graph {
    const r = rng(9);
    const extra = op === 'Sigmoid' ? {} : { s: f32([3], [1, 1, 1]), bb: f32([3], [0, 0, 0]), m: f32([3], [0, 0, 0]), v: f32([3], [1, 1, 1]) };
    return buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
      initializers: { w1: randTensor(r, [3, 4], 0.5), w2: randTensor(r, [2, 3], 0.5), ...extra },
      nodes: [
        { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', ''], outputs: ['h'], attrs: gemmAttrs({ transB: true }) },
        op === 'Sigmoid'
          ? { op: 'Sigmoid', name: 'hidden_act', inputs: ['h'], outputs: ['a'] }
          : { op: 'BatchNormalization', name: 'hidden_act', inputs: ['h', 's', 'bb', 'm', 'v'], outputs: ['a'], attrs: { epsilon: 1e-5 } },
        { op: 'Gemm', name: 'fc2', inputs: ['a', 'w2', ''], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
      ],
      outputs: ['y'],
    });
  }
  for (const op of ['Sigmoid', 'BatchNormalization'] as const) {
    it(`a hidden ${op} is SNNC_E_CONVERT naming the node, with a hint`, () => {
      const g = sigmoidNet(op);
      const stats = calibrate(g, { x: images(rng(1), 3, [4]), source: 't' }, { method: 'max', granularity: 'layer' });
      assert.throws(
        () => convert(g, stats, OPTS),
        (e: unknown) => {
          assert.ok(isSnncError(e));
          assert.equal(e.code, 'SNNC_E_CONVERT');
          assert.equal(e.node, 'hidden_act');
          assert.match(e.message, /hidden_act/);
          assert.ok(e.hint !== undefined && e.hint.length > 0);
          return true;
        },
      );
    });
  }
  it("'gate' max-pool on an analog time-varying value is SNNC_E_CONVERT", () => {
    const g = buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 4, 4] }],
      initializers: { w: f32([1, 1, 1, 1], [1]), w2: f32([1, 1, 1, 1], [1]) },
      nodes: [
        { op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['cy'], attrs: convAttrs({ kernelShape: [1, 1] }) },
        { op: 'Relu', name: 'r', inputs: ['cy'], outputs: ['ry'] },
        { op: 'Conv', name: 'c2', inputs: ['ry', 'w2'], outputs: ['c2y'], attrs: convAttrs({ kernelShape: [1, 1] }) },
        { op: 'MaxPool', name: 'mp', inputs: ['c2y'], outputs: ['y'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      ],
      outputs: ['y'],
    });
    const stats = calibrate(g, { x: images(rng(1), 2, [1, 4, 4]), source: 't' }, { method: 'max', granularity: 'layer' });
    assert.throws(
      () => convert(g, stats, OPTS),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CONVERT' && e.node === 'mp',
    );
  });
  it('a NaN or ±∞ weight or bias is SNNC_E_CONVERT naming the node and the tensor (it gave a plausible accuracy before)', () => {
    const ok = handMlp();
    const stats = calibrate(ok, { x: images(rng(1), 3, [2]), source: 't' }, { method: 'max', granularity: 'layer' });
    for (const [tensor, at, v, node] of [
      ['w1', 2, NaN, 'fc1'],
      ['b2', 1, Infinity, 'fc2'],
      ['w2', 0, -Infinity, 'fc2'],
    ] as const) {
      const t = init(ok, tensor);
      const data = Float32Array.from(t.data as Float32Array);
      data[at] = v;
      const g: Graph = { ...ok, initializers: new Map([...ok.initializers, [tensor, { ...t, data }]]) };
      assert.throws(
        () => convert(g, stats, OPTS),
        (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CONVERT' && e.node === node && e.message.includes(`'${tensor}'`) && e.message.includes(String(v)),
        tensor,
      );
    }
    assert.doesNotThrow(() => convert(ok, stats, OPTS), 'finite weights convert');
  });
  it('convert pass without statistics is SNNC_E_CALIBRATION', () => {
    const pass = snnPasses()[1];
    assert.ok(pass !== undefined);
    assert.throws(
      () => pass.run(handMlp(), collectingContext()),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_CALIBRATION',
    );
  });
  it('a dead layer (λ = 0) is reported', () => {
    const g = handMlp();
    // x = [0, 1]: h = [2.5, -2] → channel 1 dead; x = [-1, 0]: h = [-0.5, -4] → all dead.
    const ctx = collectingContext();
    convert(g, calibrate(g, { x: f32([1, 2], [-1, 0]), source: 't' }, { method: 'max', granularity: 'layer' }), OPTS, ctx.report);
    assert.deepEqual(
      ctx.diagnostics.map((d) => [d.code, d.node]),
      [['SNNC_W_DEAD_LAYER', 'relu1']],
    );
    const ctx2 = collectingContext();
    convert(
      g,
      calibrate(g, { x: f32([1, 2], [0, 1]), source: 't' }, { method: 'max', granularity: 'channel' }),
      { ...OPTS, granularity: 'channel' },
      ctx2.report,
    );
    assert.deepEqual(
      ctx2.diagnostics.map((d) => [d.code, d.node]),
      [['SNNC_W_DEAD_CHANNELS', 'relu1']],
    );
  });
});
