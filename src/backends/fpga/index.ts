// FPGA backend: IntProgram → Vitis HLS project in fpga/ (C++ top function, weights header,
// portable types, testbench with golden vectors from the integer simulator, Tcl script,
// README) plus the resource/latency mapping for the cost model. See docs/targets/fpga.md.
import type { FpgaTarget } from '../../costmodel/target.js';
import type { MappingOf } from '../../costmodel/types.js';
import { fail } from '../../errors.js';
import { checkProgram } from '../../sim/int/check.js';
import type { IntProgram } from '../../sim/int/program.js';
import { elements } from '../../sim/int/program.js';
import type { BackendDiagnostic, EmitResult, EmittedFile } from '../common/types.js';
import { netHeader, netSource, weightsHeader } from './cpp.js';
import { estimate } from './estimate.js';
import { makePlan } from './plan.js';
import type { Plan } from './plan.js';
import { readme, scriptTcl } from './project.js';
import type { Golden } from './testbench.js';
import { goldenOf, testbench } from './testbench.js';
import { TYPES_HEADER } from './types-header.js';

export interface FpgaEmitOptions {
  /** hls4ml reuse factor: each multiplier/adder serves this many synapses (default 1). */
  readonly reuseFactor?: number;
  readonly interface?: 'array' | 'axis';
  /** Time steps per sample (default 8). */
  readonly T?: number;
  /** Poisson coding seed and the dataset index of the first golden sample. */
  readonly seed?: number;
  readonly firstSample?: number;
  /** Integer inputs x_q of the testbench samples (default: one all-zero sample). */
  readonly goldenInputs?: readonly Int32Array[];
  /** Expected outputs; computed with the integer simulator when absent. */
  readonly goldenOutputs?: readonly Golden[];
}

function usage(message: string, hint: string): Error {
  return fail({ code: 'SNNC_E_USAGE', message, hint });
}

function checkOptions(p: IntProgram, o: FpgaEmitOptions): void {
  const R = o.reuseFactor ?? 1;
  if (!Number.isInteger(R) || R < 1 || R > 1 << 20) throw usage(`reuse factor ${String(R)} is not an integer in 1..2^20`, 'pass e.g. --reuse 4');
  const T = o.T ?? 8;
  if (!Number.isInteger(T) || T < 1 || T > 100000) throw usage(`T = ${String(T)} is not a number of time steps in 1..100000`, 'pass e.g. --T 8');
  const F = elements(p.input.shape);
  const hi = 2 ** p.input.bits - 1;
  const lo = p.input.coding === 'poisson' ? 0 : -hi;
  (o.goldenInputs ?? []).forEach((x, s) => {
    if (x.length !== F)
      throw fail({
        code: 'SNNC_E_INPUT_MISMATCH',
        message: `golden input ${s} has ${x.length} values; the program input '${p.input.name}' takes ${F}`,
        node: p.input.name,
        hint: 'pass x_q vectors from quantizeInput',
      });
    if (x.some((v) => v < lo || v > hi))
      throw fail({
        code: 'SNNC_E_INPUT_MISMATCH',
        message: `golden input ${s} has values outside [${lo}, ${hi}] (x_q of ${p.input.bits} bits)`,
        node: p.input.name,
        hint: 'quantize the inputs with quantizeInput',
      });
  });
  if (o.goldenOutputs !== undefined && o.goldenOutputs.length !== (o.goldenInputs ?? [new Int32Array(F)]).length) {
    throw usage('goldenOutputs must have one entry per golden input', 'omit goldenOutputs to compute them with the integer simulator');
  }
}

function diagnosticsOf(plan: Plan, requested: number, lut: number, dsp: number): BackendDiagnostic[] {
  const out: BackendDiagnostic[] = [];
  for (const lp of plan.layers) {
    if (lp.reuse > requested) {
      out.push({
        severity: 'warning',
        code: 'SNNC_W_FPGA_REUSE',
        node: lp.layer.name,
        message: `layer '${lp.layer.name}': reuse factor raised from ${requested} to ${lp.reuse} to keep ${lp.work} unrolled operations per iteration within 4096`,
        hint: `pass a reuse factor ≥ ${lp.reuse} to make it explicit`,
      });
    }
  }
  if (lut + dsp > 0)
    out.push({
      severity: 'info',
      code: 'SNNC_I_FPGA_MULTIPLIERS',
      message: `${dsp} multipliers expected in DSP slices and ${lut} narrow ones (< 10-bit operands) in LUTs (heuristic)`,
    });
  return out;
}

export function emit(program: IntProgram, target: FpgaTarget, opts: FpgaEmitOptions = {}): EmitResult<MappingOf<'fpga'>> {
  checkProgram(program);
  checkOptions(program, opts);
  const reuse = opts.reuseFactor ?? 1;
  const plan = makePlan(program, opts.T ?? 8, reuse, opts.interface ?? 'array');
  if (plan.classes > 65535)
    throw fail({
      code: 'SNNC_E_BACKEND',
      message: `the readout '${program.output}' has ${plan.classes} classes; the FPGA top reports predictions in 16 bits`,
      node: program.output,
      hint: 'use a readout with at most 65535 outputs',
    });
  const seed = opts.seed ?? 0;
  const first = opts.firstSample ?? 0;
  const inputs = opts.goldenInputs ?? [new Int32Array(plan.inSize)];
  const golden = opts.goldenOutputs ?? inputs.map((x, s) => goldenOf(plan, x, first + s, seed));
  const { mapping, layers } = estimate(plan, target);
  const N = plan.net;
  const files: EmittedFile[] = [
    { path: 'fpga/README.md', data: readme(plan, target) },
    { path: `fpga/${N}.cpp`, data: netSource(plan) },
    { path: `fpga/${N}.h`, data: netHeader(plan) },
    { path: `fpga/${N}_tb.cpp`, data: testbench(plan, inputs, golden, seed, first) },
    { path: `fpga/${N}_weights.h`, data: weightsHeader(plan) },
    { path: 'fpga/script.tcl', data: scriptTcl(plan, target) },
    { path: 'fpga/snnc_types.h', data: TYPES_HEADER },
  ];
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lut = layers.reduce((s, l) => s + l.lutMultipliers, 0);
  const dsp = layers.reduce((s, l) => s + l.dspMultipliers, 0);
  return { files, mapping, diagnostics: diagnosticsOf(plan, reuse, lut, dsp) };
}

export { csim, synth, hasCompiler, parseCsynthXml } from './csim.js';
export type { CsimResult, CsimSample, SynthResult } from './csim.js';
export { sanitizeIdent, makeNamer } from './ident.js';
export { estimate } from './estimate.js';
export type { FpgaLayerEstimate } from './estimate.js';
export { makePlan } from './plan.js';
export type { Golden } from './testbench.js';
