// quantize and checkProgram agree: every program quantize writes for the examples, over a
// range of widths, passes the contract check (accBits bounds included), or quantize refuses
// it with SNNC_E_QUANTIZE — never a program the checker then rejects.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { convertModel } from '../../src/api/convert.js';
import { loadModel } from '../../src/api/load.js';
import { isSnncError } from '../../src/errors.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { checkProgram } from '../../src/sim/int/check.js';
import { EXAMPLES } from '../helpers/paths.js';

describe('quantize → checkProgram', () => {
  for (const [model, granularity] of [
    ['lenet', 'channel'],
    ['resnet-tiny', 'layer'],
  ] as const) {
    it(`${model}: weights 2–16 bits × thresholds 4–16 bits`, async () => {
      const snn = convertModel(await loadModel(join(EXAMPLES, `${model}.onnx`)), { granularity, calibSamples: 128 }).graph;
      let checked = 0;
      for (const w of [2, 5, 8, 16]) {
        for (const th of [4, 8, 16]) {
          let program;
          try {
            program = quantizeGraph(snn, { bits: { w, th, b: th }, perChannel: granularity === 'channel' }).program;
          } catch (e) {
            assert.ok(isSnncError(e) && e.code === 'SNNC_E_QUANTIZE', String(e));
            continue;
          }
          checkProgram(program);
          checked++;
        }
      }
      assert.ok(checked >= 4, `only ${checked} programs were written`);
    });
  }
});
