// Every bad input the ONNX importer must reject, each with its stable error code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSnncError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { importOnnx, loadOnnx } from '../../src/frontend/onnx/read.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/paths.js';
import { A, buildModel, floatInit, node, prng, vi } from './onnx-helpers.js';

function throwsCode(fn: () => unknown, code: ErrorCode, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSnncError(e), `not an SnncError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re !== undefined) assert.match(e.message + ' ' + (e.hint ?? ''), re);
    return true;
  });
}

/** x[2,3] -> Relu -> y: the smallest valid model, as a base for broken variants. */
const ok = () => ({
  nodes: [node('Relu', ['x'], ['y'])],
  inputs: [vi('x', 'float32', [2, 3])],
  outputs: [vi('y', 'float32', [2, 3])],
});

describe('ONNX import rejects bad input', () => {
  it('the valid base model imports', () => {
    const g = importOnnx(buildModel(ok()));
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Relu'],
    );
    assert.deepEqual(g.values.get('y')?.shape, [2, 3]);
  });

  it('truncated bytes: SNNC_E_ONNX_PARSE with the file', () => {
    const b = buildModel(ok());
    assert.throws(
      () => importOnnx(b.subarray(0, b.length - 7), { file: 'm.onnx' }),
      (e: unknown) => isSnncError(e) && e.code === 'SNNC_E_ONNX_PARSE' && e.file === 'm.onnx',
    );
  });

  it('random garbage: parse error or no graph', () => {
    const r = prng(7);
    for (let k = 0; k < 20; k++) {
      const b = Uint8Array.from({ length: 64 + k * 13 }, () => Math.floor((r() + 1) * 128) & 0xff);
      assert.throws(
        () => importOnnx(b),
        (e: unknown) => isSnncError(e) && (e.code === 'SNNC_E_ONNX_PARSE' || e.code === 'SNNC_E_ONNX_INVALID'),
      );
    }
    throwsCode(() => importOnnx(new TextEncoder().encode('{"format": "layers-model"}')), 'SNNC_E_ONNX_PARSE');
    throwsCode(() => importOnnx(new Uint8Array(0)), 'SNNC_E_ONNX_INVALID', /no ONNX graph/);
  });

  it('graph with no nodes / no outputs: SNNC_E_ONNX_INVALID', () => {
    throwsCode(() => importOnnx(buildModel({ ...ok(), nodes: [] })), 'SNNC_E_ONNX_INVALID', /no nodes/);
    throwsCode(() => importOnnx(buildModel({ ...ok(), outputs: [] })), 'SNNC_E_ONNX_INVALID', /no outputs/);
  });

  it('node reading an undefined value: SNNC_E_UNDEFINED_VALUE naming node and value', () => {
    const m = buildModel({ ...ok(), nodes: [node('Add', ['x', 'ghost'], ['y'], [], { name: 'adder' })] });
    throwsCode(() => importOnnx(m, { file: 'f.onnx' }), 'SNNC_E_UNDEFINED_VALUE', /adder.*ghost/);
  });

  it('cycle: SNNC_E_CYCLE', () => {
    const m = buildModel({
      ...ok(),
      nodes: [node('Add', ['x', 'b'], ['a'], [], { name: 'n1' }), node('Relu', ['a'], ['b'], [], { name: 'n2' }), node('Relu', ['a'], ['y'])],
    });
    throwsCode(() => importOnnx(m), 'SNNC_E_CYCLE', /n1|n2/);
  });

  it('duplicate graph output names: SNNC_E_DUPLICATE_NAME', () => {
    throwsCode(() => importOnnx(buildModel({ ...ok(), outputs: [vi('y', 'float32', [2, 3]), vi('y', 'float32', [2, 3])] })), 'SNNC_E_DUPLICATE_NAME', /'y'/);
  });

  it('initializer data length mismatching dims: SNNC_E_TENSOR_DATA naming the tensor', () => {
    const m = buildModel({
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [vi('x', 'float32', [2, 3])],
      outputs: [vi('y', 'float32', [2, 3])],
      initializers: [floatInit('w', [2, 3], [1, 2, 3, 4, 5])],
    });
    throwsCode(() => importOnnx(m), 'SNNC_E_TENSOR_DATA', /'w'/);
  });

  it('negative dims: SNNC_E_BAD_SHAPE', () => {
    const m = buildModel({ ...ok(), nodes: [node('Add', ['x', 'w'], ['y'])], initializers: [{ name: 'w', dataType: 1, dims: [-2, 3], floatData: [] }] });
    throwsCode(() => importOnnx(m), 'SNNC_E_BAD_SHAPE');
  });

  it('[65536, 65536, 65536] initializer: SNNC_E_LIMIT, fast and without allocating', () => {
    const m = buildModel({ ...ok(), nodes: [node('Add', ['x', 'w'], ['y'])], initializers: [{ name: 'w', dataType: 1, dims: [65536, 65536, 65536] }] });
    const before = process.memoryUsage().arrayBuffers;
    const t0 = process.hrtime.bigint();
    throwsCode(() => importOnnx(m), 'SNNC_E_LIMIT');
    // Generous bounds: an attempted 2^48-element allocation would throw a RangeError instead.
    assert.ok(process.hrtime.bigint() - t0 < 2_000_000_000n);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
    // The same limit applies to graph input shapes and to --max-elements.
    throwsCode(() => importOnnx(buildModel({ ...ok(), inputs: [vi('x', 'float32', [65536, 65536, 65536])] })), 'SNNC_E_LIMIT');
    throwsCode(() => importOnnx(buildModel(ok()), { maxElements: 5 }), 'SNNC_E_LIMIT');
  });

  describe('external data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-onnx-ext-'));
    const outside = mkdtempSync(join(tmpdir(), 'snnc-onnx-outside-'));
    writeFileSync(join(outside, 'w.bin'), new Uint8Array(24));
    symlinkSync(join(outside, 'w.bin'), join(dir, 'link.bin'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
    const withExt = (location: string): Uint8Array =>
      buildModel({
        ...ok(),
        nodes: [node('Add', ['x', 'w'], ['y'])],
        initializers: [{ name: 'w', dataType: 1, dims: [2, 3], dataLocation: 1, externalData: [{ key: 'location', value: location }] }],
      });
    const load = (location: string) => {
      const f = join(dir, `m-${location.replace(/\W/g, '_')}.onnx`);
      writeFileSync(f, withExt(location));
      return loadOnnx(f);
    };

    it('a file beside the model loads', () => {
      const g = load('w.bin');
      assert.deepEqual([...(g.initializers.get('w')?.data ?? [])], [1, 2, 3, 4, 5, 6]);
    });
    it('../x.bin, /etc/passwd and a symlink out of the folder: SNNC_E_EXTERNAL_DATA', () => {
      throwsCode(() => load('../x.bin'), 'SNNC_E_EXTERNAL_DATA');
      throwsCode(() => load('/etc/passwd'), 'SNNC_E_EXTERNAL_DATA');
      throwsCode(() => load('sub/../../w.bin'), 'SNNC_E_EXTERNAL_DATA');
      throwsCode(() => load('link.bin'), 'SNNC_E_EXTERNAL_DATA', /outside/);
    });
  });

  it('unknown op: SNNC_E_UNSUPPORTED_OP naming op, node, opset and the supported list', () => {
    const m = buildModel({ ...ok(), nodes: [node('Gelu', ['x'], ['y'], [], { name: 'act' })], opset: 20 });
    throwsCode(() => importOnnx(m), 'SNNC_E_UNSUPPORTED_OP', /'Gelu'.*'act'.*opset 20.*AveragePool, BatchNormalization, Cast/s);
  });

  it('com.microsoft node: SNNC_E_UNSUPPORTED_DOMAIN', () => {
    const m = buildModel({ ...ok(), nodes: [node('FusedConv', ['x'], ['y'], [], { domain: 'com.microsoft' })] });
    throwsCode(() => importOnnx(m), 'SNNC_E_UNSUPPORTED_DOMAIN', /com\.microsoft/);
  });

  it('auto_pad typo and unknown attributes: SNNC_E_UNSUPPORTED_ATTR', () => {
    const pool = (attrs: ReturnType<typeof A.i>[]) =>
      buildModel({
        nodes: [node('MaxPool', ['x'], ['y'], [A.ints('kernel_shape', [2, 2]), ...attrs])],
        inputs: [vi('x', 'float32', [1, 1, 4, 4])],
        outputs: [vi('y', 'float32', [1, 1, 2, 2])],
      });
    throwsCode(() => importOnnx(pool([A.s('auto_pad', 'SAME_UPPPER')])), 'SNNC_E_UNSUPPORTED_ATTR', /SAME_UPPPER/);
    throwsCode(() => importOnnx(pool([A.i('frobnicate', 1)])), 'SNNC_E_UNSUPPORTED_ATTR', /frobnicate/);
    throwsCode(() => importOnnx(pool([A.f('ceil_mode', 1)])), 'SNNC_E_UNSUPPORTED_ATTR', /ceil_mode/);
  });

  it('training-mode BatchNormalization is rejected clearly', () => {
    const m = buildModel({
      nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y', 'rm', 'rv'], [], { name: 'bn' })],
      inputs: [vi('x', 'float32', [1, 2, 2, 2])],
      outputs: [vi('y', 'float32', [1, 2, 2, 2])],
      initializers: ['s', 'b', 'm', 'v'].map((k) => floatInit(k, [2], [1, 1])),
      opset: 14,
    });
    throwsCode(() => importOnnx(m), 'SNNC_E_UNSUPPORTED_ATTR', /training/);
  });

  it('unsupported input dtype and unknown-rank inputs', () => {
    throwsCode(() => importOnnx(buildModel({ ...ok(), inputs: [vi('x', 16, [2, 3])] })), 'SNNC_E_UNSUPPORTED_DTYPE', /BFLOAT16/);
    throwsCode(() => importOnnx(buildModel({ ...ok(), inputs: [{ name: 'x', type: { tensorType: { elemType: 1 } } }] })), 'SNNC_E_BAD_SHAPE', /no shape/);
  });

  it('declared value_info contradicting the ops is reported', () => {
    throwsCode(() => importOnnx(buildModel({ ...ok(), outputs: [vi('y', 'float32', [3, 2])] })), 'SNNC_E_BAD_SHAPE');
  });

  it('every truncation and one-byte corruption of corpus models gives a graph or an SnncError', { skip: HAVE_CORPUS ? false : 'no corpus' }, () => {
    for (const c of ['onnx-pytorch-converted/test_Conv2d', 'onnx-node/test_softmax_example_expanded', 'onnx-pytorch-operator/test_operator_mm']) {
      const b = readFileSync(join(CORPUS, c, 'model.onnx'));
      for (let i = 0; i < b.length; i++) {
        for (const bytes of [b.subarray(0, i), Uint8Array.from(b, (x, j) => (j === i ? x ^ 0x5a : x))]) {
          try {
            importOnnx(bytes);
          } catch (e) {
            assert.ok(isSnncError(e), `${c} byte ${i}: ${String(e)}`);
          }
        }
      }
    }
  });

  it('missing file: SNNC_E_IO', () => {
    throwsCode(() => loadOnnx('/nonexistent/model.onnx'), 'SNNC_E_IO');
  });
});

describe('ONNX import naming', () => {
  it('unnamed and duplicate-named nodes get unique deterministic names', () => {
    const m = buildModel({
      nodes: [
        node('Relu', ['x'], ['a']),
        node('Relu', ['a'], ['b'], [], { name: 'r' }),
        node('Relu', ['b'], ['c'], [], { name: 'r' }),
        node('Relu', ['c'], ['y'], [], { name: 'Relu_0' }),
      ],
      inputs: [vi('x', 'float32', [2])],
      outputs: [vi('y', 'float32', [2])],
    });
    const names = importOnnx(m).nodes.map((n) => n.name);
    assert.deepEqual(names, ['Relu_0_1', 'r', 'r_1', 'Relu_0']);
  });

  it('missing dims become symbols, dim_param stays, and initializer inputs are not runtime inputs', () => {
    const m = buildModel({
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, {}] } } } }, vi('w', 'float32', [3])],
      outputs: [vi('y', 'float32', ['N', 3])],
      initializers: [floatInit('w', [3], [1, 2, 3])],
    });
    const g = importOnnx(m);
    assert.deepEqual(g.inputs, ['x']);
    assert.deepEqual(g.values.get('x')?.shape, ['N', 'x:1']);
    assert.ok(g.initializers.has('w'));
  });
});
