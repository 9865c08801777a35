// Worker thread of target-pool.ts: runs bundled backends' target jobs (files, then hardware
// simulation: target-run.ts) on the graphs and data the main thread sends, one at a time, and
// replies with the outcome (errors as data; file bytes transferred, not copied).
import { parentPort } from 'node:worker_threads';
import type { Graph } from '../ir/types.js';
import { backendFor } from '../backends/registry.js';
import type { JobMessage, ReplyMessage } from './target-pool.js';
import { outcomeData, runTarget } from './target-run.js';
import type { TargetOutcome } from './target-run.js';
import type { EmittedFile } from '../backends/common/types.js';

const graphs = new Map<number, Graph>();

/** The files' own buffers, to transfer (a view into a larger or shared buffer is copied instead). */
function transferable(files: readonly EmittedFile[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const f of files) {
    const d = f.data;
    if (typeof d !== 'string' && d.buffer instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength) out.add(d.buffer);
  }
  return [...out];
}

function reply(m: ReplyMessage, transfer: ArrayBuffer[] = []): void {
  try {
    parentPort?.postMessage(m, transfer);
  } catch {
    // A buffer that cannot move (e.g. a WebAssembly memory's) is copied with the rest.
    parentPort?.postMessage(m);
  }
}

async function run(m: JobMessage): Promise<TargetOutcome> {
  if (m.graph !== undefined) graphs.set(m.graphId, m.graph);
  const g = graphs.get(m.graphId);
  const record = backendFor(m.request.kind);
  if (g === undefined || record === undefined) return { ok: false, error: new Error(`no graph ${m.graphId} or no backend for kind '${m.request.kind}'`) };
  // The files leave before the simulation starts, so this thread does not hold them through it.
  return runTarget(record, g, m.request, (files) => {
    reply({ id: m.id, files }, transferable(files));
    if (DIE === 'exit-after-files') process.exit(1);
  });
}

// Fault injection for test/api/compile-threads.test.ts: with SNNC_FAULT_TARGET_WORKER=exit the
// worker dies on its first job, as a crash would, and the main thread must run that job itself;
// with exit-after-files it dies once it has sent that job's files (which must not be written twice).
const DIE = process.env['SNNC_FAULT_TARGET_WORKER'];

parentPort?.on('message', (m: JobMessage) => {
  if (DIE === 'exit') process.exit(1);
  void run(m).then((o) => reply({ id: m.id, outcome: outcomeData(o) }));
});
