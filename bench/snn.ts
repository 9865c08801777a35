// bench/snn: SNN simulator throughput — time-stepped vs event-driven vs the ANN
// interpreter — on the example LeNet (examples/lenet.onnx) at T = 16 and 32, on the first
// 256 images of the embedded MNIST test split, one thread.
//
// Until the converter pass lands in the bench path, the SNN is made here by plain
// layer-wise threshold balancing: each Relu's 99.9th-percentile activation λ on 200
// calibration images scales its affine op (W·λ_in/λ, b/λ) and the Relu becomes IF(θ = 1);
// AveragePool/Flatten pass the scale; the last Gemm is rescaled by λ_in only (membrane
// readout). That is enough to give realistic spike rates; accuracy is reported, not judged.
import { loadModel } from '../src/api/load.js';
import { loadMnist } from '../src/data/mnist.js';
import type { Graph, Node, Tensor } from '../src/ir/types.js';
import { runGraph } from '../src/sim/ann/run.js';
import { simulate } from '../src/sim/snn/index.js';
import type { SimMode } from '../src/sim/snn/index.js';
import { machine, projectRoot, sig, timeIt, writeResult } from './harness.js';
import { join } from 'node:path';

const STEPS = [16, 32] as const;
const MODES: readonly SimMode[] = ['time-stepped', 'event-driven'];
const SAMPLES = 256;
const CALIB = 200;
const PERCENTILE = 99.9;

function percentile(d: Float32Array, p: number): number {
  const s = Float32Array.from(d).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 1;
}

/** Scale W along its output dim (axis 0 for Conv and transB Gemm) by 1/λ and all of it by λ_in. */
function scaled(t: Tensor, outAxis0: boolean, lamIn: number, lamOut: number): Tensor {
  const d = Float32Array.from(t.data as Float32Array, (v) => (v * lamIn) / lamOut);
  if (!outAxis0) throw new Error('bench: expected output channels on axis 0');
  return { dtype: 'float32', shape: [...t.shape], data: d };
}

export function balance(g: Graph, calib: Tensor): Graph {
  const relus = g.nodes.filter((n) => n.op === 'Relu');
  const acts = runGraph({ ...g, outputs: relus.map((n) => n.outputs[0] as string) }, new Map([[g.inputs[0] as string, calib]]));
  const inits = new Map(g.initializers);
  const nodes: Node[] = [];
  let lamIn = 1;
  g.nodes.forEach((n, i) => {
    const next = g.nodes[i + 1];
    if ((n.op === 'Conv' || n.op === 'Gemm') && next?.op === 'Relu') {
      const lam = percentile(acts.get(next.outputs[0] as string)?.data as Float32Array, PERCENTILE) || 1;
      inits.set(n.inputs[1] as string, scaled(inits.get(n.inputs[1] as string) as Tensor, true, lamIn, lam));
      if (n.inputs[2]) inits.set(n.inputs[2], scaled(inits.get(n.inputs[2]) as Tensor, true, 1, lam));
      lamIn = lam;
    } else if (n.op === 'Gemm') {
      inits.set(n.inputs[1] as string, scaled(inits.get(n.inputs[1] as string) as Tensor, true, lamIn, 1));
    }
    if (n.op === 'Relu') {
      const th = `${n.name}/theta`;
      inits.set(th, { dtype: 'float32', shape: [], data: Float32Array.of(1) });
      nodes.push({ op: 'IF', name: n.name, inputs: [n.inputs[0] as string, th], outputs: n.outputs, attrs: { reset: 'subtract', vInit: 0.5, fire: 'ge', refractory: 0 } });
    } else nodes.push(n);
  });
  const values = new Map(g.values);
  for (const [k, t] of inits) if (!values.has(k)) values.set(k, { name: k, dtype: t.dtype, shape: t.shape });
  return { ...g, nodes, initializers: inits, values, meta: { ...g.meta, 'snnc.kind': 'snn', 'snnc.coding': 'direct', 'snnc.readout': 'membrane' } };
}

interface Row {
  readonly engine: string;
  readonly T: number | null;
  readonly imagesPerSec: number;
  readonly accuracy: number;
  readonly synopsPerSample: number | null;
  readonly synopsPerSec: number | null;
  readonly iterations: number;
}

export async function runSnnBench(): Promise<void> {
  const ann = await loadModel(join(projectRoot(), 'examples', 'lenet.onnx'));
  const calib = loadMnist('train', { limit: CALIB });
  const test = loadMnist('test', { limit: SAMPLES });
  const snn = balance(ann, calib.x);
  const input = ann.inputs[0] as string;
  const rows: Row[] = [];
  const annTiming = await timeIt(() => runGraph(ann, new Map([[input, test.x]])), 1000);
  const logits = runGraph(ann, new Map([[input, test.x]])).get(ann.outputs[0] as string) as Tensor;
  let correct = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const row = Array.from((logits.data as Float32Array).subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
  }
  rows.push({ engine: 'ann-interpreter', T: null, imagesPerSec: sig((1000 * SAMPLES) / annTiming.meanMs), accuracy: correct / SAMPLES, synopsPerSample: null, synopsPerSec: null, iterations: annTiming.iterations });
  for (const T of STEPS) {
    for (const mode of MODES) {
      const r = simulate(snn, test, { T, mode });
      const tm = await timeIt(() => simulate(snn, test, { T, mode }), 2000, 100);
      const ips = (1000 * SAMPLES) / tm.meanMs;
      rows.push({
        engine: mode, T, imagesPerSec: sig(ips), accuracy: r.accuracyPerStep[T - 1] ?? 0,
        synopsPerSample: sig(r.synopsPerSample), synopsPerSec: sig(r.synopsPerSample * ips), iterations: tm.iterations,
      });
    }
  }
  for (const r of rows) {
    console.log(`${r.engine.padEnd(16)} T=${String(r.T ?? '-').padEnd(3)} ${String(r.imagesPerSec).padStart(8)} images/s  acc ${(100 * r.accuracy).toFixed(2)} %${r.synopsPerSec !== null ? `  ${sig(r.synopsPerSec / 1e6, 3)} Msynops/s` : ''}`);
  }
  const file = writeResult('snn', {
    machine: machine(), model: 'examples/lenet.onnx (layer-wise 99.9th-percentile balancing, IF subtract reset, vInit 0.5, direct coding)',
    samples: SAMPLES, rows,
  });
  console.log(`wrote ${file}`);
}

if (process.argv[1] !== undefined && /bench[\\/]snn\.(ts|js)$/.test(process.argv[1])) await runSnnBench();
