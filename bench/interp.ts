// bench/interp: the reference interpreter (runGraph) against onnxruntime-node, both on
// one thread, on an MLP (784-256-128-10) and a LeNet-sized CNN, at batch 1 and 64.
// The aim (issue #17) is LeNet within 3x of onnxruntime at batch 64; the MLP is reported
// beside it. Before timing, both engines' outputs are compared, so a fast wrong kernel
// cannot pass unnoticed.
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../src/frontend/onnx/write.js';
import { avgPoolAttrs, buildGraph, convAttrs, gemmAttrs, int64Tensor } from '../src/ir/build.js';
import { makeTensor } from '../src/ir/dtype.js';
import type { NodeSpec } from '../src/ir/build.js';
import type { Graph, Tensor } from '../src/ir/types.js';
import { runGraph } from '../src/sim/ann/run.js';
import { machine, prng, sig, timeIt, writeResult } from './harness.js';

const BATCHES = [1, 64] as const;
const AIM_RATIO = 3;
const AIM_MODEL = 'lenet';

/** Weights uniform in +-1/sqrt(fan_in) (the PyTorch default init), from the seeded PRNG. */
function weight(rng: () => number, shape: readonly number[], fanIn: number): Tensor {
  const s = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, b) => a * b, 1);
  return makeTensor(
    'float32',
    shape,
    Float32Array.from({ length: n }, () => (2 * rng() - 1) * s),
  );
}

/** Dense layers as Gemm(x, W[out, in], b) with transB, as PyTorch exports nn.Linear. */
function dense(rng: () => number, nodes: NodeSpec[], inits: Record<string, Tensor>, x: string, inF: number, outF: number, relu: boolean, tag: string): string {
  inits[`${tag}.w`] = weight(rng, [outF, inF], inF);
  inits[`${tag}.b`] = weight(rng, [outF], inF);
  const y = relu ? `${tag}.pre` : `${tag}.out`;
  nodes.push({ op: 'Gemm', inputs: [x, `${tag}.w`, `${tag}.b`], outputs: [y], attrs: gemmAttrs({ transB: true }) });
  if (!relu) return y;
  nodes.push({ op: 'Relu', inputs: [y], outputs: [`${tag}.out`] });
  return `${tag}.out`;
}

export function mlp(seed = 1): Graph {
  const rng = prng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  let x = dense(rng, nodes, inits, 'input', 784, 256, true, 'fc1');
  x = dense(rng, nodes, inits, x, 256, 128, true, 'fc2');
  x = dense(rng, nodes, inits, x, 128, 10, false, 'fc3');
  return buildGraph({ name: 'mlp', inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 784] }], initializers: inits, nodes, outputs: [x] });
}

/** conv5x5(6)-relu-avgpool2-conv5x5(16)-relu-avgpool2-dense 120-84-10 on 1x28x28. */
export function lenet(seed = 2): Graph {
  const rng = prng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  const convBlock = (x: string, cin: number, cout: number, tag: string): string => {
    inits[`${tag}.w`] = weight(rng, [cout, cin, 5, 5], cin * 25);
    inits[`${tag}.b`] = weight(rng, [cout], cin * 25);
    nodes.push({ op: 'Conv', inputs: [x, `${tag}.w`, `${tag}.b`], outputs: [`${tag}.conv`], attrs: convAttrs({ kernelShape: [5, 5] }) });
    nodes.push({ op: 'Relu', inputs: [`${tag}.conv`], outputs: [`${tag}.relu`] });
    nodes.push({ op: 'AveragePool', inputs: [`${tag}.relu`], outputs: [`${tag}.out`], attrs: avgPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) });
    return `${tag}.out`;
  };
  let x = convBlock('input', 1, 6, 'c1');
  x = convBlock(x, 6, 16, 'c2');
  inits['flat.shape'] = int64Tensor([0, -1]);
  nodes.push({ op: 'Reshape', inputs: [x, 'flat.shape'], outputs: ['flat'], attrs: { allowzero: false } });
  x = dense(rng, nodes, inits, 'flat', 256, 120, true, 'fc1');
  x = dense(rng, nodes, inits, x, 120, 84, true, 'fc2');
  x = dense(rng, nodes, inits, x, 84, 10, false, 'fc3');
  return buildGraph({ name: 'lenet', inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 1, 28, 28] }], initializers: inits, nodes, outputs: [x] });
}

interface Row {
  readonly model: string;
  readonly batch: number;
  readonly ours: { readonly msPerBatch: number; readonly imagesPerSec: number; readonly iterations: number };
  readonly ort: { readonly msPerBatch: number; readonly imagesPerSec: number; readonly iterations: number };
  readonly ratio: number;
  readonly maxAbsDiff: number;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

async function benchModel(g: Graph, inShape: readonly number[], batch: number, session: ort.InferenceSession, seed: number): Promise<Row> {
  const shape = [batch, ...inShape];
  const rng = prng(seed);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng());
  const feeds = new Map<string, Tensor>([['input', makeTensor('float32', shape, data)]]);
  const ortFeeds = { input: new ort.Tensor('float32', data, shape) };
  const outName = g.outputs[0] as string;
  const ours = runGraph(g, feeds).get(outName);
  const theirs = (await session.run(ortFeeds))[outName];
  const diff = maxAbsDiff(ours?.data as Float32Array, theirs?.data as Float32Array);
  if (!(diff < 1e-4)) throw new Error(`bench/interp: ${g.name} batch ${batch}: outputs differ from onnxruntime by ${diff}`);
  const t1 = await timeIt(() => runGraph(g, feeds));
  const t2 = await timeIt(() => session.run(ortFeeds));
  const row = (t: { meanMs: number; iterations: number }): Row['ours'] => ({
    msPerBatch: sig(t.meanMs),
    imagesPerSec: sig((1000 * batch) / t.meanMs),
    iterations: t.iterations,
  });
  return { model: g.name, batch, ours: row(t1), ort: row(t2), ratio: sig(t1.meanMs / t2.meanMs, 3), maxAbsDiff: sig(diff, 2) };
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);

export async function benchInterp(): Promise<void> {
  const models: readonly [Graph, readonly number[]][] = [
    [mlp(), [784]],
    [lenet(), [1, 28, 28]],
  ];
  const rows: Row[] = [];
  for (const [g, inShape] of models) {
    const session = await ort.InferenceSession.create(exportOnnx(g), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    for (const batch of BATCHES) rows.push(await benchModel(g, inShape, batch, session, 100 + batch));
    await session.release();
  }
  const m = machine();
  console.log(`${new Date().toISOString()}  node ${m.node}  ${m.cpu}  (both engines single-threaded)`);
  console.log(
    `${'model'.padEnd(6)} ${pad('batch', 5)} | ${pad('ours ms', 9)} ${pad('ours img/s', 11)} | ${pad('ort ms', 9)} ${pad('ort img/s', 11)} | ${pad('ours/ort', 8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(6)} ${pad(r.batch, 5)} | ${pad(r.ours.msPerBatch, 9)} ${pad(r.ours.imagesPerSec, 11)} | ${pad(r.ort.msPerBatch, 9)} ${pad(r.ort.imagesPerSec, 11)} | ${pad(`${r.ratio}x`, 8)}`,
    );
  }
  const worst = Math.max(...rows.filter((r) => r.batch === 64 && r.model === AIM_MODEL).map((r) => r.ratio));
  console.log(`aim: ${AIM_MODEL} within ${AIM_RATIO}x of onnxruntime at batch 64 -> ${worst}x: ${worst <= AIM_RATIO ? 'met' : 'NOT met'}`);
  const file = writeResult('interp', {
    bench: 'interp',
    machine: m,
    onnxruntime: ort.env.versions.common,
    threads: 1,
    aim: { model: AIM_MODEL, batch: 64, maxRatio: AIM_RATIO, ratio: worst, met: worst <= AIM_RATIO },
    results: rows,
  });
  console.log(`saved ${file}`);
}
