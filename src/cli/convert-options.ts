// What every command that reads and converts a model takes from its parsed options.
import type { ConvertOptions } from '../api/convert.js';
import type { LoadOptions } from '../api/load.js';
import type { OptionValues } from '../options/schema.js';
import { CONVERT_OPTIONS, LOAD_OPTIONS } from '../options/declarations.js';
import { pick } from '../options/schema.js';
import type { CliIO } from './command.js';

/** The model-reading and conversion options of a command (spread into its schema). */
export const MODEL_CONVERT_OPTIONS = { ...LOAD_OPTIONS, ...CONVERT_OPTIONS };

type Values = OptionValues<typeof MODEL_CONVERT_OPTIONS>;

export function loadOptionsFrom(o: Values): LoadOptions {
  return pick(o, LOAD_OPTIONS);
}

/** The conversion options; --dump-ir-after prints to stderr. */
export function convertOptionsFrom(o: Values, io: CliIO): ConvertOptions {
  return { ...pick(o, CONVERT_OPTIONS), onDump: (pass, text) => io.stderr(`--- IR after ${pass} ---\n${text}\n`) };
}
