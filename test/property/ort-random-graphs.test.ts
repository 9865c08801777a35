// Property test: random small graphs over the supported ops (see random-ops.ts) give the
// same outputs in our interpreter as in onnxruntime-node, after export with exportOnnx.
// ORT is an independent implementation, so any mismatch is a bug in the writer, the
// shape inference or a kernel (or, rarely, in the generator); the failure message prints
// the shrunk graph, its inputs and the first differing elements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { printGraph } from '../../src/ir/print.js';
import type { DType, Graph, Tensor } from '../../src/ir/types.js';
import { gemmNN } from '../../src/sim/ann/gemm-kernel.js';
import { runGraph } from '../../src/sim/ann/run.js';
import { compareTensors, DEFAULT_TOL } from '../helpers/compare.js';
import type { Recipe } from './random-graph.js';
import { buildRecipe, prng } from './random-graph.js';
import { BUILDERS, GEN_OPS, unary } from './random-ops.js';

const SEED = Number(process.env.SNNC_PROP_SEED ?? 20261129);
const NUM_RUNS = Number(process.env.SNNC_PROP_RUNS ?? 5000);

const ORT_DTYPES: Readonly<Record<string, DType>> = { float32: 'float32', int64: 'int64', bool: 'bool' };

async function runOrt(g: Graph, feeds: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>> {
  const session = await ort.InferenceSession.create(exportOnnx(g), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // The reference is ORT's kernels, not its graph rewrites: its Pad fusion folds a
    // constant Pad into a following pool even when the result is invalid (pad >= kernel).
    graphOptimizationLevel: 'disabled',
  });
  try {
    const input: Record<string, ort.Tensor> = {};
    for (const [k, t] of feeds) input[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
    const out = await session.run(input);
    const result = new Map<string, Tensor>();
    for (const name of g.outputs) {
      const t = out[name];
      if (t === undefined) throw new Error(`ORT did not return output '${name}'`);
      const dtype = ORT_DTYPES[t.type];
      if (dtype === undefined) throw new Error(`ORT output '${name}' has unexpected type ${t.type}`);
      result.set(name, { dtype, shape: [...t.dims], data: t.data as Tensor['data'] });
    }
    return result;
  } finally {
    await session.release();
  }
}

const fmtData = (t: Tensor, max = 48): string => {
  const xs = Array.from(t.data.slice(0, max) as ArrayLike<number | bigint>, (v) => (typeof v === 'number' ? String(Number(v.toPrecision(7))) : String(v)));
  return `${t.dtype}[${t.shape.join(', ')}] [${xs.join(', ')}]${t.data.length > max ? ' ...' : ''}`;
};

function describe(g: Graph, feeds: ReadonlyMap<string, Tensor>, problems: readonly string[]): string {
  const lines = ['ORT and runGraph disagree:', ...problems.map((p) => `  ${p}`), printGraph(g)];
  for (const [k, t] of feeds) lines.push(`feed ${k} = ${fmtData(t)}`);
  return lines.join('\n');
}

const stepArb = fc.record({
  op: fc.constantFrom(...GEN_OPS),
  operand: fc.nat(99),
  picks: fc.array(fc.nat(999), { minLength: 24, maxLength: 24 }),
});
const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  seed: fc.nat(),
  batch: fc.integer({ min: 1, max: 3 }),
  dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
});

test('random graphs: runGraph matches onnxruntime-node', async (t) => {
  const histogram = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(recipeArb, async (recipe) => {
      const { graph, feeds } = buildRecipe(recipe, BUILDERS, unary);
      for (const n of graph.nodes) histogram.set(n.op, (histogram.get(n.op) ?? 0) + 1);
      let want: Map<string, Tensor>;
      try {
        want = await runOrt(graph, feeds);
      } catch (e) {
        throw new Error(describe(graph, feeds, [`onnxruntime rejected the exported model: ${(e as Error).message}`]));
      }
      let got: Map<string, Tensor>;
      try {
        got = runGraph(graph, feeds);
      } catch (e) {
        throw new Error(describe(graph, feeds, [`runGraph threw: ${(e as Error).message}`]));
      }
      const problems: string[] = [];
      for (const name of graph.outputs) {
        const w = want.get(name) as Tensor;
        const o = got.get(name);
        const diff = o === undefined ? 'missing' : compareTensors(o, w, DEFAULT_TOL);
        if (diff !== undefined) {
          problems.push(`output ${name}: ${diff}`);
          if (o !== undefined) problems.push(`  ours ${fmtData(o)}`, `  ort  ${fmtData(w)}`);
        }
      }
      if (problems.length > 0) throw new Error(describe(graph, feeds, problems));
    }),
    { seed: SEED, numRuns: NUM_RUNS, includeErrorInReport: true },
  );
  const ops = [...histogram].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  t.diagnostic(`nodes per op over ${NUM_RUNS} graphs: ${ops.join(' ')}`);
  // Every op the generator can emit showed up at least once at this seed.
  assert.ok(histogram.size >= 30, `only ${histogram.size} ops were generated`);
});

// gemmNN (added for Conv on the natural im2col layout) against the triple loop, with
// operand offsets and leading dims wider than the matrices, and k large enough that
// the column blocking splits n.
test('gemmNN equals the triple loop for any m, n, k, offsets, strides, alpha, accumulate', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 13 }),
      fc.constantFrom(0, 1, 5, 9, 4100),
      fc.nat(3),
      fc.nat(3),
      fc.nat(1000),
      fc.boolean(),
      fc.constantFrom(1, 0.5, -2),
      (m, n, k, padA, padB, seed, acc, alpha) => {
        const r = prng(seed);
        const [lda, ldb, ldc] = [k + padA, n + padB, n + 1];
        const a = Float64Array.from({ length: 2 + m * lda }, r);
        const b = Float64Array.from({ length: 3 + k * ldb }, r);
        const c0 = Float64Array.from({ length: 1 + m * ldc }, r);
        const c = c0.slice();
        gemmNN(m, n, k, a, 2, lda, b, 3, ldb, c, 1, ldc, alpha, acc);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < ldc; j++) {
            const at = 1 + i * ldc + j;
            let want = c0[at] as number;
            if (j < n) {
              let sum = 0;
              for (let q = 0; q < k; q++) sum += (a[2 + i * lda + q] as number) * (b[3 + q * ldb + j] as number);
              want = alpha * sum + (acc ? want : 0);
            }
            assert.ok(Math.abs((c[at] as number) - want) < 1e-9, `(${i}, ${j}): ${c[at]} vs ${want}`);
          }
        }
      },
    ),
    { seed: 11, numRuns: 150 },
  );
});
