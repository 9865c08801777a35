// The ONNX protobuf schema (generated code from the onnx-proto package) and the few
// helpers every ONNX reader needs: decoding with a typed error, and 64-bit integers,
// which protobufjs hands back as Long objects or plain numbers.
import onnxProto from 'onnx-proto';
import { fail } from '../../errors.js';

export const { onnx } = onnxProto;

export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type DimensionProto = onnxProto.onnx.TensorShapeProto.IDimension;

/** What protobufjs returns for int64 fields: a number, or a Long when `long` is installed. */
export type Int64Like = number | { toNumber(): number; toString(radix?: number): string; readonly unsigned?: boolean };

/** A 64-bit integer as a JS number; callers validate range (shapeSize rejects unsafe values). */
export function toNumber(v: Int64Like | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A 64-bit integer without rounding. */
export function toBigInt(v: Int64Like | null | undefined, unsigned = false): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return unsigned ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
  // Long.toString is exact in base 10 for both signed and unsigned values.
  const b = BigInt(v.toString(10));
  return unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
}

function describeCause(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decode model bytes; anything protobuf cannot read is SNNC_E_ONNX_PARSE. */
export function decodeModel(bytes: Uint8Array, file?: string): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw fail({
      code: 'SNNC_E_ONNX_PARSE',
      message: `not a decodable ONNX model (${describeCause(e)})`,
      ...(file !== undefined ? { file } : {}),
      hint: 'the file is truncated or not an ONNX protobuf; re-export it or check the download',
    });
  }
  // Protobuf is permissive: many non-ONNX byte strings decode to an empty message.
  if (m.graph === null || m.graph === undefined) {
    throw fail({
      code: 'SNNC_E_ONNX_INVALID',
      message: 'the file decodes as protobuf but holds no ONNX graph',
      ...(file !== undefined ? { file } : {}),
      hint: 'is this really an .onnx model (and not e.g. a TensorProto .pb or another format)?',
    });
  }
  return m;
}

/** Decode a serialized TensorProto; failures are SNNC_E_TENSOR_FILE. */
export function decodeTensorProto(bytes: Uint8Array, file?: string): TensorProto {
  try {
    return onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw fail({
      code: 'SNNC_E_TENSOR_FILE',
      message: `not a decodable ONNX TensorProto (${describeCause(e)})`,
      ...(file !== undefined ? { file } : {}),
      hint: 'expected a serialized onnx.TensorProto, as in test_data_set_*/input_*.pb',
    });
  }
}
