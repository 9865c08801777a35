// `snnc simulate --target loihi1|loihi2`: the bit-accurate netx run next to the float and
// integer SNN, its JSON, Loihi semantics by default, and the options that do not apply.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EXAMPLES } from '../helpers/paths.js';
import { cli } from '../helpers/cli.js';

interface LoihiJson {
  hardware: {
    kind: string;
    target: string;
    samples: number;
    conversion: { reset: string; fire: string; targetSemantics: boolean };
    rows: { T: number; snnDefault?: number; snn: number; int: number; hardware: number }[];
    details: { latency: number; steps: number; inputScale: number; readout: string; layers: { name: string; spikes: number }[] };
  };
}

describe('snnc simulate --target loihi2', () => {
  it('LeNet --json: Loihi, integer and float SNN per T on the hardware samples, Loihi semantics by default', async () => {
    const r = await cli(
      'simulate',
      join(EXAMPLES, 'lenet.onnx'),
      '--target',
      'loihi2',
      '--T',
      '8,16',
      '--n',
      '20',
      '--hw-samples',
      '12',
      '--calib-samples',
      '128',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as LoihiJson;
    const h = j.hardware;
    assert.equal(h.kind, 'loihi');
    assert.equal(h.target, 'loihi2');
    assert.equal(h.samples, 12);
    // conv1, pool1 (a depthwise conv), conv2, fc1, fc2, fc3: six synaptic layers of delay.
    assert.equal(h.details.latency, 6);
    assert.equal(h.details.steps, 16 + 6);
    assert.ok(Number.isInteger(h.details.inputScale) && h.details.inputScale >= 1 && h.details.inputScale <= 255, String(h.details.inputScale));
    assert.equal(h.details.readout, 'integrator');
    assert.deepEqual(h.conversion, { reset: 'zero', fire: 'gt', targetSemantics: true });
    assert.deepEqual(
      h.rows.map((x) => x.T),
      [8, 16],
    );
    for (const row of h.rows) {
      for (const v of [row.snnDefault, row.snn, row.int, row.hardware]) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, JSON.stringify(row));
    }
    assert.deepEqual(
      h.details.layers.map((l) => l.name),
      ['conv1', 'pool1', 'conv2', 'fc1', 'fc2'],
    );
  });

  it('keeps an explicit --reset (no default-conversion column) and prints a table', async () => {
    const r = await cli(
      'simulate',
      join(EXAMPLES, 'mlp.onnx'),
      '--target',
      'loihi1',
      '--T',
      '8',
      '--n',
      '10',
      '--hw-samples',
      '10',
      '--calib-samples',
      '64',
      '--reset',
      'subtract',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /loihi1 \(loihi\) on the first 10 samples: accuracy from the bit-accurate simulation of the emitted netx network/);
    assert.doesNotMatch(r.out, /float SNN \(default conversion\)/);
    assert.match(r.out, /SNNC_W_LOIHI_RESET/);
    const j = JSON.parse(
      (
        await cli(
          'simulate',
          join(EXAMPLES, 'mlp.onnx'),
          '--target',
          'loihi1',
          '--T',
          '8',
          '--n',
          '10',
          '--hw-samples',
          '10',
          '--calib-samples',
          '64',
          '--reset',
          'subtract',
          '--json',
        )
      ).out,
    ) as LoihiJson;
    assert.deepEqual(j.hardware.conversion, { reset: 'subtract', fire: 'ge', targetSemantics: false });
    assert.equal(j.hardware.rows[0]?.snnDefault, undefined);
  });

  it('rejects --noise and --seeds for a Loihi target before simulating', async () => {
    for (const extra of [
      ['--noise', 'read=0.1'],
      ['--seeds', '2'],
    ]) {
      const r = await cli('simulate', join(EXAMPLES, 'mlp.onnx'), '--n', '4', '--T', '4', '--target', 'loihi2', ...extra);
      assert.equal(r.code, 2, extra.join(' '));
      assert.match(r.err, /SNNC_E_USAGE/);
      assert.match(r.err, /IMC/);
    }
  });
});
