// Worker thread of simulate-split.ts: simulates samples [from, N) and posts the totals,
// then raises the flag the main thread is blocked on (STARTED once loaded, DONE once the
// reply is posted). Errors travel as data.
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { errorData } from '../../errors.js';
import type { HelperInit, HelperReply } from './simulate-split.js';
import { DONE, STARTED } from './simulate-split.js';
import { simulateRange } from './simulate.js';

const init = workerData as HelperInit & { readonly port: MessagePort };
// Loaded: from here on a reply always comes (the main thread stops waiting for a start).
Atomics.store(init.flag, 0, STARTED);
Atomics.notify(init.flag, 0);
let reply: HelperReply;
try {
  reply = { ok: true, result: simulateRange(init.g, init.data, init.opts, init.run, init.from) };
} catch (e) {
  reply = { ok: false, error: errorData(e) };
}
init.port.postMessage(reply);
Atomics.store(init.flag, 0, DONE);
Atomics.notify(init.flag, 0);
