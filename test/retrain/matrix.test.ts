// Every example model × every target retrain applies to, through the API with tiny settings
// (one round, one epoch on 128 images, measured on 10): no internal error anywhere. A target
// may refuse a model only with SNNC_E_RETRAIN naming the hardware reason (netx has no max
// pooling and no merge of branches).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { retrainModel } from '../../src/api/retrain.js';
import { isSnncError } from '../../src/errors.js';
import { EXAMPLES } from '../helpers/paths.js';

const MODELS = ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny'];
const TARGETS = ['fpga', 'loihi2', 'imc-hpadc'];
/** What netx cannot express, by model. */
const REFUSED: Readonly<Record<string, RegExp>> = { 'cnn-bn/loihi2': /max pooling/, 'resnet-tiny/loihi2': /branch|merge|Add/i };

it('retrain runs every example on every target it applies to (QCFS at T = 4, a plain clip and 5-bit weights at T = 32)', async () => {
  let k = 0;
  for (const m of MODELS) {
    const g = await loadModel(join(EXAMPLES, `${m}.onnx`));
    for (const target of TARGETS) {
      const T = k++ % 2 === 0 ? 4 : 32;
      const key = `${m}/${target}`;
      try {
        const r = await retrainModel(g, { target, T, rounds: 1, epochsPerRound: 1, trainSamples: 128, hwSamples: 10, ...(T === 32 ? { weightBits: 5 } : {}) });
        assert.equal(REFUSED[key], undefined, `${key} was expected to be refused`);
        assert.equal(r.rounds.length, 2, key);
        assert.ok(
          r.rounds.every((x) => x.accuracy !== null),
          key,
        );
        assert.ok(r.graph.nodes.some((n) => n.op === 'Clip') || r.best === 0, key);
      } catch (e) {
        if (!isSnncError(e)) throw e;
        const re = REFUSED[key];
        assert.ok(re !== undefined, `${key}: ${e.message}`);
        assert.equal(e.code, 'SNNC_E_RETRAIN', key);
        assert.match(e.message, re, key);
      }
    }
  }
});
