// A NIR file written by hand (h5wasm, upstream layout) imports and simulates to spikes
// computed by hand from NIR's LIF ODE under snnc's convention (forward Euler, dt = 1e-4 s).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { importNir } from '../../src/frontend/nir/index.js';
import { simulate } from '../../src/sim/snn/index.js';
import { handNir, tinyAffineLif } from './nir-helpers.js';

// Net: x = [1, 0.4] every step (direct coding).
//   currents  I0 = 0.5·1 + 0.25·0.4 + 0   = 0.6
//             I1 = 0.25·1 − 1·0.4 + 0.5  = 0.35
//   LIF τ = 5e-4 s, r = τ/dt = 5: v[t+1] = (1 − dt/τ)·v + (dt·r/τ)·I = 0.8·v + I; spike if v > 1; reset 0.
//   neuron 0: 0.6, 1.08*, 0.6, 1.08*, 0.6, 1.08*        → spikes at t = 2, 4, 6
//   neuron 1: 0.35, 0.63, 0.854, 1.0332*, 0.35, 0.63    → spike at t = 4
//   cumulative spikes after T = 1..6: 0, 1, 1, 3, 3, 4
const CUMULATIVE = [0, 1, 1, 3, 3, 4];

it('imports a hand-written Affine → LIF file as Gemm → LIF with leak 0.8 and v > θ', async () => {
  const { nodes, edges } = tinyAffineLif();
  const g = await importNir(await handNir(nodes, edges));
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Gemm', 'LIF'],
  );
  const lif = g.nodes[1];
  assert.ok(lif?.op === 'LIF');
  assert.ok(Math.abs(lif.attrs.leak - 0.8) < 1e-7, `leak ${lif.attrs.leak}`);
  assert.equal(lif.attrs.fire, 'gt');
  assert.equal(lif.attrs.reset, 'zero');
  assert.deepEqual([...(g.initializers.get(lif.inputs[1] ?? '')?.data ?? [])], [1]);
  assert.deepEqual(g.values.get(g.inputs[0] ?? '')?.shape, ['N', 2]);
  assert.equal(g.meta['snnc.kind'], 'snn');
});

it('simulates the hand-written file to the hand-computed spikes', async () => {
  const { nodes, edges } = tinyAffineLif();
  const g = await importNir(await handNir(nodes, edges));
  const x = { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.of(1, 0.4) };
  for (let T = 1; T <= 6; T++) {
    for (const mode of ['time-stepped', 'event-driven'] as const) {
      const r = simulate(g, { x, y: Int32Array.of(0) }, { T, mode });
      const layer = r.layers.find((l) => l.name === 'lif');
      assert.equal(layer?.spikes, CUMULATIVE[T - 1], `T=${T} ${mode}`);
    }
  }
  // Readout = spike counts [3, 1] after 6 steps → class 0.
  assert.equal(simulate(g, { x, y: Int32Array.of(0) }, { T: 6 }).predictions[0], 0);
});

it('reads IF with r = 1/dt and an I readout exactly; the dt option rescales the gain', async () => {
  const nodes = {
    input: { type: 'Input', fields: { shape: { i64: [1] } } },
    lin: { type: 'Linear', fields: { weight: { f32: [0.4], shape: [1, 1] } } },
    if: { type: 'IF', fields: { r: { f32: [1e4] }, v_threshold: { f32: [1] } } },
    ro: { type: 'I', fields: { r: { f32: [1e4] } } },
    output: { type: 'Output', fields: { shape: { i64: [1] } } },
  };
  const edges: [string, string][] = [
    ['input', 'lin'],
    ['lin', 'if'],
    ['if', 'ro'],
    ['ro', 'output'],
  ];
  const g = await importNir(await handNir(nodes, edges));
  // The integrator before the Output is the readout snnc already sums: no node for it.
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Gemm', 'IF'],
  );
  // I = 0.4 per step: v = 0.4, 0.8, 1.2* → spikes at t = 3, 6, 9 (reset to 0).
  const x = { dtype: 'float32' as const, shape: [1, 1], data: Float32Array.of(1) };
  assert.equal(simulate(g, { x, y: Int32Array.of(0) }, { T: 9 }).layers.find((l) => l.name === 'if')?.spikes, 3);
  // The same file read with dt = 1: gain dt·r = 1e4, so θ/gain = 1e-4 and every step spikes.
  const g1 = await importNir(await handNir(nodes, edges), { dt: 1 });
  assert.equal(simulate(g1, { x, y: Int32Array.of(0) }, { T: 9 }).layers.find((l) => l.name === 'if')?.spikes, 9);
});

it('Threshold imports as a memoryless v > θ', async () => {
  const nodes = {
    input: { type: 'Input', fields: { shape: { i64: [3] } } },
    th: { type: 'Threshold', fields: { threshold: { f32: [0.5, 0.5, 0.5] } } },
    output: { type: 'Output', fields: { shape: { i64: [3] } } },
  };
  const g = await importNir(
    await handNir(nodes, [
      ['input', 'th'],
      ['th', 'output'],
    ]),
  );
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Less', 'Cast'],
  ); // stateless by construction
  // x = [0.4, 0.5, 0.6] each step: only 0.6 > 0.5 (strict) → readout [0, 0, t] → class 2.
  const x = { dtype: 'float32' as const, shape: [1, 3], data: Float32Array.of(0.4, 0.5, 0.6) };
  const r = simulate(g, { x, y: Int32Array.of(2) }, { T: 5 });
  assert.equal(r.predictions[0], 2);
  assert.deepEqual(r.accuracyPerStep, [1, 1, 1, 1, 1]);
});
