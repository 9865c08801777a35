// `snnc verify`: check a file snnc wrote (or one from elsewhere) against what its reader needs.
// netx HDF5 is checked field by field against lava-dl's reader; models are loaded and their
// graph verified (types, shapes, topological order).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fail } from '../errors.js';
import { verifyNetx } from '../backends/loihi/verify.js';
import { verifyGraph } from '../ir/verify.js';
import { loadModel } from './load.js';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export interface VerifyResult {
  readonly file: string;
  readonly format: 'netx' | 'model';
  readonly summary: readonly string[];
}

export async function verifyFile(file: string): Promise<VerifyResult> {
  const ext = extname(file).toLowerCase();
  if (ext === '.net' || ext === '.h5' || ext === '.hdf5') {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      throw fail({ code: 'SNNC_E_IO', message: 'file not found or unreadable', file });
    }
    // Checked here so the HDF5 library never prints its diagnostics for a non-HDF5 file.
    if (!HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) {
      throw fail({
        code: 'SNNC_E_BACKEND',
        message: 'not an HDF5 file (no HDF5 signature at the start)',
        file,
        hint: 'netx files are HDF5; was it truncated or is it another format?',
      });
    }
    const layers = await verifyNetx(bytes, file);
    return { file, format: 'netx', summary: layers.map((l, i) => `/layer/${i}: ${l.type} [${l.shape.join(', ')}]`) };
  }
  const g = await loadModel(file);
  verifyGraph(g);
  return { file, format: 'model', summary: [`${g.nodes.length} nodes, inputs ${g.inputs.join(', ')}, outputs ${g.outputs.join(', ')}`] };
}
