// The head of explore.json: what was swept, on what, against which reference. The model is
// named by its file and sha256, the conversion by its snnc.* metadata (sorted, so the bytes are
// stable), memory against float32 from the default integer program.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Graph } from '../ir/types.js';
import { quantizeGraph } from '../passes/quantize.js';
import { memoryReport } from '../sim/int/memory.js';
import type { DocHead } from './select.js';

export interface HeadInput {
  readonly version: string;
  readonly modelFile: string;
  readonly snn: Graph;
  readonly dataset: DocHead['dataset'];
  readonly space: DocHead['space'];
  readonly reference: DocHead['reference'];
  readonly targetNote: string;
}

export function docHead(h: HeadInput): DocHead {
  let float32Bits = 0;
  try {
    float32Bits = memoryReport(quantizeGraph(h.snn).program).total.float32Bits;
  } catch {
    /* a network the quantizer refuses: each unit reports why */
  }
  const conversion = Object.fromEntries(
    Object.entries(h.snn.meta)
      .filter(([k]) => k.startsWith('snnc.'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    format: 'snnc-explore',
    version: 1,
    tool: { name: 'snnc', version: h.version },
    model: { file: basename(h.modelFile), sha256: createHash('sha256').update(readFileSync(h.modelFile)).digest('hex') },
    dataset: h.dataset,
    conversion,
    space: h.space,
    reference: h.reference,
    float32Bits,
    targetNote: h.targetNote,
  };
}
