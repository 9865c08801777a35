// The context a NIR node is imported in, and the field readers every node importer uses
// (import-nodes.ts for layers, import-neurons.ts for neurons). Each names the HDF5 path of
// the field it complains about.
import type { NodeSpec } from '../../ir/build.js';
import type { Tensor } from '../../ir/types.js';
import { nirError } from './convention.js';
import type { NirArray, NirDiagnostic, NirNode } from './types.js';

export interface ImportCtx {
  readonly node: NirNode;
  /** `<file>:/node/nodes/<name>` */
  readonly where: string;
  /** The IR node name (unescaped). */
  readonly name: string;
  /** Facts snnc wrote in metadata/snnc (empty for other producers). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Values arriving on the incoming edges, in edge order, and their per-sample shape. */
  readonly inputs: readonly string[];
  readonly inShape: readonly number[];
  readonly dt: number;
  readonly emit: (n: NodeSpec) => void;
  readonly init: (name: string, t: Tensor) => string;
  readonly warn: (d: NirDiagnostic) => void;
}

/** What field readers need to name the HDF5 path in errors. */
export type Where = Pick<ImportCtx, 'node' | 'where'>;

export interface Imported {
  readonly value: string;
  readonly shape: readonly number[];
}

export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
export const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function field(c: Where, key: string): NirArray {
  const a = c.node.fields[key];
  if (a === undefined) throw nirError(`${c.where}/${key}: missing field '${key}' of ${c.node.type}`, `${c.where}/${key}`);
  return a;
}

export function floats(c: Where, key: string): { shape: readonly number[]; data: Float32Array | Float64Array } {
  const a = field(c, key);
  if (a.kind === 'str') throw nirError(`${c.where}/${key}: expected numbers, found strings`, `${c.where}/${key}`);
  return { shape: a.shape, data: a.kind === 'float' ? a.data : Float64Array.from(a.data) };
}

export function ints(c: Where, key: string): number[] {
  const a = field(c, key);
  if (a.kind === 'str' || !Array.from(a.data).every((v) => Number.isInteger(v))) {
    throw nirError(`${c.where}/${key}: expected integers, found ${a.kind === 'str' ? 'strings' : 'fractions'}`, `${c.where}/${key}`);
  }
  return Array.from(a.data);
}

export function expectShape(c: Where, key: string, got: readonly number[], want: readonly number[]): void {
  if (!same(got, want)) {
    throw nirError(
      `${c.where}/${key}: shape [${got.join(', ')}] does not match the incoming shape [${want.join(', ')}]`,
      `${c.where}/${key}`,
      'the node parameters must match what its incoming edges carry',
    );
  }
}

/** The name snnc stored for input `i` (an initializer), or a fallback. */
export function inputName(c: ImportCtx, i: number, fallback: string): string {
  const names = c.meta['inputs'];
  const n = Array.isArray(names) ? (names[i] as unknown) : undefined;
  return typeof n === 'string' && n !== '' ? n : `${c.name}/${fallback}`;
}

export function outputName(c: ImportCtx): string {
  const o = c.meta['output'];
  return typeof o === 'string' && o !== '' ? o : c.name;
}

export function metaShape(c: ImportCtx, key: string): number[] | undefined {
  const s = c.meta[key];
  return Array.isArray(s) && s.every((d) => Number.isInteger(d) && (d as number) >= 1) ? (s as number[]) : undefined;
}
