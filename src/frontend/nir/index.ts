// NIR (Neuromorphic Intermediate Representation) HDF5 files: export and import.
// Layout, node mapping and the dt convention: docs/formats.md, section "NIR".
export { exportNir, graphToNirDoc } from './export.js';
export type { ExportNirOptions } from './export.js';
export { importNir, nirDocToGraph } from './import.js';
export type { ImportNirOptions } from './import.js';
export { readNirDoc, writeNirDoc } from './doc-io.js';
export { DT as NIR_DT } from './convention.js';
export { NIR_FIELDS, NIR_VERSION } from './types.js';
export type { NirArray, NirDiagnostic, NirDoc, NirNode } from './types.js';
