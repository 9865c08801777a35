// Loihi cost model on a hand-computed 2-layer network. Every expected number below is
// worked out in the comments from the constants in targets/loihi1.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTarget } from '../../src/costmodel/target.js';
import type { LoihiTarget } from '../../src/costmodel/target.js';
import { loihiCost, barrierLatency } from '../../src/costmodel/loihi.js';
import type { Activity, MappingOf } from '../../src/costmodel/types.js';
import { close } from './close.js';

// T = 4. fc1: 1000 synops, 10 neurons, 8 output spikes. fc2: 80 synops, 5 neurons,
// 4 output spikes. fc1 on core 0 (tile 0 at (0,0)); fc2 on core 4 (tile 1 at (1,0)):
// one east-west hop between them.
const activity: Activity = {
  T: 4,
  layers: [
    { name: 'fc1', kind: 'dense', inputSpikes: 100, synops: 1000, macs: 0, neurons: 10, neuronUpdates: 40, outputSpikes: 8 },
    { name: 'fc2', kind: 'dense', inputSpikes: 8, synops: 80, macs: 0, neurons: 5, neuronUpdates: 20, outputSpikes: 4 },
  ],
};
const mapping: MappingOf<'loihi'> = {
  kind: 'loihi',
  layers: [
    { name: 'fc1', cores: 1, compartments: 10, synapseBits: 16000, axonsIn: 100, axonsOut: 1 },
    { name: 'fc2', cores: 1, compartments: 5, synapseBits: 800, axonsIn: 10, axonsOut: 0, firstCore: 4 },
  ],
  totals: { cores: 2, compartments: 15, synapseBits: 16800 },
};

// Energy (pJ):
// fc1 synops  1000 x 35.5                       = 35500
//     neurons   40 x (51.2 + 21.6 = 72.8)       =  2912
//     routing    8 x 69.3 (spike gen)           =   554.4
//              + 8 x 1 core x (111 + 3.0 hop)   =   912      -> routing 1466.4
//     fc1 total                                 = 39878.4
// fc2 synops    80 x 35.5                       =  2840
//     neurons   20 x 72.8                       =  1456
//     routing    4 x 69.3 (no next layer)       =   277.2
//     fc2 total                                 =  4573.2
// total 44451.6 pJ
// Latency per step (ns): fc1 core: 250 synops x 3.8 = 950, 10 neurons x (6.0 + 3.7) = 97,
// 2 spikes x 30 = 60, 2 messages x 5.1 = 10.2 -> 1117.2.  fc2 core: 20 x 3.8 = 76,
// 5 x 9.7 = 48.5, 1 x 30 = 30 -> 154.5.  max 1117.2 + longest hop 4.1 + barrier for 2
// tiles 1000 = 2121.3 ns per step; x 4 steps = 8485.2 ns.
function check(name: 'loihi1' | 'loihi2'): void {
  const r = loihiCost(loadTarget(name) as LoihiTarget, mapping, activity);
  close(r.energyJ, 44451.6e-12, 'energy');
  close(r.breakdown.synops, 38340e-12, 'synops');
  close(r.breakdown.neuronUpdates, 4368e-12, 'neuron updates');
  close(r.breakdown.routing, 1743.6e-12, 'routing');
  close(r.layers[0]?.energyJ ?? NaN, 39878.4e-12, 'fc1 energy');
  close(r.layers[1]?.energyJ ?? NaN, 4573.2e-12, 'fc2 energy');
  close(r.perStep.latencyS, 2121.3e-9, 'latency per step');
  close(r.latencyS, 8485.2e-9, 'latency');
  close(r.perStep.energyJ, 11112.9e-12, 'energy per step');
  assert.equal(r.resources?.['tiles'], 2);
  assert.equal(r.breakdown.static, 0);
}

describe('loihi cost model', () => {
  it('loihi1: hand-computed 2-layer dense net', () => check('loihi1'));
  // Loihi 2 reuses Loihi 1's per-event constants (labelled assumptions in its file), so
  // the same hand computation applies; the report must say so.
  it('loihi2: same numbers, and the reused constants are reported as assumptions', () => {
    check('loihi2');
    const r = loihiCost(loadTarget('loihi2') as LoihiTarget, mapping, activity);
    assert.ok(r.assumptions.some((a) => a.startsWith('loihi2/energy/synopDense is an assumption')));
  });
  it('conv layers use the conv synapse cost (24.0 pJ, 3.1 ns)', () => {
    const conv: Activity = { T: 1, layers: [{ ...activity.layers[1]!, kind: 'conv', synops: 10, neuronUpdates: 0, outputSpikes: 0 }] };
    const m: MappingOf<'loihi'> = { ...mapping, layers: [{ ...mapping.layers[1]!, firstCore: 0 }] };
    const r = loihiCost(loadTarget('loihi1') as LoihiTarget, m, conv);
    // 10 x 24.0 pJ = 240 pJ; latency 10 x 3.1 ns = 31 ns + barrier(1 tile) 600 ns = 631 ns
    close(r.energyJ, 240e-12, 'conv energy');
    close(r.latencyS, 631e-9, 'conv latency');
  });
  it('barrier latency interpolates the table linearly in tiles and clamps', () => {
    const t = loadTarget('loihi1') as LoihiTarget;
    close(barrierLatency(t, 1), 0.6e-6, '1 tile');
    close(barrierLatency(t, 3), 1.2e-6, '3 tiles (between 1.0 and 1.4)');
    close(barrierLatency(t, 16.5), 1.6e-6, '16.5 tiles (half-way 4..29)');
    close(barrierLatency(t, 32), 1.8e-6, '32 tiles clamps');
  });
});
