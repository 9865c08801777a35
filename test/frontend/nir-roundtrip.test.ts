// NIR export → import gives back the graph (nodes, attributes, weights bit-exact) and the
// same simulation; the written file has the layout nir.read expects; bytes are deterministic.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import h5wasm from 'h5wasm';
import type { Dataset, Group } from 'h5wasm';
import { loadModel } from '../../src/api/load.js';
import { convertModel } from '../../src/api/convert.js';
import { buildGraph, float32Tensor, gemmAttrs, windowAttrs } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { exportNir, importNir } from '../../src/frontend/nir/index.js';
import type { NirDiagnostic } from '../../src/frontend/nir/index.js';
import { simulate } from '../../src/sim/snn/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { isSnncError } from '../../src/errors.js';

import { EXAMPLES } from '../helpers/paths.js';

function assertSameGraph(back: Graph, g: Graph): void {
  assert.equal(back.name, g.name);
  assert.deepEqual(back.inputs, g.inputs);
  assert.deepEqual(back.outputs, g.outputs);
  assert.deepEqual(back.nodes, g.nodes);
  assert.deepEqual([...back.values.entries()].sort(), [...g.values.entries()].sort());
  assert.deepEqual([...back.initializers.keys()].sort(), [...g.initializers.keys()].sort());
  for (const [k, t] of g.initializers) {
    const b = back.initializers.get(k) as Tensor;
    assert.deepEqual(b.shape, t.shape, k);
    assert.equal(b.dtype, t.dtype, k);
    // Bit-exact: compare the raw bytes.
    assert.deepEqual(
      new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength),
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      k,
    );
  }
  for (const k of Object.keys(g.meta)) if (k !== 'format') assert.equal(back.meta[k], g.meta[k], k);
  assert.equal(back.meta['format'], 'nir');
}

function randomInputs(n: number, shape: readonly number[], seed: number): Tensor {
  let s = seed >>> 0;
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * size);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // LCG: fixed seed, no Math.random
    data[i] = s / 2 ** 32;
  }
  return { dtype: 'float32', shape: [n, ...shape], data };
}

function assertSameRun(a: Graph, b: Graph, x: Tensor, T: number): void {
  const y = new Int32Array(x.shape[0] ?? 0);
  for (const mode of ['time-stepped', 'event-driven'] as const) {
    const ra = simulate(a, { x, y }, { T, mode });
    const rb = simulate(b, { x, y }, { T, mode });
    assert.deepEqual(rb.predictions, ra.predictions);
    assert.deepEqual(
      rb.layers.map((l) => [l.name, l.spikes]),
      ra.layers.map((l) => [l.name, l.spikes]),
    );
    assert.deepEqual(rb.accuracyPerStep, ra.accuracyPerStep);
  }
}

/** A small graph touching LIF leaks, both resets, v > θ, refractory, Mul, Add, Conv without bias, Linear. */
function lifGraph(): Graph {
  return buildGraph({
    name: 'lif-mix',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 6, 6] }],
    initializers: {
      cw: float32Tensor(
        [3, 2, 3, 3],
        Array.from({ length: 54 }, (_v, i) => ((i * 37) % 11) / 11 - 0.4),
      ),
      th1: float32Tensor([3, 1, 1], [0.7, 0.9, 1.1]),
      k: float32Tensor([3, 1, 1], [0.5, 1.5, 0.25]),
      th2: float32Tensor([], [0.6]),
      w: float32Tensor(
        [4, 27],
        Array.from({ length: 108 }, (_v, i) => ((i * 53) % 17) / 17 - 0.45),
      ),
      th3: float32Tensor([4], [0.5, 0.6, 0.7, 0.8]),
    },
    nodes: [
      { name: 'conv', op: 'Conv', attrs: { ...windowAttrs({ kernelShape: [3, 3], pads: [1, 1, 1, 1] }), group: 1 }, inputs: ['x', 'cw', ''], outputs: ['c'] },
      { name: 'lif1', op: 'LIF', attrs: { reset: 'zero', vInit: 0, fire: 'gt', refractory: 1, leak: 0.9 }, inputs: ['c', 'th1'], outputs: ['s1'] },
      { name: 'scale', op: 'Mul', inputs: ['s1', 'k'], outputs: ['m'] },
      { name: 'sum', op: 'Add', inputs: ['m', 'c'], outputs: ['a'] },
      { name: 'lif2', op: 'LIF', attrs: { reset: 'subtract', vInit: 0.25, fire: 'ge', refractory: 0, leak: 0.3 }, inputs: ['a', 'th2'], outputs: ['s2'] },
      {
        name: 'pool',
        op: 'AveragePool',
        attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false, countIncludePad: false },
        inputs: ['s2'],
        outputs: ['p'],
      },
      { name: 'flat', op: 'Flatten', attrs: { axis: 1 }, inputs: ['p'], outputs: ['f'] },
      { name: 'fc', op: 'Gemm', attrs: gemmAttrs({ transB: true }), inputs: ['f', 'w'], outputs: ['y'] },
      { name: 'lif3', op: 'LIF', attrs: { reset: 'zero', vInit: 0, fire: 'ge', refractory: 0, leak: 1 }, inputs: ['y', 'th3'], outputs: ['s3'] },
    ],
    outputs: ['s3'],
    meta: { 'snnc.kind': 'snn', 'snnc.readout': 'membrane', 'snnc.coding': 'direct' },
  });
}

describe('NIR round trip', () => {
  let lenet: Graph;
  before(async () => {
    lenet = convertModel(await loadModel(join(EXAMPLES, 'lenet.onnx')), { maxpool: 'avg', calibSamples: 64 }).graph;
  });

  it('LeNet (--maxpool avg): export → import preserves the graph bit-exactly', async () => {
    const diags: NirDiagnostic[] = [];
    const back = await importNir(await exportNir(lenet, { diagnostics: diags }));
    assertSameGraph(back, lenet);
    // Reset by subtraction and v_init have no NIR field: one warning each, naming the layers.
    assert.deepEqual(diags.map((d) => d.code).sort(), ['SNNC_W_NIR_RESET', 'SNNC_W_NIR_STATE']);
    assert.match(diags[0]?.message ?? '', /conv1.*3 more layers/);
  });

  it('LeNet: the re-imported graph simulates identically on random inputs', async () => {
    const back = await importNir(await exportNir(lenet));
    assertSameRun(lenet, back, randomInputs(4, [1, 28, 28], 7), 12);
  });

  it('LeNet: same predictions as the original on 50 MNIST test images', async () => {
    const back = await importNir(await exportNir(lenet));
    const test = loadMnist('test', { limit: 50 });
    const a = simulate(lenet, { x: test.x, y: test.y }, { T: 16 });
    const b = simulate(back, { x: test.x, y: test.y }, { T: 16 });
    assert.deepEqual(b.predictions, a.predictions);
    assert.equal(b.spikesPerSample, a.spikesPerSample);
    assert.ok(a.accuracyPerStep[15] !== undefined && a.accuracyPerStep[15] >= 0.9, `accuracy ${a.accuracyPerStep[15]}`);
  });

  it('LIF leaks, zero/subtract resets, v ≥ θ and v > θ, refractory, Scale, Add, bias-free Conv round-trip exactly', async () => {
    const g = lifGraph();
    const back = await importNir(await exportNir(g));
    assertSameGraph(back, g);
    assertSameRun(g, back, randomInputs(3, [2, 6, 6], 11), 10);
  });

  it('resnet-tiny (residual Add as two edges into a Scale node) round-trips', async () => {
    const g = convertModel(await loadModel(join(EXAMPLES, 'resnet-tiny.onnx')), { maxpool: 'avg', calibSamples: 32 }).graph;
    const back = await importNir(await exportNir(g));
    assertSameGraph(back, g);
    assertSameRun(g, back, randomInputs(2, [1, 28, 28], 3), 6);
  });

  it('two exports of one graph give identical bytes', async () => {
    const a = await exportNir(lenet);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(await exportNir(lenet), a);
  });

  it('refuses SpikeMaxPool with the node named', async () => {
    const g = buildGraph({
      name: 'gate',
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 4, 4] }],
      initializers: { th: float32Tensor([], [1]) },
      nodes: [
        { name: 'if', op: 'IF', attrs: { reset: 'zero', vInit: 0, fire: 'gt', refractory: 0 }, inputs: ['x', 'th'], outputs: ['s'] },
        {
          name: 'gate-pool',
          op: 'SpikeMaxPool',
          attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false },
          inputs: ['s'],
          outputs: ['p'],
        },
      ],
      outputs: ['p'],
    });
    await assert.rejects(
      exportNir(g),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_UNSUPPORTED_OP' && e.node === 'gate-pool' && /--maxpool avg/.test(e.hint ?? ''),
    );
  });
});

describe('NIR layout as nir.read expects it (read back with h5wasm directly)', () => {
  it('version, NIRGraph, scalar string types, E×2 string edges, registered fields only', async () => {
    const bytes = await exportNir(lifGraph());
    const mod = (await h5wasm.ready) as unknown as { FS: { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void } };
    mod.FS.writeFile('/layout.nir', bytes);
    const f = new h5wasm.File('/layout.nir', 'r');
    try {
      const ds = (p: string): Dataset => f.get(p) as Dataset;
      assert.equal(ds('version').value, '1.0.7');
      assert.equal(ds('node/type').value, 'NIRGraph');
      const edges = ds('node/edges');
      assert.deepEqual(edges.shape, [12, 2]);
      assert.equal(edges.metadata.type, 3); // string class
      assert.equal(edges.metadata.vlen, true);
      const flat = edges.value as string[];
      // The residual Add is a Scale(1) node fed by two edges: NIR sums them.
      assert.deepEqual([flat[6], flat[7], flat[8], flat[9]], ['scale', 'sum', 'conv', 'sum']);
      const nodes = f.get('node/nodes') as Group;
      const typeOf = (k: string): unknown => ds(`node/nodes/${k}/type`).value;
      assert.deepEqual(ds('node/nodes/lif1/type').shape, []);
      assert.deepEqual(
        nodes
          .keys()
          .map((k) => [k, typeOf(k)])
          .sort(),
        [
          ['conv', 'Conv2d'],
          ['fc', 'Linear'],
          ['flat', 'Flatten'],
          ['lif1', 'LIF'],
          ['lif2', 'LIF'],
          ['lif3', 'IF'],
          ['output', 'Output'],
          ['pool', 'AvgPool2d'],
          ['lif3_readout', 'I'],
          ['scale', 'Scale'],
          ['sum', 'Scale'],
          ['x', 'Input'],
        ].sort(),
      );
      assert.deepEqual((f.get('node/nodes/lif1') as Group).keys().sort(), ['metadata', 'r', 'tau', 'type', 'v_leak', 'v_reset', 'v_threshold']);
      // τ = dt/(1 − leak) with dt = 1e-4: leak 0.9 → 1e-3 s; r = τ/dt = 10; per neuron (3, 6, 6).
      const tau = ds('node/nodes/lif1/tau');
      assert.deepEqual(tau.shape, [3, 6, 6]);
      assert.ok(Math.abs(((tau.value as Float64Array)[0] as number) - 1e-3) < 1e-15);
      assert.ok(Math.abs(((ds('node/nodes/lif1/r').value as Float64Array)[0] as number) - 10) < 1e-9);
      assert.deepEqual([...(ds('node/nodes/flat/start_dim').value as unknown as bigint[] | BigInt64Array).toString()], ['0']);
      assert.deepEqual(ds('node/nodes/x/shape').value, BigInt64Array.of(2n, 6n, 6n));
      assert.deepEqual(ds('node/nodes/conv/stride').value, BigInt64Array.of(1n, 1n));
      assert.deepEqual(ds('node/nodes/conv/input_shape').value, BigInt64Array.of(6n, 6n));
    } finally {
      f.close();
      mod.FS.unlink('/layout.nir');
    }
  });
});
