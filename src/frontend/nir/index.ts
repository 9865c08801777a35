// NIR (Neuromorphic Intermediate Representation) HDF5 files: export and import.
// Layout, node mapping and the dt convention: docs/formats.md, section "NIR".
export { exportNir } from './export.js';
export type { ExportNirOptions } from './export.js';
export { importNir } from './import.js';
export type { ImportNirOptions } from './import.js';
export { readNirDoc, writeNirDoc } from './doc-io.js';
export type { NirArray, NirDiagnostic, NirDoc, NirNode } from './types.js';
