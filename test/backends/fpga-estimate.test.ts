// Resource and latency estimates of the FPGA backend against hand-computed numbers
// (rules in docs/targets/fpga.md; KV260 target: pipelineOverheadCycles = 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emit, estimate, makePlan, parseCsynthXml, synth } from '../../src/backends/fpga/index.js';
import { conv, dense, fpgaTarget, geom, input, ints, neuron, program } from './fpga-programs.js';

function smallNet(): ReturnType<typeof program> {
  const l0 = dense('h0', 'in', 4, ints(64, 1, -100, 100), ints(16, 2, -50, 50), 15, neuron({ threshold: [100] }));
  const l1 = dense('h1', 'h0', 16, ints(128, 3, -7, 7), ints(8, 4, -100, 100), 1, neuron({ threshold: [20], membraneBits: 12, refractory: 2 }), 4);
  const l1b: typeof l1 = { ...l1, biasBits: 8 };
  const out = dense('out', 'h1', 8, ints(16, 5, -7, 7), new Int32Array(0), 1, null);
  return program('small', input([4], 4), [l0, l1b, out]);
}

test('dense layer fed spikes: adders, BRAM bits and cycles by hand', () => {
  const { mapping, layers } = estimate(makePlan(smallNet(), 8, 4, 'array'), fpgaTarget());
  // h1: 16·8 = 128 synapses / reuse 4 = 32 adders (spike inputs: no multipliers);
  // bits = 128 weights·4 + 8 biases·8 + 8 neurons·(12 membrane + 2 refractory) = 512 + 64 + 112 = 688;
  // cycles per step = reuse 4 + overhead 3 = 7.
  assert.deepEqual(mapping.layers[1], { name: 'h1', multipliers: 0, adders: 32, bramBits: 688, reuseFactor: 4, cyclesPerStep: 7 });
  // h0: 4·16 = 64 MACs on 5-bit x_q / 4 = 16 multipliers, all narrow (< 10 bits) → LUTs;
  // bits = 64·8 + 16·16 + 16·16 = 1024.
  assert.deepEqual(mapping.layers[0], { name: 'h0', multipliers: 16, adders: 0, bramBits: 1024, reuseFactor: 4, cyclesPerStep: 7 });
  assert.equal(layers[0]?.lutMultipliers, 16);
  assert.equal(layers[0]?.dspMultipliers, 0);
  // out: 8·2 = 16 / 4 = 4 adders; 16·8 weight bits, no bias, no state.
  assert.deepEqual(mapping.layers[2], { name: 'out', multipliers: 0, adders: 4, bramBits: 128, reuseFactor: 4, cyclesPerStep: 7 });
  assert.deepEqual(mapping.totals, { multipliers: 16, adders: 36, bramBits: 1840 });
});

test('conv: per-position kernel work, positions × reuse cycles', () => {
  const c = conv('c', 'in', [2, 8, 8], 4, geom(3, 1, [0, 0, 0, 0]), ints(72, 6, -7, 7), new Int32Array(0), 7, null);
  const { mapping } = estimate(makePlan(program('cnet', input([2, 8, 8], 3), [c]), 8, 2, 'array'), fpgaTarget());
  // 4 outputs · 2 channels · 9 taps = 72 MACs per position / reuse 2 = 36 multipliers (x_q input);
  // 6·6 positions · reuse 2 + 3 = 75 cycles; bits = 72·8.
  assert.deepEqual(mapping.layers[0], { name: 'c', multipliers: 36, adders: 0, bramBits: 576, reuseFactor: 2, cyclesPerStep: 75 });
});

test('the reuse factor is raised to respect the 4096 unroll limit, with a warning', () => {
  const big = dense('big', 'in', 100, ints(10000, 7, -3, 3), new Int32Array(0), 1, null);
  const r = emit(program('bignet', input([100], 1), [big]), fpgaTarget(), { T: 2 });
  // 10000 synapses / 4096 → reuse 3, 3334 multipliers (binary? no: 1-bit direct input is x_q).
  assert.equal(r.mapping.layers[0]?.reuseFactor, 3);
  assert.equal(r.mapping.layers[0]?.multipliers, 3334);
  assert.ok(r.diagnostics.some((d) => d.code === 'SNNC_W_FPGA_REUSE' && d.node === 'big'));
});

test('synth: without vitis_hls on PATH it says so instead of failing', async () => {
  const saved = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  try {
    const r = await synth('/nonexistent');
    assert.equal(r.ran, false);
    assert.match(r.message, /vitis_hls is not on PATH/);
  } finally {
    process.env['PATH'] = saved;
  }
});

test('parseCsynthXml reads resources and latency (report layout as documented, not from a real run)', () => {
  const xml = `<profile><PerformanceEstimates><SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>3.650</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>120</Best-caseLatency><Average-caseLatency>130</Average-caseLatency><Worst-caseLatency>140</Worst-caseLatency></SummaryOfOverallLatency></PerformanceEstimates>
    <AreaEstimates><Resources><BRAM_18K>4</BRAM_18K><DSP>12</DSP><FF>2345</FF><LUT>3456</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>288</BRAM_18K><DSP>1248</DSP><FF>234240</FF><LUT>117120</LUT><URAM>64</URAM></AvailableResources></AreaEstimates></profile>`;
  assert.deepEqual(parseCsynthXml(xml), { resources: { LUT: 3456, FF: 2345, DSP: 12, BRAM_18K: 4, URAM: 0 }, latencyCycles: 140, clockNs: 3.65 });
});
