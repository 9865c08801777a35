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
import type { ExploreDoc } from './explore.js';

/** Path of docs/<name> in the package (works from src/ and dist/src/). */
function docsPath(name: string): string {
  const rel = join('docs', name);
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, rel))) return join(d, rel);
    const up = dirname(d);
    if (up === d) throw new Error(`snnc package root (package.json + ${rel}) not found`);
    d = up;
  }
}

// ajv ships CommonJS; under NodeNext its default export arrives as the module object.
type AjvCtor = new (opts: Record<string, unknown>) => { compile(schema: unknown): ValidateFunction };
const Ajv2020 = ((Ajv2020Import as unknown as { default?: AjvCtor }).default ?? Ajv2020Import) as unknown as AjvCtor;

const validators = new Map<string, ValidateFunction>();
function getValidator(name: string): ValidateFunction {
  let v = validators.get(name);
  if (v === undefined) {
    const schema: unknown = JSON.parse(readFileSync(docsPath(name), 'utf8'));
    // strictTypes is off because the if/then/else branches narrow without repeating `type`.
    v = new Ajv2020({ allErrors: true, strict: true, strictTypes: false }).compile(schema);
    validators.set(name, v);
  }
  return v;
}

/** `<JSON pointer>: <what is wrong>` for each problem, or [] when `data` matches docs/<schema>. */
function problems(schema: string, data: unknown): string[] {
  const v = getValidator(schema);
  if (v(data)) return [];
  // if/then/else and anyOf wrappers only repeat the inner errors.
  const errors = (v.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf');
  return [...new Set((errors.length > 0 ? errors : (v.errors ?? [])).map(describeError))];
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
  const lines = problems('report.schema.json', data);
  if (lines.length === 0) return;
  throw fail({
    code: 'SNNC_E_REPORT',
    message: `report does not match docs/report.schema.json:\n  ${lines.join('\n  ')}`,
    ...(file !== undefined ? { file } : {}),
    hint: 'The report is produced by snnc itself; please report this with the --debug output.',
  });
}

/** An explore.json read back (explore merge): SNNC_E_IO naming the file and each problem. */
export function validateExploreDoc(data: unknown, file: string): asserts data is ExploreDoc {
  const all = problems('explore.schema.json', data);
  if (all.length === 0) return;
  const lines = all.length > 20 ? [...all.slice(0, 20), `(${all.length - 20} more)`] : all;
  throw fail({
    code: 'SNNC_E_IO',
    message: `explore.json does not match docs/explore.schema.json:\n  ${lines.join('\n  ')}`,
    file,
    hint: 'pass the unmodified output folders of snnc explore --shard runs',
  });
}
