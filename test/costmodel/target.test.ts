// Target files: every bundled target validates; bad user files are rejected with the
// JSON pointer of the problem and the file name.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledTargetNames, loadTarget, targetsDir } from '../../src/costmodel/target.js';
import { isSnncError } from '../../src/errors.js';

const BUNDLED = ['cpu-ann', 'digital-45nm', 'fpga', 'imc-adcless', 'imc-hpadc', 'loihi1', 'loihi2'];

function rejects(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSnncError(e), 'expected an SnncError');
    assert.equal(e.code, 'SNNC_E_TARGET');
    for (const p of parts) assert.ok(`${e.message}\n${e.file ?? ''}`.includes(p), `message lacks '${p}':\n${e.message}`);
    return true;
  });
}

describe('bundled targets', () => {
  it('lists exactly the seven bundled targets', () => {
    assert.deepEqual(bundledTargetNames(), BUNDLED);
  });
  for (const name of BUNDLED) {
    it(`${name} loads and validates`, () => {
      const t = loadTarget(name);
      assert.equal(t.name, name);
    });
  }
  it('kinds are the discriminant', () => {
    assert.equal(loadTarget('loihi1').kind, 'loihi');
    assert.equal(loadTarget('imc-adcless').kind, 'imc');
    assert.equal(loadTarget('fpga').kind, 'fpga');
    assert.equal(loadTarget('digital-45nm').kind, 'ann');
  });
  it('an unknown name lists the bundled names', () => {
    rejects(() => loadTarget('loihi3'), "unknown target 'loihi3'", 'imc-adcless', 'loihi1');
  });
});

describe('user target files', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snnc-target-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  type Json = Record<string, unknown>;
  const base = (): Json => JSON.parse(readFileSync(join(targetsDir(), 'loihi1.json'), 'utf8')) as Json;
  const section = (o: Json, k: string): Json => o[k] as Json;
  const write = (name: string, o: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof o === 'string' ? o : JSON.stringify(o));
    return p;
  };

  it('a valid copy of a bundled file loads from a path', () => {
    assert.equal(loadTarget(write('ok.json', base())).kind, 'loihi');
  });
  it('a wrong unit is rejected with its JSON pointer', () => {
    const o = base();
    section(section(o, 'energy'), 'synopDense')['unit'] = 'pJ';
    const p = write('unit.json', o);
    rejects(() => loadTarget(p), '/energy/synopDense/unit: must be equal to one of the allowed values', p);
  });
  it('a unit of the wrong dimension is rejected (time given in J)', () => {
    const o = base();
    section(section(o, 'time'), 'spikeGen')['unit'] = 'J';
    rejects(() => loadTarget(write('dim.json', o)), '/time/spikeGen/unit: must be equal to constant');
  });
  it('a missing field is rejected naming the parent pointer and the field', () => {
    const o = base();
    delete section(o, 'energy')['axonOut'];
    rejects(() => loadTarget(write('missing.json', o)), "/energy: must have required property 'axonOut'");
  });
  it('a constant without a source is rejected', () => {
    const o = base();
    delete section(section(o, 'chip'), 'cores')['source'];
    rejects(() => loadTarget(write('nosource.json', o)), "/chip/cores: must have required property 'source'");
  });
  it('a negative energy is rejected', () => {
    const o = base();
    section(section(o, 'energy'), 'spikeGen')['value'] = -1e-12;
    rejects(() => loadTarget(write('neg.json', o)), '/energy/spikeGen/value: must be >= 0');
  });
  it('an unknown top-level field is rejected', () => {
    const o = base();
    o['energyy'] = {};
    rejects(() => loadTarget(write('extra.json', o)), 'must NOT have unevaluated properties (energyy)');
  });
  it('a file that is not JSON, or missing, is an SNNC_E_TARGET error', () => {
    rejects(() => loadTarget(write('bad.json', '{ nope')), 'not valid JSON');
    rejects(() => loadTarget(join(dir, 'absent.json')), 'cannot read target file');
  });
});
