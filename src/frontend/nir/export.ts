// Graph → NIR. One NIR node per IR node (plus Input/Output and, for a membrane readout,
// an integrator `I` before each Output), edges from each node's data inputs. What NIR
// cannot say — reset by subtraction, an initial membrane, a refractory period — travels in
// the node's `metadata/snnc` (JSON) so snnc reads its own files back exactly, and is
// reported as a warning because other NIR tools will ignore it (docs/formats.md, "NIR").
import { fail } from '../../errors.js';
import type { Graph, Node, Tensor } from '../../ir/types.js';
import { writeNirDoc } from './doc-io.js';
import { escapeName, uniqueName } from './convention.js';
import { exportNode } from './export-nodes.js';
import type { ExportCtx } from './export-nodes.js';
import type { NirArray, NirDiagnostic, NirDoc, NirNode } from './types.js';
import { NIR_VERSION } from './types.js';
import { DT } from './convention.js';

export interface ExportNirOptions {
  /** Receives warnings about semantics NIR cannot express. */
  readonly diagnostics?: NirDiagnostic[];
}

const int = (data: readonly number[], scalar = false): NirArray => ({ kind: 'int', shape: scalar ? [] : [data.length], data });

/** Per-sample (batch-less) static shape of a value. */
function perSample(g: Graph, v: string, node: string): number[] {
  const info = g.values.get(v);
  const shape = info?.shape ?? [];
  const rest = shape.slice(1);
  if (info === undefined || shape.length === 0 || !rest.every((d): d is number => typeof d === 'number')) {
    throw fail({
      code: 'SNNC_E_NIR',
      message: `value '${v}' needs a static shape with a leading batch dimension to be written as NIR (found [${shape.join(', ')}])`,
      node,
      hint: 'NIR shapes exclude the batch dimension; fix the model input shape, e.g. [N, 1, 28, 28]',
    });
  }
  return rest;
}

/** The NIR document for a graph (exportNir writes it). */
function graphToNirDoc(g: Graph, opts: ExportNirOptions = {}): NirDoc {
  const perNode: NirDiagnostic[] = [];
  const taken = new Set<string>(g.nodes.map((n) => escapeName(n.name)));
  if (taken.size !== g.nodes.length) {
    throw fail({ code: 'SNNC_E_DUPLICATE_NAME', message: 'node names must be unique to be written as NIR', hint: 'rename the nodes' });
  }
  const producer = new Map<string, string>(); // value → NIR node name
  const nodes: NirNode[] = [];
  const edges: [string, string][] = [];

  for (const v of g.inputs) {
    const name = uniqueName(escapeName(v), taken);
    const dim0 = g.values.get(v)?.shape[0];
    const meta = JSON.stringify({ value: v, batch: dim0 ?? 'N' });
    nodes.push({ name, type: 'Input', fields: { shape: int(perSample(g, v, v)) }, metadata: { snnc: meta } });
    producer.set(v, name);
  }

  const ctx: ExportCtx = {
    graph: g,
    shapeOf: (v, node) => perSample(g, v, node),
    constant: (v): Tensor | undefined => g.initializers.get(v),
    warn: (d) => perNode.push(d),
  };
  for (const n of g.nodes) {
    const out = exportNode(n, ctx);
    const name = escapeName(n.name);
    for (const v of out.dataInputs) edges.push([sourceOf(v, producer, n), name]);
    const snnc = JSON.stringify({ ...out.extra, inputs: [...n.inputs], output: n.outputs[0] ?? '' });
    nodes.push({ name, type: out.type, fields: out.fields, metadata: { snnc } });
    const o = n.outputs[0];
    if (o !== undefined) producer.set(o, name);
  }

  const readout = g.meta['snnc.readout'] === 'membrane';
  for (const v of g.outputs) {
    const shape = perSample(g, v, v);
    let src = sourceOf(v, producer, undefined);
    if (readout) {
      // snnc sums the graph outputs over time steps; NIR says so with an integrator.
      const name = uniqueName(`${src}_readout`, taken);
      const size = shape.reduce((a, b) => a * b, 1);
      nodes.push({
        name,
        type: 'I',
        fields: { r: { kind: 'float', shape, data: new Float64Array(size).fill(1 / DT) } },
        metadata: { snnc: JSON.stringify({ readout: v }) },
      });
      edges.push([src, name]);
      src = name;
    }
    const name = uniqueName('output', taken);
    nodes.push({ name, type: 'Output', fields: { shape: int(shape) }, metadata: { snnc: JSON.stringify({ value: v }) } });
    edges.push([src, name]);
  }

  opts.diagnostics?.push(...mergeByCode(perNode));
  const metadata: Record<string, string> = { 'snnc.graph': g.name };
  for (const k of Object.keys(g.meta)) metadata[escapeName(k)] = g.meta[k] ?? '';
  return { version: NIR_VERSION, nodes, edges, metadata };
}

/** One warning per code: the first node's message, with the other nodes counted. */
function mergeByCode(ds: readonly NirDiagnostic[]): NirDiagnostic[] {
  const out: NirDiagnostic[] = [];
  for (const d of ds) {
    if (out.some((o) => o.code === d.code)) continue;
    const same = ds.filter((o) => o.code === d.code);
    const others = same.length - 1;
    out.push(
      others === 0
        ? d
        : {
            ...d,
            message: `${d.message} (and ${others} more layer${others > 1 ? 's' : ''}: ${same
              .slice(1)
              .map((o) => o.node ?? '')
              .join(', ')})`,
          },
    );
  }
  return out;
}

function sourceOf(v: string, producer: ReadonlyMap<string, string>, n: Node | undefined): string {
  const p = producer.get(v);
  if (p === undefined) {
    throw fail({
      code: 'SNNC_E_NIR',
      message: `value '${v}' is neither a graph input nor a node output; NIR edges connect nodes only`,
      ...(n !== undefined ? { node: n.name } : {}),
      hint: 'constants must be parameters of an affine, scale or neuron node',
    });
  }
  return p;
}

/**
 * A converted graph as the bytes of a NIR HDF5 file, as `nir.read` loads it. Deterministic:
 * the same graph always gives the same bytes.
 */
export async function exportNir(g: Graph, opts: ExportNirOptions = {}): Promise<Uint8Array> {
  return writeNirDoc(graphToNirDoc(g, opts));
}
