// The emitted artifacts (schema: docs/imc-config.md): imc/config.json (tiles, placement,
// converter settings, the per-step schedule), one .npy of cell levels per layer (uint8
// [tiles, R, C]; a cell's conductance is G_min + level · (G_max − G_min) / (2^cellBits − 1))
// and imc/manifest.json listing them with sizes and SHA-256. Levels, not float32 siemens, and
// one file per layer, not per tile: a CIFAR ResNet-18 was 10,944 files and 717 MB per target,
// now 21 files and 179 MB, the same information. Pure: returns bytes; deterministic.
import { createHash } from 'node:crypto';
import { npyFile } from '../../data/npy.js';
import { stableJson } from '../common/json.js';
import type { EmittedFile } from '../common/types.js';
import { adcStep } from './functional.js';
import { rowLevels } from './mapping.js';
import type { MappedLayer, MappedNetwork } from './mapping.js';
import type { SenseAmpRefs } from './sense-amp.js';

const CONFIG_PATH = 'imc/config.json';
const MAPPING_PATH = 'imc/mapping.json';
const MANIFEST_PATH = 'imc/manifest.json';

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function layerPath(layerIndex: number, m: MappedLayer): string {
  return `imc/tiles/L${layerIndex}_${safe(m.layer.name)}.npy`;
}

/**
 * Every tile of a layer into out[at …): tile k (placement order: group, row tile, column tile)
 * is row-major [R, C]; unused cells 0 (G_min), the offset column 1. Written straight from the
 * quantized weights (rowLevels), so no copy of the levels is made.
 */
function writeTiles(net: MappedNetwork, m: MappedLayer, out: Uint8Array, at: number): void {
  const { R, C } = net.config;
  const Cd = m.dataColsPerTile;
  const ct = m.colTilesPerGroup;
  const rowTiles = m.mapping.rowTiles;
  m.q.forEach((_, grp) => {
    for (let r = 0; r < m.layer.rows; r++) {
      const rt = Math.floor(r / R);
      // Byte of (row r, column tile 0) of this group's tiles; tile t adds t·R·C.
      const rowAt = at + ((grp * rowTiles + rt) * ct * R + (r - rt * R)) * C;
      if (m.polarity === 1) for (let t = 0; t < ct; t++) out[rowAt + t * R * C + C - 1] = 1;
      rowLevels(m, net.config, grp, r, (j, level) => {
        const t = Math.floor(j / Cd);
        out[rowAt + t * R * C + (j - t * Cd)] = level;
      });
    }
  });
}

function layerDoc(net: MappedNetwork, m: MappedLayer, i: number, dither: number, trained?: SenseAmpRefs): Record<string, unknown> {
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
        : trained !== undefined
          ? // Per slice (the last pair: the offset column's); what the periphery must be set to.
            { type: 'sense-amp', reference: 'trained', ref: [...trained.ref], level: [...trained.level] }
          : { type: 'sense-amp', reference: 'set by calibration or training (see docs/targets/imc.md)' },
    // An input that is the same every step: the references step through T offsets (sense-amp.ts).
    ...(cfg.periphery === 'sense-amp' && L.input.kind === 'analog' && dither > 0
      ? {
          referenceDither: {
            width: dither,
            offsets:
              'ref_s + u_t·width·level_s, u_t = (k_t + 1/2)/T − 1/2, k_t the t-th of the ceil(log2 T)-bit reversals of 0, 1, 2, … below T; output position pos uses phase (t + pos) mod T',
          },
        }
      : {}),
    ...(L.conv !== undefined ? { conv: L.conv } : {}),
  };
}

/**
 * `trained`: sense-amplifier references a retrained model carries, by layer (trainedRefs);
 * `dither`: the reference dither width of layers with a static input (0: none).
 * `out`: takes each layer's tile file as soon as it is made (then not returned), so no more than
 * one layer's is held at a time.
 */
export function configFiles(net: MappedNetwork, trained?: ReadonlyMap<string, SenseAmpRefs>, out?: (f: EmittedFile) => void, dither = 0): EmittedFile[] {
  const cfg = net.config;
  const files: EmittedFile[] = [];
  const manifest: Record<string, unknown>[] = [];
  const tiles: Record<string, unknown>[] = [];
  net.layers.forEach((m, i) => {
    const path = layerPath(i, m);
    // The tiles are written straight into the .npy file (a CIFAR ResNet-18's are 176 MB).
    const shape = [m.placement.length, cfg.R, cfg.C];
    const file = npyFile('uint8', shape, m.placement.length * cfg.R * cfg.C);
    writeTiles(net, m, file.bytes, file.dataOffset);
    m.placement.forEach((t, k) => {
      tiles.push({
        ...t,
        file: path,
        index: k,
        rows: [t.rowTile * cfg.R, Math.min(m.layer.rows, (t.rowTile + 1) * cfg.R)],
        dataColumns: [t.colTile * m.dataColsPerTile, Math.min(m.dataCols, (t.colTile + 1) * m.dataColsPerTile)],
        offsetColumn: m.polarity === 1 ? cfg.C - 1 : null,
      });
    });
    const data = file.bytes;
    manifest.push({
      path,
      layer: m.layer.name,
      tiles: m.placement.length,
      dtype: 'uint8',
      shape,
      unit: 'level',
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    // (After the manifest entry: a file handed to `out` may be moved to another thread.)
    if (out !== undefined) out({ path, data });
    else files.push({ path, data });
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
    version: 2,
    target: cfg.target,
    crossbar: {
      rows: cfg.R,
      cols: cfg.C,
      cellBits: cfg.cellBits,
      levels: 2 ** cfg.cellBits,
      gMin: cfg.gMin,
      gMax: cfg.gMax,
      conductance: 'gMin + level * (gMax - gMin) / (levels - 1) siemens',
    },
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
    layers: net.layers.map((m, i) => layerDoc(net, m, i, dither, trained?.get(m.layer.name))),
    tiles,
    schedule: { order: 'layers one after another within a time step; all tiles of a layer in parallel', perStep: schedule },
  };
  return [
    { path: CONFIG_PATH, data: stableJson(config) },
    { path: MAPPING_PATH, data: stableJson({ format: 'snnc-imc-mapping', version: 1, target: cfg.target, chips: net.chips, ...net.mapping }) },
    { path: MANIFEST_PATH, data: stableJson({ format: 'snnc-imc-manifest', version: 2, files: manifest }) },
    ...files,
  ];
}
