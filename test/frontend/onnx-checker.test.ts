// What onnx.checker refuses and snnc used to read anyway (issue #18 item 8): an attribute whose
// value fields disagree with its declared type, and a tensor with its values in two places.
// The same model without the defect imports, so each test fails if the check goes missing
// or becomes too eager.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { isSnncError } from '../../src/errors.js';
import { buildModel, node, vi } from './onnx-helpers.js';
import type { onnx } from 'onnx-proto';

type IAttr = onnx.IAttributeProto;
type ITensor = onnx.ITensorProto;

const softmax = (attr: IAttr): Uint8Array =>
  buildModel({
    nodes: [node('Softmax', ['x'], ['y'], [attr])],
    inputs: [vi('x', 'float32', [1, 4])],
    outputs: [vi('y', 'float32', [1, 4])],
    opset: 13,
  });

const addConst = (c: ITensor): Uint8Array =>
  buildModel({
    nodes: [node('Add', ['x', 'c'], ['y'])],
    inputs: [vi('x', 'float32', [2])],
    outputs: [vi('y', 'float32', [2])],
    initializers: [c],
    opset: 13,
  });

function refused(bytes: Uint8Array, code: string, text: RegExp): void {
  assert.throws(
    () => importOnnx(bytes),
    (e: unknown) => isSnncError(e) && e.code === code && text.test(e.message),
    `${code} ${text}`,
  );
}

it('an int attribute that also carries a float, or declares int and holds floats, is refused', () => {
  assert.equal(importOnnx(softmax({ name: 'axis', type: 2, i: 1 })).nodes.length, 1);
  refused(
    softmax({ name: 'axis', type: 2, i: 1, f: 0.5 }),
    'SNNC_E_ONNX_INVALID',
    /'axis' is declared int but holds f and i|'axis' is declared int but holds i and f/,
  );
  refused(softmax({ name: 'axis', type: 2, floats: [1] }), 'SNNC_E_ONNX_INVALID', /'axis' is declared int but holds floats/);
  refused(softmax({ name: 'axis', ints: [1], i: 1 }), 'SNNC_E_ONNX_INVALID', /without a type/);
});

it('an int attribute of value 0 (field present, zero) still imports', () => {
  assert.equal(importOnnx(softmax({ name: 'axis', type: 2, i: 0 })).nodes.length, 1);
});

it('a tensor with raw_data and float_data both set is refused; either alone imports', () => {
  const raw = new Uint8Array(new Float32Array([1, 2]).buffer);
  assert.equal(importOnnx(addConst({ name: 'c', dataType: 1, dims: [2], floatData: [1, 2] })).nodes.length, 1);
  assert.equal(importOnnx(addConst({ name: 'c', dataType: 1, dims: [2], rawData: raw })).nodes.length, 1);
  refused(
    addConst({ name: 'c', dataType: 1, dims: [2], floatData: [1, 2], rawData: raw }),
    'SNNC_E_TENSOR_DATA',
    /'c' stores its values in more than one field/,
  );
  refused(addConst({ name: 'c', dataType: 1, dims: [2], floatData: [1, 2], int32Data: [1, 2] }), 'SNNC_E_TENSOR_DATA', /more than one field/);
});
