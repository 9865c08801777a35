// Options shared by every command that converts an ANN (convert, simulate, compile).
import type { ConvertOptions } from '../api/convert.js';
import type { LoadOptions } from '../api/load.js';
import { METHODS_HELP, parseMethod } from '../api/convert.js';
import { fail } from '../errors.js';
import type { OptionTable, ParsedArgs } from './args.js';
import { flag, intOpt, stringOpt } from './args.js';

export const CONVERT_OPTIONS: OptionTable = {
  'nir-dt': { type: 'string', value: 'seconds', help: 'NIR input only: the time step its constants are read with (default 1e-4; Sinabs files: 1, Rockpool: its dt, e.g. 1e-3)' },
  calib: { type: 'string', value: 'mnist|file.npz', help: "calibration data: the embedded MNIST train split (default), a .npz with x, y, or 'synthetic' (data-free)" },
  'calib-samples': { type: 'string', value: 'n', help: 'calibration samples (default 512)' },
  method: { type: 'string', value: 'm', help: `threshold balancing statistic: ${METHODS_HELP} (default percentile:99.99)` },
  granularity: { type: 'string', value: 'layer|channel', help: 'one threshold per layer or per channel (default channel)' },
  reset: { type: 'string', value: 'subtract|zero', help: 'membrane reset after a spike (default subtract)' },
  coding: { type: 'string', value: 'direct|poisson', help: 'input coding (default direct: the analog input every step)' },
  maxpool: { type: 'string', value: 'gate|avg', help: 'MaxPool as spike-count gating (default) or replaced by AvgPool' },
  seed: { type: 'string', value: 'n', help: 'seed for every random choice (default 0)' },
  verify: { type: 'boolean', help: 'verify the IR after every pass' },
  'dump-ir-after': { type: 'string', value: 'pass', help: 'print the IR after a pass (canonicalize, fold-batchnorm, calibrate, convert, fold-avgpool)' },
};

function choice<T extends string>(a: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const v = stringOpt(a, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw fail({ code: 'SNNC_E_USAGE', message: `--${name} must be one of ${allowed.join(', ')}, got '${v}'` });
  }
  return v as T;
}

/** loadModel options from the command line (--nir-dt; loadModel checks the value). */
export function loadOptionsFrom(a: ParsedArgs): LoadOptions {
  const s = stringOpt(a, 'nir-dt');
  return s === undefined ? {} : { nirDt: Number(s) };
}

export function convertOptionsFrom(a: ParsedArgs, onDump?: (pass: string, text: string) => void): ConvertOptions {
  const method = stringOpt(a, 'method');
  if (method !== undefined) parseMethod(method); // fail early on a typo
  const calib = stringOpt(a, 'calib');
  const samples = intOpt(a, 'calib-samples', 1, 1_000_000);
  const seed = intOpt(a, 'seed', 0, 2 ** 31 - 1);
  const gran = choice(a, 'granularity', ['layer', 'channel'] as const);
  const reset = choice(a, 'reset', ['subtract', 'zero'] as const);
  const coding = choice(a, 'coding', ['direct', 'poisson'] as const);
  const maxpool = choice(a, 'maxpool', ['gate', 'avg'] as const);
  const dump = stringOpt(a, 'dump-ir-after');
  return {
    ...(calib !== undefined ? { calib } : {}),
    ...(samples !== undefined ? { calibSamples: samples } : {}),
    ...(method !== undefined ? { method } : {}),
    ...(gran !== undefined ? { granularity: gran } : {}),
    ...(reset !== undefined ? { reset } : {}),
    ...(coding !== undefined ? { coding } : {}),
    ...(maxpool !== undefined ? { maxpool } : {}),
    ...(seed !== undefined ? { seed } : {}),
    verify: flag(a, 'verify'),
    ...(dump !== undefined ? { dumpAfter: dump } : {}),
    ...(onDump !== undefined ? { onDump } : {}),
  };
}

/** "8,16,32" -> [8, 16, 32]. */
export function parseIntList(s: string, name: string): number[] {
  const parts = s.split(',').map((x) => x.trim());
  const out = parts.map(Number);
  if (parts.some((p) => p === '') || out.some((x) => !Number.isFinite(x))) {
    throw fail({ code: 'SNNC_E_USAGE', message: `--${name} expects comma-separated numbers, got '${s}'` });
  }
  return out;
}
