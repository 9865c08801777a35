// Bit-accurate CUBA neuron and the integer netx simulation, against hand-computed traces.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cubaState, cubaStep, simulateNetx } from '../../src/backends/loihi/cuba.js';
import type { CubaParams } from '../../src/backends/loihi/cuba.js';
import type { NetxLayer } from '../../src/backends/loihi/types.js';
import { resetWasmScatter } from '../../src/sim/snn/wasm/scatter.js';

function run(p: CubaParams, inputs: number[][], init?: { u?: number; v?: number }): { spikes: number[]; u: number[]; v: number[] } {
  const s = cubaState(1);
  if (init?.u !== undefined) s.u[0] = init.u;
  if (init?.v !== undefined) s.v[0] = init.v;
  const out = new Uint8Array(1);
  const spikes: number[] = [];
  const u: number[] = [];
  const v: number[] = [];
  for (const a of inputs) {
    cubaStep(p, s, a, out);
    spikes.push(out[0] as number);
    u.push(s.u[0] as number);
    v.push(s.v[0] as number);
  }
  return { spikes, u, v };
}

const IF = { iDecay: 4096, vDecay: 0, bias: null };

describe('cubaStep', () => {
  it('IF (iDecay 4096, vDecay 0), threshold 10, constant input 4: v = 256, 512, 768 > 640 → spike every 3rd step', () => {
    const r = run(
      { ...IF, vThMant: 10 },
      Array.from({ length: 9 }, () => [4]),
    );
    assert.deepEqual(r.spikes, [0, 0, 1, 0, 0, 1, 0, 0, 1]);
    assert.deepEqual(r.v, [256, 512, 0, 256, 512, 0, 256, 512, 0]);
    assert.deepEqual(
      r.u,
      Array.from({ length: 9 }, () => 256),
    ); // the current holds only this step's input
  });
  it('fires strictly above threshold: v = 640 = 10·64 does not spike, 960 does', () => {
    const r = run({ ...IF, vThMant: 10 }, [[5], [5], [5]]);
    assert.deepEqual(r.v, [320, 640, 0]);
    assert.deepEqual(r.spikes, [0, 0, 1]);
  });
  it('bias is added << 6 every step', () => {
    const r = run({ iDecay: 4096, vDecay: 0, vThMant: 2, bias: Int32Array.from([1]) }, [[0], [0], [0], [0]]);
    assert.deepEqual(r.v, [64, 128, 0, 64]);
    assert.deepEqual(r.spikes, [0, 0, 1, 0]);
  });
  it('LIF halving (vDecay 2048), input 4, threshold 7: v = 256, 384, 448 (=448, no spike), 480 → spike', () => {
    const r = run({ iDecay: 4096, vDecay: 2048, vThMant: 7, bias: null }, [[4], [4], [4], [4], [4]]);
    assert.deepEqual(r.v, [256, 384, 448, 0, 256]);
    assert.deepEqual(r.spikes, [0, 0, 0, 1, 0]);
  });
  it('decays toward zero with sign handling: −301·2048 >> 12 = −150 (not −151)', () => {
    const r = run({ iDecay: 4096, vDecay: 2048, vThMant: 100, bias: null }, [[0]], { v: -301 });
    assert.deepEqual(r.v, [-150]);
  });
  it('current decay iDecay 1024: u = 64, 48, 36, 27, 20 (trunc of 20.25); v integrates u', () => {
    const r = run({ iDecay: 1024, vDecay: 0, vThMant: 1000, bias: null }, [[1], [0], [0], [0], [0]]);
    assert.deepEqual(r.u, [64, 48, 36, 27, 20]);
    assert.deepEqual(r.v, [64, 112, 148, 175, 195]);
  });
  it('non-spiking integrator (iDecay 0, vDecay 4096): v = accumulated current + bias', () => {
    const r = run({ iDecay: 0, vDecay: 4096, vThMant: 1 << 17, bias: Int32Array.from([2]) }, [[3], [1], [2]]);
    assert.deepEqual(r.u, [192, 256, 384]);
    assert.deepEqual(r.v, [320, 384, 512]);
  });
  it('wraps the 24-bit current and clips the voltage', () => {
    const r = run({ iDecay: 0, vDecay: 0, vThMant: 131071, bias: null }, [[2]], { u: 2 ** 23 - 64, v: 2 ** 23 - 10 });
    assert.deepEqual(r.u, [-(2 ** 23) + 64]); // 2^23 + 64 > 2^23 → − 2^24
    assert.deepEqual(r.v, [2 ** 23 - 10 - 2 ** 23 + 64]);
    // (a positive clip always spikes: the largest threshold 131071·64 is below 2^23 − 1)
    const c = run({ iDecay: 4096, vDecay: 0, vThMant: 131071, bias: null }, [[-100]], { v: -(2 ** 23) + 10 });
    assert.deepEqual(c.v, [-(2 ** 23) + 1]);
  });
  it('an IF neuron wraps a current beyond 24 bits both ways (a_in·64 = ±(2^23 + 64) → ∓(2^23 − 64))', () => {
    const IF = { iDecay: 4096, vDecay: 0, vThMant: 131071, bias: null };
    const up = run(IF, [[2 ** 17 + 1]]);
    assert.deepEqual(up.u, [-(2 ** 23) + 64]);
    assert.deepEqual(up.v, [-(2 ** 23) + 64]);
    const down = run(IF, [[-(2 ** 17) - 1]]);
    assert.deepEqual(down.u, [2 ** 23 - 64]);
    assert.deepEqual(down.spikes, [0]); // 2^23 − 64 ≤ 131071·64 = 2^23 − 64: not above the threshold
  });
});

describe('simulateNetx', () => {
  // The 2-layer net of loihi-netx.test.ts, as its hand-computed integers.
  const layers: NetxLayer[] = [
    { type: 'input', shape: [4] },
    {
      type: 'dense',
      shape: [3],
      inFeatures: 4,
      weight: Int32Array.from([64, -32, 128, 0, 12, 26, -38, 52, -256, 128, 64, 32]),
      bias: Int32Array.from([13, 0, -51]),
      neuron: { iDecay: 4096, vDecay: 0, vThMant: 128, refDelay: 1, gradedSpike: false },
    },
    { type: 'dense', shape: [2], inFeatures: 3, weight: Int32Array.from([254, -128, 64, -190, 128, 254]), bias: Int32Array.from([127, -64]) },
  ];
  const input = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]; // x = [1,0,1,0] for 3 steps

  it('without synaptic delay: a1 = [192, −26, −192]; neuron 0 fires every step; readout integrates [254, −190]', () => {
    const r = simulateNetx(layers, input, 3, { synapticDelay: false });
    // v_t = 64·(t·[254, −190] + [127, −64])
    assert.deepEqual(Array.from(r.readout), [381 * 64, -254 * 64, 635 * 64, -444 * 64, 889 * 64, -634 * 64]);
    assert.deepEqual(r.spikes, [0, 3, 0]);
  });
  it("with lava's one-step delay per synapse layer", () => {
    const r = simulateNetx(layers, input, 3);
    // t0: layer 1 sees nothing (v0 = 13·64 ≤ 128·64), t1: 13 + 205 = 218 > 128 → spike, t2: 205 → spike;
    // readout: t0, t1 bias only; t2 gets layer 1's t1 spike.
    assert.deepEqual(Array.from(r.readout), [127 * 64, -64 * 64, 127 * 64, -64 * 64, 381 * 64, -254 * 64]);
    assert.deepEqual(r.spikes, [0, 2, 0]);
  });
  it('broadcasts a conv bias per output channel over positions', () => {
    const conv: NetxLayer[] = [
      { type: 'input', shape: [1, 1, 2] },
      {
        type: 'conv',
        shape: [2, 1, 2],
        weight: Int32Array.from([0, 0]),
        kernel: [1, 1],
        inChannels: 1,
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
        groups: 1,
        bias: Int32Array.from([3, 0]),
        neuron: { iDecay: 4096, vDecay: 0, vThMant: 2, refDelay: 1, gradedSpike: false },
      },
      { type: 'dense', shape: [1], inFeatures: 4, weight: Int32Array.from([2, 4, 8, 16]) },
    ];
    // channel 0 (both positions): v = 3·64 > 2·64 → spike; channel 1 stays at 0.
    const r = simulateNetx(conv, [0, 0], 1, { synapticDelay: false });
    assert.deepEqual(r.spikes, [0, 2, 0]);
    assert.deepEqual(Array.from(r.readout), [(2 + 4) * 64]);
  });
  it('runs conv layers as correlation with the stored kernel', () => {
    // 1×2×3 input, 1×1×2 kernel [2, 4] (w[0] on the left tap), stride 1 → 1×2×2.
    const conv: NetxLayer[] = [
      { type: 'input', shape: [1, 2, 3] },
      {
        type: 'conv',
        shape: [1, 2, 2],
        weight: Int32Array.from([2, 4]),
        kernel: [1, 2],
        inChannels: 1,
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
        groups: 1,
        neuron: { iDecay: 4096, vDecay: 0, vThMant: 3, refDelay: 1, gradedSpike: false },
      },
      { type: 'dense', shape: [1], inFeatures: 4, weight: Int32Array.from([2, 4, 8, 16]) },
    ];
    // x = [[1,0,0],[0,0,1]]: correlation → row0 [1·2+0·4, 0] = [2, 0]; row1 [0, 0·2+1·4] = [0, 4]
    // → only position (1,1) exceeds 3 → flattened spike index 3 → readout 16·64.
    const r = simulateNetx(conv, [1, 0, 0, 0, 0, 1], 1, { synapticDelay: false });
    assert.deepEqual(Array.from(r.readout), [16 * 64]);
    assert.deepEqual(r.spikes, [0, 1, 0]);
  });

  it('sums that can leave int32 are summed exactly (not in the int32 kernels)', () => {
    // a = 3·2^29 + 3·2^29 = 3·2^30 > 2^31 − 1: in int32 it would wrap to −2^30.
    const big: NetxLayer[] = [
      { type: 'input', shape: [2] },
      { type: 'dense', shape: [1], inFeatures: 2, weight: Int32Array.of(3, 3) },
    ];
    const r = simulateNetx(big, [2 ** 29, 2 ** 29], 2, { synapticDelay: false });
    const s = cubaState(1);
    const integrator = { iDecay: 0, vDecay: 4096, vThMant: 1 << 17, bias: null };
    const want: number[] = [];
    for (let t = 0; t < 2; t++) {
      cubaStep(integrator, s, [3 * 2 ** 30], new Uint8Array(1));
      want.push(s.v[0] as number);
    }
    assert.deepEqual(Array.from(r.readout), want);
    assert.equal(r.aInOver16, 2);
    // Inputs int32 cannot hold (2^31) stay exact too, presented at every step or step by step.
    const one: NetxLayer[] = [
      { type: 'input', shape: [1] },
      { type: 'dense', shape: [1], inFeatures: 1, weight: Int32Array.of(1) },
    ];
    const ref = cubaState(1);
    const v: number[] = [];
    for (let t = 0; t < 2; t++) {
      cubaStep(integrator, ref, [2 ** 31], new Uint8Array(1));
      v.push(ref.v[0] as number);
    }
    assert.deepEqual(Array.from(simulateNetx(one, [2 ** 31], 2, { synapticDelay: false }).readout), v);
    assert.deepEqual(Array.from(simulateNetx(one, [2 ** 31, 2 ** 31], 2, { synapticDelay: false }).readout), v);
  });
  it("the WebAssembly sums give the TypeScript loops' integers (random conv → conv → dense nets, direct and spike inputs)", () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    const ints = (n: number, m: number): Int32Array => Int32Array.from({ length: n }, () => Math.round((rnd() - 0.45) * 2 * m));
    const neuron = (th: number) => ({ iDecay: 4096, vDecay: 0, vThMant: th, refDelay: 1, gradedSpike: false });
    let fired = 0;
    for (let k = 0; k < 6; k++) {
      const stride = 1 + (k % 2);
      const pad = k % 3 === 0 ? 1 : 0;
      const oh = Math.floor((6 + 2 * pad - 3) / stride) + 1;
      const net: NetxLayer[] = [
        { type: 'input', shape: [2, 6, 6] },
        {
          type: 'conv',
          shape: [4, oh, oh],
          weight: ints(4 * 2 * 9, 127),
          kernel: [3, 3],
          inChannels: 2,
          stride: [stride, stride],
          padding: [pad, pad],
          dilation: [1, 1],
          groups: 1,
          bias: ints(4, 40),
          neuron: neuron(200 + k * 50),
        },
        {
          type: 'conv',
          shape: [4, oh - 1, oh - 1],
          weight: ints(4 * 2 * 4, 127),
          kernel: [2, 2],
          inChannels: 4,
          stride: [1, 1],
          padding: [0, 0],
          dilation: [1, 1],
          groups: 2,
          neuron: neuron(60),
        },
        { type: 'dense', shape: [3], inFeatures: 4 * (oh - 1) * (oh - 1), weight: ints(12 * (oh - 1) * (oh - 1), 127) },
      ];
      const T = 8;
      const direct = ints(72, 255).map(Math.abs);
      const spikes = Int32Array.from({ length: T * 72 }, () => (rnd() < 0.3 ? 1 : 0));
      for (const input of [direct, spikes]) {
        resetWasmScatter();
        const fast = simulateNetx(net, input, T);
        process.env['SNNC_NO_WASM'] = '1';
        resetWasmScatter();
        try {
          const loops = simulateNetx(net, input, T);
          assert.deepEqual(fast, loops, `net ${k}`);
          fired += loops.spikes.reduce((a, b) => a + b, 0);
        } finally {
          delete process.env['SNNC_NO_WASM'];
          resetWasmScatter();
        }
      }
    }
    assert.ok(fired > 50, `the nets spike (${fired})`);
  });
});
