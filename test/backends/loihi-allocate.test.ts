// Core allocation against hand-computed core counts and the oversize errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocate } from '../../src/backends/loihi/allocate.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { LoihiTarget } from '../../src/costmodel/target.js';
import { isSnncError } from '../../src/errors.js';

// loihi1: 1024 compartments, 4096 axons in/out, 1 048 576 synapse bits per core, 8-bit weights,
// 128 cores per chip. Bits per synapse = 8 + 1 overhead = 9.
const t = loadTarget('loihi1') as LoihiTarget;

describe('loihi core allocation', () => {
  it('2500 neurons with fan-in 100: ⌈2500/1024⌉ = 3 cores (by compartments)', () => {
    const a = allocate([{ name: 'fc', kind: 'dense', neurons: 2500, fanIn: 100, sources: 100 }], t);
    const m = a.mapping.layers[0];
    assert.equal(m?.cores, 3);
    assert.equal(m?.compartments, 2500);
    assert.equal(m?.synapseBits, 2500 * 100 * 9);
    assert.equal(m?.axonsIn, 3 * 100); // every core of a dense layer reads all 100 sources
    assert.equal(a.chips, 1);
  });
  it('synapse memory binds: 1000 neurons × fan-in 1000 × 9 bits = 9e6 bits → ⌈9e6/1048576⌉ = 9 cores', () => {
    // 9 cores hold ⌈1000/9⌉ = 112 neurons: 112·1000·9 = 1 008 000 ≤ 1 048 576; 8 cores would hold 125: 1 125 000 > limit.
    const a = allocate([{ name: 'fc', kind: 'dense', neurons: 1000, fanIn: 1000, sources: 1000 }], t);
    assert.equal(a.mapping.layers[0]?.cores, 9);
  });
  it('output axons couple layers: a layer fanning out to 19 cores holds ≤ ⌊4096/19⌋ neurons per core', () => {
    const a = allocate(
      [
        { name: 'a', kind: 'dense', neurons: 1024, fanIn: 10, sources: 10 },
        { name: 'b', kind: 'dense', neurons: 2048, fanIn: 1024, sources: 1024 },
      ],
      t,
    );
    // b: 2048·1024·9 / 1048576 = 18.0, but 18 cores hold ⌈2048/18⌉ = 114 neurons → 114·1024·9 = 1 050 624 > limit;
    // 19 cores hold 108 → 995 328 fits. a: every neuron sends to 19 cores, n·19 ≤ 4096 → n ≤ 215
    // → ⌈1024/215⌉ = 5 cores (n = 205). By compartments alone a would need 1 core.
    assert.equal(a.mapping.layers[1]?.cores, 19);
    assert.equal(a.mapping.layers[0]?.cores, 5);
    assert.equal(a.mapping.layers[0]?.fanoutCores, 19);
    assert.equal(a.mapping.layers[0]?.axonsOut, 1024 * 19);
    assert.equal(a.mapping.layers[1]?.firstCore, 5);
    assert.equal(a.mapping.totals.cores, 24);
  });
  it('refuses a layer whose fan-in exceeds the input axons of a core, with the numbers', () => {
    assert.throws(
      () => allocate([{ name: 'wide', kind: 'dense', neurons: 10, fanIn: 5000, sources: 5000 }], t),
      (e: unknown) => {
        assert.ok(isSnncError(e));
        assert.equal(e.code, 'SNNC_E_BACKEND');
        assert.equal(e.node, 'wide');
        assert.match(e.message, /5000 input axons > 4096/);
        return true;
      },
    );
  });
  it('refuses a network that needs more chips than allowed', () => {
    // 200 000 neurons / 1024 = 196 cores > 128 per chip → 2 chips
    const layers = [{ name: 'big', kind: 'dense' as const, neurons: 200_000, fanIn: 1, sources: 1 }];
    assert.throws(
      () => allocate(layers, t),
      (e: unknown) => isSnncError(e) && /196 cores = 2 loihi1 chips/.test(e.message),
    );
    assert.equal(allocate(layers, t, { maxChips: 2 }).chips, 2);
  });
});
