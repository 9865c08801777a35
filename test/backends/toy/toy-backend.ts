// A backend from outside snnc, written only against the public API: its target schema, an
// emitter (one text file listing the synaptic and pooling layers), and a cost model (synops × energy per
// synop, T × step time). The registry test registers it and compiles to it.
import type { Activity, BackendRecord, BackendTarget, Breakdown, Constant, CostReport } from '../../../src/index.js';
import { COMPONENTS } from '../../../src/index.js';

export interface ToyTarget extends BackendTarget {
  readonly energyPerSynop: Constant;
  readonly stepTime: Constant;
}

export interface ToyMapping {
  readonly kind: 'toy';
  readonly layers: readonly { readonly name: string; readonly op: string }[];
}

const constant = { type: 'object', required: ['value', 'unit', 'source', 'status'], properties: { value: { type: 'number', exclusiveMinimum: 0 } } };

function breakdown(synops: number): Breakdown {
  const b = Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as Record<(typeof COMPONENTS)[number], number>;
  b.synops = synops;
  return b;
}

export const toyBackend: BackendRecord<ToyTarget, ToyMapping> = {
  kind: 'toy',
  targetSchema: { type: 'object', required: ['energyPerSynop', 'stepTime'], properties: { energyPerSynop: constant, stepTime: constant } },
  emit: (g) => {
    const layers = g.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm' || n.op === 'AveragePool').map((n) => ({ name: n.name, op: n.op }));
    return Promise.resolve({
      files: [{ path: 'toy/layers.txt', data: layers.map((l) => `${l.op} ${l.name}`).join('\n') + '\n' }],
      mapping: { kind: 'toy', layers },
      diagnostics: [],
    });
  },
  cost: (t: ToyTarget, m: ToyMapping, a: Activity): CostReport => {
    const mapped = new Set(m.layers.map((l) => l.name));
    const layers = a.layers
      .filter((l) => mapped.has(l.name))
      .map((l) => {
        const e = l.synops * t.energyPerSynop.value;
        return { name: l.name, energyJ: e, latencyS: a.T * t.stepTime.value, breakdown: breakdown(e) };
      });
    const energyJ = layers.reduce((s, l) => s + l.energyJ, 0);
    const latencyS = a.T * t.stepTime.value;
    return {
      target: t.name,
      energyJ,
      latencyS,
      perStep: { energyJ: energyJ / a.T, latencyS: t.stepTime.value },
      breakdown: breakdown(energyJ),
      layers,
      assumptions: ['toy cost model'],
    };
  },
};
