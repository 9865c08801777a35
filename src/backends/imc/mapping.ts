// Mapping synaptic layers onto R×C crossbar tiles:
// - weights quantized per layer, symmetric: s_w = max|W| / (2^(b−1) − 1), q = round(W / s_w);
// - bit-sliced over S = ⌈b_w / cellBits⌉ cells (slice 0 = least significant);
// - signed weights: 'differential' → a (+, −) column pair per output and slice holding the
//   slices of max(q, 0) and max(−q, 0); 'offset' → one column holding the slices of
//   q + 2^(b−1), and one offset column per tile (every cell at level 1) that measures the
//   number of active rows, so the periphery can subtract 2^(b−1)·Σx;
// - physical column j of a group (data columns only) is (output o, slice s, polarity p) with
//   j = (o·S + s)·P + p, P = 2 (differential) or 1 (offset); column tile t holds data
//   columns [t·Cd, (t+1)·Cd) with Cd = C (differential) or C − 1 (offset; column C − 1 of
//   every tile is its offset column);
// - rowTiles = ⌈rows / R⌉, colTiles = groups · ⌈(outFeatures/groups)·S·P / Cd⌉,
//   utilization = rows · cols / (tiles · R · C) where cols counts every used column;
// - tiles are placed in layer order on the chip's array grid (row-major); a layer that does
//   not fit in what is left of a chip starts on a fresh one, and a layer larger than a chip
//   spans several (its partial sums then cross chips: costmodel/imc.ts charges the traffic).
import type { ImcLayerMapping, MappingOf } from '../../costmodel/types.js';
import type { ImcConfig } from './options.js';
import type { SynapticLayer } from './layers.js';

export interface TilePlacement {
  readonly layer: string;
  readonly group: number;
  readonly rowTile: number;
  readonly colTile: number;
  readonly chip: number;
  /** Array index on its chip, row-major over the grid. */
  readonly array: number;
  readonly x: number;
  readonly y: number;
}

export interface MappedLayer {
  readonly layer: SynapticLayer;
  /** Weight scale (real weight = sW · q). */
  readonly sW: number;
  /** Quantized weights per group, row-major [rows][outFeatures / groups] (|q| < 2^15: at most 16 weight bits). */
  readonly q: readonly Int16Array[];
  /** Columns per (output, slice): 2 for differential pairs, 1 for offset mode. */
  readonly polarity: 1 | 2;
  /** Data columns per group. */
  readonly dataCols: number;
  /** Data columns per tile. */
  readonly dataColsPerTile: number;
  readonly colTilesPerGroup: number;
  /** Bit-serial planes per read (1 for spikes and DAC mode). */
  readonly inputBits: number;
  /** Largest input code applied in one read (1, or 2^b − 1 through a DAC). */
  readonly maxCodePerRead: number;
  /** Real value of input code 1. */
  readonly sX: number;
  /** ADC bits that represent every possible column partial sum exactly. */
  readonly losslessBits: number;
  readonly mapping: ImcLayerMapping;
  readonly placement: readonly TilePlacement[];
}

export interface MappedNetwork {
  readonly config: ImcConfig;
  readonly layers: readonly MappedLayer[];
  readonly chips: number;
  readonly mapping: MappingOf<'imc'>;
}

export function quantizeWeights(layer: SynapticLayer, bits: number): { sW: number; q: Int16Array[] } {
  const qmax = 2 ** (bits - 1) - 1;
  let m = 0;
  for (const w of layer.weights) for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i] as number));
  const sW = m > 0 ? m / qmax : 1;
  const q = layer.weights.map((w) => {
    const out = new Int16Array(w.length);
    for (let i = 0; i < w.length; i++) out[i] = Math.max(-qmax, Math.min(qmax, Math.round((w[i] as number) / sW)));
    return out;
  });
  return { sW, q };
}

/** What the programmed levels depend on besides the weights. */
export interface SliceBits {
  readonly cellBits: number;
  readonly slices: number;
  readonly weightBits: number;
}

/**
 * The slicing rule, in one place: put(j, level) for every nonzero programmed level of row r of
 * group `grp` — data column j = (o·S + s)·P + p holds slice s of |q| on the side p of its sign
 * (differential) or of q + 2^(b−1) (offset). Zero weights and zero slices cost nothing.
 */
export function rowLevels(m: MappedLayer, bits: SliceBits, grp: number, r: number, put: (j: number, level: number) => void): void {
  const q = m.q[grp] as Int16Array;
  const og = m.layer.outFeatures / m.layer.groups;
  const P = m.polarity;
  const { slices: S, cellBits: c } = bits;
  const mask = (1 << c) - 1;
  const offset = 2 ** (bits.weightBits - 1);
  for (let o = 0; o < og; o++) {
    const v = q[r * og + o] as number;
    const mag = P === 2 ? Math.abs(v) : v + offset;
    if (mag === 0) continue;
    const j0 = o * S * P + (P === 2 && v < 0 ? 1 : 0);
    // mag < 2^weightBits ≤ 2^16 and c·s < weightBits: a shift is floor(mag / 2^(c·s)).
    for (let sl = 0; sl < S; sl++) {
      const level = (mag >>> (c * sl)) & mask;
      if (level !== 0) put(j0 + sl * P, level);
    }
  }
}

/**
 * Programmed cell levels of group `grp`, row-major [rows][dataCols], 0 .. 2^cellBits − 1. Made
 * when needed, not kept in the mapping: a CIFAR VGG-16 has 240 M cells at 1 bit per cell (one
 * byte each here), while what uses them keeps less — one layer's tile file at a time, or the
 * cells' bit planes (an eighth) for the simulation.
 */
export function programmedLevels(m: MappedLayer, bits: SliceBits, grp: number): Uint8Array {
  const J = m.dataCols;
  const out = new Uint8Array(m.layer.rows * J);
  for (let r = 0; r < m.layer.rows; r++) rowLevels(m, bits, grp, r, (j, level) => (out[r * J + j] = level));
  return out;
}

function inputPlan(layer: SynapticLayer, cfg: ImcConfig): { inputBits: number; maxCodePerRead: number; sX: number } {
  const inp = layer.input;
  if (inp.kind === 'spike') return { inputBits: 1, maxCodePerRead: 1, sX: 1 };
  if (inp.kind === 'count') return { inputBits: Math.max(1, Math.ceil(Math.log2(inp.k + 1))), maxCodePerRead: 1, sX: 1 / inp.k };
  const levels = 2 ** cfg.inputBits - 1;
  const sX = cfg.inputMax / levels;
  return cfg.analogInput === 'dac' ? { inputBits: 1, maxCodePerRead: levels, sX } : { inputBits: cfg.inputBits, maxCodePerRead: 1, sX };
}

export function mapNetwork(layers: readonly SynapticLayer[], cfg: ImcConfig): MappedNetwork {
  const { R, C } = cfg;
  const P: 1 | 2 = cfg.signed === 'differential' ? 2 : 1;
  const Cd = P === 2 ? C : C - 1;
  const mapped: MappedLayer[] = [];
  let chip = 0;
  let used = 0;
  for (const layer of layers) {
    const og = layer.outFeatures / layer.groups;
    const dataCols = og * cfg.slices * P;
    const rowTiles = Math.ceil(layer.rows / R);
    const colTilesPerGroup = Math.ceil(dataCols / Cd);
    const colTiles = colTilesPerGroup * layer.groups;
    const tiles = rowTiles * colTiles;
    const inputChip = chip; // where the previous layer ended
    if (used > 0 && used + tiles > cfg.arraysPerChip) {
      chip++;
      used = 0;
    }
    const firstChip = chip;
    const placement: TilePlacement[] = [];
    for (let g = 0; g < layer.groups; g++) {
      for (let rt = 0; rt < rowTiles; rt++) {
        for (let ct = 0; ct < colTilesPerGroup; ct++) {
          if (used === cfg.arraysPerChip) {
            chip++;
            used = 0;
          }
          const array = used++;
          placement.push({ layer: layer.name, group: g, rowTile: rt, colTile: ct, chip, array, x: array % cfg.gridCols, y: Math.floor(array / cfg.gridCols) });
        }
      }
    }
    const { sW, q } = quantizeWeights(layer, cfg.weightBits);
    const cols = layer.groups * (dataCols + (P === 1 ? colTilesPerGroup : 0));
    const inp = inputPlan(layer, cfg);
    const losslessBits = Math.ceil(Math.log2(R * (2 ** cfg.cellBits - 1) * inp.maxCodePerRead + 1));
    const m: ImcLayerMapping = {
      name: layer.name,
      rowTiles,
      colTiles,
      tiles,
      rows: layer.rows,
      cols,
      slices: cfg.slices,
      adcBits: cfg.adcBits,
      columnsPerAdc: cfg.columnsPerAdc,
      utilization: (layer.rows * cols) / (tiles * R * C),
      outFeatures: layer.outFeatures,
      positions: layer.positions,
      inputBits: inp.inputBits,
      chips: chip - firstChip + 1,
      inputFromOtherChip: mapped.length > 0 && firstChip !== inputChip,
    };
    mapped.push({ layer, sW, q, polarity: P, dataCols, dataColsPerTile: Cd, colTilesPerGroup, ...inp, losslessBits, mapping: m, placement });
  }
  const totalTiles = mapped.reduce((a, l) => a + l.mapping.tiles, 0);
  const usedCells = mapped.reduce((a, l) => a + l.mapping.rows * l.mapping.cols, 0);
  return {
    config: cfg,
    layers: mapped,
    chips: chip + 1,
    mapping: { kind: 'imc', layers: mapped.map((l) => l.mapping), totals: { tiles: totalTiles, utilization: usedCells / (totalTiles * R * C) } },
  };
}
