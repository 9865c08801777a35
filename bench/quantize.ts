// bench/quantize: what integer quantization costs LeNet (examples/lenet.onnx) in accuracy, on
// the full embedded MNIST test split (2,004 images), at T = 16 and 32 (one run of 32 steps
// gives both: accuracy after every step). Compared: the float SNN (snnc convert defaults),
// 8-bit weights + 8-bit neuron parameters (threshold, bias; membrane auto) with nearest
// rounding, and 4-bit weights with each rounding — all integer-exact (src/sim/int), per-channel
// weight scales (the default) unless named per-layer. Targets (issue 5): 8-bit ≤ 0.2 pp below
// the float SNN at the same T; 4-bit ≤ 1 pp with the best rounding.
import { join } from 'node:path';
import { convertModel } from '../src/api/convert.js';
import { loadModel } from '../src/api/load.js';
import { memoryReport } from '../src/sim/int/memory.js';
import { quantizeModel } from '../src/api/quantize.js';
import { loadMnist } from '../src/data/mnist.js';
import type { QuantizeSettings } from '../src/passes/quantize-config.js';
import { quantizeGraph } from '../src/passes/quantize.js';
import { simulateInt } from '../src/sim/int/simulate.js';
import { simulate } from '../src/sim/snn/simulate.js';
import { machine, projectRoot, writeResult } from './harness.js';

const T = 32;
const pp = (a: number, b: number): number => Number((100 * (a - b)).toFixed(2));
const acc = (x: number): number => Number((100 * x).toFixed(2));

interface Config {
  readonly name: string;
  readonly settings: QuantizeSettings;
  readonly scheme?: 'ann-first';
}

const CONFIGS: readonly Config[] = [
  { name: 'w8-th8-b8 nearest', settings: { bits: { w: 8, th: 8, b: 8 }, rounding: 'nearest' } },
  { name: 'w4-th8-b8 nearest', settings: { bits: { w: 4, th: 8, b: 8 }, rounding: 'nearest' } },
  { name: 'w4-th8-b8 trunc', settings: { bits: { w: 4, th: 8, b: 8 }, rounding: 'trunc' } },
  { name: 'w4-th8-b8 stochastic (seed 0)', settings: { bits: { w: 4, th: 8, b: 8 }, rounding: 'stochastic', seed: 0 } },
  { name: 'w8-th8-b8 nearest per-layer', settings: { bits: { w: 8, th: 8, b: 8 }, rounding: 'nearest', perChannel: false } },
  { name: 'w4-th8-b8 nearest ann-first', settings: { bits: { w: 4, th: 8, b: 8 }, rounding: 'nearest' }, scheme: 'ann-first' },
];

export async function runQuantizeBench(): Promise<void> {
  const ann = await loadModel(join(projectRoot(), 'examples', 'lenet.onnx'));
  const snn = convertModel(ann).graph;
  const data = loadMnist('test');
  const f = simulate(snn, data, { T });
  const float = { T16: acc(f.accuracyPerStep[15] ?? 0), T32: acc(f.accuracyPerStep[31] ?? 0), spikesPerSample: Math.round(f.spikesPerSample) };
  console.log(`float SNN: T=16 ${float.T16} %, T=32 ${float.T32} %`);
  const rows = [];
  for (const c of CONFIGS) {
    const q = c.scheme === 'ann-first' ? quantizeModel(ann, { ...c.settings, scheme: 'ann-first' }) : quantizeGraph(snn, c.settings);
    const r = simulateInt(q.program, data, { T });
    const m = memoryReport(q.program);
    const a16 = r.accuracyPerStep[15] ?? 0;
    const a32 = r.accuracyPerStep[31] ?? 0;
    const row = {
      config: c.name,
      T16: acc(a16),
      T32: acc(a32),
      lossVsFloatPp: { T16: pp(f.accuracyPerStep[15] ?? 0, a16), T32: pp(f.accuracyPerStep[31] ?? 0, a32) },
      spikesPerSample: Math.round(r.spikesPerSample),
      memoryKiB: Number((m.total.totalBits / 8 / 1024).toFixed(2)),
      float32KiB: Number((m.total.float32Bits / 8 / 1024).toFixed(2)),
    };
    console.log(
      `${c.name}: T=16 ${row.T16} % (−${row.lossVsFloatPp.T16} pp), T=32 ${row.T32} % (−${row.lossVsFloatPp.T32} pp), ${row.memoryKiB} KiB vs ${row.float32KiB} KiB`,
    );
    rows.push(row);
  }
  const file = writeResult('quantize', {
    machine: machine(),
    model: 'examples/lenet.onnx, snnc convert defaults (percentile:99.99 per channel on 512 MNIST train images, IF subtract, vInit 0.5, direct coding)',
    dataset: `mnist:test (${data.y.length} images)`,
    float,
    quantized: rows,
    targets: { 'w8 loss pp': '≤ 0.2', 'w4 best-rounding loss pp': '≤ 1' },
  });
  console.log(`wrote ${file}`);
}

if (process.argv[1] !== undefined && /bench[\\/]quantize\.(ts|js)$/.test(process.argv[1])) await runQuantizeBench();
