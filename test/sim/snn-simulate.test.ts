// simulate(): hand-computed synops, readout and early exit; identical results in both
// modes; Poisson coding reproducibility; direct-coding reuse; diagnostics and errors.
import { KERNELS } from '../../src/sim/ann/table.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs } from '../../src/ir/build.js';
import type { NodeSpec } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { simulate } from '../../src/sim/snn/index.js';
import { HELPER, MAIN, helperChunks, helperThreadsStarted, newQueue, takeChunk } from '../../src/sim/snn/simulate-split.js';
import { isSnncError } from '../../src/errors.js';
import type { SimData, SimulateOptions, SimulateResult } from '../../src/sim/snn/index.js';
import { f32, IF_ATTRS, images, labels, lenetLike, maxPoolNet, residualNet, rng } from './snn-graphs.js';

const SNN = { 'snnc.kind': 'snn', 'snnc.readout': 'membrane' };

function graph(inputShape: (number | string)[], nodes: NodeSpec[], inits: Record<string, Tensor>, out: string, coding = 'direct'): Graph {
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: inputShape }],
    initializers: inits,
    nodes,
    outputs: [out],
    meta: { ...SNN, 'snnc.coding': coding },
  });
}

function both(g: Graph, data: SimData, opts: SimulateOptions): [SimulateResult, SimulateResult] {
  return [simulate(g, data, { ...opts, mode: 'time-stepped' }), simulate(g, data, { ...opts, mode: 'event-driven' })];
}

test('dense layer: spikes, synops, MACs, firing rate and readout by hand', () => {
  // Gemm1 (identity on the first 3 of 4 inputs) → IF θ=1 → Gemm2 picks neurons 0 and 1.
  const g = graph(
    ['N', 4],
    [
      { op: 'Gemm', inputs: ['x', 'w1'], outputs: ['i'], attrs: gemmAttrs({ transB: true }) },
      { op: 'IF', name: 'if', inputs: ['i', 'th'], outputs: ['s'], attrs: IF_ATTRS },
      { op: 'Gemm', inputs: ['s', 'w2'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    { w1: f32([3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), th: f32([], [1]), w2: f32([2, 3], [1, 0, 0, 0, 1, 0]) },
    'y',
  );
  const data = { x: f32([1, 4], [1, 0.5, 0, 7]), y: Int32Array.of(0) };
  for (const r of both(g, data, { T: 4 })) {
    // currents [1, .5, 0]: neuron 0 fires every step (4), neuron 1 every 2nd (2), neuron 2 never.
    assert.equal(r.spikesPerSample, 6);
    // each spike reaches the 2 outputs of Gemm2
    assert.equal(r.synopsPerSample, 12);
    assert.deepEqual(r.layers, [{ name: 'if', op: 'IF', neurons: 3, spikes: 6, synops: 12, firingRate: 0.5 }]);
    // Gemm1's input is analog: 4·3 MACs per step, 4 steps
    assert.equal(r.macsPerSample, 48);
    // readout sums: class 0 = 1,2,3,4; class 1 = 0,1,1,2 → class 0 at every step
    assert.deepEqual(r.accuracyPerStep, [1, 1, 1, 1]);
    assert.deepEqual(Array.from(r.predictions), [0]);
    assert.deepEqual(r.diagnostics, []);
  }
});

test('conv fan-out: C_out × kernel positions covering the pixel, borders included', () => {
  // Poisson coding of a binary image is deterministic (p = 1 always fires, p = 0 never).
  // 3×3 conv, pad 1, 2 output channels, on 3×3: along a dim, position 0 is read by 2
  // (output, tap) pairs, position 1 by 3, position 2 by 2 → fan-out corner 2·2·2 = 8,
  // centre 2·3·3 = 18. Image: corner (0,0) and centre (1,1) → 26 synops per step.
  const r = rng(5);
  const conv = (attrs: ReturnType<typeof convAttrs>): Graph =>
    graph(
      ['N', 1, 3, 3],
      [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs },
        { op: 'IF', name: 'if', inputs: ['c', 'th'], outputs: ['s'], attrs: IF_ATTRS },
        { op: 'GlobalAveragePool', inputs: ['s'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      {
        w: f32(
          attrs.kernelShape[0] === 3 ? [2, 1, 3, 3] : [2, 1, 2, 2],
          Array.from({ length: attrs.kernelShape[0] === 3 ? 18 : 8 }, () => r()),
        ),
        th: f32([], [0.7]),
      },
      'y',
      'poisson',
    );
  const img = f32([1, 1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 0]);
  for (const res of both(conv(convAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] })), { x: img, y: Int32Array.of(0) }, { T: 3 })) {
    const input = res.layers[0];
    assert.equal(input?.op, 'input');
    assert.equal(input?.spikes, 6);
    assert.equal(input?.synops, 78);
    // IF spikes feed GlobalAveragePool: fan-out 1 each
    assert.equal(res.layers[1]?.synops, res.layers[1]?.spikes);
  }
  // 2×2 kernel, stride 2, no pad: only output (0,0) exists; row/col 2 is never read.
  // Image: (0,0), (1,2), (2,2) → fan-outs 2, 0, 0.
  const img2 = f32([1, 1, 3, 3], [1, 0, 0, 0, 0, 1, 0, 0, 1]);
  for (const res of both(conv(convAttrs({ kernelShape: [2, 2], strides: [2, 2] })), { x: img2, y: Int32Array.of(0) }, { T: 5 })) {
    assert.equal(res.layers[0]?.synops, 10);
  }
});

test('average pool fan-out: pixels outside every window cost nothing', () => {
  // 2×2/2 pool on 3×3: the 4 pixels of rows/cols 0-1 are read once; row/col 2 never.
  const g = graph(
    ['N', 1, 3, 3],
    [
      { op: 'AveragePool', inputs: ['x'], outputs: ['p'], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
      { op: 'Flatten', inputs: ['p'], outputs: ['y'], attrs: { axis: 1 } },
    ],
    {},
    'y',
    'poisson',
  );
  for (const r of both(g, { x: f32([1, 1, 3, 3], new Array<number>(9).fill(1)), y: Int32Array.of(0) }, { T: 2 })) {
    assert.equal(r.layers[0]?.spikes, 18);
    assert.equal(r.synopsPerSample, 8);
    assert.equal(r.spikesPerSample, 0); // input spikes are listed per layer only
    assert.deepEqual(r.accuracyPerStep, [1, 1]);
  }
});

test('early exit on the mean readout margin, frozen predictions, mean steps', () => {
  const g = graph(['N', 2], [{ op: 'IF', name: 'if', inputs: ['x', 'th'], outputs: ['s'], attrs: IF_ATTRS }], { th: f32([], [1]) }, 's');
  // Sample 1 [1, .5]: step 1 spikes [1, 0] → mean margin 1 ≥ .6 → exits after 1 step, predicts 0.
  // Sample 2 [.5, .25]: neuron 0 fires at 2,4,6,8, neuron 1 at 4,8; mean margins .5 (t=2),
  // .33, .25, .3, .33, .29, .25 — never ≥ .6 → runs 8 steps, predicts 0 (sum [4, 2]).
  const data = { x: f32([2, 2], [1, 0.5, 0.5, 0.25]), y: Int32Array.of(0, 1) };
  for (const r of both(g, data, { T: 8, earlyExit: 0.6 })) {
    assert.equal(r.meanSteps, 4.5);
    assert.deepEqual(Array.from(r.predictions), [0, 0]);
    assert.deepEqual(r.accuracyPerStep, new Array<number>(8).fill(0.5));
    // spikes counted while running: sample 1: 1, sample 2: 6
    assert.equal(r.spikesPerSample, 3.5);
    assert.equal(r.layers[0]?.firingRate, 3.5 / (2 * 4.5));
  }
  assert.equal(simulate(g, data, { T: 8 }).meanSteps, undefined);
});

function assertSame(a: SimulateResult, b: SimulateResult, what: string): void {
  assert.deepEqual(Array.from(a.predictions), Array.from(b.predictions), `${what}: predictions`);
  assert.deepEqual(a.accuracyPerStep, b.accuracyPerStep, `${what}: accuracy per step`);
  assert.deepEqual(a.layers, b.layers, `${what}: layers (spikes, synops)`);
  assert.equal(a.macsPerSample, b.macsPerSample, `${what}: MACs`);
  assert.equal(a.meanSteps, b.meanSteps, `${what}: mean steps`);
}

test('time-stepped and event-driven give identical spikes, synops and predictions', () => {
  const r = rng(11);
  const cases: [string, Graph, number[]][] = [
    ['lenet-like', lenetLike(1), [1, 12, 12]],
    ['lenet-like per-channel θ', lenetLike(2, { perChannel: true }), [1, 12, 12]],
    ['lenet-like LIF', lenetLike(3, { neuron: { leak: 0.9 } }), [1, 12, 12]],
    ['lenet-like gt/zero/refractory', lenetLike(4, { neuron: { fire: 'gt', reset: 'zero', refractory: 1, vInit: 0.5 } }), [1, 12, 12]],
    ['lenet-like poisson', lenetLike(5, { coding: 'poisson' }), [1, 12, 12]],
    ['SpikeMaxPool', maxPoolNet(6), [1, 8, 8]],
    ['SpikeMaxPool per-channel', maxPoolNet(7, { perChannel: true }), [1, 8, 8]],
    ['residual', residualNet(8), [1, 6, 6]],
    ['residual poisson LIF', residualNet(9, { coding: 'poisson', neuron: { leak: 0.8 } }), [1, 6, 6]],
    // 4×16×16 per sample: the batch's residual add runs in WebAssembly (arith.ts ewWasm), into
    // the output buffers the event-driven loop recycles from step to step.
    ['residual 16×16', residualNet(10, {}, 16), [1, 16, 16]],
  ];
  for (const [name, g, shape] of cases) {
    const data = { x: images(r, 13, shape), y: labels(r, 13, 10) };
    const [a, b] = both(g, data, { T: 12, seed: 3, batchSize: 5 });
    assertSame(a, b, name);
    // the time-stepped mode with dense kernels only (no sparse shortcut) agrees as well
    assertSame(simulate(g, data, { T: 12, seed: 3, affine: 'dense' }), b, `${name} dense kernels`);
    assert.ok(a.spikesPerSample > 0, `${name}: some spikes`);
    const [c, d] = both(g, data, { T: 12, seed: 3, earlyExit: 0.3 });
    assertSame(c, d, `${name} early exit`);
  }
});

test('with exactSums (as the SNN runtime sets it) Gemm sums in float32 in ascending order', () => {
  // 1 then seven terms t = 2^-25 (half of half an ulp of 1). Ascending in float32: each
  // 1 + t rounds back to 1, so 1. In float64, then rounded: 1 + 7t = 1 + 1.75 ulp → 1 + 2^-22.
  // Four lanes folded as the nt kernel folds them: (1 + 2^-24) + 2^-23 → 1 + 2^-23.
  const node = { name: 'g', op: 'Gemm', attrs: gemmAttrs({ transB: true }), inputs: ['a', 'b'], outputs: ['y'] } as const;
  const a = f32([1, 8], new Array<number>(8).fill(1));
  const b = f32([1, 8], [1, ...new Array<number>(7).fill(2 ** -25)]);
  const y = KERNELS.Gemm(node, [a, b], { limit: 1 << 20, exactSums: true })[0];
  assert.equal((y?.data as Float32Array)[0], 1);
});

test('the dense kernels sum 2^60 + 1 − 2^60 left to right', () => {
  // 2^60 + 1 − 2^60 is 0 when summed left to right in float64, 1 in any other grouping.
  const w = [2 ** 60, 1, -(2 ** 60)];
  const gemm = buildGraph({
    inputs: [{ name: 'a', dtype: 'float32', shape: [1, 3] }],
    initializers: { b: f32([1, 3], w) },
    nodes: [{ op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) }],
    outputs: ['y'],
  });
  assert.equal((runGraph(gemm, new Map([['a', f32([1, 3], [1, 1, 1])]])).get('y')?.data as Float32Array)[0], 0);
  const conv = buildGraph({
    inputs: [{ name: 'a', dtype: 'float32', shape: [1, 3, 1, 1] }],
    initializers: { w: f32([1, 3, 1, 1], w) },
    nodes: [{ op: 'Conv', inputs: ['a', 'w'], outputs: ['y'], attrs: convAttrs({ kernelShape: [1, 1] }) }],
    outputs: ['y'],
  });
  assert.equal((runGraph(conv, new Map([['a', f32([1, 3, 1, 1], [1, 1, 1])]])).get('y')?.data as Float32Array)[0], 0);
});

test('Poisson coding: reproducible for a seed, independent of batch size and mode', () => {
  const g = lenetLike(12, { coding: 'poisson' });
  const r = rng(2);
  const data = { x: images(r, 9, [1, 12, 12]), y: labels(r, 9, 10) };
  const ref = simulate(g, data, { T: 10, seed: 42, batchSize: 9 });
  for (const batchSize of [1, 2, 4]) {
    assertSame(simulate(g, data, { T: 10, seed: 42, batchSize }), ref, `batch ${batchSize}`);
    assertSame(simulate(g, data, { T: 10, seed: 42, batchSize, mode: 'event-driven' }), ref, `event-driven batch ${batchSize}`);
  }
  const other = simulate(g, data, { T: 10, seed: 43 });
  assert.notEqual(other.layers[0]?.spikes, ref.layers[0]?.spikes);
  // Rate: a 0.3-grey image fires with p = 0.3 per pixel and step; 144 pixels × 200 steps.
  const grey = graph(['N', 144], [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], {}, 'y', 'poisson');
  const res = simulate(grey, { x: f32([1, 144], new Array<number>(144).fill(0.3)), y: Int32Array.of(0) }, { T: 200, seed: 1 });
  const n = 144 * 200;
  const sd = Math.sqrt(n * 0.3 * 0.7);
  assert.ok(Math.abs((res.layers[0]?.spikes ?? 0) - 0.3 * n) < 5 * sd, `rate ${(res.layers[0]?.spikes ?? 0) / n}`);
});

test('direct coding computes the pre-spike layers once: same as recomputing every step', () => {
  // With a binary image, Poisson coding reproduces the image at every step, but the input
  // is dynamic, so conv1 is recomputed per step; direct coding computes it once.
  const r = rng(21);
  const x = images(r, 6, [1, 12, 12]);
  const bin = f32(
    x.shape,
    Array.from(x.data as Float32Array, (v) => (v > 0.5 ? 1 : 0)),
  );
  const data = { x: bin, y: labels(r, 6, 10) };
  for (const mode of ['time-stepped', 'event-driven'] as const) {
    const direct = simulate(lenetLike(22), data, { T: 9, mode });
    const recomputed = simulate(lenetLike(22, { coding: 'poisson' }), data, { T: 9, mode });
    assert.deepEqual(Array.from(direct.predictions), Array.from(recomputed.predictions));
    assert.deepEqual(direct.accuracyPerStep, recomputed.accuracyPerStep);
    assert.deepEqual(direct.layers, recomputed.layers.slice(1));
  }
});

test('diagnostics: silent and saturated layers, named, with a calibration hint', () => {
  const g = (th: number): Graph =>
    graph(
      ['N', 4],
      [
        { op: 'IF', name: 'hidden', inputs: ['x', 'th'], outputs: ['s'], attrs: IF_ATTRS },
        { op: 'Gemm', inputs: ['s', 'w'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
      ],
      { th: f32([], [th]), w: f32([2, 4], [1, 0, 1, 0, 0, 1, 0, 1]) },
      'y',
    );
  const data = { x: f32([2, 4], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]), y: Int32Array.of(0, 1) };
  const silent = simulate(g(1000), data, { T: 8 }).diagnostics;
  assert.equal(silent.length, 1);
  assert.equal(silent[0]?.code, 'SNNC_W_SILENT_LAYER');
  assert.equal(silent[0]?.node, 'hidden');
  assert.match(silent[0]?.hint ?? '', /percentile/);
  const sat = simulate(g(0.01), data, { T: 8 }).diagnostics;
  assert.equal(sat[0]?.code, 'SNNC_W_SATURATED_LAYER');
  assert.match(sat[0]?.message ?? '', /hidden/);
  assert.match(sat[0]?.hint ?? '', /percentile/);
});

test('errors: bad T, empty dataset, label count, input shape', () => {
  const g = lenetLike(1);
  const data = { x: images(rng(1), 2, [1, 12, 12]), y: Int32Array.of(0, 1) };
  for (const T of [0, -3, 2.5, 100001, Number.NaN]) {
    assert.throws(
      () => simulate(g, data, { T }),
      (e: Error & { code?: string }) => e.code === 'SNNC_E_USAGE' && e.message.includes(String(T)),
    );
  }
  assert.throws(() => simulate(g, { x: f32([0, 1, 12, 12], []), y: new Int32Array(0) }, { T: 4 }), { code: 'SNNC_E_DATASET' });
  assert.throws(() => simulate(g, { x: data.x, y: Int32Array.of(1) }, { T: 4 }), { code: 'SNNC_E_DATASET' });
  assert.throws(
    () => simulate(g, { x: images(rng(1), 2, [1, 10, 10]), y: Int32Array.of(0, 1) }, { T: 4 }),
    (e: Error & { code?: string }) => e.code === 'SNNC_E_INPUT_MISMATCH' && /\[1, 10, 10\]/.test(e.message) && /\[1, 12, 12\]/.test(e.message),
  );
});

test('progress reports every batch', () => {
  const seen: [number, number][] = [];
  simulate(lenetLike(1), { x: images(rng(1), 5, [1, 12, 12]), y: new Int32Array(5) }, { T: 2, batchSize: 2, onProgress: (d, t) => seen.push([d, t]) });
  assert.deepEqual(seen, [
    [2, 5],
    [4, 5],
    [5, 5],
  ]);
});

test('per-affine-node work adds up to the totals and is the same in both modes', () => {
  const g = lenetLike(1);
  const r = rng(5);
  const data = { x: images(r, 4, [1, 12, 12]), y: labels(r, 4, 10) };
  const [a, b] = both(g, data, { T: 10, seed: 1 });
  assert.deepEqual(a.affine, b.affine);
  const syn = a.affine.reduce((s, n) => s + n.synops, 0);
  const macs = a.affine.reduce((s, n) => s + n.macs, 0);
  assert.ok(Math.abs(syn - a.synopsPerSample) <= 1e-9 * Math.max(1, syn), `${syn} vs ${a.synopsPerSample}`);
  assert.ok(Math.abs(macs - a.macsPerSample) <= 1e-9 * Math.max(1, macs), `${macs} vs ${a.macsPerSample}`);
  assert.ok(
    a.affine.some((n) => n.op === 'Conv' && n.macs > 0),
    'the analog first layer counts MACs',
  );
});

test("two threads (a worker takes the second half of the samples) give one thread's results", () => {
  const r = rng(31);
  const data = { x: images(r, 11, [1, 12, 12]), y: labels(r, 11, 10) };
  const started = helperThreadsStarted();
  for (const [g, opts] of [
    [lenetLike(32, { coding: 'poisson' }), { T: 7, seed: 5 }],
    [lenetLike(33), { T: 9, earlyExit: 0.1 }],
    [lenetLike(34), { T: 6, mode: 'time-stepped' as const, batchSize: 2 }],
  ] as const) {
    const progress: number[] = [];
    const two = simulate(g, data, { ...opts, threads: 2, onProgress: (d) => progress.push(d) });
    const one = simulate(g, data, { ...opts, threads: 1 });
    assertSame(two, one, `threads 2 vs 1 (${JSON.stringify(opts)})`);
    assert.equal(two.synopsPerSample, one.synopsPerSample);
    // Per-node synops under early exit count the steps each batch computed (a batch runs
    // until all its samples have exited), so they depend on batching; without it they add up.
    if (!('earlyExit' in opts)) assert.deepEqual(two.affine, one.affine, 'per-node synops and MACs');
    assert.equal(progress[progress.length - 1], 11, 'progress ends at N');
    assert.ok(
      progress.every((d, i) => d <= 11 && (i === 0 || d >= (progress[i - 1] as number))),
      `progress rises: ${progress.join(',')}`,
    );
  }
  // One helper thread serves all three runs: it waits for the next job instead of exiting.
  assert.ok(helperThreadsStarted() - started <= 1, `helper threads started: ${helperThreadsStarted() - started}`);
  // It keeps the graph of its last job: the same graph again (sent without it), another graph
  // after it, then the first again — each as one thread computes it.
  const a = lenetLike(36);
  const b = lenetLike(37);
  const ref = new Map([a, b].map((g) => [g, simulate(g, data, { T: 5, threads: 1 })]));
  for (const g of [a, a, b, a]) assertSame(simulate(g, data, { T: 5, threads: 2 }), ref.get(g) as SimulateResult, 'held graph');
  assert.throws(
    () => simulate(lenetLike(35), data, { T: 2, threads: 3 }),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE',
  );
});

test('plans kept across simulations follow the weights: the same nodes with new weight tensors', () => {
  const r = rng(41);
  const data = { x: images(r, 8, [1, 12, 12]), y: labels(r, 8, 10) };
  const g = lenetLike(38);
  const before = simulate(g, data, { T: 8, threads: 1 });
  const inits = new Map(g.initializers);
  for (const [k, t] of inits) if (t.shape.length >= 2) inits.set(k, { ...t, data: (t.data as Float32Array).map((v) => 1.5 * v) });
  const scaled: Graph = { ...g, initializers: inits };
  // structuredClone: new node objects, so nothing kept from earlier runs applies.
  const fresh = simulate(structuredClone(scaled), data, { T: 8, threads: 1 });
  assert.notDeepEqual(fresh.layers, before.layers, 'the new weights change the spikes');
  assertSame(simulate(scaled, data, { T: 8, threads: 1 }), fresh, 'same nodes, new weights');
});

test('the two threads’ chunk queue: each chunk to one taker; after a failed helper, its chunks and any not taken are run here', () => {
  const qu = newQueue(21, 32);
  assert.equal(qu.size, 3, 'at least 8 chunks: ⌈21 / 8⌉ samples each');
  const firsts: number[] = [];
  for (let who = MAIN, f = takeChunk(qu, who); f >= 0; who = who === MAIN ? HELPER : MAIN, f = takeChunk(qu, who)) firsts.push(f);
  assert.deepEqual(firsts, [0, 3, 6, 9, 12, 15, 18], 'every chunk once, in order');
  assert.equal(takeChunk(qu, MAIN), -1);
  assert.deepEqual(helperChunks(qu), [3, 9, 15], 'the helper’s chunks, to rerun');
  // A helper that stopped early: the chunks nobody took are run here too, and the helper can take none of them later.
  const q2 = newQueue(21, 32);
  takeChunk(q2, MAIN);
  takeChunk(q2, HELPER);
  assert.deepEqual(helperChunks(q2), [3, 6, 9, 12, 15, 18]);
  assert.equal(takeChunk(q2, HELPER), -1);
  assert.deepEqual(helperChunks(q2), [3], 'the free ones are the main thread’s now');
});
