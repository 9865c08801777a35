// A VGG-size weight array (issue #16: `compile --target all` of VGG-16 died with "Maximum call
// stack size exceeded" in weightsHeader): 3 million weights emit, and the header holds every one.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { emit } from '../../src/backends/fpga/index.js';
import { dense, fpgaTarget, input, ints, neuron, program } from './fpga-programs.js';

it('a dense layer of 3 M weights emits a weights header with all of them', () => {
  const nIn = 3000;
  const O = 1000;
  const w = ints(nIn * O, 7, -3, 3);
  const hidden = dense('big', 'in', nIn, w, new Int32Array(O), 1, neuron({ threshold: [50] }), 3);
  const out = dense('out', 'big', O, ints(O * 10, 9, -3, 3), new Int32Array(10), 1, null, 3);
  const r = emit(program('big', input([nIn], 1, 'poisson'), [hidden, out]), fpgaTarget(), { T: 2, reuseFactor: 1024 });
  const header = r.files.find((f) => f.path.endsWith('_weights.h'));
  assert.ok(header !== undefined);
  // Written as bytes (a string of this size peaked near a gigabyte on VGG-16).
  const text = typeof header.data === 'string' ? header.data : new TextDecoder().decode(header.data);
  const decl = text.indexOf(`_w[${nIn * O}] = {`);
  assert.ok(decl > 0, 'the big array is declared');
  // Every weight is written: count the numbers between its braces.
  const body = text.slice(text.indexOf('{', decl) + 1, text.indexOf('};', decl));
  assert.equal(body.split(',').filter((s) => s.trim() !== '').length, nIn * O);
});
