// ONNX model -> IR graph: decode, validate structure, decode initializers, import each
// node through the op table (in dependency order, so older-opset rewrites can ask for
// the shapes of earlier values), then infer and check every shape.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail, isSnncError, SnncError } from '../../errors.js';
import { DEFAULT_MAX_ELEMENTS } from '../../ir/dtype.js';
import { inferShapes } from '../../ir/infer.js';
import { topoSort } from '../../ir/topo.js';
import type { Dim, Graph, Node, Tensor, ValueInfo } from '../../ir/types.js';
import { toOnnxNode } from './attrs.js';
import type { ImportContext } from './context.js';
import { importNode } from './ops.js';
import { importSnnNode, SNNC_DOMAIN } from './snn-ops.js';
import type { DimensionProto, GraphProto, NodeProto, ValueInfoProto } from './proto.js';
import { decodeModel, toNumber } from './proto.js';
import { dtypeFromOnnx, tensorFromProto } from './tensor.js';

export interface OnnxImportOptions {
  /** Shown in errors; also the default folder for external data. */
  readonly file?: string;
  /** Folder external data locations are relative to. */
  readonly baseDir?: string;
  readonly maxElements?: number;
  /** Called with every file read besides the model (external data), for watchers. */
  readonly onRead?: (path: string) => void;
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export function loadOnnx(path: string, opts: { readonly maxElements?: number; readonly onRead?: (path: string) => void } = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `cannot read model (${e instanceof Error ? e.message : String(e)})`, file: path });
  }
  opts.onRead?.(path);
  return importOnnx(bytes, {
    file: path,
    baseDir: dirname(path),
    ...(opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {}),
    ...(opts.onRead !== undefined ? { onRead: opts.onRead } : {}),
  });
}

export function importOnnx(bytes: Uint8Array, opts: OnnxImportOptions = {}): Graph {
  const file = opts.file;
  const fileAt = file !== undefined ? { file } : {};
  try {
    return importModel(bytes, opts);
  } catch (e) {
    // Errors raised by shared IR code (topo sort, inference) do not know the file.
    if (isSnncError(e) && e.file === undefined && file !== undefined) {
      throw new SnncError({ ...e.toJSON(), ...fileAt }, { cause: e });
    }
    throw e;
  }
}

/** The newest ONNX versions this snnc reads (onnx 1.20: IR version 13, opset 25). */
const MAX_IR_VERSION = 13;
const MAX_OPSET = 25;

/**
 * IR version and default-domain opset in range, as onnxruntime checks them: a model from a
 * newer exporter is refused with what it declares, not half-understood.
 */
function checkVersions(ir: number, domain: string, opset: number, file: string | undefined): void {
  const at = file !== undefined ? { file } : {};
  if (!Number.isInteger(ir) || ir < 1)
    throw fail({
      code: 'SNNC_E_ONNX_INVALID',
      message: `ir_version ${ir} is not a valid ONNX IR version`,
      ...at,
      hint: 'the exporter wrote a broken header; re-export the model',
    });
  if (ir > MAX_IR_VERSION)
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OPSET',
      message: `the model has ONNX IR version ${ir}; snnc reads IR versions 1–${MAX_IR_VERSION}`,
      ...at,
      hint: 'export with an older onnx (e.g. torch.onnx.export with a lower opset), or update snnc',
    });
  const name = domain === '' ? "'ai.onnx' (the default domain)" : `'${domain}'`;
  if (!Number.isInteger(opset) || opset < 1 || opset > MAX_OPSET) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OPSET',
      message: `the model imports opset ${opset} of domain ${name}; snnc supports opsets 1–${MAX_OPSET}`,
      ...at,
      hint: opset > MAX_OPSET ? `re-export with opset_version ≤ ${MAX_OPSET}` : 'the opset import is broken; re-export the model',
    });
  }
}

function importModel(bytes: Uint8Array, opts: OnnxImportOptions): Graph {
  const file = opts.file;
  const fileAt = file !== undefined ? { file } : {};
  const maxElements = opts.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const baseDir = opts.baseDir ?? (file !== undefined ? dirname(file) : undefined);
  const invalid = (message: string, hint?: string): never => {
    throw fail({ code: 'SNNC_E_ONNX_INVALID', message, ...fileAt, ...(hint !== undefined ? { hint } : {}) });
  };

  const model = decodeModel(bytes, file);
  const g = model.graph as GraphProto;
  const protoNodes = g.node ?? [];
  if (protoNodes.length === 0) invalid('the graph has no nodes');
  if ((g.output ?? []).length === 0) invalid('the graph declares no outputs');
  const opsetEntry = (model.opsetImport ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  const opset = opsetEntry !== undefined ? toNumber(opsetEntry.version) : invalid('the model imports no opset of the default ONNX domain');
  checkVersions(toNumber(model.irVersion), opsetEntry?.domain ?? '', opset, file);
  const snncEntry = (model.opsetImport ?? []).find((o) => o.domain === SNNC_DOMAIN);
  const snncVersion = snncEntry !== undefined ? toNumber(snncEntry.version) : undefined;
  if ((g.sparseInitializer ?? []).length > 0) {
    throw fail({ code: 'SNNC_E_UNSUPPORTED_DTYPE', message: 'sparse initializers are not supported', ...fileAt, hint: 'store the weights densely' });
  }

  // Every name in the file, so generated names never collide with one.
  const usedValues = new Set<string>();
  for (const vi of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) usedValues.add(vi.name ?? '');
  for (const t of g.initializer ?? []) usedValues.add(t.name ?? '');
  for (const n of protoNodes) for (const v of [...(n.input ?? []), ...(n.output ?? [])]) usedValues.add(v);
  const nodeNames = nameNodes(protoNodes);
  const usedNodes = new Set(nodeNames);
  const fresh = (used: Set<string>, base: string): string => {
    let s = base;
    for (let i = 1; used.has(s); i++) s = `${base}_${i}`;
    used.add(s);
    return s;
  };

  const initializers = new Map<string, Tensor>();
  for (const tp of g.initializer ?? []) {
    const name = tp.name ?? '';
    if (name === '') invalid('an initializer has no name');
    if (initializers.has(name)) throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: `initializer '${name}' is defined twice`, ...fileAt });
    initializers.set(
      name,
      tensorFromProto(tp, {
        maxElements,
        ...fileAt,
        ...(baseDir !== undefined ? { baseDir } : {}),
        ...(opts.onRead !== undefined ? { onRead: opts.onRead } : {}),
      }),
    );
  }

  const inputs: string[] = [];
  const values = new Map<string, ValueInfo>();
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (name === '') invalid('a graph input has no name');
    if (initializers.has(name)) continue; // an input with a default value is a constant here
    if (values.has(name)) throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: `graph input '${name}' is declared twice`, ...fileAt });
    values.set(name, inputInfo(vi, fileAt));
    inputs.push(name);
  }
  const outputs = (g.output ?? []).map((vi) => vi.name ?? '');
  if (outputs.includes('')) invalid('a graph output has no name');
  const dup = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (dup !== undefined) {
    throw fail({
      code: 'SNNC_E_DUPLICATE_NAME',
      message: `graph output '${dup}' is listed twice`,
      ...fileAt,
      hint: 'each graph output must name a distinct value',
    });
  }
  // Declared types of outputs and intermediates: checked by inference, used by legacy rewrites.
  const declared = new Map<string, ValueInfo>();
  for (const vi of [...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    const info = declaredInfo(vi);
    const name = vi.name ?? '';
    if (info !== undefined && !values.has(name) && !initializers.has(name)) declared.set(name, info);
  }

  // Import in dependency order so rewrites that need an earlier value's shape can infer it.
  const named = protoNodes.map((p, i) => ({ p, name: nodeNames[i] ?? '', inputs: p.input ?? [], outputs: p.output ?? [] }));
  const ordered = topoSort(named, new Set([...inputs, ...initializers.keys()]));
  const nodes: Node[] = [];
  const graphSoFar = (outs: readonly string[]): Graph => ({
    name: g.name ?? '',
    inputs,
    outputs: outs,
    nodes,
    initializers,
    meta: {},
    values: new Map([...values, ...[...initializers].map(([k, t]) => [k, tensorInfo(k, t)] as const)]),
  });
  const ctx: ImportContext = {
    opset,
    maxElements,
    ...fileAt,
    ...(baseDir !== undefined ? { baseDir } : {}),
    info: (name) => {
      const t = initializers.get(name);
      if (t !== undefined) return tensorInfo(name, t);
      const v = values.get(name) ?? declared.get(name);
      if (v !== undefined) return v;
      try {
        return inferShapes(graphSoFar([name]), { maxElements }).values.get(name);
      } catch {
        return undefined; // the full inference below reports the real problem
      }
    },
    constant: (name) => initializers.get(name),
    addInitializer: (base, t) => {
      const name = fresh(usedValues, base);
      initializers.set(name, t);
      return name;
    },
    defineConstant: (name, t) => {
      if (initializers.has(name) || values.has(name)) {
        throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: `value '${name}' is defined twice`, ...fileAt });
      }
      initializers.set(name, t);
    },
    freshValue: (base) => fresh(usedValues, base),
    freshNode: (base) => fresh(usedNodes, base),
  };
  for (const { p, name } of ordered) {
    const domain = p.domain ?? '';
    if (domain === SNNC_DOMAIN) {
      nodes.push(importSnnNode(toOnnxNode(p, name, file), snncVersion));
      continue;
    }
    if (!DEFAULT_DOMAINS.has(domain)) {
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_DOMAIN',
        message: `node '${name}' (${p.opType ?? '?'}) is in operator domain '${domain}'; snnc supports only the default ONNX domain`,
        node: name,
        ...fileAt,
        hint: 'export the model without vendor-specific optimizations (e.g. plain ONNX, not an onnxruntime-optimized file)',
      });
    }
    const imported = importNode(toOnnxNode(p, name, file), ctx);
    // A Constant feeding a graph output directly keeps a node (Identity of the value), so
    // every graph output stays produced by a node and the graph never ends up empty.
    if (imported.length === 0 && p.opType === 'Constant') {
      const out = p.output?.[0] ?? '';
      const t = initializers.get(out);
      if (outputs.includes(out) && t !== undefined) {
        initializers.delete(out);
        const src = ctx.addInitializer(`${out}_value`, t);
        imported.push({ name, op: 'Identity', attrs: {}, inputs: [src], outputs: [out] });
      }
    }
    nodes.push(...imported);
  }

  const graph: Graph = {
    ...graphSoFar(outputs),
    values: new Map([...graphSoFar(outputs).values, ...[...declared].filter(([k]) => !initializers.has(k))]),
    meta: modelMeta(model, opset),
  };
  return inferShapes(graph, { maxElements });
}

/** Unique node names: the file's names where present and unique, else `<OpType>_<index>`. */
function nameNodes(nodes: readonly NodeProto[]): string[] {
  const taken = new Set<string>();
  const names: (string | undefined)[] = nodes.map((n) => {
    const s = n.name ?? '';
    if (s === '' || taken.has(s)) return undefined;
    taken.add(s);
    return s;
  });
  return names.map((s, i) => {
    if (s !== undefined) return s;
    const p = nodes[i];
    const base = (p?.name ?? '') !== '' ? (p?.name ?? '') : `${p?.opType ?? 'node'}_${i}`;
    let out = base;
    for (let k = 1; taken.has(out); k++) out = `${base}_${k}`;
    taken.add(out);
    return out;
  });
}

function tensorInfo(name: string, t: Tensor): ValueInfo {
  return { name, dtype: t.dtype, shape: t.shape };
}

/** A runtime graph input needs a known dtype and rank; unknown dims become fresh symbols. */
function inputInfo(vi: ValueInfoProto, fileAt: { file?: string }): ValueInfo {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (tt === null || tt === undefined) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_DTYPE',
      message: `graph input '${name}' is not a tensor (sequence, map or optional types are not supported)`,
      ...fileAt,
    });
  }
  const dtype = dtypeFromOnnx(tt.elemType ?? 0, `graph input '${name}'`, fileAt);
  if (tt.shape === null || tt.shape === undefined) {
    throw fail({
      code: 'SNNC_E_BAD_SHAPE',
      message: `graph input '${name}' has no shape (unknown rank)`,
      ...fileAt,
      hint: 'declare the input shape in the model; a symbolic batch dimension is fine',
    });
  }
  return { name, dtype, shape: dimsOf(name, tt.shape.dim ?? []) };
}

/** A declared output/intermediate type when the file gives a complete one, else undefined. */
function declaredInfo(vi: ValueInfoProto): ValueInfo | undefined {
  const tt = vi.type?.tensorType;
  const name = vi.name ?? '';
  if (tt === null || tt === undefined || tt.shape === null || tt.shape === undefined) return undefined;
  let dtype;
  try {
    dtype = dtypeFromOnnx(tt.elemType ?? 0, name);
  } catch {
    return undefined; // the producing node reports unsupported types with more context
  }
  return { name, dtype, shape: dimsOf(name, tt.shape.dim ?? []) };
}

function dimsOf(name: string, dims: readonly DimensionProto[]): Dim[] {
  return dims.map((d, i): Dim => {
    if ((d.dimParam ?? '') !== '') return d.dimParam as string;
    // dim_value and dim_param are a oneof: a dim with neither is unknown, not 0.
    if (Object.prototype.hasOwnProperty.call(d, 'dimValue') && d.dimValue !== null && d.dimValue !== undefined) return toNumber(d.dimValue);
    return `${name}:${i}`;
  });
}

function modelMeta(model: ReturnType<typeof decodeModel>, opset: number): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) meta[p.key ?? ''] = p.value ?? '';
  meta['format'] = 'onnx';
  meta['opset'] = String(opset);
  meta['irVersion'] = String(toNumber(model.irVersion));
  meta['producer'] = model.producerName ?? '';
  meta['producerVersion'] = model.producerVersion ?? '';
  return meta;
}
