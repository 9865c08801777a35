// NirDoc ↔ HDF5 bytes, in the layout `nir.write` produces and `nir.read` expects
// (neuromorphs/NIR nir/serialization.py; checked against the .nir files in its paper/ folder):
//   /version                   variable-length UTF-8 string, scalar
//   /node/type                 "NIRGraph"
//   /node/nodes/<name>/type    variable-length UTF-8 string, scalar
//   /node/nodes/<name>/<field> float32/float64 or int64 arrays (scalars for single ints)
//   /node/nodes/<name>/metadata/<key>   optional strings
//   /node/edges                E×2 variable-length UTF-8 strings, [from, to]
//   /node/metadata/<key>       optional strings
import type { Dataset, Group } from 'h5wasm';
import { isSnncError } from '../../errors.js';
import { h5wasm, readH5, writeH5 } from '../hdf5.js';
import type { H5File } from '../hdf5.js';
import { nirError } from './convention.js';
import type { NirArray, NirBody, NirDoc, NirNode } from './types.js';
import { NIR_FIELDS } from './types.js';

// ---------------------------------------------------------------- write

function writeString(g: Group, name: string, value: string): void {
  g.create_dataset({ name, data: value });
}

function writeArray(g: Group, name: string, a: NirArray): void {
  const shape = [...a.shape];
  if (a.kind === 'float') {
    g.create_dataset({ name, data: a.data, shape, dtype: a.data instanceof Float32Array ? '<f' : '<d' });
  } else if (a.kind === 'int') {
    g.create_dataset({ name, data: BigInt64Array.from(a.data.map((v) => BigInt(v))), shape, dtype: '<q' });
  } else if (shape.length === 0) {
    writeString(g, name, a.data[0] ?? '');
  } else {
    g.create_dataset({ name, data: [...a.data], shape });
  }
}

function writeMetadata(g: Group, meta: Readonly<Record<string, string>>): void {
  const keys = Object.keys(meta).sort();
  if (keys.length === 0) return; // nir.write skips an empty metadata dict too
  const mg = g.create_group('metadata');
  for (const k of keys) writeString(mg, k, meta[k] ?? '');
}

function writeNode(g: Group, n: NirNode): void {
  const spec = NIR_FIELDS[n.type];
  if (spec === undefined || n.type === 'NIRGraph') throw new Error(`internal: NIR node type ${n.type}`);
  writeString(g, 'type', n.type);
  for (const k of Object.keys(n.fields).sort()) {
    if (!(k in spec.required) && !(k in spec.optional)) throw new Error(`internal: NIR ${n.type} has no field ${k}`);
    const a = n.fields[k];
    if (a !== undefined) writeArray(g, k, a);
  }
  writeMetadata(g, n.metadata);
}

/** The bytes of a NIR file holding `doc` (deterministic: timestamps are pinned to 0). */
export async function writeNirDoc(doc: NirDoc): Promise<Uint8Array> {
  return writeH5((f) => {
    writeString(f, 'version', doc.version);
    const root = f.create_group('node');
    writeString(root, 'type', 'NIRGraph');
    const nodes = root.create_group('nodes');
    for (const n of doc.nodes) writeNode(nodes.create_group(n.name), n);
    root.create_dataset({ name: 'edges', data: doc.edges.flatMap(([a, b]) => [a, b]), shape: [doc.edges.length, 2] });
    writeMetadata(root, doc.metadata);
  });
}

// ---------------------------------------------------------------- read

type Entity = ReturnType<Group['get']>;

function isGroup(e: Entity): e is Group {
  return e instanceof h5wasm.Group;
}

function isDataset(e: Entity): e is Dataset {
  return e instanceof h5wasm.Dataset;
}

/** A dataset as NirArray; numbers of any HDF5 integer/float type, strings fixed or variable. */
function readArray(d: Dataset, where: string): NirArray {
  const m = d.metadata;
  const shape = [...(d.shape ?? [])];
  const v = d.value;
  if (m.type === 3) {
    const data = (Array.isArray(v) ? v.flat(8) : [v]).map((x) => String(x).replace(/\0+$/, ''));
    return { kind: 'str', shape, data };
  }
  if (m.type === 0 || m.type === 1) {
    const raw: ArrayLike<number | bigint> = ArrayBuffer.isView(v) ? (v as unknown as ArrayLike<number | bigint>) : [v as number | bigint];
    const nums = Array.from(raw, (x) => Number(x));
    if (m.type === 0) return { kind: 'int', shape, data: nums };
    return { kind: 'float', shape, data: m.size === 4 ? Float32Array.from(nums) : Float64Array.from(nums) };
  }
  throw nirError(`${where}: unsupported HDF5 datatype (class ${m.type}); NIR fields are numbers or strings`, where);
}

function readString(g: Group, key: string, where: string): string {
  const e = g.get(key);
  if (!isDataset(e)) throw nirError(`${where}/${key}: missing string dataset`, `${where}/${key}`);
  const a = readArray(e, `${where}/${key}`);
  if (a.kind !== 'str' || a.data.length !== 1)
    throw nirError(`${where}/${key}: expected a string, found ${a.kind === 'str' ? `${a.data.length} strings` : `${a.kind} data`}`, `${where}/${key}`);
  return a.data[0] ?? '';
}

function readMetadata(g: Group, where: string): Record<string, string> {
  const e = g.get('metadata');
  const out: Record<string, string> = {};
  if (e === null) return out;
  if (!isGroup(e)) throw nirError(`${where}/metadata: expected a group`, `${where}/metadata`);
  for (const k of e.keys()) {
    const d = e.get(k);
    if (!isDataset(d)) continue; // nested metadata dicts: not ours, ignored
    const a = readArray(d, `${where}/metadata/${k}`);
    if (a.kind === 'str' && a.data.length === 1) out[k] = a.data[0] ?? '';
  }
  return out;
}

function readNode(g: Group, name: string, where: string, depth: number): NirNode {
  const type = readString(g, 'type', where);
  const fields: Record<string, NirArray> = {};
  if (type === 'NIRGraph') {
    // A nested graph: nodes and edges like the top graph (its other entries, the input and
    // output types nir.write derives, are not needed).
    if (depth >= 16) throw nirError(`${where}: NIRGraphs nested more than 16 deep`, where);
    return { name, type, fields, metadata: readMetadata(g, where), graph: readBody(g, where, depth + 1) };
  }
  for (const k of g.keys()) {
    if (k === 'type' || k === 'metadata') continue;
    const d = g.get(k);
    if (isDataset(d)) fields[k] = readArray(d, `${where}/${k}`);
    else throw nirError(`${where}/${k}: expected a dataset`, `${where}/${k}`);
  }
  return { name, type, fields, metadata: readMetadata(g, where) };
}

/** The `nodes` group and `edges` dataset of a graph group (the top one or a nested one). */
function readBody(root: Group, where: string, depth: number): NirBody {
  const ng = root.get('nodes');
  if (!isGroup(ng)) throw nirError(`${where}/nodes: missing group`, `${where}/nodes`);
  const nodes = ng.keys().map((k) => {
    const g = ng.get(k);
    if (!isGroup(g)) throw nirError(`${where}/nodes/${k}: expected a group`, `${where}/nodes/${k}`);
    return readNode(g, k, `${where}/nodes/${k}`, depth);
  });
  const ed = root.get('edges');
  if (!isDataset(ed)) throw nirError(`${where}/edges: missing dataset`, `${where}/edges`);
  const ea = readArray(ed, `${where}/edges`);
  const n = ea.data.length;
  if (ea.kind !== 'str' || (n > 0 && (ea.shape.length !== 2 || ea.shape[1] !== 2))) {
    throw nirError(`${where}/edges: expected an E×2 array of strings, found ${ea.kind} [${ea.shape.join(', ')}]`, `${where}/edges`);
  }
  const edges: [string, string][] = [];
  for (let i = 0; i + 1 < n; i += 2) edges.push([ea.data[i] ?? '', ea.data[i + 1] ?? '']);
  return { nodes, edges };
}

function readDoc(f: H5File): NirDoc {
  const version = f.get('version') === null ? '' : readString(f, 'version', '');
  const root = f.get('node');
  if (!isGroup(root))
    throw nirError("/node: missing group (a NIR file holds its graph under '/node')", '/node', 'is this a NIR file? nir.write creates /version and /node');
  const type = readString(root, 'type', '/node');
  if (type !== 'NIRGraph') throw nirError(`/node/type: expected NIRGraph, found '${type}'`, '/node/type');
  return { version, ...readBody(root, '/node', 0), metadata: readMetadata(root, '/node') };
}

/** Parse NIR bytes; `file` only labels errors. */
export async function readNirDoc(bytes: Uint8Array, file = '<bytes>'): Promise<NirDoc> {
  const magic = [0x89, 0x48, 0x44, 0x46];
  if (bytes.length < 8 || !magic.every((b, i) => bytes[i] === b)) {
    throw nirError(`${file}: not an HDF5 file (no HDF5 signature)`, file, 'NIR files are HDF5 written by nir.write');
  }
  try {
    return await readH5(bytes, readDoc);
  } catch (e) {
    if (isSnncError(e)) throw nirError(`${file}: ${e.message}`, `${file}:${e.file ?? ''}`, e.hint);
    throw nirError(`${file}: unreadable HDF5 (${e instanceof Error ? e.message : String(e)})`, file);
  }
}
