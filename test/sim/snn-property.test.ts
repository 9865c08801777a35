// Property: on random small spiking graphs (conv with random stride/pad/dilation/groups,
// IF or LIF with random attributes and thresholds, average or spike max-pooling, Gemm with
// random alpha/beta/layout, direct or Poisson coding), the two simulation modes agree on
// every spike count, synop count and prediction, with and without early exit; and the
// WebAssembly kernels agree with the TypeScript loops they replace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs, windowAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph, NeuronAttrs, Node, Tensor } from '../../src/ir/types.js';
import { simulate } from '../../src/sim/snn/index.js';
import { scatterPlan, scatterRun } from '../../src/sim/snn/scatter.js';
import { ioReuseCount, keepScatterArenaUpTo, resetWasmScatter, wasmScatterEnabled } from '../../src/sim/snn/wasm/scatter.js';
import { resetWasmGemm } from '../../src/sim/ann/wasm/sgemm.js';
import { KERNELS } from '../../src/sim/ann/table.js';
import type { Kernel } from '../../src/sim/ann/kernel.js';
import { images, labels, randTensor, rng } from './snn-graphs.js';

interface Spec {
  readonly seed: number;
  readonly C: number;
  readonly H: number;
  readonly oc: number;
  readonly k: number;
  readonly stride: number;
  readonly pad: number;
  readonly dil: number;
  readonly grouped: boolean;
  readonly bias: boolean;
  readonly pool: 'none' | 'avg' | 'spike';
  readonly poolStride: number;
  readonly countIncludePad: boolean;
  readonly lif: boolean;
  readonly neuron: NeuronAttrs;
  readonly perChannel: boolean;
  readonly hidden: number;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly poisson: boolean;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  seed: fc.integer({ min: 1, max: 1e6 }),
  C: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 5, max: 8 }),
  oc: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 1 }),
  dil: fc.integer({ min: 1, max: 2 }),
  grouped: fc.boolean(),
  bias: fc.boolean(),
  pool: fc.constantFrom('none' as const, 'avg' as const, 'spike' as const),
  // 1: overlapping windows (an average pool then runs as a scatter, not the dense kernel).
  poolStride: fc.constantFrom(1, 2),
  countIncludePad: fc.boolean(),
  lif: fc.boolean(),
  neuron: fc.record({
    reset: fc.constantFrom('subtract' as const, 'zero' as const),
    vInit: fc.constantFrom(0, 0.5),
    fire: fc.constantFrom('ge' as const, 'gt' as const),
    refractory: fc.integer({ min: 0, max: 2 }),
  }),
  perChannel: fc.boolean(),
  hidden: fc.integer({ min: 1, max: 12 }),
  transB: fc.boolean(),
  alpha: fc.constantFrom(1, 0.5, 1.25),
  beta: fc.constantFrom(1, 0.75),
  poisson: fc.boolean(),
});

function build(s: Spec): Graph {
  const r = rng(s.seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  const group = s.grouped ? s.C : 1;
  const OC = s.oc * group;
  const neuron = (x: string, tag: string, shape: number[]): string => {
    inits[`${tag}.th`] = s.perChannel ? randTensor(r, shape, 0.5, 1) : randTensor(r, [], 0.5, 1);
    if (s.lif) nodes.push({ op: 'LIF', name: tag, inputs: [x, `${tag}.th`], outputs: [`${tag}.s`], attrs: { ...s.neuron, leak: 0.75 } });
    else nodes.push({ op: 'IF', name: tag, inputs: [x, `${tag}.th`], outputs: [`${tag}.s`], attrs: s.neuron });
    return `${tag}.s`;
  };
  inits['c.w'] = randTensor(r, [OC, s.C / group, s.k, s.k], 0.8, 0.1);
  if (s.bias) inits['c.b'] = randTensor(r, [OC], 0.2);
  const attrs = convAttrs({ kernelShape: [s.k, s.k], strides: [s.stride, s.stride], pads: [s.pad, s.pad, s.pad, s.pad], dilations: [s.dil, s.dil], group });
  nodes.push({ op: 'Conv', name: 'conv', inputs: ['x', 'c.w', s.bias ? 'c.b' : ''], outputs: ['c.y'], attrs });
  const O = Math.floor((s.H + 2 * s.pad - (s.dil * (s.k - 1) + 1)) / s.stride) + 1;
  let h = neuron('c.y', 'n1', [OC, 1, 1]);
  let side = O;
  if (s.pool !== 'none' && O >= 2) {
    const ps = s.poolStride;
    const w = windowAttrs({ kernelShape: [2, 2], strides: [ps, ps], pads: [0, 0, 1, 1] });
    side = Math.floor((O + 1 - 2) / ps) + 1;
    if (s.pool === 'avg')
      nodes.push({
        op: 'AveragePool',
        name: 'pool',
        inputs: [h],
        outputs: ['p.y'],
        attrs: { ...avgPoolAttrs({ kernelShape: [2, 2] }), ...w, countIncludePad: s.countIncludePad },
      });
    else nodes.push({ op: 'SpikeMaxPool', name: 'pool', inputs: [h], outputs: ['p.y'], attrs: { ...w, ceilMode: false } });
    h = 'p.y';
  }
  nodes.push({ op: 'Flatten', name: 'flat', inputs: [h], outputs: ['f'], attrs: { axis: 1 } });
  const F = OC * side * side;
  inits['g1.w'] = randTensor(r, s.transB ? [s.hidden, F] : [F, s.hidden], 0.6, 0.05);
  inits['g1.b'] = randTensor(r, [s.hidden], 0.2);
  nodes.push({
    op: 'Gemm',
    name: 'g1',
    inputs: ['f', 'g1.w', 'g1.b'],
    outputs: ['g1.y'],
    attrs: gemmAttrs({ transB: s.transB, alpha: s.alpha, beta: s.beta }),
  });
  h = neuron('g1.y', 'n2', [s.hidden]);
  inits['g2.w'] = randTensor(r, [s.hidden, 4], 1);
  nodes.push({ op: 'MatMul', name: 'g2', inputs: [h, 'g2.w'], outputs: ['y'] });
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', s.C, s.H, s.H] }],
    initializers: inits,
    nodes,
    outputs: ['y'],
    meta: { 'snnc.kind': 'snn', 'snnc.coding': s.poisson ? 'poisson' : 'direct' },
  });
}

test('property: event-driven ≡ time-stepped on random spiking graphs', () => {
  fc.assert(
    fc.property(
      specArb,
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      fc.constantFrom('auto' as const, 'dense' as const),
      (s, T, batchSize, exit, affine) => {
        const g = build(s);
        const r = rng(s.seed + 1);
        const data = { x: images(r, 5, [s.C, s.H, s.H]), y: labels(r, 5, 4) };
        const opts = { T, batchSize, seed: s.seed, ...(exit ? { earlyExit: 0.2 } : {}) };
        const a = simulate(g, data, { ...opts, mode: 'time-stepped', affine });
        const b = simulate(g, data, { ...opts, mode: 'event-driven', batchSize: 5 - batchSize + 1 });
        assert.deepEqual(Array.from(a.predictions), Array.from(b.predictions));
        assert.deepEqual(a.accuracyPerStep, b.accuracyPerStep);
        assert.deepEqual(a.layers, b.layers);
        assert.equal(a.macsPerSample, b.macsPerSample);
        assert.equal(a.meanSteps, b.meanSteps);
      },
    ),
    { numRuns: 150, seed: 20240607 },
  );
});

/** f with the WebAssembly kernels off (the TypeScript loops). */
function withoutWasm<R>(f: () => R): R {
  process.env['SNNC_NO_WASM'] = '1';
  resetWasmScatter();
  resetWasmGemm();
  try {
    return f();
  } finally {
    delete process.env['SNNC_NO_WASM'];
    resetWasmScatter();
    resetWasmGemm();
  }
}

test(
  "property: the WebAssembly scatter and neuron kernels give the TypeScript loops' bits",
  { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false },
  () => {
    assert.ok(wasmScatterEnabled(), 'the WebAssembly kernels compile and validate here');
    const reused = ioReuseCount();
    fc.assert(
      fc.property(specArb, fc.integer({ min: 1, max: 9 }), fc.constantFrom('time-stepped' as const, 'event-driven' as const), (s, T, mode) => {
        const g = build(s);
        const r = rng(s.seed + 1);
        const data = { x: images(r, 5, [s.C, s.H, s.H]), y: labels(r, 5, 4) };
        const opts = { T, seed: s.seed, mode };
        const a = simulate(g, data, opts);
        const b = withoutWasm(() => simulate(g, data, opts));
        assert.deepEqual(Array.from(a.predictions), Array.from(b.predictions));
        assert.deepEqual(a.accuracyPerStep, b.accuracyPerStep);
        assert.deepEqual(a.layers, b.layers);
      }),
      { numRuns: 100, seed: 20261204 },
    );
    // Some calls read their input where the previous call left it (conv → neurons → conv).
    assert.ok(ioReuseCount() > reused, 'the in-memory input path ran');
  },
);

test(
  "property: the WebAssembly global average pool gives the TypeScript loop's bits (ascending float64 sums)",
  { skip: process.env['SNNC_NO_WASM'] === '1' ? 'SNNC_NO_WASM=1' : false },
  () => {
    const node: Node = { op: 'GlobalAveragePool', name: 'gap', inputs: ['x'], outputs: ['y'], attrs: {} };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 1e6 }),
        (B, C, H, W, seed) => {
          const r = rng(seed);
          // Magnitudes 2^-30 … 2^30 with signs and zeros: a sum in another order or precision rounds differently.
          const data = new Float32Array(B * C * H * W).map(() => (r() < 0.3 ? 0 : (r() < 0.5 ? -1 : 1) * 2 ** Math.round(60 * r() - 30) * (1 + r())));
          const x: Tensor = { dtype: 'float32', shape: [B, C, H, W], data };
          const plan = scatterPlan(node, [x]);
          assert.ok(plan !== undefined);
          const a = scatterRun(plan, x).data as Float32Array;
          const b = withoutWasm(() => scatterRun(plan, x).data as Float32Array);
          assert.deepEqual(Array.from(a), Array.from(b));
          // The first channel by hand: ascending float64 sum, divided, rounded to float32.
          let s0 = 0;
          for (let i = 0; i < H * W; i++) s0 += data[i] as number;
          assert.equal(a[0], Math.fround(s0 / (H * W)));
        },
      ),
      { numRuns: 300, seed: 20261205 },
    );
  },
);

test('an analog input: every engine rounds the product to float32 before adding it (rows and conv)', () => {
  // Hand-computed: a = 2^23 + 2 (float32 ulp 1 there), then v·w with v = 0.75 and w = fl32(2/3):
  // v·w = 0.5 + 1.49e-8 exactly, fl32(v·w) = 0.5. fl32(a + 0.5) is a tie, to even: a. Adding the
  // exact product instead (one rounding of the sum) gives a + 1. The dense kernels with
  // exactSums (nn kernel, TS exactLoops) and the scatter kernels (WebAssembly, TS) must all give a.
  const a = 2 ** 23 + 2;
  const w1 = Math.fround(2 / 3);
  assert.equal(Math.fround(a + 0.75 * w1), a + 1, 'the case separates the two roundings');
  const gemm: Node = { op: 'Gemm', name: 'g', inputs: ['x', 'w'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) };
  const conv: Node = { op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [1, 1] }) };
  const f32 = (shape: number[], v: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(v) });
  const cases: [Node, Tensor, Tensor][] = [
    [gemm, f32([1, 2], [1, 0.75]), f32([1, 2], [a, w1])],
    [conv, f32([1, 2, 1, 1], [1, 0.75]), f32([1, 2, 1, 1], [a, w1])],
  ];
  for (const [node, x, w] of cases) {
    const plan = scatterPlan(node, [x, w]);
    assert.ok(plan !== undefined, node.op);
    const dense = (): number => (KERNELS[node.op] as Kernel)(node, [x, w], { limit: 1 << 20, exactSums: true })[0]?.data[0] as number;
    assert.equal(scatterRun(plan, x).data[0], a, `${node.op}: scatter`);
    assert.equal(dense(), a, `${node.op}: dense`);
    assert.equal(
      withoutWasm(() => scatterRun(plan, x).data[0]),
      a,
      `${node.op}: scatter without WebAssembly`,
    );
    assert.equal(withoutWasm(dense), a, `${node.op}: dense without WebAssembly`);
  }
});

test('a simulation after the scatter arena was let go places its plans again and gives the same bits', () => {
  const spec = fc.sample(specArb, { seed: 11, numRuns: 1 })[0] as Spec;
  const g = build(spec);
  const r = rng(7);
  const data = { x: images(r, 4, [spec.C, spec.H, spec.H]), y: labels(r, 4, 4) };
  const kept = simulate(g, data, { T: 5, seed: 1 });
  const old = keepScatterArenaUpTo(0);
  try {
    // Each run ends by dropping the engine: the second must not trust plans placed in the first.
    const a = simulate(g, data, { T: 5, seed: 1 });
    const b = simulate(g, data, { T: 5, seed: 1 });
    for (const x of [a, b]) {
      assert.deepEqual(Array.from(x.predictions), Array.from(kept.predictions));
      assert.deepEqual(x.layers, kept.layers);
    }
  } finally {
    keepScatterArenaUpTo(old);
  }
});
