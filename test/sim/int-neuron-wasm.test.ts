// The integer program's neuron step in WebAssembly (fast-conv.ts's accelerator, four neurons per
// i32x4 with the flags turned into lane masks) must give neuron.ts's loop bit for bit: membrane,
// spikes and count, for every fire / reset / overflow / leak choice, membrane widths up to 32
// bits, currents that overflow 32 bits when added, and layer sizes that are not a multiple of 4;
// several samples in one call (simulate.ts's batches) as each one alone.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IntLayer, IntNeuron } from '../../src/sim/int/program.js';
import { initState, stepNeuron } from '../../src/sim/int/neuron.js';
import { prepare } from '../../src/sim/int/kernels.js';
import { wasmKernels } from '../../src/sim/int/fast-conv.js';
import { wasmScatterEnabled } from '../../src/sim/snn/wasm/scatter.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function layer(n: IntNeuron, C: number, per: number): IntLayer {
  return {
    name: 'h',
    kind: 'dense',
    inputs: ['x'],
    inShape: [1],
    outShape: [C * per],
    weights: new Int32Array(C * per),
    weightShape: [C * per, 1],
    weightBits: 8,
    shift: 0,
    bias: new Int32Array(0),
    biasBits: 1,
    accBits: 32,
    neuron: n,
    unit: [1],
    outBits: 1,
  };
}

it('the WebAssembly integer neuron step equals the TypeScript loop bit for bit', { skip: !wasmScatterEnabled() && 'no WebAssembly SIMD here' }, () => {
  let cases = 0;
  let fired = 0;
  let pinned = 0;
  for (const m of [6, 17, 32]) {
    for (const ov of ['saturate', 'wrap'] as const) {
      for (const fire of ['ge', 'gt'] as const) {
        for (const reset of ['subtract', 'zero'] as const) {
          for (const leakShift of [null, 1, 3]) {
            const rnd = lcg(m * 131 + cases);
            // One channel per element for the dense layer (per = 1), 7 elements: not a multiple of 4.
            const C = 7;
            const tb = Math.min(m - 1, 12);
            const vm = 2 ** (m - 1);
            const n: IntNeuron = {
              threshold: Int32Array.from({ length: C }, () => 1 + Math.floor(rnd() * (2 ** tb - 1))),
              thresholdBits: tb,
              reset,
              vReset: Math.floor((rnd() - 0.5) * Math.min(vm, 64)),
              fire,
              vInit: Int32Array.from({ length: C }, () => Math.floor((rnd() - 0.5) * vm)),
              leakShift,
              refractory: 0,
              membraneBits: m,
              overflow: ov,
            };
            const L = layer(n, C, 1);
            const step = prepare(L, wasmKernels).step;
            assert.ok(step !== undefined, 'the accelerated layer has a WebAssembly step');
            // Three samples back to back (21 neurons: each sample's lanes straddle the 4-lane
            // groups) through the WebAssembly step at once; the loop steps each sample alone.
            const B = 3;
            const a = Array.from({ length: B }, () => initState(n, C, C));
            const b = initState(n, C, C, B);
            for (let t = 0; t < 12; t++) {
              // Small currents, currents near the membrane range, and near int32's ends (their sum
              // with v leaves 32 bits: the saturating path must pin it, the wrapping one wrap it).
              const I = Int32Array.from({ length: B * C }, (_, i) => {
                const u = rnd();
                if ((i + t) % 5 === 0) return u < 0.5 ? -0x80000000 + Math.floor(u * 100) : 0x7fffffff - Math.floor(u * 100);
                return Math.floor((u - 0.4) * (i % 2 === 0 ? 2 ** tb : vm));
              });
              for (let i = 0; i < B * C; i++) if (Math.abs((a[Math.floor(i / C)]?.v[i % C] as number) + (I[i] as number)) > 2 ** 31) pinned++;
              const oa = new Int32Array(B * C).fill(7);
              const ob = new Int32Array(B * C).fill(7);
              let ca = 0;
              a.forEach((s, k) => (ca += stepNeuron(s, I.subarray(k * C, (k + 1) * C), oa.subarray(k * C, (k + 1) * C))));
              const cb: number = step(b, I, ob, B);
              const what = `m=${m} ${ov} ${fire} ${reset} leak=${leakShift} t=${t}`;
              assert.deepEqual(
                [...b.v],
                a.flatMap((s) => [...s.v]),
                `membrane, ${what}`,
              );
              assert.deepEqual([...ob], [...oa], `spikes, ${what}`);
              assert.equal(cb, ca, `count, ${what}`);
              fired += ca;
            }
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 72);
  assert.ok(fired > 100, `neurons fired (${fired})`);
  assert.ok(pinned > 20, `sums left 32 bits (${pinned})`);
});

it('layers with a refractory period or a synaptic current keep the TypeScript loop', () => {
  const base: IntNeuron = {
    threshold: Int32Array.of(3),
    thresholdBits: 2,
    reset: 'zero',
    vReset: 0,
    fire: 'ge',
    vInit: Int32Array.of(0),
    leakShift: null,
    refractory: 2,
    membraneBits: 8,
    overflow: 'saturate',
  };
  assert.equal(prepare(layer(base, 1, 4), wasmKernels).step, undefined);
  assert.equal(prepare(layer({ ...base, refractory: 0, currentDecay: 100 }, 1, 4), wasmKernels).step, undefined);
  assert.notEqual(prepare(layer({ ...base, refractory: 0 }, 1, 4), wasmKernels).step, undefined);
});
