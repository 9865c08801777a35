// The emitted artifacts (schema: docs/imc-config.md): imc/config.json (tiles, placement,
// converter settings, the per-step schedule), one .npy conductance matrix per tile
// (float32 [R, C], siemens) and imc/manifest.json listing them with sizes and SHA-256.
// Pure: returns bytes; deterministic (stable key order, no timestamps).
import { createHash } from 'node:crypto';
import { writeNpy } from '../../data/npy.js';
import { stableJson } from '../common/json.js';
import type { EmittedFile } from '../common/types.js';
import { adcStep } from './functional.js';
import type { MappedLayer, MappedNetwork, TilePlacement } from './mapping.js';

const CONFIG_PATH = 'imc/config.json';
const MAPPING_PATH = 'imc/mapping.json';
const MANIFEST_PATH = 'imc/manifest.json';

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function tilePath(layerIndex: number, t: TilePlacement): string {
  return `imc/tiles/L${layerIndex}_${safe(t.layer)}_g${t.group}_r${t.rowTile}_c${t.colTile}.npy`;
}

/** Conductances of one tile, float32 [R, C] in siemens; unused cells at G_min. */
function tileConductances(net: MappedNetwork, m: MappedLayer, t: TilePlacement): Float32Array {
  const { R, C, gMin, gMax, cellBits } = net.config;
  const step = (gMax - gMin) / (2 ** cellBits - 1);
  const g = new Float32Array(R * C).fill(gMin);
  const rows = m.layer.rows;
  const J = m.dataCols;
  const lv = m.levels[t.group] as Uint8Array;
  for (let r = 0; r < R; r++) {
    const gr = t.rowTile * R + r;
    if (gr >= rows) break;
    for (let j = 0; j < m.dataColsPerTile; j++) {
      const gj = t.colTile * m.dataColsPerTile + j;
      if (gj >= J) break;
      g[r * C + j] = gMin + (lv[gr * J + gj] as number) * step;
    }
    if (m.polarity === 1) g[r * C + C - 1] = gMin + step;
  }
  return g;
}

function layerDoc(net: MappedNetwork, m: MappedLayer, i: number): Record<string, unknown> {
  const L = m.layer;
  const cfg = net.config;
  const input =
    L.input.kind === 'count'
      ? { kind: 'count', divisor: L.input.k, bits: m.inputBits, mode: 'bit-serial' }
      : L.input.kind === 'spike'
        ? { kind: 'spike', bits: 1, mode: 'pulse' }
        : { kind: 'analog', bits: cfg.inputBits, mode: cfg.analogInput, max: cfg.inputMax };
  return {
    index: i,
    name: L.name,
    op: L.op,
    groups: L.groups,
    rows: L.rows,
    outFeatures: L.outFeatures,
    positions: L.positions,
    input,
    inputScale: m.sX,
    weightScale: m.sW,
    alpha: L.alpha,
    bias: [...L.bias],
    rowTiles: m.mapping.rowTiles,
    colTiles: m.mapping.colTiles,
    colTilesPerGroup: m.colTilesPerGroup,
    tiles: m.mapping.tiles,
    dataColumns: m.dataCols,
    dataColumnsPerTile: m.dataColsPerTile,
    physicalColumns: m.mapping.cols,
    utilization: m.mapping.utilization,
    losslessAdcBits: m.losslessBits,
    converter:
      cfg.periphery === 'adc'
        ? { type: 'adc', bits: cfg.adcBits, step: adcStep(m, cfg.adcBits) }
        : { type: 'sense-amp', reference: 'set by calibration or training (see docs/targets/imc.md)' },
    ...(L.conv !== undefined ? { conv: L.conv } : {}),
  };
}

export function configFiles(net: MappedNetwork): EmittedFile[] {
  const cfg = net.config;
  const files: EmittedFile[] = [];
  const manifest: Record<string, unknown>[] = [];
  const tiles: Record<string, unknown>[] = [];
  net.layers.forEach((m, i) => {
    for (const t of m.placement) {
      const path = tilePath(i, t);
      const data = writeNpy({ dtype: 'float32', shape: [cfg.R, cfg.C], data: tileConductances(net, m, t) });
      files.push({ path, data });
      manifest.push({
        path,
        layer: t.layer,
        group: t.group,
        rowTile: t.rowTile,
        colTile: t.colTile,
        dtype: 'float32',
        shape: [cfg.R, cfg.C],
        unit: 'S',
        bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
      tiles.push({
        ...t,
        file: path,
        rows: [t.rowTile * cfg.R, Math.min(m.layer.rows, (t.rowTile + 1) * cfg.R)],
        dataColumns: [t.colTile * m.dataColsPerTile, Math.min(m.dataCols, (t.colTile + 1) * m.dataColsPerTile)],
        offsetColumn: m.polarity === 1 ? cfg.C - 1 : null,
      });
    }
  });
  const schedule = net.layers.map((m) => {
    const planes = m.inputBits;
    const convPerTile = Math.min(cfg.C, m.mapping.cols / m.mapping.colTiles);
    return {
      layer: m.layer.name,
      positions: m.layer.positions,
      planesPerPosition: planes,
      readsPerStep: m.layer.positions * planes,
      tilesInParallel: m.mapping.tiles,
      conversionsPerTileRead: convPerTile,
      muxCyclesPerRead: Math.ceil(convPerTile / cfg.columnsPerAdc),
      then: ['shift-and-add over slices and input bits', 'sum over row tiles', 'add bias', 'neuron update (digital)'],
    };
  });
  const config = {
    format: 'snnc-imc-config',
    version: 1,
    target: cfg.target,
    crossbar: { rows: cfg.R, cols: cfg.C, cellBits: cfg.cellBits, levels: 2 ** cfg.cellBits, gMin: cfg.gMin, gMax: cfg.gMax },
    weights: {
      bits: cfg.weightBits,
      slices: cfg.slices,
      signed: cfg.signed,
      quantization: 'per-layer symmetric',
      columnOrder:
        cfg.signed === 'differential'
          ? '(o*S + s)*2 + p, p = 0 positive, 1 negative'
          : '(o*S + s), offset 2^(bits-1); column C-1 of each tile is the offset column',
    },
    periphery: { type: cfg.periphery, bits: cfg.adcBits, columnsPerAdc: cfg.columnsPerAdc },
    chip: { arraysPerChip: cfg.arraysPerChip, gridCols: cfg.gridCols, chips: net.chips },
    layers: net.layers.map((m, i) => layerDoc(net, m, i)),
    tiles,
    schedule: { order: 'layers one after another within a time step; all tiles of a layer in parallel', perStep: schedule },
  };
  return [
    { path: CONFIG_PATH, data: stableJson(config) },
    { path: MAPPING_PATH, data: stableJson({ format: 'snnc-imc-mapping', version: 1, target: cfg.target, chips: net.chips, ...net.mapping }) },
    { path: MANIFEST_PATH, data: stableJson({ format: 'snnc-imc-manifest', version: 1, files: manifest }) },
    ...files,
  ];
}
