// netx HDF5 export: every dataset of a hand-made net decoded with h5wasm and compared with
// hand-computed Loihi fixed-point values; the readback verifier; determinism.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import h5wasm from 'h5wasm';
import type { Dataset, File as H5File } from 'h5wasm';
import { emit, verifyNetx } from '../../src/backends/loihi/index.js';
import { writeNetx } from '../../src/backends/loihi/netx-write.js';
import { writeH5 } from '../../src/frontend/hdf5.js';
import type { NetxLayer } from '../../src/backends/loihi/types.js';
import { loadTarget } from '../../src/costmodel/target.js';
import type { LoihiTarget } from '../../src/costmodel/target.js';
import { isSnncError } from '../../src/errors.js';
import { convNet, twoLayer } from './loihi-graphs.js';

const target = loadTarget('loihi2') as LoihiTarget;
let n = 0;

async function open<T>(bytes: Uint8Array, use: (f: H5File) => T): Promise<T> {
  const { FS } = (await h5wasm.ready) as unknown as { FS: { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void } };
  const name = `/test-${++n}.h5`;
  FS.writeFile(name, bytes);
  const f = new h5wasm.File(name, 'r');
  try {
    return use(f);
  } finally {
    f.close();
    FS.unlink(name);
  }
}

function ds(f: H5File, path: string): Dataset {
  const d = f.get(path);
  assert.ok(d instanceof h5wasm.Dataset, `${path} is a dataset`);
  return d;
}
const values = (f: H5File, p: string): number[] => Array.from(ds(f, p).value as ArrayLike<number | bigint>, Number);
const dtype = (f: H5File, p: string): unknown => ds(f, p).dtype;
const shape = (f: H5File, p: string): unknown => ds(f, p).shape;

/** Emitted with inputScale 1 (binary input spikes): the hand computations below assume it. */
async function netxOf(g = twoLayer()): Promise<Uint8Array> {
  const r = await emit(g, target, { inputScale: 1 });
  const file = r.files.find((x) => x.path === 'loihi/network.net');
  assert.ok(file !== undefined && file.data instanceof Uint8Array);
  return file.data;
}

describe('netx export of a hand-made 2-layer net', () => {
  it('writes the hand-computed fixed-point datasets', async () => {
    const bytes = await netxOf();
    await open(bytes, (f) => {
      assert.deepEqual(f.keys(), ['layer']);
      assert.deepEqual(f.get('layer')?.constructor, h5wasm.Group);
      assert.deepEqual((f.get('layer') as unknown as { keys(): string[] }).keys(), ['0', '1', '2']);
      // layer 0: input
      assert.deepEqual(ds(f, 'layer/0/type').value, ['input']);
      assert.equal(dtype(f, 'layer/0/type'), 'A10');
      assert.deepEqual(shape(f, 'layer/0/type'), [1]);
      assert.equal(dtype(f, 'layer/0/shape'), '<q');
      assert.deepEqual(values(f, 'layer/0/shape'), [4]);
      // layer 1: θ = [1, 2, 0.5] folded into the rows, s = floor(min(254/1, 256/2)) = 128,
      // w = 2·round(W/θ·64): row0 [0.5,-0.25,1,0] → [64,-32,128,0]; row1 /2 = [0.1,0.2,-0.3,0.4]
      // → [12,26,-38,52]; row2 /0.5 = [-2,1,0.5,0.25] → [-256,128,64,32];
      // b/θ·128 = [12.8, 0, -51.2] → [13, 0, -51]; vThMant = 128 (fire 'gt').
      assert.deepEqual(ds(f, 'layer/1/type').value, ['dense']);
      assert.deepEqual(values(f, 'layer/1/shape'), [3]);
      assert.deepEqual(shape(f, 'layer/1/weight'), [3, 4]);
      assert.deepEqual(values(f, 'layer/1/weight'), [64, -32, 128, 0, 12, 26, -38, 52, -256, 128, 64, 32]);
      assert.deepEqual(values(f, 'layer/1/bias'), [13, 0, -51]);
      assert.deepEqual(ds(f, 'layer/1/neuron/type').value, ['CUBA']);
      assert.equal(ds(f, 'layer/1/neuron/iDecay').value, 4096n);
      assert.equal(ds(f, 'layer/1/neuron/vDecay').value, 0n);
      assert.equal(ds(f, 'layer/1/neuron/vThMant').value, 128n);
      assert.equal(ds(f, 'layer/1/neuron/refDelay').value, 1n);
      assert.equal(Number(ds(f, 'layer/1/neuron/gradedSpike').value), 0);
      assert.deepEqual(shape(f, 'layer/1/neuron/vThMant'), []);
      // layer 2: readout, no neuron (netx integrator); s = min(254/1, 256/0.75, 4095/0.5, 4096/0.25) = 254,
      // w = 2·round(W·127): [[254,-128,64],[-190,128,254]]; b·254 = [127, -63.5] → [127, -64].
      assert.deepEqual(values(f, 'layer/2/shape'), [2]);
      assert.deepEqual(values(f, 'layer/2/weight'), [254, -128, 64, -190, 128, 254]);
      assert.deepEqual(values(f, 'layer/2/bias'), [127, -64]);
      assert.equal(f.get('layer/2/neuron'), null);
      // no attributes anywhere
      for (const p of ['/', 'layer', 'layer/0', 'layer/1', 'layer/1/neuron', 'layer/1/weight', 'layer/2/weight']) {
        assert.deepEqual(Object.keys((f.get(p) as unknown as { attrs: object }).attrs), [], p);
      }
    });
  });

  it('passes the readback verifier and warns about the readout bias', async () => {
    const r = await emit(twoLayer(), target);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['SNNC_W_LOIHI_READOUT_BIAS'],
    );
    const layers = await verifyNetx(r.files[0]?.data as Uint8Array);
    assert.deepEqual(
      layers.map((l) => l.type),
      ['input', 'dense', 'dense'],
    );
  });

  it('picks the input scale for direct coding so the first layer keeps its weights', async () => {
    const r = await emit(twoLayer(), target);
    const doc = JSON.parse(r.files[1]?.data as string) as { inputScale: number; netx: { scale?: number; vThMant?: number }[] };
    // W' = W/θ rows Σ|W'| = 1.75, 1.0, 3.75 and max|W'| = 2 (signed input): the 16-bit step
    // bound gives s ≤ 32767/3.75 = 8737.9 whatever the input scale, so the largest first-layer
    // weight is 2·8737.9/scale; the largest scale ≤ 255 that keeps it ≥ 127 is
    // floor(2·8737.9/127) = 137.
    assert.equal(doc.inputScale, 137);
    // s = floor(min(254·137/2 = 17399, 4096/0.4 = 10240, 8737.9)) = 8737; fire 'gt' → vThMant = 8737;
    // the largest weight 2·round(2·8737/137/2) = 2·round(63.78) = 128.
    assert.equal(doc.netx[1]?.scale, 8737);
    assert.equal(doc.netx[1]?.vThMant, 8737);
    const w = await verifyNetx(r.files[0]?.data as Uint8Array);
    const l1 = w[1];
    assert.ok(l1?.type === 'dense');
    assert.equal(Math.max(...Array.from(l1.weight, Math.abs)), 128);
  });

  it("warns when nearly all of a layer's weights round to 0", async () => {
    const r = await emit(twoLayer(), target, { inputScale: 255 * 256 }); // every weight < 1 unit
    assert.ok(
      r.diagnostics.some((d) => d.code === 'SNNC_W_LOIHI_ZERO_WEIGHTS' && d.node !== undefined),
      JSON.stringify(r.diagnostics.map((d) => d.code)),
    );
  });

  it('is deterministic: identical bytes even when the clock moves', async () => {
    const a = await netxOf();
    const realNow = Date.now;
    Date.now = (): number => 4_102_444_800_000; // 2100-01-01: would change HDF5 timestamps
    try {
      const b = await netxOf();
      assert.deepEqual(Buffer.from(a).equals(Buffer.from(b)), true);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('netx export of a conv net', () => {
  it('writes conv, pool-as-conv, flatten and dense layers that pass the verifier', async () => {
    const bytes = await netxOf(convNet());
    const layers = await verifyNetx(bytes);
    assert.deepEqual(
      layers.map((l) => l.type),
      ['input', 'conv', 'conv', 'flatten', 'dense'],
    );
    await open(bytes, (f) => {
      assert.deepEqual(values(f, 'layer/0/shape'), [1, 6, 6]);
      // conv: floor((6 + 2·1 − 1·(3−1) − 1)/1 + 1) = 6
      assert.deepEqual(values(f, 'layer/1/shape'), [2, 6, 6]);
      assert.deepEqual(values(f, 'layer/1/stride'), [1, 1]);
      assert.deepEqual(values(f, 'layer/1/padding'), [1, 1]);
      assert.deepEqual(values(f, 'layer/1/dilation'), [1, 1]);
      assert.equal(ds(f, 'layer/1/groups').value, 1n);
      assert.deepEqual(shape(f, 'layer/1/weight'), [2, 1, 3, 3]);
      // θ = [1.5, 0.75] → s = floor(254 / (1/0.75)) = 190; the kernel stays in ONNX
      // (correlation) orientation: netx flips it on load and lava convolves, so the flips cancel.
      assert.deepEqual(values(f, 'layer/1/weight'), [12, 26, 38, 50, 64, 76, 88, 102, 114, -126, 0, 126, -64, 0, 64, 0, 0, 254]);
      assert.equal(ds(f, 'layer/1/neuron/vThMant').value, 190n);
      // avg pool 2×2/2 as depthwise conv: floor((6 − 1·(2−1) − 1)/2 + 1) = 3, weights 2, θ = 2·4 − 1
      assert.deepEqual(values(f, 'layer/2/shape'), [2, 3, 3]);
      assert.deepEqual(values(f, 'layer/2/stride'), [2, 2]);
      assert.equal(ds(f, 'layer/2/groups').value, 2n);
      assert.deepEqual(shape(f, 'layer/2/weight'), [2, 1, 2, 2]);
      assert.deepEqual(values(f, 'layer/2/weight'), [2, 2, 2, 2, 2, 2, 2, 2]);
      assert.equal(ds(f, 'layer/2/neuron/vThMant').value, 7n);
      assert.deepEqual(ds(f, 'layer/3/type').value, ['flatten']);
      assert.deepEqual(shape(f, 'layer/4/weight'), [3, 18]);
    });
  });
});

describe('readback verifier', () => {
  const conv: NetxLayer = {
    type: 'conv',
    shape: [1, 2, 2],
    weight: new Int32Array(4).fill(2),
    kernel: [2, 2],
    inChannels: 1,
    stride: [1, 1],
    padding: [0, 0],
    dilation: [1, 1],
    groups: 1,
    neuron: { iDecay: 4096, vDecay: 0, vThMant: 10, refDelay: 1, gradedSpike: false },
  };
  const good: NetxLayer[] = [{ type: 'input', shape: [1, 3, 3] }, conv];

  async function rejects(layers: NetxLayer[] | Uint8Array, path: string, re: RegExp): Promise<void> {
    const bytes = layers instanceof Uint8Array ? layers : await writeNetx(layers);
    await assert.rejects(verifyNetx(bytes, 'net.net'), (e: unknown) => {
      assert.ok(isSnncError(e));
      assert.equal(e.code, 'SNNC_E_BACKEND');
      assert.equal(e.file, `net.net:${path}`);
      assert.match(e.message, re);
      return true;
    });
  }

  it('accepts a minimal conv net', async () => {
    assert.equal((await verifyNetx(await writeNetx(good))).length, 2);
  });
  it('checks the conv output-size formula', async () => {
    // floor((3 − 1·(2−1) − 1)/1 + 1) = 2, not 3
    await rejects([good[0] as NetxLayer, { ...conv, shape: [1, 3, 3] }], '/layer/1/shape', /gives \[1, 2, 2\]/);
  });
  it('rejects odd and out-of-range weights', async () => {
    await rejects([good[0] as NetxLayer, { ...conv, weight: Int32Array.from([2, 3, 2, 2]) }], '/layer/1/weight', /even/);
    await rejects([good[0] as NetxLayer, { ...conv, weight: Int32Array.from([2, 256, 2, 2]) }], '/layer/1/weight', /outside \[-256, 254\]/);
  });
  it('rejects thresholds and decays out of range', async () => {
    await rejects([good[0] as NetxLayer, { ...conv, neuron: { ...conv.neuron, vThMant: 131072 } }], '/layer/1/neuron/vThMant', /outside 0\.\.131071/);
    await rejects([good[0] as NetxLayer, { ...conv, neuron: { ...conv.neuron, vDecay: 4097 } }], '/layer/1/neuron/vDecay', /outside 0\.\.4096/);
  });
  it('rejects a dense layer whose weight does not match the previous layer', async () => {
    const dense: NetxLayer = { type: 'dense', shape: [2], inFeatures: 5, weight: new Int32Array(10) };
    await rejects([{ type: 'input', shape: [4] }, dense], '/layer/1/weight', /expected \[2, 4\]/);
  });
  it('rejects attributes, gaps in the numbering, unknown types and missing datasets', async () => {
    const withAttr = await writeH5((f) => {
      const l = f.create_group('layer');
      const g0 = l.create_group('0');
      g0.create_dataset({ name: 'type', data: ['input'], shape: [1], dtype: 'A10' });
      g0.create_dataset({ name: 'shape', data: BigInt64Array.from([4n]), shape: [1], dtype: '<q' });
      g0.create_attribute('note', 'x');
    });
    await rejects(withAttr, '/layer/0', /attributes \(note\)/);
    const gap = await writeH5((f) => {
      const l = f.create_group('layer');
      l.create_group('0');
      l.create_group('2');
    });
    await rejects(gap, '/layer/2', /contiguous/);
    const pool = await writeH5((f) => {
      const g0 = f.create_group('layer').create_group('0');
      g0.create_dataset({ name: 'type', data: ['pool'], shape: [1], dtype: 'A10' });
    });
    await rejects(pool, '/layer/0/type', /'pool'/);
    const noShape = await writeH5((f) => {
      const g0 = f.create_group('layer').create_group('0');
      g0.create_dataset({ name: 'type', data: ['input'], shape: [1], dtype: 'A10' });
    });
    await rejects(noShape, '/layer/0/shape', /missing/);
    const floatShape = await writeH5((f) => {
      const g0 = f.create_group('layer').create_group('0');
      g0.create_dataset({ name: 'type', data: ['input'], shape: [1], dtype: 'A10' });
      g0.create_dataset({ name: 'shape', data: Float32Array.from([4]), shape: [1], dtype: '<f' });
    });
    await rejects(floatShape, '/layer/0/shape', /integer/);
  });
  it('rejects bytes that are not HDF5', async () => {
    await assert.rejects(verifyNetx(new Uint8Array([1, 2, 3]), 'x.net'), (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_BACKEND' && e.file === 'x.net');
  });
});
