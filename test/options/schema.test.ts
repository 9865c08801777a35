// One option schema (src/options): the command line and the library API apply the same
// rules. Structurally — every option a command shares with its API function is checked by the
// very same function — and by behaviour: a bad value fails the CLI (naming the flag) and the API
// (naming the key) with the same SNNC_E_USAGE message, before any work starts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isSnncError } from '../../src/errors.js';
import { loadModel } from '../../src/api/load.js';
import { convertModel } from '../../src/api/convert.js';
import { simulateModel } from '../../src/api/simulate.js';
import { compileModel } from '../../src/api/compile.js';
import { quantizeModel } from '../../src/api/quantize.js';
import { exploreModel } from '../../src/api/explore.js';
import { retrainModel } from '../../src/api/retrain.js';
import type { OptionSchema } from '../../src/options/schema.js';
import {
  COMPILE_OPTIONS,
  CONVERT_OPTIONS,
  EXPLORE_OPTIONS,
  QUANTIZE_MODEL_OPTIONS,
  RETRAIN_OPTIONS,
  SIMULATE_OPTIONS,
} from '../../src/options/declarations.js';
import { flagOf, opt } from '../../src/options/schema.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

const MLP = join(EXAMPLES, 'mlp.onnx');
const g = await loadModel(MLP);

// API function of each command, called with options that are valid except for one key.
type Call = (extra: Record<string, unknown>) => unknown;
const API: Record<string, { schema: OptionSchema; call: Call }> = {
  convert: { schema: CONVERT_OPTIONS, call: (x) => convertModel(g, x) },
  simulate: { schema: SIMULATE_OPTIONS, call: (x) => simulateModel(g, { T: [4], ...x }) },
  compile: { schema: COMPILE_OPTIONS, call: (x) => compileModel(g, { modelFile: MLP, targets: ['fpga'], T: [4], ...x }) },
  quantize: { schema: QUANTIZE_MODEL_OPTIONS, call: (x) => quantizeModel(g, x) },
  explore: {
    schema: EXPLORE_OPTIONS,
    call: (x) => exploreModel(g, { modelFile: MLP, weightBits: [8], neuronBits: [8], rounding: ['nearest'], T: [4], maxAccuracyDrop: 1, ...x }),
  },
  retrain: { schema: RETRAIN_OPTIONS, call: (x) => retrainModel(g, { target: 'fpga', T: 4, ...x }) },
};

async function usageMessage(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.ok(isSnncError(e), String(e));
    assert.equal(e.code, 'SNNC_E_USAGE', e.message);
    return e.message;
  }
  assert.fail('no error');
}

describe('one option schema for the CLI and the API', () => {
  it('every option a command shares with its API function is checked by the same rule', () => {
    let shared = 0;
    for (const [name, { schema }] of Object.entries(API)) {
      const cmd = COMMANDS.find((c) => c.name === name);
      assert.ok(cmd !== undefined, name);
      for (const [key, def] of Object.entries(schema)) {
        const mine: OptionSchema[string] | undefined = cmd.options[key];
        if (mine === undefined) continue; // an API-only option (none for the CLI)
        assert.equal(mine.check, def.check, `${name} --${flagOf(key, def)}: the CLI checks ${key} with its own rule`);
        shared++;
      }
      // The other way round: an API option the command does not offer must be deliberate.
      const missing = Object.keys(schema).filter((k) => cmd.options[k] === undefined);
      assert.deepEqual(missing, [], `${name}: API options without a flag`);
    }
    assert.ok(shared >= 60, `only ${shared} shared options`);
  });

  // [command, key, bad CLI text, the same bad value for the API]
  const CASES: readonly (readonly [string, string, string, unknown])[] = [
    ['convert', 'calibSamples', '0', 0],
    ['convert', 'granularity', 'row', 'row'],
    ['convert', 'method', 'median', 'median'],
    ['convert', 'seed', '-3', -3],
    ['simulate', 'T', '0,8', [0, 8]],
    ['simulate', 'n', '0', 0],
    ['simulate', 'earlyExit', '-1', -1],
    ['simulate', 'mode', 'fast', 'fast'],
    ['compile', 'hwSamples', '0', 0],
    ['compile', 'T', '100001', [100001]],
    ['quantize', 'bits', 'w=99', 'w=99'],
    ['quantize', 'rounding', 'ceil', 'ceil'],
    ['quantize', 'scheme', 'later', 'later'],
    ['quantize', 'overflow', 'clip', 'clip'],
    ['explore', 'maxAccuracyDrop', '101', 101],
    ['explore', 'workers', '0', 0],
    ['explore', 'shard', '3/2', { index: 3, count: 2 }],
    ['explore', 'reference', 'cnn', 'cnn'],
    ['retrain', 'rounds', '0', 0],
    ['retrain', 'epochsPerRound', '1001', 1001],
    ['retrain', 'weightBits', '1', 1],
    ['retrain', 'kd', 'teacher=0', { teacherTemp: 0, studentTemp: 1, weight: 0.5 }],
    ['retrain', 'learningRate', '2', 2],
  ];

  for (const [command, key, text, value] of CASES) {
    it(`${command}: a bad ${key} fails the CLI and the API with the same message`, async () => {
      const api = API[command];
      assert.ok(api !== undefined);
      const def = api.schema[key];
      assert.ok(def !== undefined, `${key} is in the ${command} schema`);
      const flag = `--${flagOf(key, def)}`;
      const hasOutput = COMMANDS.find((c) => c.name === command)?.options['output'] !== undefined;
      const r = await cli(command, MLP, `${flag}=${text}`, ...(hasOutput ? ['-o', '/nonexistent-dir/never-written'] : []));
      assert.equal(r.code, 2, r.err);
      const fromApi = await usageMessage(() => api.call({ [key]: value }));
      assert.ok(fromApi.includes(key), `the API names '${key}': ${fromApi}`);
      // The same sentence, with the key where the CLI has the flag.
      const cliMessage = /SNNC_E_USAGE: (.*)/.exec(r.err)?.[1] ?? '';
      const norm = (s: string): string => s.replace(/'[^']*'/g, 'V');
      assert.equal(norm(cliMessage.split(flag).join(key)), norm(fromApi), `${command} ${flag}`);
    });
  }

  it('types are checked too: a string where a number belongs is refused, not coerced', async () => {
    assert.match(await usageMessage(() => convertModel(g, { calibSamples: '64' as unknown as number })), /calibSamples must be an integer/);
    assert.match(await usageMessage(() => simulateModel(g, { T: 8 as unknown as number[] })), /T must be a non-empty list/);
    assert.equal(opt.switch({ help: '' }).check(true, 'x'), true);
    assert.throws(() => opt.switch({ help: '' }).check('yes', 'verify'), /verify must be true or false/);
  });
});
