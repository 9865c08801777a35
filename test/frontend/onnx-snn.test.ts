// Converted networks are ONNX files whose neurons live in domain ai.snnc (docs/formats.md).
// Checks the written layout with onnx-proto directly (not our reader), then the round trip.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { buildGraph, float32Tensor, gemmAttrs, windowAttrs } from '../../src/ir/build.js';
import { exportOnnx } from '../../src/frontend/onnx/write.js';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { isSnncError } from '../../src/errors.js';

const { onnx } = onnxProto;

function snnGraph() {
  return buildGraph({
    name: 'tiny-snn',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 1, 4, 4] }],
    initializers: {
      th1: float32Tensor([1, 1, 1], [0.75]),
      w: float32Tensor([3, 4], [1, 0, 0, 1, 0, 1, 1, 0, 0.5, 0.5, 0.5, 0.5]),
      th2: float32Tensor([], [1.5]),
    },
    nodes: [
      { name: 'if1', op: 'IF', attrs: { reset: 'subtract', vInit: 0.5, fire: 'ge', refractory: 0 }, inputs: ['x', 'th1'], outputs: ['s1'] },
      {
        name: 'pool',
        op: 'SpikeMaxPool',
        attrs: { ...windowAttrs({ kernelShape: [2, 2], strides: [2, 2] }), ceilMode: false },
        inputs: ['s1'],
        outputs: ['p'],
      },
      { name: 'flat', op: 'Flatten', attrs: { axis: 1 }, inputs: ['p'], outputs: ['f'] },
      { name: 'fc', op: 'Gemm', attrs: gemmAttrs({ transB: true }), inputs: ['f', 'w'], outputs: ['y'] },
      { name: 'lif', op: 'LIF', attrs: { reset: 'zero', vInit: 0, fire: 'gt', refractory: 2, leak: 0.875 }, inputs: ['y', 'th2'], outputs: ['s2'] },
    ],
    outputs: ['s2'],
  });
}

it('writes spiking ops in domain ai.snnc v1 next to the default opset', () => {
  const m = onnx.ModelProto.decode(exportOnnx(snnGraph()));
  const domains = (m.opsetImport ?? []).map((o) => `${o.domain ?? ''}:${String(o.version)}`).sort();
  assert.deepEqual(domains, [':18', 'ai.snnc:1']);
  const byName = new Map((m.graph?.node ?? []).map((n) => [n.name, n]));
  assert.equal(byName.get('if1')?.domain, 'ai.snnc');
  assert.equal(byName.get('pool')?.domain, 'ai.snnc');
  assert.equal(byName.get('fc')?.domain, '');
  const lif = byName.get('lif');
  const attr = (k: string) => lif?.attribute?.find((a) => a.name === k);
  assert.equal(new TextDecoder().decode(attr('reset')?.s ?? new Uint8Array()), 'zero');
  assert.equal(new TextDecoder().decode(attr('fire')?.s ?? new Uint8Array()), 'gt');
  assert.equal(attr('leak')?.f, 0.875);
  assert.equal(Number(attr('refractory')?.i), 2);
});

it('round-trips a converted graph exactly', () => {
  const g = snnGraph();
  const back = importOnnx(exportOnnx(g));
  assert.deepEqual(back.nodes, g.nodes);
  assert.deepEqual([...back.values.entries()].sort(), [...g.values.entries()].sort());
});

it('rejects an unknown ai.snnc op and a missing domain import', () => {
  const m = onnx.ModelProto.decode(exportOnnx(snnGraph()));
  const n = m.graph?.node?.find((x) => x.name === 'if1');
  assert.ok(n);
  n.opType = 'Izhikevich';
  assert.throws(
    () => importOnnx(onnx.ModelProto.encode(m).finish()),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_UNSUPPORTED_OP' && e.node === 'if1',
  );
  n.opType = 'IF';
  m.opsetImport = (m.opsetImport ?? []).filter((o) => o.domain !== 'ai.snnc');
  assert.throws(
    () => importOnnx(onnx.ModelProto.encode(m).finish()),
    (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_UNSUPPORTED_OP',
  );
});
