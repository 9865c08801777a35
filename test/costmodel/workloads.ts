// Synthetic LeNet-like and VGG-like workloads for the IMC ratio check in
// docs/costmodel.md. Activity uses a uniform spike rate; the mapping follows the
// analytic tiling of COSTMODEL.md (8-bit weights in 1-bit cells as differential pairs ->
// 16 columns per output; the first layer is fed 8-bit values bit-serially).
import type { Activity, ImcLayerMapping, LayerActivity, MappingOf } from '../../src/costmodel/types.js';

export interface LayerSpec {
  readonly name: string;
  readonly kind: 'conv' | 'dense';
  readonly cin: number;
  readonly cout: number;
  readonly k: number; // kernel size (1 for dense)
  readonly hin: number; // input height = width (1 for dense)
  readonly hout: number; // output height = width (1 for dense)
}

export const LENET: readonly LayerSpec[] = [
  { name: 'conv1', kind: 'conv', cin: 1, cout: 6, k: 5, hin: 28, hout: 24 },
  { name: 'conv2', kind: 'conv', cin: 6, cout: 16, k: 5, hin: 12, hout: 8 },
  { name: 'fc1', kind: 'dense', cin: 256, cout: 120, k: 1, hin: 1, hout: 1 },
  { name: 'fc2', kind: 'dense', cin: 120, cout: 84, k: 1, hin: 1, hout: 1 },
  { name: 'fc3', kind: 'dense', cin: 84, cout: 10, k: 1, hin: 1, hout: 1 },
];

export const VGG: readonly LayerSpec[] = [
  { name: 'conv1_1', kind: 'conv', cin: 3, cout: 64, k: 3, hin: 32, hout: 32 },
  { name: 'conv1_2', kind: 'conv', cin: 64, cout: 64, k: 3, hin: 32, hout: 32 },
  { name: 'conv2_1', kind: 'conv', cin: 64, cout: 128, k: 3, hin: 16, hout: 16 },
  { name: 'conv2_2', kind: 'conv', cin: 128, cout: 128, k: 3, hin: 16, hout: 16 },
  { name: 'conv3_1', kind: 'conv', cin: 128, cout: 256, k: 3, hin: 8, hout: 8 },
  { name: 'conv3_2', kind: 'conv', cin: 256, cout: 256, k: 3, hin: 8, hout: 8 },
  { name: 'fc1', kind: 'dense', cin: 4096, cout: 512, k: 1, hin: 1, hout: 1 },
  { name: 'fc2', kind: 'dense', cin: 512, cout: 10, k: 1, hin: 1, hout: 1 },
];

const XBAR = 128;
const COLS_PER_OUT = 16; // 8 slices x 2 (differential)

export function workload(
  specs: readonly LayerSpec[],
  T: number,
  rate: number,
  adc: { bits: number; columnsPerAdc: number },
): { activity: Activity; mapping: MappingOf<'imc'> } {
  const acts: LayerActivity[] = [];
  const maps: ImcLayerMapping[] = [];
  specs.forEach((s, i) => {
    const first = i === 0;
    const inputs = s.cin * s.hin * s.hin;
    const positions = s.hout * s.hout;
    const rows = s.cin * s.k * s.k;
    const cols = s.cout * COLS_PER_OUT;
    const neurons = s.cout * positions;
    const inputSpikes = first ? 0 : rate * inputs * T;
    acts.push({
      name: s.name,
      kind: s.kind,
      inputSpikes,
      synops: first ? 0 : inputSpikes * s.cout * s.k * s.k,
      macs: first ? positions * rows * s.cout * T : 0,
      neurons,
      neuronUpdates: neurons * T,
      outputSpikes: rate * neurons * T,
    });
    const rowTiles = Math.ceil(rows / XBAR);
    const colTiles = Math.ceil(cols / XBAR);
    maps.push({
      name: s.name,
      rowTiles,
      colTiles,
      tiles: rowTiles * colTiles,
      rows,
      cols,
      slices: 8,
      adcBits: adc.bits,
      columnsPerAdc: adc.columnsPerAdc,
      utilization: (rows * cols) / (rowTiles * colTiles * XBAR * XBAR),
      outFeatures: s.cout,
      positions,
      inputBits: first ? 8 : 1,
    });
  });
  const tiles = maps.reduce((s, m) => s + m.tiles, 0);
  const used = maps.reduce((s, m) => s + m.rows * m.cols, 0);
  return { activity: { T, layers: acts }, mapping: { kind: 'imc', layers: maps, totals: { tiles, utilization: used / (tiles * XBAR * XBAR) } } };
}
