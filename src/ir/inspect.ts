// A model summary as plain data (`snnc inspect`; the CLI formats it).
import type { Dim, Graph } from './types.js';
import { graphStats } from './stats.js';

export interface InspectValue {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly Dim[];
}

export interface InspectLayer {
  readonly name: string;
  readonly op: string;
  readonly params: number;
  readonly macs: number | null;
  readonly outputShape: readonly Dim[];
  readonly activationBytes: number | null;
}

export interface InspectReport {
  readonly name: string;
  readonly inputs: readonly InspectValue[];
  readonly outputs: readonly InspectValue[];
  readonly histogram: Readonly<Record<string, number>>;
  readonly layers: readonly InspectLayer[];
  readonly totals: {
    readonly nodes: number;
    readonly params: number;
    readonly paramBytes: number;
    readonly macsPerSample: number;
    readonly activationBytesPerSample: number;
  };
  readonly meta: Readonly<Record<string, string>>;
}

function valueOf(g: Graph, name: string): InspectValue {
  const v = g.values.get(name);
  return { name, dtype: v?.dtype ?? 'unknown', shape: v?.shape ?? [] };
}

export function inspectGraph(g: Graph): InspectReport {
  const st = graphStats(g);
  const layers = g.nodes.map((n, i) => {
    const s = st.nodes[i];
    const out = n.outputs[0];
    return {
      name: n.name,
      op: n.op,
      params: s?.params ?? 0,
      macs: s?.macs ?? null,
      outputShape: out !== undefined ? (g.values.get(out)?.shape ?? []) : [],
      activationBytes: s?.activationBytes ?? null,
    };
  });
  const meta: Record<string, string> = {};
  for (const k of Object.keys(g.meta).sort()) meta[k] = g.meta[k] ?? '';
  return {
    name: g.name,
    inputs: g.inputs.map((n) => valueOf(g, n)),
    outputs: g.outputs.map((n) => valueOf(g, n)),
    histogram: st.histogram,
    layers,
    totals: {
      nodes: g.nodes.length,
      params: st.params,
      paramBytes: st.paramBytes,
      macsPerSample: st.macs,
      activationBytesPerSample: st.activationBytes,
    },
    meta,
  };
}
