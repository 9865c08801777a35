// ONNX conformance: every case of the shared corpus is imported, run by our
// interpreter on each of its test data sets, and compared with the outputs the ONNX
// project ships (computed by its reference implementation — an independent oracle).
// Cases we deliberately don't support are listed in unsupported.json with the reason
// and must fail with SNNC_E_UNSUPPORTED_OP (or the code given there).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isSnncError } from '../../src/errors.js';
import { loadOnnx } from '../../src/frontend/onnx/read.js';
import { readTensorFile } from '../../src/frontend/onnx/tensor.js';
import { runGraph } from '../../src/sim/ann/run.js';
import type { Tensor } from '../../src/ir/types.js';
import { compareTensors, DEFAULT_TOL } from '../helpers/compare.js';
import type { Tolerance } from '../helpers/compare.js';
import { CORPUS, HAVE_CORPUS, ROOT } from '../helpers/paths.js';

interface Expectation {
  readonly reason: string;
  readonly code: string;
}
const unsupported = JSON.parse(readFileSync(join(ROOT, 'test', 'conformance', 'unsupported.json'), 'utf8')) as Record<string, Expectation>;
/** Per-case tolerance overrides, each with the reason (default rtol 1e-4, atol 1e-5). */
const tolerances = JSON.parse(readFileSync(join(ROOT, 'test', 'conformance', 'tolerances.json'), 'utf8')) as Record<string, Tolerance & { reason: string }>;

function listCases(): string[] {
  const out: string[] = [];
  for (const suite of readdirSync(CORPUS).sort()) {
    const d = join(CORPUS, suite);
    if (!existsSync(d) || suite.endsWith('.md')) continue;
    for (const c of readdirSync(d).sort()) {
      if (existsSync(join(d, c, 'model.onnx'))) out.push(join(suite, c));
    }
  }
  return out;
}

function readSet(dir: string, prefix: 'input' | 'output'): Tensor[] {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(prefix + '_') && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)));
  return files.map((f) => readTensorFile(join(dir, f)).tensor);
}

function runCase(caseDir: string, tol: Tolerance): void {
  const g = loadOnnx(join(caseDir, 'model.onnx'));
  const sets = readdirSync(caseDir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort();
  assert.ok(sets.length > 0, 'case has no test data');
  for (const s of sets) {
    const inputs = readSet(join(caseDir, s), 'input');
    const outputs = readSet(join(caseDir, s), 'output');
    assert.equal(inputs.length, g.inputs.length, `${s}: ${inputs.length} input files for ${g.inputs.length} graph inputs`);
    const feeds = new Map(g.inputs.map((name, i) => [name, inputs[i] as Tensor]));
    const got = runGraph(g, feeds);
    outputs.forEach((want, i) => {
      const name = g.outputs[i];
      assert.ok(name !== undefined, `${s}: expected output ${i} but the graph has ${g.outputs.length}`);
      const t = got.get(name);
      assert.ok(t !== undefined, `${s}: output ${name} not produced`);
      const diff = compareTensors(t, want, tol);
      assert.equal(diff, undefined, `${s} output ${i} (${name}): ${diff ?? ''}`);
    });
  }
}

describe('ONNX conformance corpus', { skip: HAVE_CORPUS ? false : `corpus not found at ${CORPUS}` }, () => {
  const cases = HAVE_CORPUS ? listCases() : [];
  for (const c of cases) {
    const name = c.split('/').pop() ?? c;
    const exp = unsupported[name];
    if (exp !== undefined) {
      it(`${c} is rejected (${exp.reason})`, () => {
        assert.throws(
          () => runCase(join(CORPUS, c), DEFAULT_TOL),
          (e: unknown) => isSnncError(e) && e.code === exp.code,
        );
      });
    } else {
      it(c, () => runCase(join(CORPUS, c), tolerances[name] ?? DEFAULT_TOL));
    }
  }
  it('lists only cases that exist', () => {
    const names = new Set(cases.map((c) => c.split('/').pop()));
    for (const k of Object.keys(unsupported)) assert.ok(names.has(k), `unsupported.json names unknown case ${k}`);
    for (const k of Object.keys(tolerances)) assert.ok(names.has(k), `tolerances.json names unknown case ${k}`);
  });
});
