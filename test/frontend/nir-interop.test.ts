// NIR files shaped like other tools' exporters write them (node types, parameter shapes and
// time conventions as their export code documents), imported and simulated against each
// tool's own discrete update, stepped here independently of snnc:
//   snnTorch (export_nir.py, dt = 1e-4): Leaky → LIF τ = dt/(1−β), r = τ/dt, scalar β gives a
//     0-d τ and a [1] threshold; Synaptic → CubaLIF τ_syn = dt/(1−α), τ_mem = dt/(1−β),
//     r = τ_mem/dt, w_in = τ_syn/dt. snnTorch steps syn = α·syn + x, mem = β·mem + syn.
//   SpikingJelly (CUBALIFNode, dt = 1e-4): τ_syn = dt/(1−c_decay), τ_mem = dt/(1−v_decay),
//     r = τ_mem/dt, w_in = τ_syn/dt, v_reset written: I = c·I + x, V = v·V + I.
//   Sinabs (per-step, dt = 1): IAF → IF with r = 1, SumPool2d, Conv2d: v = v + I; read with nirDt 1.
//   Rockpool (LIFTorch, dt = 1e-3): CubaLIF with τ in seconds, r = τ_mem·e^(−dt/τ_mem)/dt and no
//     w_in; its own update decays by e^(−dt/τ), NIR's forward Euler by 1 − dt/τ (documented).
// All reset to 0 on v > θ (NIR's neurons; snnTorch's default subtract reset is not in NIR).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { exportNir, importNir } from '../../src/frontend/nir/index.js';
import { simulate } from '../../src/sim/snn/index.js';
import type { Graph } from '../../src/ir/types.js';
import type { HandNode } from './nir-helpers.js';
import { handNir } from './nir-helpers.js';
import { lcg } from './nir-cuba-net.js';

const f32 = Math.fround;

interface Layer {
  readonly w: number[];
  readonly b: number[];
  readonly out: number;
  readonly syn: number;
  readonly mem: number;
  readonly gain: number;
  readonly th: number;
}

/** The tools' discrete update for a chain of Affine → neuron layers: i = syn·i + g·(W·x + b); v = mem·v + i; spike v > θ → 0. */
function reference(layers: readonly Layer[], x: readonly number[], T: number): number[][] {
  const state = layers.map((l) => ({ i: new Float64Array(l.out), v: new Float64Array(l.out) }));
  const counts = layers.map(() => [] as number[]);
  const total = layers.map(() => 0);
  for (let t = 0; t < T; t++) {
    let s: readonly number[] = x;
    layers.forEach((l, k) => {
      const st = state[k] as { i: Float64Array; v: Float64Array };
      const z: number[] = [];
      for (let o = 0; o < l.out; o++) {
        let a = f32(l.b[o] ?? 0);
        s.forEach((xi, j) => {
          a += f32(l.w[o * s.length + j] as number) * xi;
        });
        st.i[o] = l.syn * (st.i[o] as number) + l.gain * a;
        const v = l.mem * (st.v[o] as number) + (st.i[o] as number);
        if (v > l.th) {
          z.push(1);
          st.v[o] = 0;
        } else {
          z.push(0);
          st.v[o] = v;
        }
      }
      total[k] = (total[k] as number) + z.reduce((p, q) => p + q, 0);
      (counts[k] as number[]).push(total[k] as number);
      s = z;
    });
  }
  return counts;
}

function weights(rnd: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => Math.round((lo + (hi - lo) * rnd()) * 16) / 16);
}

function spikesPerLayer(g: Graph, x: readonly number[], T: number): number[] {
  const r = simulate(g, { x: { dtype: 'float32', shape: [1, x.length], data: Float32Array.from(x) }, y: Int32Array.of(0) }, { T });
  return r.layers.filter((l) => l.op === 'LIF' || l.op === 'IF').map((l) => l.spikes);
}

async function check(nodes: Record<string, HandNode>, edges: [string, string][], layers: Layer[], nirDt?: number): Promise<Graph> {
  const g = await importNir(await handNir(nodes, edges), nirDt !== undefined ? { dt: nirDt } : {});
  const rnd = lcg(3);
  for (let s = 0; s < 5; s++) {
    const x = Array.from({ length: 4 }, () => Math.round(rnd() * 8) / 8);
    const ref = reference(layers, x, 16);
    assert.ok(
      ref.every((c) => (c[15] ?? 0) > 0),
      `sample ${s}: every layer fires in the reference`,
    );
    for (const T of [1, 4, 9, 16])
      assert.deepEqual(
        spikesPerLayer(g, x, T),
        ref.map((c) => c[T - 1]),
        `sample ${s}, T = ${T}`,
      );
  }
  // Written back and read again: the same spikes.
  const again = await importNir(await exportNir(g));
  const x = [0.5, 0.25, 1, 0.75];
  assert.deepEqual(spikesPerLayer(again, x, 12), spikesPerLayer(g, x, 12));
  return g;
}

const DT = 1e-4;
const vec = (v: number[], shape?: number[]) => ({ f32: v, ...(shape !== undefined ? { shape } : {}) });

it('snnTorch export: Synaptic (CubaLIF, w_in = τ_syn/dt) and Leaky (LIF, scalar β as a 0-d τ) run as snnTorch steps them', async () => {
  const rnd = lcg(21);
  const w1 = weights(rnd, 12, -0.5, 1.5);
  const w2 = weights(rnd, 6, -0.25, 1.5);
  const [alpha, beta1, beta2] = [f32(0.8), f32(0.9), f32(0.7)];
  const tauSyn = f32(DT / (1 - alpha));
  const tauMem1 = f32(DT / (1 - beta1));
  const tauMem2 = f32(DT / (1 - beta2));
  const fill = (v: number, n: number): number[] => new Array<number>(n).fill(v);
  const nodes: Record<string, HandNode> = {
    input: { type: 'Input', fields: { shape: { i64: [4] } } },
    fc1: { type: 'Affine', fields: { weight: vec(w1, [3, 4]), bias: vec([0.0625, 0, -0.0625]) } },
    syn1: {
      type: 'CubaLIF',
      fields: {
        tau_syn: vec(fill(tauSyn, 3)),
        tau_mem: vec(fill(tauMem1, 3)),
        r: vec(fill(f32(tauMem1 / DT), 3)),
        v_leak: vec(fill(0, 3)),
        v_threshold: vec([1], [1]),
        w_in: vec(fill(f32(tauSyn / DT), 3)),
      },
    },
    fc2: { type: 'Linear', fields: { weight: vec(w2, [2, 3]) } },
    lif2: { type: 'LIF', fields: { tau: vec([tauMem2], []), r: vec([f32(tauMem2 / DT)], []), v_leak: vec([0], []), v_threshold: vec([1], [1]) } },
    output: { type: 'Output', fields: { shape: { i64: [2] } } },
  };
  const edges: [string, string][] = [
    ['input', 'fc1'],
    ['fc1', 'syn1'],
    ['syn1', 'fc2'],
    ['fc2', 'lif2'],
    ['lif2', 'output'],
  ];
  await check(nodes, edges, [
    { w: w1, b: [0.0625, 0, -0.0625], out: 3, syn: alpha, mem: beta1, gain: 1, th: 1 },
    { w: w2, b: [], out: 2, syn: 0, mem: beta2, gain: 1, th: 1 },
  ]);
});

it('SpikingJelly export: CUBALIFNode (c_decay, v_decay, v_reset) runs as SpikingJelly steps it', async () => {
  const rnd = lcg(33);
  const w1 = weights(rnd, 12, -0.5, 1.5);
  const w2 = weights(rnd, 6, -0.25, 1.5);
  const cuba = (c: number, v: number, n: number): HandNode['fields'] => {
    const ts = DT / (1 - c);
    const tm = DT / (1 - v);
    const fill = (x: number): { f32: number[] } => vec(new Array<number>(n).fill(x));
    return { tau_syn: fill(ts), tau_mem: fill(tm), r: fill(tm / DT), v_leak: fill(0), v_threshold: fill(1), v_reset: fill(0), w_in: fill(ts / DT) };
  };
  const nodes: Record<string, HandNode> = {
    input: { type: 'Input', fields: { shape: { i64: [4] } } },
    fc1: { type: 'Affine', fields: { weight: vec(w1, [3, 4]), bias: vec([0, 0.125, 0]) } },
    n1: { type: 'CubaLIF', fields: cuba(0.5, 0.75, 3) },
    fc2: { type: 'Affine', fields: { weight: vec(w2, [2, 3]), bias: vec([0, 0]) } },
    n2: { type: 'CubaLIF', fields: cuba(0.25, 0.5, 2) },
    output: { type: 'Output', fields: { shape: { i64: [2] } } },
  };
  const edges: [string, string][] = [
    ['input', 'fc1'],
    ['fc1', 'n1'],
    ['n1', 'fc2'],
    ['fc2', 'n2'],
    ['n2', 'output'],
  ];
  await check(nodes, edges, [
    { w: w1, b: [0, 0.125, 0], out: 3, syn: 0.5, mem: 0.75, gain: 1, th: 1 },
    { w: w2, b: [0, 0], out: 2, syn: 0.25, mem: 0.5, gain: 1, th: 1 },
  ]);
});

it('Sinabs export (per-step, dt = 1): IAF as IF with r = 1, read with nirDt 1', async () => {
  const rnd = lcg(44);
  const w1 = weights(rnd, 12, -0.25, 0.75);
  const w2 = weights(rnd, 6, -0.25, 1);
  const iaf = (n: number, th: number): HandNode['fields'] => ({
    r: vec(new Array<number>(n).fill(1)),
    v_threshold: vec(new Array<number>(n).fill(th)),
    v_reset: vec(new Array<number>(n).fill(0)),
  });
  const nodes: Record<string, HandNode> = {
    input: { type: 'Input', fields: { shape: { i64: [4] } } },
    fc1: { type: 'Linear', fields: { weight: vec(w1, [3, 4]) } },
    iaf1: { type: 'IF', fields: iaf(3, 1) },
    fc2: { type: 'Linear', fields: { weight: vec(w2, [2, 3]) } },
    iaf2: { type: 'IF', fields: iaf(2, 1) },
    output: { type: 'Output', fields: { shape: { i64: [2] } } },
  };
  const edges: [string, string][] = [
    ['input', 'fc1'],
    ['fc1', 'iaf1'],
    ['iaf1', 'fc2'],
    ['fc2', 'iaf2'],
    ['iaf2', 'output'],
  ];
  await check(
    nodes,
    edges,
    [
      { w: w1, b: [], out: 3, syn: 0, mem: 1, gain: 1, th: 1 },
      { w: w2, b: [], out: 2, syn: 0, mem: 1, gain: 1, th: 1 },
    ],
    1,
  );
});

it('Rockpool export (dt = 1e-3): CubaLIF with r = τ_mem·e^(−dt/τ_mem)/dt, read with nirDt 1e-3 as forward Euler', async () => {
  const rnd = lcg(55);
  const w1 = weights(rnd, 12, 0, 1.5);
  const w2 = weights(rnd, 6, 0, 2);
  const dt = 1e-3;
  const lif = (ts: number, tm: number, n: number): HandNode['fields'] => {
    const fill = (x: number): { f32: number[] } => vec(new Array<number>(n).fill(x));
    return { tau_syn: fill(ts), tau_mem: fill(tm), r: fill((tm * Math.exp(-dt / tm)) / dt), v_leak: fill(0), v_threshold: fill(1) };
  };
  const nodes: Record<string, HandNode> = {
    input: { type: 'Input', fields: { shape: { i64: [4] } } },
    fc1: { type: 'Linear', fields: { weight: vec(w1, [3, 4]) } },
    lif1: { type: 'CubaLIF', fields: lif(4e-3, 1e-2, 3) },
    fc2: { type: 'Linear', fields: { weight: vec(w2, [2, 3]) } },
    lif2: { type: 'CubaLIF', fields: lif(2e-3, 5e-3, 2) },
    output: { type: 'Output', fields: { shape: { i64: [2] } } },
  };
  const edges: [string, string][] = [
    ['input', 'fc1'],
    ['fc1', 'lif1'],
    ['lif1', 'fc2'],
    ['fc2', 'lif2'],
    ['lif2', 'output'],
  ];
  // NIR's Euler at dt: syn = 1 − dt/τ_syn, mem = 1 − dt/τ_mem, input gain (dt·r/τ_mem)·(dt/τ_syn) = e^(−dt/τ_mem)·dt/τ_syn.
  const layer = (w: number[], out: number, ts: number, tm: number): Layer => ({
    w,
    b: [],
    out,
    syn: 1 - dt / f32(ts),
    mem: 1 - dt / f32(tm),
    gain: ((f32((f32(tm) * Math.exp(-dt / tm)) / dt) * dt) / f32(tm)) * (dt / f32(ts)),
    th: 1,
  });
  const g = await check(nodes, edges, [layer(w1, 3, 4e-3, 1e-2), layer(w2, 2, 2e-3, 5e-3)], dt);
  const n1 = g.nodes.find((n) => n.name === 'lif1');
  assert.ok(n1?.op === 'LIF' && Math.abs((n1.attrs.synDecay ?? 0) - 0.75) < 1e-6 && Math.abs(n1.attrs.leak - 0.9) < 1e-6);
});
