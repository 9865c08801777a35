// Run separately (about 2 min on one core): node --import tsx bench/loihi-lenet.ts [samples]
// LeNet on Loihi, on the full embedded MNIST test split (2,004 images) at T = 16 and 32:
// float SNN of the default conversion (reset by subtraction), float SNN with Loihi semantics
// (reset to zero, fire on v > θ), the integer SNN of that graph (at Loihi's precisions:
// 8-bit weights with one scale per layer, as netx has one threshold per layer; and the
// default per-channel program for reference), and the bit-accurate netx simulation (lava CUBA, one-step synaptic delay per layer, read
// `latency` steps after the last input step) — with both netx readouts, and without the
// delay, so the cost of each Loihi difference is visible. Issue #7's criterion: the netx
// simulation within 0.5 pp of the integer SNN at the same T.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsDir } from './harness.js';
import { loadModel } from '../src/api/load.js';
import { convertModel } from '../src/api/convert.js';
import { LOIHI_INT_SETTINGS, simulateLoihi } from '../src/backends/loihi/simulate.js';
import { backendFor, withTargetSemantics } from '../src/backends/registry.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { simulateInt } from '../src/sim/int/simulate.js';
import { simulate } from '../src/sim/snn/index.js';
import { loadMnist } from '../src/data/index.js';

const N = Number(process.argv[2] ?? 2004);
const T = 32;
const t0 = Date.now();
const ann = await loadModel('examples/lenet.onnx');
const subtract = convertModel(ann, {}).graph;
const loihi = convertModel(ann, withTargetSemantics(backendFor('loihi'), {})).graph;
const test = loadMnist('test', { limit: N });
const data = { x: test.x, y: test.y };
const out: Record<string, unknown> = {
  model: 'examples/lenet.onnx',
  samples: data.y.length,
  dataset: 'embedded MNIST test split',
  conversion: 'percentile:99.99 on 512 MNIST train images, per channel, direct coding',
};
const at = (acc: readonly number[]): { T16: number; T32: number } => ({ T16: acc[15] as number, T32: acc[31] as number });
const log = (k: string, v: unknown): void => {
  out[k] = v;
  console.log(k, JSON.stringify(v));
};
const time = <R>(f: () => R): [R, number] => {
  const s = Date.now();
  const r = f();
  return [r, (Date.now() - s) / 1000];
};

log('floatSnnSubtract', at(simulate(subtract, data, { T }).accuracyPerStep));
log('floatSnnLoihi', at(simulate(loihi, data, { T }).accuracyPerStep));
const [int, intS] = time(() => simulateInt(quantizeGraph(loihi, LOIHI_INT_SETTINGS).program, data, { T }));
log('intSnnLoihi', { ...at(int.accuracyPerStep), settings: LOIHI_INT_SETTINGS });
log('intSnnLoihiPerChannel', at(simulateInt(quantizeGraph(loihi).program, data, { T }).accuracyPerStep));
const [lo, loS] = time(() => simulateLoihi(loihi, data, { T }));
log('loihi', {
  ...at(lo.accuracyPerStep),
  T8: lo.accuracyPerStep[7],
  readout: lo.readout,
  synapticDelay: lo.synapticDelay,
  latency: lo.latency,
  stepsAtT32: lo.steps,
  inputScale: lo.inputScale,
  aInOver16PerSample: lo.aInOver16,
  spikesPerSample: Math.round(lo.spikesPerSample),
});
const agree = lo.predictions.reduce((a, p, i) => a + (p === int.predictions[i] ? 1 : 0), 0);
log('loihiVsInt', {
  T16pp: 100 * ((lo.accuracyPerStep[15] as number) - (int.accuracyPerStep[15] as number)),
  T32pp: 100 * ((lo.accuracyPerStep[31] as number) - (int.accuracyPerStep[31] as number)),
  samePredictionAtT32: agree / data.y.length,
});
log('loihiAccumulateReadout', at(simulateLoihi(loihi, data, { T, readout: 'accumulate' }).accuracyPerStep));
log('loihiNoDelay', at(simulateLoihi(loihi, data, { T, synapticDelay: false }).accuracyPerStep));
log('seconds', { total: (Date.now() - t0) / 1000, intSnn: intS, loihi: loS });
if (N >= 2004) writeFileSync(join(resultsDir(), 'loihi-lenet.json'), JSON.stringify(out, null, 2) + '\n');
