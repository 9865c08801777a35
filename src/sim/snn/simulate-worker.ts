// Worker thread of simulate-split.ts: for each job on its port, simulates chunks of samples
// from the job's shared queue until none is left and posts the totals, raising the job's flag
// the main thread is blocked on (STARTED once the job is taken, DONE once the reply is
// posted); then waits for the next job. Errors travel as data.
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Graph } from '../../ir/types.js';
import { errorData } from '../../errors.js';
import type { HelperJob, HelperReply } from './simulate-split.js';
import { DONE, STARTED } from './simulate-split.js';
import { simulateRange } from './simulate.js';
import { releaseWasmScatter } from './wasm/scatter.js';

const port = (workerData as { readonly port: MessagePort }).port;
/** The graph of the last job (later jobs on it arrive without it). */
let held: { readonly gid: number; readonly g: Graph } | undefined;
port.on('message', (job: HelperJob) => {
  // Taken: from here on a reply always comes (the main thread stops waiting for a start).
  Atomics.store(job.flag, 0, STARTED);
  Atomics.notify(job.flag, 0);
  let reply: HelperReply;
  try {
    const g = job.g ?? (held?.gid === job.gid ? held.g : undefined);
    if (g === undefined) throw new Error(`internal: the simulation worker does not hold graph ${job.gid}`);
    held = job.keep ? { gid: job.gid, g } : undefined;
    reply = { ok: true, result: simulateRange(g, job.data, job.opts, job.run, job.queue) };
  } catch (e) {
    reply = { ok: false, error: errorData(e) };
  } finally {
    // As simulate() does on the main thread: a large arena is not kept while idle.
    releaseWasmScatter();
  }
  port.postMessage(reply);
  Atomics.store(job.flag, 0, DONE);
  Atomics.notify(job.flag, 0);
});
