// Memory accounting of an integer program: bits of weights, biases, neuron state and neuron
// parameters per layer and in total, next to the same network held in float32.
// Counted: every stored weight and bias; one membrane register per neuron (plus a refractory
// counter when refractory > 0); per threshold entry its θ (thresholdBits) and vInit
// (membraneBits), and per layer the shifts (5 bits each, 0–31). The float32 baseline stores
// the same entries in 32 bits each (leak and vInit as one float per layer), no shifts.
import type { IntProgram } from './program.js';
import { elements, unsignedBitsFor } from './program.js';

export interface MemoryRow {
  readonly layer: string;
  readonly kind: string;
  readonly weightBits: number;
  readonly biasBits: number;
  readonly stateBits: number;
  readonly paramBits: number;
  readonly totalBits: number;
  readonly float32Bits: number;
}

export interface MemoryReport {
  readonly layers: readonly MemoryRow[];
  readonly total: MemoryRow;
  /** float32 bits / quantized bits. */
  readonly compression: number;
}

const SHIFT_BITS = 5;

export function memoryReport(p: IntProgram): MemoryReport {
  const layers: MemoryRow[] = p.layers.map((l) => {
    const w = l.weights.length;
    const b = l.bias.length;
    const n = l.neuron;
    const neurons = n !== null ? elements(l.outShape) : 0;
    const refr = n !== null && n.refractory > 0 ? unsignedBitsFor(n.refractory) : 0;
    const stateBits = n !== null ? neurons * (n.membraneBits + refr) : 0;
    const paramBits = n !== null ? n.threshold.length * (n.thresholdBits + n.membraneBits) + (n.leakShift !== null ? SHIFT_BITS : 0) : 0;
    const weightBits = w * l.weightBits + (l.gains?.length ?? 0) * 32 + (l.shift > 0 ? SHIFT_BITS : 0);
    const biasBits = b * l.biasBits;
    const f32 = 32 * (w + (l.gains?.length ?? 0) + b + (n !== null ? neurons + n.threshold.length + 1 + (n.leakShift !== null ? 1 : 0) : 0));
    return {
      layer: l.name,
      kind: l.kind,
      weightBits,
      biasBits,
      stateBits,
      paramBits,
      totalBits: weightBits + biasBits + stateBits + paramBits,
      float32Bits: f32,
    };
  });
  const sum = (k: keyof Omit<MemoryRow, 'layer' | 'kind'>): number => layers.reduce((a, r) => a + r[k], 0);
  const total: MemoryRow = {
    layer: 'total',
    kind: '',
    weightBits: sum('weightBits'),
    biasBits: sum('biasBits'),
    stateBits: sum('stateBits'),
    paramBits: sum('paramBits'),
    totalBits: sum('totalBits'),
    float32Bits: sum('float32Bits'),
  };
  return { layers, total, compression: total.totalBits > 0 ? total.float32Bits / total.totalBits : 1 };
}

/** Bits as a readable size: 'B', 'KiB', 'MiB' with two decimals. */
export function formatBits(bits: number): string {
  const bytes = bits / 8;
  if (bytes < 1024) return `${bytes.toFixed(bytes % 1 === 0 ? 0 : 1)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
