// A current-based (NIR CubaLIF) network end to end on the FPGA path: quantized to the integer
// program (Loihi-style 12-bit current decay), emitted as C++, compiled with g++ and run: the
// C-simulation must equal snnc's integer simulator bit for bit; the integer simulation must
// stay close to the float one.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { importNir } from '../../src/frontend/nir/index.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { simulateInt } from '../../src/sim/int/simulate.js';
import { quantizeInput } from '../../src/sim/int/sample.js';
import { simulate } from '../../src/sim/snn/index.js';
import { handNir } from '../frontend/nir-helpers.js';
import { fileOf, lcg, makeNet } from '../frontend/nir-cuba-net.js';
import { csimProgram, NO_GXX } from './fpga-util.js';

async function cubaNet() {
  const { nodes, edges } = fileOf(makeNet());
  return importNir(await handNir(nodes, edges));
}

function inputs(n: number): Float32Array {
  const rnd = lcg(5);
  return Float32Array.from({ length: n * 16 }, () => Math.round(rnd() * 4) / 4);
}

it('quantize gives current-based neurons a 12-bit current decay (version-2 program)', async () => {
  const { program } = quantizeGraph(await cubaNet());
  assert.equal(program.version, 2);
  // τ_syn = 3e-4, 4e-4 at dt = 1e-4: decays 2/3 and 3/4 → d = 4096/3 and 1024.
  assert.deepEqual(
    program.layers.filter((l) => l.neuron !== null).map((l) => l.neuron?.currentDecay),
    [Math.round(4096 / 3), 1024],
  );
  const N = 16;
  const x = { dtype: 'float32' as const, shape: [N, 1, 4, 4], data: inputs(N) };
  const y = new Int32Array(N);
  const float = simulate(await cubaNet(), { x, y }, { T: 16 });
  const int = simulateInt(program, { x, y }, { T: 16 });
  // Same predictions on most samples (8-bit weights, 12-bit decays): the integer model is the same network.
  let same = 0;
  for (let s = 0; s < N; s++) if (float.predictions[s] === int.predictions[s]) same++;
  assert.ok(same >= 12, `${same} of ${N} predictions agree`);
});

it('g++ C-simulation of the emitted current-based design equals the integer simulator bit for bit', { skip: NO_GXX }, async () => {
  const { program } = quantizeGraph(await cubaNet());
  const x = inputs(6);
  const goldenInputs = Array.from({ length: 6 }, (_, s) => quantizeInput(program.input, x, s * 16));
  const r = await csimProgram(program, { T: 12, goldenInputs });
  assert.equal(r.samples, 6);
  assert.equal(r.mismatches, 0);
  assert.ok(r.ok);
});
