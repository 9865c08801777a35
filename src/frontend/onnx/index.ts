// The ONNX frontend: read (import) and write (export) models and TensorProto files.
export { importOnnx, loadOnnx } from './read.js';
export type { OnnxImportOptions } from './read.js';
export { exportOnnx } from './write.js';
export type { OnnxExportOptions } from './write.js';
export { encodeTensor, readTensorFile, tensorFromProto, tensorToProto } from './tensor.js';
export { SUPPORTED_ONNX_OPS } from './ops.js';
