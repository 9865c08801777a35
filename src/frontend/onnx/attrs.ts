// Typed readers for ONNX node attributes. Each reader checks the attribute's declared
// type (when the file declares one; very old exporters leave it unset) so a wrong form
// is reported as SNNC_E_UNSUPPORTED_ATTR naming the node, not read as a default.
import { fail } from '../../errors.js';
import type { AttributeProto, NodeProto, TensorProto } from './proto.js';
import { onnx, toNumber } from './proto.js';

const T = onnx.AttributeProto.AttributeType;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [T.FLOAT]: 'float',
  [T.INT]: 'int',
  [T.STRING]: 'string',
  [T.TENSOR]: 'tensor',
  [T.GRAPH]: 'graph',
  [T.FLOATS]: 'floats',
  [T.INTS]: 'ints',
  [T.STRINGS]: 'strings',
  [T.TENSORS]: 'tensors',
  [T.GRAPHS]: 'graphs',
  [T.SPARSE_TENSOR]: 'sparse tensor',
  [T.SPARSE_TENSORS]: 'sparse tensors',
  [T.TYPE_PROTO]: 'type',
  [T.TYPE_PROTOS]: 'types',
};

/** A node as the importers see it: a unique name and its attributes by name. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttributeProto>;
  readonly file?: string;
}

export function toOnnxNode(p: NodeProto, name: string, file?: string): OnnxNode {
  const attrs = new Map<string, AttributeProto>();
  for (const a of p.attribute ?? []) {
    const key = a.name ?? '';
    if (attrs.has(key)) {
      throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: `attribute '${key}' is given twice`, node: name, ...(file !== undefined ? { file } : {}) });
    }
    checkAttrFields(a, key, name, file);
    attrs.set(key, a);
  }
  return {
    name,
    opType: p.opType ?? '',
    inputs: [...(p.input ?? [])],
    outputs: [...(p.output ?? [])],
    attrs,
    ...(file !== undefined ? { file } : {}),
  };
}

/** The value field each declared attribute type uses (scalars, then lists). */
const FIELD_OF: Readonly<Record<number, keyof AttributeProto>> = {
  [T.FLOAT]: 'f',
  [T.INT]: 'i',
  [T.STRING]: 's',
  [T.TENSOR]: 't',
  [T.GRAPH]: 'g',
  [T.SPARSE_TENSOR]: 'sparseTensor',
  [T.TYPE_PROTO]: 'tp',
  [T.FLOATS]: 'floats',
  [T.INTS]: 'ints',
  [T.STRINGS]: 'strings',
  [T.TENSORS]: 'tensors',
  [T.GRAPHS]: 'graphs',
  [T.SPARSE_TENSORS]: 'sparseTensors',
  [T.TYPE_PROTOS]: 'typeProtos',
};
const VALUE_FIELDS = Object.values(FIELD_OF);

/**
 * onnx's checker wants exactly one value field, the one the declared type names. An attribute
 * declared int that carries floats (or two kinds of value) is read differently by different
 * engines, so it is refused here instead of being read as whichever field a reader looks at.
 */
function checkAttrFields(a: AttributeProto, key: string, node: string, file: string | undefined): void {
  const set = VALUE_FIELDS.filter((f) => {
    const v = a[f];
    if (Array.isArray(v)) return v.length > 0;
    return Object.prototype.hasOwnProperty.call(a, f) && v !== null && v !== undefined;
  });
  const t = a.type ?? 0;
  const want = FIELD_OF[t];
  const stray = set.filter((f) => f !== want);
  if (set.length > 1 || (t !== 0 && stray.length > 0)) {
    throw fail({
      code: 'SNNC_E_ONNX_INVALID',
      message: `attribute '${key}' is declared ${TYPE_NAMES[t] ?? (t === 0 ? 'without a type' : `type-${t}`)} but holds ${set.join(' and ')}`,
      node,
      ...(file !== undefined ? { file } : {}),
      hint: 'the file is corrupt or was written by a buggy exporter; onnx.checker refuses it too',
    });
  }
}

export function attrError(n: OnnxNode, message: string, hint?: string): never {
  throw fail({
    code: 'SNNC_E_UNSUPPORTED_ATTR',
    message: `${n.opType} node '${n.name}': ${message}`,
    node: n.name,
    ...(n.file !== undefined ? { file: n.file } : {}),
    ...(hint !== undefined ? { hint } : {}),
  });
}

export function invalid(n: OnnxNode, message: string): never {
  throw fail({
    code: 'SNNC_E_ONNX_INVALID',
    message: `${n.opType} node '${n.name}': ${message}`,
    node: n.name,
    ...(n.file !== undefined ? { file: n.file } : {}),
  });
}

function get(n: OnnxNode, key: string, types: readonly number[]): AttributeProto | undefined {
  const a = n.attrs.get(key);
  if (a === undefined) return undefined;
  if ((a.refAttrName ?? '') !== '') attrError(n, `attribute '${key}' refers to a function attribute, which snnc does not support`);
  const t = a.type ?? 0;
  if (t !== 0 && !types.includes(t)) {
    attrError(n, `attribute '${key}' is a ${TYPE_NAMES[t] ?? `type-${t}`}, expected ${types.map((x) => TYPE_NAMES[x]).join(' or ')}`);
  }
  return a;
}

export function has(n: OnnxNode, key: string): boolean {
  return n.attrs.has(key);
}

export function attrInt(n: OnnxNode, key: string, def: number): number {
  const a = get(n, key, [T.INT]);
  if (a === undefined) return def;
  const v = toNumber(a.i);
  if (!Number.isSafeInteger(v)) attrError(n, `attribute '${key}' = ${String(v)} is out of range`);
  return v;
}

/** Float attributes are float32 in ONNX, so defaults are rounded the same way (1e-5 -> fround(1e-5)). */
export function attrFloat(n: OnnxNode, key: string, def: number): number {
  const a = get(n, key, [T.FLOAT, T.INT]);
  if (a === undefined) return Math.fround(def);
  return a.type === T.INT ? toNumber(a.i) : (a.f ?? 0);
}

export function attrInts(n: OnnxNode, key: string): number[] | undefined {
  const a = get(n, key, [T.INTS]);
  if (a === undefined) return undefined;
  return (a.ints ?? []).map((x) => {
    const v = toNumber(x);
    if (!Number.isSafeInteger(v)) attrError(n, `attribute '${key}' holds ${String(v)}, out of range`);
    return v;
  });
}

export function attrFloats(n: OnnxNode, key: string): number[] | undefined {
  const a = get(n, key, [T.FLOATS]);
  return a === undefined ? undefined : [...(a.floats ?? [])];
}

export function attrString(n: OnnxNode, key: string, def: string): string {
  const a = get(n, key, [T.STRING]);
  if (a === undefined) return def;
  return new TextDecoder().decode(a.s ?? new Uint8Array());
}

export function attrTensor(n: OnnxNode, key: string): TensorProto | undefined {
  const a = get(n, key, [T.TENSOR]);
  return a === undefined ? undefined : (a.t ?? undefined);
}

/** A string attribute restricted to `allowed` (e.g. auto_pad); anything else is SNNC_E_UNSUPPORTED_ATTR. */
export function attrEnum<S extends string>(n: OnnxNode, key: string, def: S, allowed: readonly S[]): S {
  const v = attrString(n, key, def);
  if (!(allowed as readonly string[]).includes(v)) {
    attrError(n, `attribute ${key}='${v}' is not one of ${allowed.map((x) => `'${x}'`).join(', ')}`, 'check the spelling; ONNX values are case-sensitive');
  }
  return v as S;
}

/** Reject attributes the importer does not know: ignoring one could silently change the math. */
export function checkKnownAttrs(n: OnnxNode, known: readonly string[]): void {
  for (const key of n.attrs.keys()) {
    if (!known.includes(key)) {
      attrError(n, `unknown attribute '${key}'`, known.length > 0 ? `${n.opType} accepts: ${[...known].sort().join(', ')}` : `${n.opType} takes no attributes`);
    }
  }
}
