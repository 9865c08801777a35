// NIR → Graph. Nodes are ordered from the edges (Kahn's algorithm preferring the node whose
// first incoming edge comes earliest in the file, which gives back the order snnc wrote);
// several edges into one node are summed with Add; an integrator (I, LI, CubaLI) right
// before an Output is the readout, which snnc's simulator already performs (graph outputs
// are summed over steps, meta snnc.readout = membrane), so it is dropped.
import { readFileSync } from 'node:fs';
import { fail } from '../../errors.js';
import type { NodeSpec } from '../../ir/build.js';
import { buildGraph } from '../../ir/build.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { DT, GAIN_TOLERANCE, nirError, unescapeName } from './convention.js';
import { readNirDoc } from './doc-io.js';
import { flattenNested } from './flatten-graphs.js';
import type { ImportCtx, Imported } from './import-fields.js';
import { expectShape, floats, ints } from './import-fields.js';
import { importNode } from './import-nodes.js';
import type { NirDiagnostic, NirDoc, NirNode } from './types.js';
import { NIR_FIELDS } from './types.js';

export interface ImportNirOptions {
  readonly maxElements?: number;
  /** Time step the file's constants are read with (default 1e-4 s, docs/formats.md). */
  readonly dt?: number;
  readonly diagnostics?: NirDiagnostic[];
}

const READOUTS = new Set(['I', 'LI', 'CubaLI']);

function parseMeta(n: NirNode, where: string): Record<string, unknown> {
  const s = n.metadata['snnc'];
  if (s === undefined) return {};
  try {
    const v: unknown = JSON.parse(s);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw nirError(`${where}/metadata/snnc: not a JSON object`, `${where}/metadata/snnc`, 'snnc writes this field; remove it if it was edited');
}

function checkFields(n: NirNode, where: string): void {
  const spec = NIR_FIELDS[n.type];
  if (spec === undefined) {
    throw nirError(`${where}/type: unknown NIR node type '${n.type}'`, `${where}/type`, `NIR ${'1.0.7'} node types: ${Object.keys(NIR_FIELDS).join(', ')}`);
  }
  for (const k of Object.keys(spec.required)) {
    if (n.fields[k] === undefined) throw nirError(`${where}/${k}: missing field '${k}' of ${n.type}`, `${where}/${k}`);
  }
  for (const k of Object.keys(n.fields)) {
    if (!(k in spec.required) && !(k in spec.optional))
      throw nirError(`${where}/${k}: ${n.type} has no field '${k}' (nir.read rejects it too)`, `${where}/${k}`);
  }
}

/** Node order from the edges; throws on a cycle or an edge naming no node. */
function order(doc: NirDoc, file: string): NirNode[] {
  const byName = new Map(doc.nodes.map((n) => [n.name, n]));
  const firstIn = new Map<string, number>();
  const pending = new Map<string, number>(doc.nodes.map((n) => [n.name, 0]));
  doc.edges.forEach(([a, b], i) => {
    for (const x of [a, b]) if (!byName.has(x)) throw nirError(`${file}:/node/edges[${i}]: edge ${a} → ${b} names no node '${x}'`, `${file}:/node/edges`);
    if (!firstIn.has(b)) firstIn.set(b, i);
    pending.set(b, (pending.get(b) ?? 0) + 1);
  });
  const out: NirNode[] = [];
  const done = new Set<string>();
  const rank = (n: NirNode): number => (n.type === 'Input' ? -1 : (firstIn.get(n.name) ?? Infinity));
  while (out.length < doc.nodes.length) {
    let best: NirNode | undefined;
    for (const n of doc.nodes) {
      if (done.has(n.name) || (pending.get(n.name) ?? 0) > 0) continue;
      if (best === undefined || rank(n) < rank(best)) best = n;
    }
    if (best === undefined) {
      const stuck = doc.nodes.filter((n) => !done.has(n.name)).map((n) => n.name);
      throw fail({
        code: 'SNNC_E_NIR_UNSUPPORTED',
        message: `${file}:/node/edges: recurrent edges (a cycle through ${stuck.slice(0, 5).join(', ')}): snnc imports feed-forward graphs, and its simulators and backends have no recurrent connection`,
        file: `${file}:/node/edges`,
        hint: 'unroll the recurrence, or drop the recurrent weight',
      });
    }
    done.add(best.name);
    out.push(best);
    for (const [a, b] of doc.edges) if (a === best.name) pending.set(b, (pending.get(b) ?? 0) - 1);
  }
  return out;
}

function nirDocToGraph(nested: NirDoc, opts: ImportNirOptions = {}, file = '<bytes>'): Graph {
  const doc: NirDoc = { ...nested, ...flattenNested(nested, `${file}:/node/nodes`) };
  const dt = opts.dt ?? DT;
  const diags = opts.diagnostics ?? [];
  if (opts.dt === undefined) perStepHint(doc, diags);
  const nodes: NodeSpec[] = [];
  const initializers = new Map<string, Tensor>();
  const inputs: { name: string; dtype: 'float32'; shape: (number | string)[] }[] = [];
  const outputs: string[] = [];
  const done = new Map<string, Imported>();
  const sources = (name: string): string[] => doc.edges.filter(([, b]) => b === name).map(([a]) => a);
  const targets = (name: string): NirNode[] =>
    doc.edges
      .filter(([a]) => a === name)
      .map(([, b]) => doc.nodes.find((n) => n.name === b))
      .filter((n): n is NirNode => n !== undefined);

  for (const n of order(doc, file)) {
    const where = `${file}:/node/nodes/${n.name}`;
    checkFields(n, where);
    const meta = parseMeta(n, where);
    const name = unescapeName(n.name);
    if (n.type === 'Input') {
      const shape = ints({ node: n, where }, 'shape');
      const value = typeof meta['value'] === 'string' ? meta['value'] : name;
      const batch = typeof meta['batch'] === 'string' || typeof meta['batch'] === 'number' ? meta['batch'] : 'N';
      inputs.push({ name: value, dtype: 'float32', shape: [batch, ...shape] });
      done.set(n.name, { value, shape });
      continue;
    }
    const src = sources(n.name).map((s) => done.get(s));
    if (src.length === 0) throw nirError(`${where}: ${n.type} node has no incoming edge`, where, 'every node but Input needs an edge into it');
    const s0 = src[0] as Imported;
    for (const s of src) {
      if (s === undefined) throw new Error('internal: NIR order');
      if (s.shape.join() !== s0.shape.join()) {
        throw nirError(
          `${where}: incoming edges carry different shapes [${s0.shape.join(', ')}] and [${s.shape.join(', ')}]`,
          where,
          'edges into one node are summed and must agree in shape',
        );
      }
    }
    let ins = src.map((s) => (s as Imported).value);
    const keepAll = n.type === 'Scale' && meta['op'] === 'Add' && ins.length === 2;
    if (ins.length > 1 && !keepAll) {
      // NIR sums the edges into a node; snnc spells the sum out.
      let acc = ins[0] ?? '';
      ins.slice(1).forEach((v, i) => {
        const sum = `${name}/sum${i === 0 ? '' : `_${i}`}`;
        nodes.push({ name: sum, op: 'Add', inputs: [acc, v], outputs: [sum] });
        acc = sum;
      });
      ins = [acc];
    }
    const ctx: ImportCtx = {
      node: n,
      where,
      name,
      meta,
      inputs: ins,
      inShape: s0.shape,
      dt,
      emit: (x) => nodes.push(x),
      init: (k, t) => {
        initializers.set(k, t);
        return k;
      },
      warn: (d) => diags.push(d),
    };
    if (n.type === 'Output') {
      expectShape(ctx, 'shape', ints(ctx, 'shape'), s0.shape);
      outputs.push(ins[0] ?? '');
      continue;
    }
    if (READOUTS.has(n.type)) {
      const after = targets(n.name);
      if (after.length > 0 && after.every((x) => x.type === 'Output')) {
        done.set(n.name, readout(ctx, diags));
        continue;
      }
    }
    done.set(n.name, importNode(ctx));
  }
  if (inputs.length === 0) throw nirError(`${file}:/node/nodes: the graph has no Input node`, `${file}:/node/nodes`);
  if (outputs.length === 0) throw nirError(`${file}:/node/nodes: the graph has no Output node`, `${file}:/node/nodes`);

  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.metadata)) if (k !== 'snnc.graph') meta[unescapeName(k)] = v;
  meta['format'] = 'nir';
  meta['nir.version'] = doc.version;
  meta['snnc.kind'] = 'snn';
  meta['snnc.readout'] ??= 'membrane';
  meta['snnc.coding'] ??= 'direct';
  return buildGraph(
    { name: doc.metadata['snnc.graph'] ?? 'nir', inputs, initializers, nodes, outputs, meta },
    opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {},
  );
}

/**
 * Sinabs and Rockpool write time constants in steps (a per-step convention, dt = 1), so a τ of
 * 20 means 20 steps; read at dt = 1e-4 s it would be 20 s and the neuron would hardly leak.
 * Time constants of a second or more are taken as that sign and said, with the fix.
 */
function perStepHint(doc: NirDoc, diags: NirDiagnostic[]): void {
  const slow = doc.nodes.filter((n) =>
    ['tau', 'tau_mem', 'tau_syn'].some((k) => {
      const f = n.fields[k];
      return f?.kind === 'float' && f.data.some((v) => v >= 1);
    }),
  );
  if (slow.length === 0) return;
  diags.push({
    severity: 'warning',
    code: 'SNNC_W_NIR_DT',
    node: slow[0]?.name ?? '',
    message: `${slow
      .map((n) => n.name)
      .slice(0, 3)
      .join(
        ', ',
      )}${slow.length > 3 ? ', …' : ''}: time constants of 1 or more; read at dt = ${DT} s they barely leak. Files from Sinabs or Rockpool use a per-step convention (dt = 1)`,
    hint: 'pass --nir-dt 1 (importNir(path, { dt: 1 })) if the file counts time in steps',
  });
}

/** An integrator feeding only Outputs: snnc's summed readout. Exact for I with dt·r = 1. */
function readout(c: ImportCtx, diags: NirDiagnostic[]): Imported {
  const key = c.node.type === 'I' ? 'r' : c.node.type === 'LI' ? 'tau' : 'tau_mem';
  const p = floats(c, key);
  if (p.data.length !== 1) expectShape(c, key, p.shape, c.inShape); // one value applies to all (numpy broadcast)
  const r = floats(c, 'r').data;
  const exact = c.node.type === 'I' && r.every((v) => Math.abs(c.dt * v - 1) <= GAIN_TOLERANCE);
  if (!exact) {
    diags.push({
      severity: 'warning',
      code: 'SNNC_W_NIR_READOUT',
      node: c.name,
      message: `${c.node.type} '${c.name}' before the output is read as snnc's summed readout; ${c.node.type === 'I' ? 'its gain dt·r ≠ 1 scales the readout (argmax unchanged)' : 'its leak is ignored, so predictions can differ'}`,
    });
  }
  return { value: c.inputs[0] ?? '', shape: c.inShape };
}

/** Read a NIR HDF5 file (a path or its bytes) into a converted graph (meta snnc.kind = snn). */
export async function importNir(source: string | Uint8Array, opts: ImportNirOptions = {}): Promise<Graph> {
  let bytes: Uint8Array;
  let file = '<bytes>';
  if (typeof source === 'string') {
    file = source;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw fail({ code: 'SNNC_E_IO', message: `cannot read NIR file: ${e instanceof Error ? e.message : String(e)}`, file });
    }
  } else bytes = source;
  return nirDocToGraph(await readNirDoc(bytes, file), opts, file);
}
