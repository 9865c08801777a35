// The example networks (quantized at 8-bit weights) through the FPGA backend: g++ C-simulation
// of 20 MNIST test images for T = 8 must equal the integer simulation bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/api/load.js';
import { quantizeModel } from '../../src/api/quantize.js';
import { csimProgram, expected, mnistInputs, NO_GXX } from './fpga-util.js';

const T = 8;
const N = 20;

// resnet-tiny per channel: its residual adds align per-channel operand scales with one gain
// per input and channel (integer program v3).
for (const [model, granularity] of [
  ['mlp', 'layer'],
  ['lenet', 'layer'],
  ['resnet-tiny', 'layer'],
  ['resnet-tiny', 'channel'],
] as const) {
  test(`${model} (${granularity}): g++ C-simulation equals the integer simulation on ${N} images`, { skip: NO_GXX }, async () => {
    const g = await loadModel(`examples/${model}.onnx`);
    const { program } = quantizeModel(g, { calib: 'mnist', calibSamples: 64, bits: { w: 8 }, granularity });
    if (granularity === 'channel') {
      const adds = program.layers.filter((l) => l.kind === 'add' && l.gains !== undefined && l.gains.length > l.inputs.length);
      assert.ok(adds.length > 0, 'a residual add has per-channel gains');
      assert.equal(program.version, 3);
    }
    const { inputs, labels } = mnistInputs(program, N);
    const r = await csimProgram(program, { T, goldenInputs: inputs, reuseFactor: 4 });
    assert.equal(r.ok, true, r.stdout.split('\n').slice(-5).join('\n'));
    assert.equal(r.mismatches, 0);
    inputs.forEach((x, s) => {
      const e = expected(program, x, T, s);
      assert.deepEqual(r.results[s]?.sums, e.sums, `sample ${s}`);
      assert.equal(r.results[s]?.prediction, e.prediction);
    });
    // The network does its job: most images are classified right after 8 steps.
    const right = r.results.filter((x, s) => x.prediction === labels[s]).length;
    assert.ok(right >= N / 2, `${right}/${N} correct`);
  });
}
