// IMC mapping: tile counts and utilization computed by hand, bit slicing, errors, emitted
// files (conductance readback, determinism).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emit, mapGraph, programmedLevels, quantizeWeights, synapticLayers } from '../../src/backends/imc/index.js';
import { readNpy } from '../../src/data/npy.js';
import { createHash } from 'node:crypto';
import { isSnncError } from '../../src/errors.js';
import { convOnly, denseOnly, hpadc, mlp } from './imc-graphs.js';

test('Gemm 784→256, 8-bit weights, 1-bit cells, differential, 128×128', () => {
  const net = mapGraph(denseOnly(784, 256), hpadc());
  const m = net.mapping.layers[0];
  assert.ok(m);
  assert.equal(m.rowTiles, 7); // ⌈784/128⌉
  assert.equal(m.colTiles, 32); // ⌈256·8·2/128⌉
  assert.equal(m.tiles, 224);
  assert.equal(m.slices, 8);
  assert.equal(m.cols, 4096);
  assert.equal(m.rows, 784);
  assert.equal(m.utilization, (784 * 256 * 16) / (224 * 16384)); // = 0.875
  assert.equal(m.utilization, 0.875);
  assert.equal(m.positions, 1);
  assert.equal(m.inputBits, 8); // the analog first layer, bit-serial
  assert.equal(m.adcBits, 8);
  assert.equal(m.columnsPerAdc, 8);
  assert.equal(net.mapping.totals.tiles, 224);
  // 224 tiles fit one chip of 256 arrays, placed row-major on a 16-wide grid.
  const last = net.layers[0]?.placement.at(-1);
  assert.deepEqual(last && [last.chip, last.array, last.x, last.y], [0, 223, 15, 13]);
});

test('Conv 5×5, 6 → 16 channels on 14×14', () => {
  const net = mapGraph(convOnly(6, 16, 5, 14), hpadc());
  const m = net.mapping.layers[0];
  assert.ok(m);
  assert.equal(m.rows, 150); // 6·5·5
  assert.equal(m.rowTiles, 2);
  assert.equal(m.cols, 256); // 16·8·2
  assert.equal(m.colTiles, 2);
  assert.equal(m.tiles, 4);
  assert.equal(m.utilization, (150 * 256) / (4 * 128 * 128)); // 0.5859375
  assert.equal(m.positions, 100); // 10×10 valid
  assert.equal(m.outFeatures, 16);
});

test('offset column mode, 2-bit cells, 64×64 tiles', () => {
  const net = mapGraph(denseOnly(100, 10), hpadc(), { signed: 'offset', cellBits: 2, rows: 64, cols: 64 });
  const m = net.mapping.layers[0];
  assert.ok(m);
  assert.equal(m.slices, 4); // ⌈8/2⌉
  assert.equal(m.rowTiles, 2); // ⌈100/64⌉
  assert.equal(m.colTiles, 1); // ⌈10·4/63⌉, one column per tile is the offset column
  assert.equal(m.cols, 41); // 40 data + 1 offset column
  assert.equal(m.utilization, (100 * 41) / (2 * 64 * 64));
});

test('grouped conv: one matrix per group', () => {
  const net = mapGraph(convOnly(4, 8, 3, 6, 2), hpadc(), { rows: 64, cols: 64 });
  const m = net.mapping.layers[0];
  assert.ok(m);
  assert.equal(m.rows, 18); // 4/2·3·3
  assert.equal(m.colTiles, 2); // per group ⌈4·8·2/64⌉ = 1, two groups
  assert.equal(m.tiles, 2);
  assert.equal(m.cols, 128);
  assert.equal(m.utilization, (18 * 128) / (2 * 4096));
});

test('weights: symmetric per-layer quantization and bit slices, hand-checked', () => {
  const layer = synapticLayers(denseOnly(4, 2))[0];
  assert.ok(layer);
  const w = layer.weights[0] as Float64Array; // [4][2]
  const { sW, q } = quantizeWeights(layer, 4);
  let max = 0;
  for (const v of w) max = Math.max(max, Math.abs(v));
  assert.equal(sW, max / 7);
  const qq = q[0] as Int16Array;
  for (let i = 0; i < w.length; i++) assert.equal(qq[i], Math.round((w[i] as number) / sW));
  // 4-bit weights, 1-bit cells, differential: column (o·4 + s)·2 + p holds bit s of |q| on p.
  const net = mapGraph(denseOnly(4, 2), hpadc(), { weightBits: 4, rows: 8, cols: 16 });
  const ml = net.layers[0];
  assert.ok(ml);
  const lv = programmedLevels(ml, net.config, 0);
  for (let r = 0; r < 4; r++) {
    for (let o = 0; o < 2; o++) {
      const v = ml.q[0]?.[r * 2 + o] as number;
      for (let s = 0; s < 4; s++) {
        const bit = (Math.abs(v) >> s) & 1;
        assert.equal(lv[r * 16 + (o * 4 + s) * 2 + (v < 0 ? 1 : 0)], bit);
        assert.equal(lv[r * 16 + (o * 4 + s) * 2 + (v < 0 ? 0 : 1)], 0);
      }
    }
  }
});

function code(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    assert.ok(isSnncError(e));
    return { code: e.code, message: e.message };
  }
  assert.fail('expected an error');
}

test('errors: tile size not a power of two, cell bits above weight bits', () => {
  const e1 = code(() => mapGraph(denseOnly(8, 4), hpadc(), { rows: 100 }));
  assert.equal(e1.code, 'SNNC_E_BACKEND');
  assert.match(e1.message, /100 is not a positive power of two/);
  const e2 = code(() => mapGraph(denseOnly(8, 4), hpadc(), { cellBits: 5, weightBits: 4 }));
  assert.equal(e2.code, 'SNNC_E_BACKEND');
  assert.match(e2.message, /bits per cell \(5\) exceed the weight bits \(4\)/);
  const e4 = code(() => mapGraph(denseOnly(8, 4), hpadc(), { cols: 0 }));
  assert.match(e4.message, /columns = 0/);
});

test('layers spill onto a second chip when the first is full', () => {
  const net = mapGraph(mlp(), hpadc(), { rows: 8, cols: 8, arraysPerChip: 100 });
  // fc1: ⌈20/8⌉ = 3 row tiles × ⌈12·16/8⌉ = 24 → 72; fc2: ⌈12/8⌉ = 2 × ⌈3·16/8⌉ = 6 → 12.
  assert.deepEqual(
    net.mapping.layers.map((l) => l.tiles),
    [72, 12],
  );
  assert.equal(net.chips, 1);
  const two = mapGraph(mlp(), hpadc(), { rows: 8, cols: 8, arraysPerChip: 80 });
  assert.equal(two.chips, 2);
  assert.equal(two.layers[1]?.placement[0]?.chip, 1);
  assert.equal(two.layers[1]?.placement[0]?.array, 0);
});

test('a layer larger than a chip spans several chips (issue #16: never unavailable for size alone)', () => {
  // 784×256 at 8-bit weights, 1-bit cells, differential: ⌈784/128⌉ = 7 row tiles × ⌈256·8·2/128⌉ = 32 → 224 crossbars.
  const net = mapGraph(denseOnly(784, 256), hpadc(), { arraysPerChip: 64 });
  assert.equal(net.mapping.layers[0]?.tiles, 224);
  assert.equal(net.chips, 4); // ⌈224 / 64⌉
  assert.equal(net.mapping.layers[0]?.chips, 4);
  const perChip = [0, 0, 0, 0];
  for (const p of net.layers[0]?.placement ?? []) perChip[p.chip] = (perChip[p.chip] as number) + 1;
  assert.deepEqual(perChip, [64, 64, 64, 32]);
});

test('emit: mapping.json, config.json, conductances read back, bytes deterministic', () => {
  const t = hpadc();
  const a = emit(mlp(), t, { rows: 8, cols: 8 });
  const b = emit(mlp(), t, { rows: 8, cols: 8 });
  assert.equal(a.files.length, b.files.length);
  a.files.forEach((f, i) => {
    assert.equal(f.path, b.files[i]?.path);
    assert.deepEqual(f.data, b.files[i]?.data);
  });
  const byPath = new Map(a.files.map((f) => [f.path, f.data]));
  const mapping = JSON.parse(byPath.get('imc/mapping.json') as string) as { layers: { tiles: number }[]; totals: { tiles: number } };
  assert.equal(mapping.totals.tiles, 84);
  // One level file per layer (uint8 [tiles, R, C]); its manifest entry's hash is the file's.
  const manifest = JSON.parse(byPath.get('imc/manifest.json') as string) as {
    files: { path: string; layer: string; tiles: number; shape: number[]; sha256: string }[];
  };
  assert.deepEqual(
    manifest.files.map((f) => [f.layer, f.tiles]),
    [
      ['fc1', 72],
      ['fc2', 12],
    ],
  );
  for (const f of manifest.files)
    assert.equal(
      createHash('sha256')
        .update(byPath.get(f.path) as Uint8Array)
        .digest('hex'),
      f.sha256,
    );
  const tiles = (
    JSON.parse(byPath.get('imc/config.json') as string) as { tiles: { layer: string; rowTile: number; colTile: number; file: string; index: number }[] }
  ).tiles;
  // Tile (fc1, row tile 1, column tile 0): rows 8..15, data columns 0..7 = output 0, slices 0..3 (±).
  const entry = tiles.find((f) => f.layer === 'fc1' && f.rowTile === 1 && f.colTile === 0);
  assert.ok(entry);
  const levels = readNpy(byPath.get(entry.file) as Uint8Array);
  assert.equal(levels.dtype, 'uint8');
  assert.deepEqual(levels.shape, [72, 8, 8]);
  const gMin = 1 / t.device.rOff.value;
  const gMax = 1 / t.device.rOn.value;
  const net = mapGraph(mlp(), t, { rows: 8, cols: 8 });
  const q = net.layers[0]?.q[0] as Int16Array; // [20][12]
  for (let r = 0; r < 8; r++) {
    const v = q[(8 + r) * 12 + 0] as number;
    for (let s = 0; s < 4; s++) {
      const want = ((Math.abs(v) >> s) & 1) === 1 ? gMax : gMin;
      const col = s * 2 + (v < 0 ? 1 : 0);
      const level = levels.data[entry.index * 64 + r * 8 + col] as number;
      // The conductance the config documents: G_min + level · (G_max − G_min) / (levels − 1), 1-bit cells.
      assert.ok(Math.abs(gMin + level * (gMax - gMin) - want) <= want * 1e-9, `r ${r} s ${s}`);
    }
  }
  const config = JSON.parse(byPath.get('imc/config.json') as string) as { tiles: unknown[]; layers: { name: string; losslessAdcBits: number }[] };
  assert.equal(config.tiles.length, 84);
  assert.deepEqual(
    config.layers.map((l) => [l.name, l.losslessAdcBits]),
    [
      ['fc1', 4],
      ['fc2', 4],
    ],
  ); // ⌈log2(8·1·1 + 1)⌉
  assert.deepEqual(a.diagnostics, []);
});

test('every cell of every emitted tile holds the level its weight slice documents (differential and offset, several row and column tiles, groups)', () => {
  const cases = [
    { g: denseOnly(100, 40), opts: { signed: 'offset' as const, cellBits: 2, rows: 64, cols: 64 } },
    { g: denseOnly(100, 40), opts: { rows: 32, cols: 64 } },
    { g: convOnly(4, 6, 3, 6, 2), opts: { rows: 8, cols: 16, cellBits: 2, weightBits: 6 } },
  ];
  for (const { g, opts } of cases) {
    const net = mapGraph(g, hpadc(), opts);
    const { R, C, cellBits: c, slices: S, weightBits } = net.config;
    const byPath = new Map(emit(g, hpadc(), opts).files.map((f) => [f.path, f.data]));
    const config = JSON.parse(byPath.get('imc/config.json') as string) as {
      tiles: { layer: string; group: number; rowTile: number; colTile: number; file: string; index: number }[];
    };
    for (const m of net.layers) {
      const P = m.polarity;
      const og = m.layer.outFeatures / m.layer.groups;
      const entries = config.tiles.filter((t) => t.layer === m.layer.name);
      assert.equal(entries.length, m.mapping.tiles);
      for (const e of entries) {
        const data = readNpy(byPath.get(e.file) as Uint8Array).data as Uint8Array;
        const q = m.q[e.group] as Int16Array;
        for (let r = 0; r < R; r++) {
          for (let col = 0; col < C; col++) {
            const gr = e.rowTile * R + r;
            const j = e.colTile * m.dataColsPerTile + col;
            let want = 0;
            if (gr < m.layer.rows && P === 1 && col === C - 1) want = 1;
            else if (gr < m.layer.rows && col < m.dataColsPerTile && j < m.dataCols) {
              const o = Math.floor(j / (S * P));
              const s = Math.floor(j / P) % S;
              const v = q[gr * og + o] as number;
              if (P === 2) want = j % 2 === (v < 0 ? 1 : 0) ? (Math.abs(v) >> (c * s)) & ((1 << c) - 1) : 0;
              else want = ((v + 2 ** (weightBits - 1)) >> (c * s)) & ((1 << c) - 1);
            }
            assert.equal(data[e.index * R * C + r * C + col], want, `${m.layer.name} tile ${e.index} (${r}, ${col})`);
          }
        }
      }
    }
  }
});
