// Bad NIR files: every error is an SnncError whose message and `file` name the HDF5 path.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { importNir } from '../../src/frontend/nir/index.js';
import { isSnncError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { handNir, tinyAffineLif } from './nir-helpers.js';
import type { HandNode } from './nir-helpers.js';

async function rejectsWith(bytes: Uint8Array, code: ErrorCode, path: string): Promise<void> {
  await assert.rejects(importNir(bytes), (e: unknown) => {
    assert.ok(isSnncError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(path), `message '${e.message}' lacks ${path}`);
    assert.ok((e.file ?? '').includes(path), `file '${e.file ?? ''}' lacks ${path}`);
    return true;
  });
}

function edit(f: (nodes: Record<string, HandNode>) => void): { nodes: Record<string, HandNode>; edges: [string, string][] } {
  const t = tinyAffineLif();
  f(t.nodes);
  return t;
}

it('missing /node group', async () => {
  const { nodes, edges } = tinyAffineLif();
  await rejectsWith(await handNir(nodes, edges, { omitNodeGroup: true }), 'SNNC_E_NIR', '/node');
});

it('missing field (LIF without tau)', async () => {
  const { nodes, edges } = edit((n) => {
    if (n['lif'] !== undefined) delete n['lif'].fields['tau'];
  });
  await rejectsWith(await handNir(nodes, edges), 'SNNC_E_NIR', '/node/nodes/lif/tau');
});

it('wrong dtype (Affine weight stored as strings, Input shape as floats)', async () => {
  const a = edit((n) => {
    if (n['affine'] !== undefined) n['affine'].fields['weight'] = { strs: ['0.5', '0.25', '0.25', '-1'] };
  });
  await rejectsWith(await handNir(a.nodes, a.edges), 'SNNC_E_NIR', '/node/nodes/affine/weight');
  const b = edit((n) => {
    if (n['input'] !== undefined) n['input'].fields['shape'] = { f32: [2.5] };
  });
  await rejectsWith(await handNir(b.nodes, b.edges), 'SNNC_E_NIR', '/node/nodes/input/shape');
});

it('unknown node type', async () => {
  const { nodes, edges } = edit((n) => {
    if (n['lif'] !== undefined) n['lif'] = { type: 'Izhikevich', fields: { a: { f32: [0.02, 0.02] } } };
  });
  await rejectsWith(await handNir(nodes, edges), 'SNNC_E_NIR', '/node/nodes/lif/type');
});

it('mismatched shapes (LIF of 3 neurons after an Affine of 2 outputs; Output shape)', async () => {
  const a = edit((n) => {
    const l = n['lif'];
    if (l !== undefined) for (const k of Object.keys(l.fields)) l.fields[k] = { f32: [1e-3, 1e-3, 1e-3] };
  });
  await rejectsWith(await handNir(a.nodes, a.edges), 'SNNC_E_NIR', '/node/nodes/lif/');
  const b = edit((n) => {
    if (n['output'] !== undefined) n['output'].fields['shape'] = { i64: [3] };
  });
  await rejectsWith(await handNir(b.nodes, b.edges), 'SNNC_E_NIR', '/node/nodes/output/shape');
});

it('an extra field nir.read would reject', async () => {
  const { nodes, edges } = edit((n) => {
    if (n['affine'] !== undefined) n['affine'].fields['gain'] = { f32: [1] };
  });
  await rejectsWith(await handNir(nodes, edges), 'SNNC_E_NIR', '/node/nodes/affine/gain');
});

it('an edge naming no node', async () => {
  const { nodes, edges } = tinyAffineLif();
  await rejectsWith(await handNir(nodes, [...edges, ['lif', 'nowhere']]), 'SNNC_E_NIR', '/node/edges');
});

it('CubaLIF whose synaptic time constant is shorter than dt is refused with the field named', async () => {
  const { nodes, edges } = edit((n) => {
    n['lif'] = {
      type: 'CubaLIF',
      fields: {
        tau_syn: { f32: [5e-5, 5e-5] },
        tau_mem: { f32: [5e-4, 5e-4] },
        r: { f32: [5, 5] },
        v_leak: { f32: [0, 0] },
        v_threshold: { f32: [1, 1] },
        w_in: { f32: [1, 1] },
      },
    };
  });
  await rejectsWith(await handNir(nodes, edges), 'SNNC_E_NIR', '/node/nodes/lif/tau_syn');
});

it('CubaLIF with τ_syn differing between neurons is refused with the node named', async () => {
  const { nodes, edges } = edit((n) => {
    n['lif'] = {
      type: 'CubaLIF',
      fields: {
        tau_syn: { f32: [1e-3, 2e-3] },
        tau_mem: { f32: [5e-4, 5e-4] },
        r: { f32: [5, 5] },
        v_leak: { f32: [0, 0] },
        v_threshold: { f32: [1, 1] },
        w_in: { f32: [1, 1] },
      },
    };
  });
  await rejectsWith(await handNir(nodes, edges), 'SNNC_E_UNSUPPORTED_ATTR', '/node/nodes/lif');
});

it('CubaLIF with τ_syn = dt reduces to LIF', async () => {
  const { nodes, edges } = edit((n) => {
    n['lif'] = {
      type: 'CubaLIF',
      fields: {
        tau_syn: { f32: [1e-4, 1e-4] },
        tau_mem: { f32: [5e-4, 5e-4] },
        r: { f32: [5, 5] },
        v_leak: { f32: [0, 0] },
        v_threshold: { f32: [1, 1] },
        w_in: { f32: [2, 2] },
      },
    };
  });
  const g = await importNir(await handNir(nodes, edges));
  const lif = g.nodes.find((x) => x.name === 'lif');
  assert.equal(lif?.op, 'LIF');
  // w_in = 2 doubles the input gain: folded into the threshold, θ = 1/2.
  assert.deepEqual([...(g.initializers.get(lif?.inputs[1] ?? '')?.data ?? [])], [0.5]);
});

it('not an HDF5 file', async () => {
  await rejectsWith(new TextEncoder().encode('{"not": "hdf5"}'), 'SNNC_E_NIR', '<bytes>');
});
