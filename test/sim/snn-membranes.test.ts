// The float neurons' membranes stay in the WebAssembly arena between steps (wasm/scatter.ts's
// slots); the caller's array must be current whenever the kernel does not hold it: when another
// state of the same layer takes the slot, when the arena is reset or the engine dropped mid-run,
// when the kernel cannot run and the TypeScript loop takes over, and after releaseMembranes.
// Checked against LIF neurons written out here, with arenas from roomy to too small for anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NeuronParams } from '../../src/sim/snn/neurons.js';
import { initNeurons, stepNeurons } from '../../src/sim/snn/neurons.js';
import { ARENA_START, keepScatterArenaUpTo, releaseMembranes, releaseWasmScatter, setScatterArenaBytes } from '../../src/sim/snn/wasm/scatter.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const B = 3;
const layer = (F: number, leak: number): NeuronParams => ({
  node: `n${F}`,
  F,
  theta: Float64Array.from({ length: F }, (_, i) => 0.5 + (i % 7) * 0.25),
  leak,
  synDecay: 0,
  subtract: true,
  ge: true,
  refractory: 0,
  vInit: 0.5,
});

// Arena sizes: roomy; both layers' θ and one membrane (a reset whenever the other layer's
// membrane is placed); 1600: a layer's θ still fits after the other layer's pair but its
// membrane does not, so placing the membrane resets the arena and drops the θ just placed (the
// next membrane then lands on it); one layer's θ and membrane only (resets every step); nothing
// fits (the TypeScript loop runs every step).
// The sizes are bytes past ARENA_START (what a plan can use), so they keep their meaning when the
// space the module reserves below the arena changes.
for (const arena of [256 * 1024 * 1024, ...[2584, 1584, 1484, 584].map((b) => ARENA_START + b)]) {
  it(`membranes reach their arrays: states taking turns, arena resets, a dropped engine (arena ${arena} bytes)`, () => {
    const layers = [layer(37, 0.875), layer(29, 1)];
    // Per layer two states (two batches) taking turns on the layer's slot.
    const states = layers.map((p) => [initNeurons(p, B), initNeurons(p, B)]);
    const ref = states.map((ss) => ss.map((s) => Float64Array.from(s.v)));
    const rnd = lcg(11 + arena);
    const oldArena = setScatterArenaBytes(arena);
    const oldKeep = keepScatterArenaUpTo(64 * 1024 * 1024);
    releaseWasmScatter(); // start from an empty arena of this size
    try {
      for (let t = 0; t < 30; t++) {
        const l = t % 2;
        const k = t % 5 === 4 ? 1 : 0;
        const p = layers[l] as NeuronParams;
        const s = states[l]?.[k] as (typeof states)[number][number];
        const v = ref[l]?.[k] as Float64Array;
        const F = p.F;
        const cur = Float32Array.from({ length: B * F }, () => (rnd() - 0.3) * 0.8);
        const out = new Float32Array(B * F);
        const counts = new Float64Array(B);
        stepNeurons(s, B, cur, 0, out, 0, counts, 0);
        let n = 0;
        for (let i = 0; i < B * F; i++) {
          const th = p.theta[i % F] as number;
          const vv = p.leak * (v[i] as number) + (cur[i] as number);
          const fire = vv >= th;
          v[i] = fire ? vv - th : vv;
          assert.equal(out[i], fire ? 1 : 0, `spike ${i} of layer ${l}, state ${k} at t = ${t}`);
          if (fire) n++;
        }
        assert.equal(
          counts.reduce((a, b) => a + b, 0),
          n,
          `count at t = ${t}`,
        );
        if (t === 17) {
          // Drop the engine (as a simulation's end does with a large arena): the slots go back first.
          keepScatterArenaUpTo(0);
          releaseWasmScatter();
          keepScatterArenaUpTo(64 * 1024 * 1024);
        }
      }
      releaseMembranes();
      states.forEach((ss, l) => ss.forEach((s, k) => assert.deepEqual([...s.v], [...(ref[l]?.[k] as Float64Array)], `membrane of layer ${l}, state ${k}`)));
    } finally {
      setScatterArenaBytes(oldArena);
      keepScatterArenaUpTo(oldKeep);
      releaseWasmScatter();
    }
  });
}
