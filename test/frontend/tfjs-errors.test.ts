// Malformed or unsupported TF.js models give clear SnncErrors naming the layer or file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { isSnncError } from '../../src/errors.js';
import { importTfjs } from '../../src/frontend/tfjs/index.js';
import { initTfjs, saveLayersModel, SHARD } from '../../scripts/tfjs-env.js';

let dir = '';
let json: {
  modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  weightsManifest: { paths: string[]; weights: { name: string }[] }[];
};
let weights: Uint8Array;
let count = 0;

before(async () => {
  await initTfjs();
  dir = mkdtempSync(join(tmpdir(), 'snnc-tfjs-err-'));
  const m = tfl.sequential({ name: 'small' });
  m.add(tfl.layers.conv2d({ name: 'conv', inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ name: 'fc', units: 3 }));
  const files = await saveLayersModel(m);
  json = JSON.parse(files.json) as typeof json;
  weights = files.weights;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Write a (possibly edited) copy of the small model into its own folder; returns model.json's path. */
function variant(edit: (j: typeof json) => void, shard: Uint8Array = weights): string {
  const j = structuredClone(json);
  edit(j);
  const d = join(dir, `v${count++}`);
  mkdirSync(d);
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  writeFileSync(join(d, SHARD), shard);
  return join(d, 'model.json');
}

function rejects(path: string, code: string, text: RegExp, node?: string): void {
  assert.throws(
    () => importTfjs(path),
    (e: unknown) => {
      assert.ok(isSnncError(e), String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, text);
      assert.equal(e.file, path);
      if (node !== undefined) assert.equal(e.node, node);
      assert.ok(e.hint !== undefined || code === 'SNNC_E_TENSOR_DATA' || code === 'SNNC_E_TFJS_INVALID');
      return true;
    },
  );
}

describe('importTfjs errors', () => {
  it('the unedited model imports', () => {
    const g = importTfjs(variant(() => undefined));
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Conv', 'Flatten', 'Gemm'],
    );
  });
  it('unknown layer class → SNNC_E_UNSUPPORTED_OP naming the layer and listing the supported ones', () => {
    const p = variant((j) => {
      const l = j.modelTopology.config.layers[2];
      if (l !== undefined) l.class_name = 'LSTM';
    });
    rejects(p, 'SNNC_E_UNSUPPORTED_OP', /layer 'fc' has class LSTM/, 'fc');
    assert.throws(
      () => importTfjs(p),
      (e: unknown) => isSnncError(e) && /Conv2D, Dense/.test(e.hint ?? ''),
    );
  });
  it('missing weight → SNNC_E_TENSOR_DATA naming the layer', () => {
    const p = variant((j) => {
      const g = j.weightsManifest[0];
      if (g !== undefined) g.weights = g.weights.filter((w) => w.name !== 'fc/kernel');
    });
    rejects(p, 'SNNC_E_TENSOR_DATA', /'fc' has no weight 'kernel'/, 'fc');
  });
  it('truncated shard → SNNC_E_TENSOR_DATA', () => {
    rejects(
      variant(() => undefined, weights.subarray(0, 20)),
      'SNNC_E_TENSOR_DATA',
      /truncated|needs bytes/,
    );
  });
  it('shard path escaping the folder → SNNC_E_EXTERNAL_DATA', () => {
    writeFileSync(join(dir, 'outside.bin'), weights);
    rejects(
      variant((j) => {
        const g = j.weightsManifest[0];
        if (g !== undefined) g.paths = ['../outside.bin'];
      }),
      'SNNC_E_EXTERNAL_DATA',
      /outside the model folder/,
    );
    rejects(
      variant((j) => {
        const g = j.weightsManifest[0];
        if (g !== undefined) g.paths = [join(dir, 'outside.bin')];
      }),
      'SNNC_E_EXTERNAL_DATA',
      /absolute/,
    );
    const p = variant((j) => {
      const g = j.weightsManifest[0];
      if (g !== undefined) g.paths = ['link.bin'];
    });
    symlinkSync(join(dir, 'outside.bin'), join(p, '..', 'link.bin'));
    rejects(p, 'SNNC_E_EXTERNAL_DATA', /symlink/);
  });
  it('missing shard file → SNNC_E_TENSOR_DATA', () => {
    rejects(
      variant((j) => {
        const g = j.weightsManifest[0];
        if (g !== undefined) g.paths = ['nope.bin'];
      }),
      'SNNC_E_TENSOR_DATA',
      /missing/,
    );
  });
  it('unsupported attributes name the layer', () => {
    rejects(
      variant((j) => {
        const l = j.modelTopology.config.layers[0];
        if (l !== undefined) l.config['padding'] = 'causal';
      }),
      'SNNC_E_UNSUPPORTED_ATTR',
      /padding 'causal'/,
      'conv',
    );
    rejects(
      variant((j) => {
        const l = j.modelTopology.config.layers[2];
        if (l !== undefined) l.config['activation'] = 'gelu';
      }),
      'SNNC_E_UNSUPPORTED_ATTR',
      /activation 'gelu'/,
      'fc',
    );
    rejects(
      variant((j) => {
        const l = j.modelTopology.config.layers[0];
        if (l !== undefined) l.config['data_format'] = 'channels_first';
      }),
      'SNNC_E_UNSUPPORTED_ATTR',
      /channels_first/,
      'conv',
    );
  });
  it('structural problems → SNNC_E_TFJS_INVALID', () => {
    rejects(
      variant((j) => {
        (j as { modelTopology: unknown }).modelTopology = 7;
      }),
      'SNNC_E_TFJS_INVALID',
      /modelTopology/,
    );
    rejects(
      variant((j) => {
        (j as { weightsManifest: unknown }).weightsManifest = {};
      }),
      'SNNC_E_TFJS_INVALID',
      /weightsManifest/,
    );
    const p = variant(() => undefined);
    writeFileSync(p, '{"modelTopology": ');
    rejects(p, 'SNNC_E_TFJS_INVALID', /not valid JSON/);
    writeFileSync(p, JSON.stringify({ format: 'graph-model', modelTopology: {} }));
    rejects(p, 'SNNC_E_UNSUPPORTED_OP', /graph model/);
  });
  it('an unreadable path → SNNC_E_IO', () => {
    assert.throws(
      () => importTfjs(join(dir, 'absent', 'model.json')),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_IO',
    );
  });
  it('the weights it reads match the shard bytes (Dense kernel transposed to [out, in])', () => {
    const g = importTfjs(variant(() => undefined));
    const k = g.initializers.get('fc/kernel');
    assert.deepEqual(k?.shape, [3, 8]);
    // The saved kernel is [8, 3] after conv (2·3·3 + 2 floats); Flatten of 2×2×2 (HWC) feeds it.
    const raw = new Float32Array(new Uint8Array(weights).buffer, (18 + 2) * 4, 24);
    // Our input index c·4 + h·2 + w holds Keras row (h·2 + w)·2 + c.
    for (let c = 0; c < 2; c++)
      for (let hw = 0; hw < 4; hw++)
        for (let o = 0; o < 3; o++) {
          assert.equal(k?.data[o * 8 + c * 4 + hw], raw[(hw * 2 + c) * 3 + o]);
        }
    assert.ok(readFileSync(join(dir, 'v0', SHARD)).length > 0);
  });
});
