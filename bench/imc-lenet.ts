// Run separately (about 25 min on one core): node --import tsx bench/imc-lenet.ts [samples]
// LeNet on IMC: accuracy of the float SNN vs the mapped network (HP-ADC 8 bit, ADC-less,
// ADC-less + noise) and the cost-model energy/latency ratio ADC-less : HP-ADC.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsDir } from './harness.js';
import { loadModel } from '../src/api/load.js';
import { convertModel } from '../src/api/convert.js';
import { activityFromSimulation } from '../src/backends/common/activity.js';
import { loadTarget } from '../src/costmodel/target.js';
import type { ImcTarget } from '../src/costmodel/target.js';
import { imcCost } from '../src/costmodel/imc.js';
import { emit, mapGraph, simulateImc } from '../src/backends/imc/index.js';
import type { DeviceEffects } from '../src/backends/imc/index.js';
import { simulate } from '../src/sim/snn/index.js';
import { loadMnist } from '../src/data/index.js';

const N = Number(process.argv[2] ?? 500);
const T = 32;
const g = (await convertModel(await loadModel('examples/lenet.onnx'), {})).graph;
const hp = loadTarget('imc-hpadc') as ImcTarget;
const al = loadTarget('imc-adcless') as ImcTarget;
const test = loadMnist('test', { limit: N });
const train = loadMnist('train', { limit: 64 });
const data = { x: test.x, y: test.y };
const calibration = { x: train.x, y: train.y };
const noise: DeviceEffects = { programNoise: 1, readNoise: 0.01 };
const seeds = [1, 2, 3];
const out: Record<string, unknown> = {
  model: 'examples/lenet.onnx',
  samples: N,
  T,
  conversion: 'percentile:99.99, channel, subtract reset, direct coding',
  noise,
  seeds,
};
const at = (acc: number[]): { T16: number; T32: number } => ({ T16: acc[15] as number, T32: acc[31] as number });
const log = (k: string, v: unknown): void => {
  out[k] = v;
  console.log(k, JSON.stringify(v));
};
const t0 = Date.now();
const float = simulate(g, data, { T });
log('floatSnn', at(float.accuracyPerStep));
const hpNet = mapGraph(g, hp);
const alNet = mapGraph(g, al);
log('hpAdc8', at(simulateImc(g, hpNet, data, { T }).accuracyPerStep));
log('adcLess', at(simulateImc(g, alNet, data, { T, calibration }).accuracyPerStep));
const stats = (xs: number[]): { mean: number; std: number; runs: number[] } => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)), runs: xs };
};
for (const [name, net, extra] of [
  ['adcLessNoise', alNet, { calibration }],
  ['hpAdc8Noise', hpNet, {}],
] as const) {
  const r16: number[] = [];
  const r32: number[] = [];
  for (const seed of seeds) {
    const acc = simulateImc(g, net, data, { T, ...extra, devices: { ...noise, seed } }).accuracyPerStep;
    r16.push(acc[15] as number);
    r32.push(acc[31] as number);
  }
  log(name, { T16: stats(r16), T32: stats(r32) });
}
const act = activityFromSimulation(g, float);
const cHp = imcCost(hp, emit(g, hp).mapping, act);
const cAl = imcCost(al, emit(g, al).mapping, act);
log('cost', {
  hpAdc: { energyJ: cHp.energyJ, latencyS: cHp.latencyS },
  adcLess: { energyJ: cAl.energyJ, latencyS: cAl.latencyS },
  energyRatioHpOverAdcLess: cHp.energyJ / cAl.energyJ,
  latencyRatioHpOverAdcLess: cHp.latencyS / cAl.latencyS,
  paper: { energy: '2-7x', latency: '8.9-24.6x' },
});
log('mapping', {
  tiles: hpNet.mapping.totals.tiles,
  utilization: hpNet.mapping.totals.utilization,
  layers: hpNet.mapping.layers.map((l) => [l.name, l.tiles, l.inputBits]),
});
log('seconds', (Date.now() - t0) / 1000);
writeFileSync(join(resultsDir(), 'imc-lenet.json'), JSON.stringify(out, null, 2) + '\n');
