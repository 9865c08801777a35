// What netx cannot express is refused with the node named; neuron semantics that differ
// from Loihi's are reported as diagnostics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emit } from '../../src/backends/loihi/index.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { LoihiTarget } from '../../src/costmodel/target.js';
import { isSnncError } from '../../src/errors.js';
import { buildGraph, gemmAttrs } from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/types.js';
import { LOIHI_IF, convNet, f32, twoLayer } from './loihi-graphs.js';

const target = loadTarget('loihi1') as LoihiTarget;

async function refused(g: Graph, node: string, hint: RegExp): Promise<void> {
  await assert.rejects(emit(g, target), (e: unknown) => {
    assert.ok(isSnncError(e), String(e));
    assert.equal(e.code, 'SNNC_E_BACKEND');
    assert.equal(e.node, node);
    assert.match(e.message, new RegExp(`'${node}'`));
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

/** x → fc1 → IF → (fc2a, fc2b) → Add|Concat → readout. */
function merge(op: 'Add' | 'Concat'): Graph {
  const w = f32([2, 2], [1, 0, 0, 1]);
  return buildGraph({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }],
    initializers: { w, th: f32([], [1]), wo: f32([2, op === 'Add' ? 2 : 4], op === 'Add' ? [1, 0, 0, 1] : [1, 0, 0, 1, 1, 0, 0, 1]) },
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w'], outputs: ['h'], attrs: gemmAttrs() },
      { op: 'IF', name: 'if1', inputs: ['h', 'th'], outputs: ['s'], attrs: LOIHI_IF },
      { op: 'Gemm', name: 'fcA', inputs: ['s', 'w'], outputs: ['a'], attrs: gemmAttrs() },
      { op: 'IF', name: 'ifA', inputs: ['a', 'th'], outputs: ['sa'], attrs: LOIHI_IF },
      op === 'Add'
        ? { op: 'Add', name: 'residual', inputs: ['sa', 's'], outputs: ['m'] }
        : { op: 'Concat', name: 'cat', inputs: ['sa', 's'], outputs: ['m'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'out', inputs: ['m', 'wo'], outputs: ['y'], attrs: gemmAttrs({ transB: true }) },
    ],
    outputs: ['y'],
  });
}

describe('loihi refusals', () => {
  it('refuses a residual Add, naming it and pointing to NIR', async () => {
    await refused(merge('Add'), 'residual', /NIR/);
  });
  it('refuses Concat, naming it and pointing to NIR', async () => {
    await refused(merge('Concat'), 'cat', /NIR/);
  });
  it('refuses SpikeMaxPool, hinting --maxpool avg', async () => {
    await refused(convNet({ pool: 'spikemax' }), 'pool1', /--maxpool avg/);
  });
  it('refuses an unconverted (Relu) graph', async () => {
    const g = buildGraph({
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }],
      initializers: { w: f32([2, 2], [1, 0, 0, 1]) },
      nodes: [
        { op: 'Gemm', name: 'fc1', inputs: ['x', 'w'], outputs: ['h'], attrs: gemmAttrs() },
        { op: 'Relu', name: 'relu1', inputs: ['h'], outputs: ['r'] },
        { op: 'Gemm', name: 'fc2', inputs: ['r', 'w'], outputs: ['y'], attrs: gemmAttrs() },
      ],
      outputs: ['y'],
    });
    await refused(g, 'relu1', /snnc convert/);
  });
});

describe('loihi diagnostics for neuron semantics', () => {
  it('warns about reset by subtraction and emulates v ≥ θ with vThMant − 1', async () => {
    // inputScale 1 (binary input) keeps the hand-computed θ_int = 128 of loihi-netx.test.ts.
    const r = await emit(twoLayer({ reset: 'subtract', vInit: 0.5, fire: 'ge', refractory: 0 }), target, { inputScale: 1 });
    const codes = r.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('SNNC_W_LOIHI_RESET'));
    assert.ok(codes.includes('SNNC_W_LOIHI_VINIT'));
    const reset = r.diagnostics.find((d) => d.code === 'SNNC_W_LOIHI_RESET');
    assert.match(reset?.message ?? '', /if1/);
    const doc = JSON.parse(r.files[1]?.data as string) as { netx: { vThMant?: number }[] };
    assert.equal(doc.netx[1]?.vThMant, 127); // θ_int 128 − 1: v > 127·64 ⇔ v ≥ 128·64 for IF
  });
});
