// Every corpus model: import -> export -> import gives the same graph, export is
// deterministic, and onnxruntime running the exported model reproduces both ORT on the
// original model and the outputs the ONNX project ships (independent references).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, loadOnnx } from '../../src/frontend/onnx/read.js';
import { readTensorFile } from '../../src/frontend/onnx/tensor.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import type { Tensor } from '../../src/ir/types.js';
import { compareTensors, DEFAULT_TOL } from '../helpers/compare.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/paths.js';
import { assertSameGraph, runOrt } from './onnx-helpers.js';

/** Cases whose import is rejected on purpose (runtime-computed axes), not a round-trip concern. */
const NOT_IMPORTED = new Set(['test_squeeze', 'test_squeeze_negative_axes']);

function listCases(): string[] {
  if (!HAVE_CORPUS) return [];
  const out: string[] = [];
  for (const suite of readdirSync(CORPUS)
    .filter((s) => !s.endsWith('.md'))
    .sort()) {
    for (const c of readdirSync(join(CORPUS, suite)).sort()) {
      if (existsSync(join(CORPUS, suite, c, 'model.onnx')) && !NOT_IMPORTED.has(c)) out.push(join(suite, c));
    }
  }
  return out;
}

function inputsOf(dir: string): Tensor[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('input_'))
    .sort((x, y) => Number(x.slice(6, -3)) - Number(y.slice(6, -3)))
    .map((f) => readTensorFile(join(dir, f)).tensor);
}

/** Why ORT cannot load a model, or undefined when it can. */
async function ortLoadError(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const s = await ort.InferenceSession.create(bytes);
    await s.release();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('ONNX round trip over the corpus', { skip: HAVE_CORPUS ? false : 'no corpus' }, () => {
  for (const c of listCases()) {
    it(c, async () => {
      const dir = join(CORPUS, c);
      const original = readFileSync(join(dir, 'model.onnx'));
      const g1 = loadOnnx(join(dir, 'model.onnx'));
      const bytes = exportOnnx(g1);
      assert.deepEqual(exportOnnx(g1), bytes, 'export is deterministic');
      const g2 = importOnnx(bytes);
      assertSameGraph(g1, g2);

      // Old models (e.g. opset-6 AveragePool) or missing kernels (Where on int8) can stop ORT
      // from loading the original; then the shipped outputs are the only reference.
      const originalLoads = (await ortLoadError(original)) === undefined;
      const exportError = await ortLoadError(bytes);
      if (exportError !== undefined) {
        assert.ok(!originalLoads, `ORT loads the original but not the export: ${exportError}`);
        const kernel = /Could not find an implementation for (\w+)\(/.exec(exportError);
        assert.ok(kernel !== null, `export fails in ORT for a reason other than a missing kernel: ${exportError}`);
        assert.match((await ortLoadError(original)) ?? '', new RegExp(`implementation for ${kernel[1] ?? ''}\\(`));
        return;
      }
      for (const s of readdirSync(dir)
        .filter((d) => d.startsWith('test_data_set_'))
        .sort()) {
        const ins = inputsOf(join(dir, s));
        const feeds = new Map(g1.inputs.map((n, i) => [n, ins[i] as Tensor]));
        const got = await runOrt(bytes, feeds);
        const ref = originalLoads ? await runOrt(original, feeds) : undefined;
        got.forEach((t, i) => {
          const r = ref?.[i];
          if (ref !== undefined) {
            assert.ok(r !== undefined, `original has no output ${i}`);
            assert.equal(compareTensors(t, r, { rtol: 1e-6, atol: 1e-7 }), undefined, `${s} output ${i} vs ORT on the original`);
          }
          // Where ORT agrees with the outputs the ONNX project ships, the export must too.
          const want = readTensorFile(join(dir, s, `output_${i}.pb`)).tensor;
          if (r === undefined || compareTensors(r, want, DEFAULT_TOL) === undefined) {
            assert.equal(compareTensors(t, want, DEFAULT_TOL), undefined, `${s} output ${i} vs shipped`);
          }
        });
      }
    });
  }
});
