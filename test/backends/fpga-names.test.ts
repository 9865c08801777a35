// Model-given names reach the C++ only through sanitizeIdent: hostile layer and network names
// (quotes, comment terminators, newlines, keywords, unicode, names that collide once sanitized)
// still give code that compiles with -Wall -Wextra -Werror and stays bit-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emit, makeNamer, sanitizeIdent } from '../../src/backends/fpga/index.js';
import { fpgaTarget, ints, mlp } from './fpga-programs.js';
import { csimProgram, expected, NO_GXX } from './fpga-util.js';

const IDENT = /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$/;

test('sanitizeIdent: hand-checked cases', () => {
  assert.equal(sanitizeIdent('conv1'), 'conv1');
  assert.equal(sanitizeIdent('gap/pool'), 'gap_pool');
  assert.equal(sanitizeIdent('int'), 'int_k');
  assert.equal(sanitizeIdent('class'), 'class_k');
  assert.equal(sanitizeIdent('main'), 'main_k');
  assert.equal(sanitizeIdent('3x3'), 'n_3x3');
  assert.equal(sanitizeIdent('__Reserved'), 'Reserved');
  assert.equal(sanitizeIdent('_Upper'), 'Upper');
  assert.equal(sanitizeIdent('a__b'), 'a_b');
  assert.equal(sanitizeIdent(''), 'n');
  assert.equal(sanitizeIdent('*/'), 'n');
  assert.equal(sanitizeIdent('ünïcödé'), 'n_c_d');
  assert.equal(sanitizeIdent('x"; system("rm -rf /"); //'), 'x_system_rm_rf');
  const name = makeNamer();
  assert.deepEqual(['a b', 'a-b', 'a_b', 'a_b_2'].map(name), ['a_b', 'a_b_2', 'a_b_3', 'a_b_2_2']);
});

test('sanitizeIdent always yields a plain, non-reserved identifier (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
      const id = sanitizeIdent(s);
      assert.match(id, IDENT);
      assert.ok(!id.includes('__'));
    }),
    { numRuns: 300 },
  );
});

const HOSTILE = [
  'fc1 */ int x; /*',
  'a"b\'c\\',
  'line\nbreak\r\n#define X',
  'int',
  'class',
  'l0_fc1',
  'x.y',
  'x-y',
  'x y',
  '日本語',
  '__init',
  '_Z',
  '9lives',
  '',
  '??/',
  'main',
  'snnc_types',
];
const nameArb = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 12 }));

test('hostile names: code compiles, is bit-exact, never contains the raw names', { skip: NO_GXX }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.tuple(nameArb, nameArb, nameArb), async ([a, b, net]) => {
      fc.pre(a !== b && a !== 'in' && b !== 'in');
      const p = mlp([a, b], net);
      const r = emit(p, fpgaTarget(), { T: 4 });
      for (const f of r.files) {
        for (const raw of [a, b, net]) {
          if (raw.length >= 3 && /[^A-Za-z0-9_]/.test(raw))
            assert.ok(!(typeof f.data === 'string' ? f.data : new TextDecoder().decode(f.data)).includes(raw), `${f.path} contains ${JSON.stringify(raw)}`);
        }
        assert.match(f.path, /^fpga\/[A-Za-z0-9_.]+$/);
      }
      const x = [ints(12, 77, 0, 15)];
      const res = await csimProgram(p, { T: 4, goldenInputs: x });
      assert.equal(res.ok, true, res.stdout);
      assert.deepEqual(res.results[0]?.sums, expected(p, x[0] as Int32Array, 4).sums);
    }),
    { numRuns: 8, seed: 42 },
  );
});

test('names that collide after sanitizing stay distinct in the code', { skip: NO_GXX }, async () => {
  const p = mlp(['x y', 'x-y'], 'x.y');
  const cpp = String(emit(p, fpgaTarget(), { T: 4 }).files.find((f) => f.path === 'fpga/x_y.cpp')?.data);
  assert.ok(cpp.includes('l0_x_y_step') && cpp.includes('l1_x_y_2_step'));
  const x = [ints(12, 78, 0, 15)];
  const res = await csimProgram(p, { T: 4, goldenInputs: x });
  assert.equal(res.ok, true, res.stdout);
});
