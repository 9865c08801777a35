// The float neurons' membranes stay in the WebAssembly arena between steps (wasm/scatter.ts's
// slots); the caller's array must be current whenever the kernel does not hold it: when another
// state of the same layer takes the slot, when the engine is dropped mid-run, and after
// releaseMembranes. Checked against IF neurons written out here.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NeuronParams } from '../../src/sim/snn/neurons.js';
import { initNeurons, stepNeurons } from '../../src/sim/snn/neurons.js';
import { keepScatterArenaUpTo, releaseMembranes, releaseWasmScatter } from '../../src/sim/snn/wasm/scatter.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

it('membranes kept between steps reach their arrays: states taking turns, an engine dropped mid-run', () => {
  const F = 37;
  const B = 3;
  const theta = Float64Array.from({ length: F }, (_, i) => 0.5 + (i % 7) * 0.25);
  const p: NeuronParams = { node: 'n', F, theta, leak: 0.875, synDecay: 0, subtract: true, ge: true, refractory: 0, vInit: 0.5 };
  const states = [initNeurons(p, B), initNeurons(p, B)];
  // The reference: the same update in plain float64 (LIF, reset by subtraction, fire on v ≥ θ).
  const ref = states.map((s) => Float64Array.from(s.v));
  const rnd = lcg(11);
  const old = keepScatterArenaUpTo(64 * 1024 * 1024);
  try {
    for (let t = 0; t < 24; t++) {
      const k = t % 3 === 2 ? 1 : 0; // state 0 twice, then state 1: they share the layer's slot
      const s = states[k] as (typeof states)[number];
      const v = ref[k] as Float64Array;
      const cur = Float32Array.from({ length: B * F }, () => (rnd() - 0.3) * 0.8);
      const out = new Float32Array(B * F);
      const counts = new Float64Array(B);
      stepNeurons(s, B, cur, 0, out, 0, counts, 0);
      let n = 0;
      for (let i = 0; i < B * F; i++) {
        const th = theta[i % F] as number;
        const vv = 0.875 * (v[i] as number) + (cur[i] as number);
        const fire = vv >= th;
        v[i] = fire ? vv - th : vv;
        assert.equal(out[i], fire ? 1 : 0, `spike ${i} at t = ${t}`);
        if (fire) n++;
      }
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        n,
        `count at t = ${t}`,
      );
      if (t === 11) {
        // Drop the engine (as a simulation's end does with a large arena): the slots go back first.
        keepScatterArenaUpTo(0);
        releaseWasmScatter();
        keepScatterArenaUpTo(64 * 1024 * 1024);
      }
    }
  } finally {
    keepScatterArenaUpTo(old);
  }
  releaseMembranes();
  states.forEach((s, k) => assert.deepEqual([...s.v], [...(ref[k] as Float64Array)], `membrane of state ${k}`));
});
