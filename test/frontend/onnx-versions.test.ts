// ONNX IR versions and opsets out of range (issues #16, #18): a model from a future exporter
// (opset 99, IR 99) or with a broken header (0, −1) exits 2 with a code that names what it
// declares, as onnxruntime refuses them; the supported range still imports.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx } from '../../src/frontend/onnx/read.js';
import { isSnncError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';
import { buildModel, node } from './onnx-helpers.js';

const relu = (opset: number, irVersion?: number): Uint8Array =>
  buildModel({
    nodes: [node('Relu', ['x'], ['y'])],
    inputs: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
    outputs: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
    opset,
    ...(irVersion !== undefined ? { irVersion } : {}),
  });

function refused(bytes: Uint8Array, code: ErrorCode, text: RegExp): void {
  assert.throws(
    () => importOnnx(bytes),
    (e: unknown) => isSnncError(e) && e.code === code && text.test(e.message),
    `${code} ${text}`,
  );
}

it('opset 99, 26, 0 and −1 of the default domain are refused naming the domain and version', () => {
  refused(relu(99), 'SNNC_E_UNSUPPORTED_OPSET', /opset 99 of domain 'ai\.onnx'.*1–25/);
  refused(relu(26), 'SNNC_E_UNSUPPORTED_OPSET', /opset 26/);
  refused(relu(0, 3), 'SNNC_E_UNSUPPORTED_OPSET', /opset 0/);
  refused(relu(-1, 3), 'SNNC_E_UNSUPPORTED_OPSET', /opset -1/);
});

it('IR version 99 is unsupported, 0 and −1 are invalid headers', () => {
  refused(relu(18, 99), 'SNNC_E_UNSUPPORTED_OPSET', /IR version 99/);
  refused(relu(18, 0), 'SNNC_E_ONNX_INVALID', /ir_version 0/);
  refused(relu(18, -1), 'SNNC_E_ONNX_INVALID', /ir_version -1/);
});

it('opsets 7, 13 and 25 with their IR versions import', () => {
  for (const [opset, ir] of [
    [7, 3],
    [13, 7],
    [25, 13],
  ] as const)
    assert.equal(importOnnx(relu(opset, ir)).nodes.length, 1, `opset ${opset}`);
});

it('the CLI exits 2 with the code and no stack trace', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'snnc-opset-')), 'future.onnx');
  writeFileSync(file, relu(99));
  const r = await cli('inspect', file);
  assert.equal(r.code, 2);
  assert.match(r.err, /SNNC_E_UNSUPPORTED_OPSET/);
  assert.doesNotMatch(r.err, /at .*\.js:\d+/);
});
