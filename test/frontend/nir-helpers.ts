// Hand-written NIR files for tests: h5wasm used directly (not src/frontend/nir), in the layout
// nir.write produces (scalar variable-length UTF-8 `type`, float32 parameters, int64 shapes,
// an E×2 string `edges` dataset), as seen in neuromorphs/NIR's paper/*.nir files.
import h5wasm from 'h5wasm';
import type { Group } from 'h5wasm';

export type Field = string | { f32: number[]; shape?: number[] } | { i64: number[]; shape?: number[] } | { strs: string[] };

export interface HandNode {
  readonly type: string;
  readonly fields: Record<string, Field>;
  /** A nested NIRGraph's nodes and edges (written as nir.write writes a sub-graph). */
  readonly graph?: { readonly nodes: Record<string, HandNode>; readonly edges: [string, string][] };
}

function writeGraph(root: Group, nodes: Record<string, HandNode>, edges: [string, string][]): void {
  const ng = root.create_group('nodes');
  for (const [name, node] of Object.entries(nodes)) {
    const g = ng.create_group(name);
    g.create_dataset({ name: 'type', data: node.type });
    for (const [k, v] of Object.entries(node.fields)) put(g, k, v);
    if (node.graph !== undefined) writeGraph(g, node.graph.nodes, node.graph.edges);
  }
  root.create_dataset({ name: 'edges', data: edges.flat(), shape: [edges.length, 2] });
}

let n = 0;

function put(g: Group, name: string, v: Field): void {
  if (typeof v === 'string') g.create_dataset({ name, data: v });
  else if ('f32' in v) g.create_dataset({ name, data: Float32Array.from(v.f32), shape: v.shape ?? [v.f32.length], dtype: '<f' });
  else if ('i64' in v) g.create_dataset({ name, data: BigInt64Array.from(v.i64.map(BigInt)), shape: v.shape ?? [v.i64.length], dtype: '<q' });
  else g.create_dataset({ name, data: v.strs, shape: [v.strs.length] });
}

/** Bytes of a NIR file; `omitNodeGroup` leaves out /node (for error tests). */
export async function handNir(nodes: Record<string, HandNode>, edges: [string, string][], opts: { omitNodeGroup?: boolean } = {}): Promise<Uint8Array> {
  const mod = (await h5wasm.ready) as unknown as { FS: { readFile(p: string): Uint8Array; unlink(p: string): void } };
  const path = `/hand-${++n}.nir`;
  const f = new h5wasm.File(path, 'w');
  f.create_dataset({ name: 'version', data: '1.0.7' });
  if (opts.omitNodeGroup !== true) {
    const root = f.create_group('node');
    root.create_dataset({ name: 'type', data: 'NIRGraph' });
    writeGraph(root, nodes, edges);
  }
  f.close();
  const bytes = Uint8Array.from(mod.FS.readFile(path));
  mod.FS.unlink(path);
  return bytes;
}

/** Input(2) → Affine → LIF(τ = 5e-4 s, r = τ/dt, θ = 1) → Output: the hand-computed net. */
export function tinyAffineLif(): { nodes: Record<string, HandNode>; edges: [string, string][] } {
  return {
    nodes: {
      input: { type: 'Input', fields: { shape: { i64: [2] } } },
      affine: { type: 'Affine', fields: { weight: { f32: [0.5, 0.25, 0.25, -1], shape: [2, 2] }, bias: { f32: [0, 0.5] } } },
      lif: {
        type: 'LIF',
        fields: { tau: { f32: [5e-4, 5e-4] }, r: { f32: [5, 5] }, v_leak: { f32: [0, 0] }, v_threshold: { f32: [1, 1] }, v_reset: { f32: [0, 0] } },
      },
      output: { type: 'Output', fields: { shape: { i64: [2] } } },
    },
    edges: [
      ['input', 'affine'],
      ['affine', 'lif'],
      ['lif', 'output'],
    ],
  };
}
