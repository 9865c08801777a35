// IMC backend options: what the user may override on top of the target file, checked and
// resolved once into plain numbers that mapping, simulation and emit all read.
// Defaults not in the target (chip size, weight bits, analog-input handling) are
// documented as assumptions in docs/targets/imc.md.
import { fail } from '../../errors.js';
import type { ImcTarget } from '../../costmodel/target.js';

export type SignedMode = 'differential' | 'offset';
export type AnalogInputMode = 'bit-serial' | 'dac';

export interface ImcOptions {
  /** Crossbar rows / columns (default: the target's). Positive powers of two. */
  readonly rows?: number;
  readonly cols?: number;
  /** Bits stored per cell, 1–4 (default: the target's). */
  readonly cellBits?: number;
  /** Weight bits per layer, symmetric quantization (default 8). */
  readonly weightBits?: number;
  /** Signed weights as differential column pairs (default) or one offset column per tile. */
  readonly signed?: SignedMode;
  /** The analog (first) layer: inputs applied bit-serially (default) or through DACs. */
  readonly analogInput?: AnalogInputMode;
  /** Quantization bits of analog inputs (default 8). */
  readonly inputBits?: number;
  /** Analog inputs are quantized over [0, inputMax] (default 1: pixels in [0, 1]). */
  readonly inputMax?: number;
  /** HP-ADC resolution (default: the target's); ignored for sense amplifiers (1 bit). */
  readonly adcBits?: number;
  readonly columnsPerAdc?: number;
  /** Crossbar arrays per chip and the width of their grid (defaults 256 and 16). */
  readonly arraysPerChip?: number;
  readonly gridCols?: number;
}

export interface ImcConfig {
  readonly target: string;
  readonly R: number;
  readonly C: number;
  readonly cellBits: number;
  readonly weightBits: number;
  readonly slices: number;
  readonly signed: SignedMode;
  readonly analogInput: AnalogInputMode;
  readonly inputBits: number;
  readonly inputMax: number;
  readonly periphery: 'adc' | 'sense-amp';
  /** Sense amplifiers: the reference dither width of layers whose input is the same every step (target adc.referenceDither; 0: fixed). */
  readonly referenceDither: number;
  readonly adcBits: number;
  readonly columnsPerAdc: number;
  readonly arraysPerChip: number;
  readonly gridCols: number;
  /** Conductance range (S): G_min = 1/R_off, G_max = 1/R_on of the target. */
  readonly gMin: number;
  readonly gMax: number;
}

const DEFAULT_WEIGHT_BITS = 8;
const DEFAULT_INPUT_BITS = 8;
const DEFAULT_ARRAYS_PER_CHIP = 256;
const DEFAULT_GRID_COLS = 16;

function bad(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_BACKEND', message: `imc: ${message}`, hint });
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 1 << 20;
}

function intIn(what: string, v: number, lo: number, hi: number, hint: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw bad(`${what} = ${v} is not an integer in ${lo}..${hi}`, hint);
  return v;
}

/** The reference dither width a target file asks of its sense amplifiers (adc.referenceDither); undefined when it says none. */
export function targetDither(target: ImcTarget): number | undefined {
  return target.adc.type === 'sense-amp' ? target.adc.referenceDither?.value : undefined;
}

/**
 * A cell's levels as the device model counts them: the largest level, the conductance step
 * ΔG = (G_max − G_min) / lmax, and G_min in steps (devices.ts effectiveLevels takes both).
 */
export function cellRange(cfg: Pick<ImcConfig, 'cellBits' | 'gMin' | 'gMax'>): { readonly lmax: number; readonly step: number; readonly gMinOverStep: number } {
  const lmax = 2 ** cfg.cellBits - 1;
  const step = (cfg.gMax - cfg.gMin) / lmax;
  return { lmax, step, gMinOverStep: cfg.gMin / step };
}

export function resolveOptions(target: ImcTarget, o: ImcOptions = {}): ImcConfig {
  const R = o.rows ?? target.crossbar.rows.value;
  const C = o.cols ?? target.crossbar.cols.value;
  for (const [what, v] of [
    ['rows', R],
    ['columns', C],
  ] as const) {
    if (!isPow2(v)) throw bad(`crossbar ${what} = ${v} is not a positive power of two`, 'use a tile size such as 64, 128 or 256');
  }
  const weightBits = intIn('weight bits', o.weightBits ?? DEFAULT_WEIGHT_BITS, 2, 16, 'use 2..16 weight bits (8 is the default)');
  const cellBitsIn = o.cellBits ?? target.crossbar.cellBits.value;
  if (cellBitsIn > weightBits) {
    throw bad(
      `bits per cell (${cellBitsIn}) exceed the weight bits (${weightBits})`,
      `store at most ${weightBits} bits per cell, or quantize weights to at least ${cellBitsIn} bits`,
    );
  }
  const cellBits = intIn('bits per cell', cellBitsIn, 1, 4, 'multi-level cells store 1 to 4 bits');
  const signed = o.signed ?? 'differential';
  if (signed === 'offset' && C < 2) throw bad(`offset mode needs at least 2 columns per tile, got ${C}`, 'use differential pairs or wider tiles');
  const inputBits = intIn('input bits', o.inputBits ?? DEFAULT_INPUT_BITS, 1, 16, 'analog inputs take 1..16 bits (8 is the default)');
  const inputMax = o.inputMax ?? 1;
  if (!(inputMax > 0) || !Number.isFinite(inputMax))
    throw bad(`input range max = ${inputMax} is not a positive number`, 'pass the largest input value, e.g. 1 for pixels in [0, 1]');
  const sense = target.adc.type === 'sense-amp';
  const adcBits = sense ? 1 : intIn('ADC bits', o.adcBits ?? target.adc.bits.value, 1, 24, 'use an ADC of 1..24 bits');
  const columnsPerAdc = intIn(
    'columns per ADC',
    o.columnsPerAdc ?? target.adc.columnsPerAdc.value,
    1,
    C,
    `at most the ${C} columns of a tile share one converter`,
  );
  const arraysPerChip = intIn('arrays per chip', o.arraysPerChip ?? DEFAULT_ARRAYS_PER_CHIP, 1, 1 << 20, 'pass a positive number of crossbar arrays per chip');
  const gridCols = intIn(
    'grid columns',
    o.gridCols ?? Math.min(DEFAULT_GRID_COLS, arraysPerChip),
    1,
    arraysPerChip,
    'the array grid is at most arraysPerChip wide',
  );
  return {
    target: target.name,
    R,
    C,
    cellBits,
    weightBits,
    slices: Math.ceil(weightBits / cellBits),
    signed,
    analogInput: o.analogInput ?? 'bit-serial',
    inputBits,
    inputMax,
    periphery: sense ? 'sense-amp' : 'adc',
    referenceDither: sense ? (targetDither(target) ?? 0) : 0,
    adcBits,
    columnsPerAdc,
    arraysPerChip,
    gridCols,
    gMin: 1 / target.device.rOff.value,
    gMax: 1 / target.device.rOn.value,
  };
}
