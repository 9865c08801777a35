// Validation of report data against docs/report.schema.json (JSON Schema 2020-12, ajv).
// The CLI validates before writing, so a report that scripts cannot rely on is a loud
// SNNC_E_REPORT naming the JSON pointer instead of a silently odd file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Import from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { fail } from '../errors.js';
import type { CompileReport } from './types.js';

const SCHEMA = join('docs', 'report.schema.json');

/** Path of docs/report.schema.json in the package (works from src/ and dist/src/). */
export function reportSchemaPath(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, SCHEMA))) return join(d, SCHEMA);
    const up = dirname(d);
    if (up === d) throw new Error(`snnc package root (package.json + ${SCHEMA}) not found`);
    d = up;
  }
}

// ajv ships CommonJS; under NodeNext its default export arrives as the module object.
type AjvCtor = new (opts: Record<string, unknown>) => { compile(schema: unknown): ValidateFunction };
const Ajv2020 = ((Ajv2020Import as unknown as { default?: AjvCtor }).default ?? Ajv2020Import) as unknown as AjvCtor;

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  if (validator === undefined) {
    const schema: unknown = JSON.parse(readFileSync(reportSchemaPath(), 'utf8'));
    // strictTypes is off because the if/then/else branches narrow without repeating `type`.
    validator = new Ajv2020({ allErrors: true, strict: true, strictTypes: false }).compile(schema);
  }
  return validator;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '/' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  let msg = e.message ?? e.keyword;
  if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) msg += ` (${params['allowedValues'].join(', ')})`;
  if (e.keyword === 'const') msg += ` (${JSON.stringify(params['allowedValue'])})`;
  if (e.keyword === 'additionalProperties') msg += ` (${String(params['additionalProperty'])})`;
  if (e.keyword === 'required') msg = `must have property '${String(params['missingProperty'])}'`;
  if (e.keyword === 'false schema') msg = 'must not be present';
  return `${at}: ${msg}`;
}

/** Throws SNNC_E_REPORT listing each problem as `<JSON pointer>: <what is wrong>`. */
export function validateReport(data: unknown, file?: string): asserts data is CompileReport {
  const v = getValidator();
  if (v(data)) return;
  // if/then/else and anyOf wrappers only repeat the inner errors.
  const errors = (v.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf');
  const lines = [...new Set((errors.length > 0 ? errors : (v.errors ?? [])).map(describeError))];
  throw fail({
    code: 'SNNC_E_REPORT',
    message: `report does not match docs/report.schema.json:\n  ${lines.join('\n  ')}`,
    ...(file !== undefined ? { file } : {}),
    hint: 'The report is produced by snnc itself; please report this with the --debug output.',
  });
}
