// Current-based neurons (NIR CubaLIF) from files written in nir.write's layout: imported as
// snnc's current-based LIF and simulated to traces computed independently here from NIR's ODEs
// (τ_syn İ = −I + w_in·S, τ_mem v̇ = (v_leak − v) + R·I, spike on v > θ, reset to 0) under
// forward Euler at dt = 1e-4 s with the current updated first; written back as CubaLIF.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { exportNir, importNir } from '../../src/frontend/nir/index.js';
import { simulate } from '../../src/sim/snn/index.js';
import type { Graph } from '../../src/ir/types.js';
import type { HandNode } from './nir-helpers.js';
import { handNir } from './nir-helpers.js';
import { fileOf, lcg, makeNet } from './nir-cuba-net.js';
import type { Net } from './nir-cuba-net.js';

const DT = 1e-4;
const f32 = (v: number): number => Math.fround(v);

// Input(1) → Linear(w = 1) → CubaLIF(τ_syn = 2e-4, τ_mem = 5e-4, r = 10, θ = 1) → Output.
// Per step: I ← (1 − dt/τ_syn)·I + (dt/τ_syn)·S = 0.5·I + 0.5·S; v ← 0.8·v + (dt·r/τ_mem)·I = 0.8·v + 2·I.
// With S = 0.4:  I = 0.2, 0.3, 0.35, 0.375, 0.3875, 0.39375, 0.396875
//                v = 0.4, 0.92, 1.436* → 0, 0.75, 1.375* → 0, 0.7875, 1.42375* → 0
// spikes at t = 3, 5, 7: cumulative after T = 1..7: 0, 0, 1, 1, 2, 2, 3.
const CUMULATIVE = [0, 0, 1, 1, 2, 2, 3];

function tiny(): { nodes: Record<string, HandNode>; edges: [string, string][] } {
  return {
    nodes: {
      input: { type: 'Input', fields: { shape: { i64: [1] } } },
      lin: { type: 'Linear', fields: { weight: { f32: [1], shape: [1, 1] } } },
      lif: {
        type: 'CubaLIF',
        fields: {
          tau_syn: { f32: [2e-4] },
          tau_mem: { f32: [5e-4] },
          r: { f32: [10] },
          v_leak: { f32: [0] },
          v_threshold: { f32: [1] },
          v_reset: { f32: [0] },
          w_in: { f32: [1] },
        },
      },
      output: { type: 'Output', fields: { shape: { i64: [1] } } },
    },
    edges: [
      ['input', 'lin'],
      ['lin', 'lif'],
      ['lif', 'output'],
    ],
  };
}

function spikesOf(g: Graph, x: Float32Array, shape: number[], T: number, layer: string, mode: 'time-stepped' | 'event-driven' = 'event-driven'): number {
  const r = simulate(g, { x: { dtype: 'float32', shape, data: x }, y: Int32Array.of(0) }, { T, mode });
  return r.layers.find((l) => l.name === layer)?.spikes ?? NaN;
}

it('a CubaLIF with synaptic memory imports as a current-based LIF and follows the hand-computed trace', async () => {
  const { nodes, edges } = tiny();
  const g = await importNir(await handNir(nodes, edges));
  const lif = g.nodes.find((n) => n.name === 'lif');
  assert.ok(lif?.op === 'LIF');
  assert.ok(Math.abs((lif.attrs.synDecay ?? 0) - 0.5) < 1e-6, `synDecay ${lif.attrs.synDecay}`);
  assert.ok(Math.abs(lif.attrs.leak - 0.8) < 1e-6, `leak ${lif.attrs.leak}`);
  // The gain dt·r/τ_mem · dt/τ_syn = 2 · 0.5 = 1: the threshold stays 1.
  assert.ok(Math.abs(Number(g.initializers.get(lif.inputs[1] ?? '')?.data[0] ?? 0) - 1) < 1e-6);
  for (let T = 1; T <= 7; T++) {
    for (const mode of ['time-stepped', 'event-driven'] as const) {
      assert.equal(spikesOf(g, Float32Array.of(0.4), [1, 1], T, 'lif', mode), CUMULATIVE[T - 1], `T=${T} ${mode}`);
    }
  }
});

// --- Conv2d → CubaLIF → SumPool2d → Flatten → Affine → CubaLIF, the network ----------
// (the file and its parameters: nir-cuba-net.ts)

/** NIR's equations, stepped directly (no snnc code): spikes per layer after each step, and the output counts. */
function reference(net: Net, x: Float32Array, T: number): { lif1: number[]; lif2: number[]; counts: number[] } {
  const conv = new Float64Array(32);
  for (let o = 0; o < 2; o++)
    for (let y = 0; y < 4; y++)
      for (let xx = 0; xx < 4; xx++) {
        let s = f32(net.conv.b[o] as number);
        for (let u = 0; u < 3; u++)
          for (let v = 0; v < 3; v++) {
            const iy = y + u - 1;
            const ix = xx + v - 1;
            if (iy >= 0 && iy < 4 && ix >= 0 && ix < 4) s += f32(net.conv.w[o * 9 + u * 3 + v] as number) * (x[iy * 4 + ix] as number);
          }
        conv[o * 16 + y * 4 + xx] = s;
      }
  const layer = (p: Net['l1'], n: number) => ({
    p: { a: 1 - DT / f32(p.tauSyn), b: DT / f32(p.tauSyn), lk: 1 - DT / f32(p.tauMem), g: (DT * f32(p.r)) / f32(p.tauMem), th: f32(p.th) },
    I: new Float64Array(n),
    v: new Float64Array(n),
  });
  const step = (L: ReturnType<typeof layer>, S: Float64Array): Float64Array => {
    const z = new Float64Array(S.length);
    for (let i = 0; i < S.length; i++) {
      L.I[i] = L.p.a * (L.I[i] as number) + L.p.b * (S[i] as number);
      const v = L.p.lk * (L.v[i] as number) + L.p.g * (L.I[i] as number);
      if (v > L.p.th) {
        z[i] = 1;
        L.v[i] = 0;
      } else L.v[i] = v;
    }
    return z;
  };
  const A = layer(net.l1, 32);
  const B = layer(net.l2, 3);
  const out = { lif1: [] as number[], lif2: [] as number[], counts: [0, 0, 0] };
  let c1 = 0;
  let c2 = 0;
  for (let t = 0; t < T; t++) {
    const z1 = step(A, conv);
    const pooled = new Float64Array(8);
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 2; y++)
        for (let xx = 0; xx < 2; xx++) {
          let s = 0;
          for (let u = 0; u < 2; u++) for (let v = 0; v < 2; v++) s += z1[c * 16 + (2 * y + u) * 4 + 2 * xx + v] as number;
          pooled[c * 4 + y * 2 + xx] = s;
        }
    const fc = new Float64Array(3);
    for (let o = 0; o < 3; o++) {
      let s = f32(net.fc.b[o] as number);
      for (let i = 0; i < 8; i++) s += f32(net.fc.w[o * 8 + i] as number) * (pooled[i] as number);
      fc[o] = s;
    }
    const z2 = step(B, fc);
    c1 += z1.reduce((a, b) => a + b, 0);
    c2 += z2.reduce((a, b) => a + b, 0);
    z2.forEach((z, i) => {
      out.counts[i] = (out.counts[i] as number) + z;
    });
    out.lif1.push(c1);
    out.lif2.push(c2);
  }
  return out;
}

it('Conv2d → CubaLIF → SumPool2d → Flatten → Affine → CubaLIF simulates to the reference trace in both engines', async () => {
  const net = makeNet();
  const { nodes, edges } = fileOf(net);
  const g = await importNir(await handNir(nodes, edges));
  assert.deepEqual(
    g.nodes.filter((n) => n.op === 'LIF').map((n) => n.op === 'LIF' && (n.attrs.synDecay ?? 0) > 0),
    [true, true],
  );
  const rnd = lcg(11);
  for (let s = 0; s < 4; s++) {
    const x = Float32Array.from({ length: 16 }, () => Math.round(rnd() * 4) / 4);
    const T = 12;
    const ref = reference(net, x, T);
    assert.ok((ref.lif1[T - 1] ?? 0) > 0 && (ref.lif2[T - 1] ?? 0) > 0, `the test input makes both layers fire: ${JSON.stringify(ref)}`);
    for (let t = 1; t <= T; t++) {
      for (const mode of ['time-stepped', 'event-driven'] as const) {
        assert.equal(spikesOf(g, x, [1, 1, 4, 4], t, 'lif1', mode), ref.lif1[t - 1], `sample ${s} T=${t} lif1 ${mode}`);
        assert.equal(spikesOf(g, x, [1, 1, 4, 4], t, 'lif2', mode), ref.lif2[t - 1], `sample ${s} T=${t} lif2 ${mode}`);
      }
    }
  }
});

it('export writes CubaLIF back; reading that file gives the same decays and the same spikes', async () => {
  const net = makeNet();
  const { nodes, edges } = fileOf(net);
  const g = await importNir(await handNir(nodes, edges));
  const again = await importNir(await exportNir(g));
  const decays = (h: Graph): number[][] => h.nodes.flatMap((n) => (n.op === 'LIF' ? [[n.attrs.leak, n.attrs.synDecay ?? 0]] : []));
  assert.deepEqual(decays(again), decays(g));
  const x = Float32Array.from({ length: 16 }, (_, i) => (i % 5) / 4);
  for (const layer of ['lif1', 'lif2']) assert.equal(spikesOf(again, x, [1, 1, 4, 4], 10, layer), spikesOf(g, x, [1, 1, 4, 4], 10, layer), layer);
});

it('the CubaLIF network compiles for Loihi (netx iDecay/vDecay from the decays, read back) and IMC, and quantizes', async () => {
  const { emit: emitLoihi } = await import('../../src/backends/loihi/index.js');
  const { emit: emitImc, mapGraph, simulateImc } = await import('../../src/backends/imc/index.js');
  const { loadTarget } = await import('../../src/costmodel/target.js');
  const { quantizeGraph } = await import('../../src/passes/quantize.js');
  const { simulateLoihi } = await import('../../src/backends/loihi/simulate.js');
  const g = await importNir(await handNir(fileOf(makeNet()).nodes, fileOf(makeNet()).edges));
  const loihi = loadTarget('loihi2');
  assert.ok(loihi.kind === 'loihi');
  const r = await emitLoihi(g, loihi);
  assert.ok(r.files.some((f) => f.path.endsWith('.net')));
  // Read the emitted file back: every CUBA neuron group's decays, in layer order. lava decays the
  // current by iDecay/4096 and the membrane by vDecay/4096 per step, so for τ_syn = 3e-4 /
  // τ_mem = 8e-4 (dt = 1e-4): 4096/3 and 512; for 4e-4 / 1e-3: 1024 and 410 (rounded).
  const { readH5 } = await import('../../src/frontend/hdf5.js');
  const net = r.files.find((f) => f.path.endsWith('.net'));
  assert.ok(net !== undefined && typeof net.data !== 'string');
  const decays = await readH5(net.data, (f) => {
    const out: number[][] = [];
    for (let i = 0; ; i++) {
      const grp = f.get(`layer/${i}`);
      if (grp === null) break;
      const read = (k: string): number => Number((f.get(`layer/${i}/neuron/${k}`) as unknown as { value: bigint | number }).value);
      const type = String((f.get(`layer/${i}/type`) as unknown as { value: unknown }).value); // h5py-style fixed strings read as ['dense']
      if (f.get(`layer/${i}/neuron/iDecay`) !== null && (type === 'dense' || type === 'conv') && read('vDecay') !== 4096)
        out.push([read('iDecay'), read('vDecay')]);
    }
    return out;
  });
  // Between them, netx's pooling layer: a non-leaking IF without synaptic memory (4096, 0).
  assert.deepEqual(decays, [
    [Math.round(4096 / 3), 512],
    [4096, 0],
    [1024, 410],
  ]);
  const x = { dtype: 'float32' as const, shape: [2, 1, 4, 4], data: Float32Array.from({ length: 32 }, (_, i) => (i % 5) / 4) };
  const sim = simulateLoihi(g, { x, y: Int32Array.of(0, 1) }, { T: 8 });
  assert.equal(sim.accuracyPerStep.length, 8);

  const imc = loadTarget('imc-hpadc');
  assert.ok(imc.kind === 'imc');
  assert.ok(emitImc(g, imc).files.length > 0);
  const hw = simulateImc(g, mapGraph(g, imc), { x, y: Int32Array.of(0, 1) }, { T: 8 });
  assert.equal(hw.accuracyPerStep.length, 8);

  // The integer program (FPGA, --int) carries the current register (test/backends/fpga-cuba.test.ts).
  assert.equal(quantizeGraph(g).program.version, 2);
});
