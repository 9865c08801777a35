// Nested NIRGraphs (NIR lets a node be a whole graph, as in NIR's own test_nested) import as
// the same flat network; NIR node types snnc cannot run are refused with their reason.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { importNir } from '../../src/frontend/nir/index.js';
import { simulate } from '../../src/sim/snn/index.js';
import { isSnncError } from '../../src/errors.js';
import type { HandNode } from './nir-helpers.js';
import type { LoadOptions } from '../../src/api/load.js';
import { handNir, tinyAffineLif } from './nir-helpers.js';

const x = { dtype: 'float32' as const, shape: [1, 2], data: Float32Array.of(1, 0.4) };
const spikes = async (bytes: Uint8Array, T: number): Promise<number[]> => {
  const g = await importNir(bytes);
  return simulate(g, { x, y: Int32Array.of(0) }, { T })
    .layers.filter((l) => l.op === 'LIF')
    .map((l) => l.spikes);
};

it('a nested NIRGraph (edges to the sub-graph and to sub.node) gives the flat network', async () => {
  const flat = tinyAffineLif();
  const lif = flat.nodes['lif'] as HandNode;
  const inner: HandNode = {
    type: 'NIRGraph',
    fields: {},
    graph: {
      nodes: { input: { type: 'Input', fields: { shape: { i64: [2] } } }, lif, output: { type: 'Output', fields: { shape: { i64: [2] } } } },
      edges: [
        ['input', 'lif'],
        ['lif', 'output'],
      ],
    },
  };
  const nodes = { input: flat.nodes['input'] as HandNode, affine: flat.nodes['affine'] as HandNode, sub: inner, output: flat.nodes['output'] as HandNode };
  const want = await spikes(await handNir(flat.nodes, flat.edges), 6);
  assert.deepEqual(want, [4]);
  assert.deepEqual(
    await spikes(
      await handNir(nodes, [
        ['input', 'affine'],
        ['affine', 'sub'],
        ['sub', 'output'],
      ]),
      6,
    ),
    want,
  );
  // Edges may name the sub-graph's Input/Output nodes instead.
  assert.deepEqual(
    await spikes(
      await handNir(nodes, [
        ['input', 'affine'],
        ['affine', 'sub.input'],
        ['sub.output', 'output'],
      ]),
      6,
    ),
    want,
  );
  const g = await importNir(
    await handNir(nodes, [
      ['input', 'affine'],
      ['affine', 'sub'],
      ['sub', 'output'],
    ]),
  );
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    ['affine', 'sub.lif'],
  );
});

it('Delay and hidden integrators are refused with their reason and the node named', async () => {
  const flat = tinyAffineLif();
  const cases: [string, HandNode['fields'], RegExp][] = [
    ['Delay', { delay: { f32: [1, 1] } }, /same step/],
    ['LI', { tau: { f32: [1e-3, 1e-3] }, r: { f32: [10, 10] }, v_leak: { f32: [0, 0] } }, /only read out/],
  ];
  for (const [type, fields, why] of cases) {
    const nodes: Record<string, HandNode> = { ...flat.nodes, odd: { type, fields } };
    const bytes = await handNir(nodes, [
      ['input', 'affine'],
      ['affine', 'odd'],
      ['odd', 'lif'],
      ['lif', 'output'],
    ]);
    await assert.rejects(
      importNir(bytes),
      (e: unknown) => {
        assert.ok(isSnncError(e));
        assert.equal(e.code, 'SNNC_E_NIR_UNSUPPORTED');
        assert.equal(e.node, 'odd');
        assert.match(e.message, why);
        return true;
      },
      type,
    );
  }
});

it('a recurrent edge (a neuron feeding back) is refused, naming the nodes on the cycle', async () => {
  const flat = tinyAffineLif();
  const nodes = { ...flat.nodes, rec: { type: 'Linear', fields: { weight: { f32: [0.1, 0, 0, 0.1], shape: [2, 2] } } } as HandNode };
  const bytes = await handNir(nodes, [...flat.edges, ['lif', 'rec'], ['rec', 'lif']]);
  await assert.rejects(
    importNir(bytes),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_NIR_UNSUPPORTED' && /recurrent/.test(e.message) && /lif/.test(e.message) && /rec/.test(e.message),
  );
});

it('time constants in steps (Sinabs/Rockpool, dt = 1) are flagged; loadModel reads them with nirDt', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { loadModel } = await import('../../src/api/load.js');
  const flat = tinyAffineLif();
  // τ = 5 steps, r = 5: at dt = 1 that is leak 0.8 and gain 1, the tiny network's own values.
  const nodes: Record<string, HandNode> = {
    ...flat.nodes,
    lif: { type: 'LIF', fields: { tau: { f32: [5, 5] }, r: { f32: [5, 5] }, v_leak: { f32: [0, 0] }, v_threshold: { f32: [1, 1] }, v_reset: { f32: [0, 0] } } },
  };
  const dir = mkdtempSync(join(tmpdir(), 'snnc-nir-dt-'));
  try {
    const file = join(dir, 'steps.nir');
    writeFileSync(file, await handNir(nodes, flat.edges));
    const diagnostics: NonNullable<LoadOptions['diagnostics']> = [];
    await loadModel(file, { diagnostics });
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['SNNC_W_NIR_DT'],
    );
    const quiet: NonNullable<LoadOptions['diagnostics']> = [];
    const g = await loadModel(file, { nirDt: 1, diagnostics: quiet });
    assert.deepEqual(quiet, []);
    assert.deepEqual(
      simulate(g, { x, y: Int32Array.of(0) }, { T: 6 })
        .layers.filter((l) => l.op === 'LIF')
        .map((l) => l.spikes),
      [4],
    );
    await assert.rejects(loadModel(file, { nirDt: -1 }), (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_USAGE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
