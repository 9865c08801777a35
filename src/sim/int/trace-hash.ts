// A golden hash of an integer simulation: kept apart from simulate.ts because it needs
// node:crypto, and the simulator itself must stay browser-safe (snnc/runtime bundles it).
import { createHash } from 'node:crypto';
import type { IntSimResult } from './simulate.js';

/** sha256 of the trace (layer names and per-step spike counts) and predictions: a golden hash. */
export function traceHash(r: IntSimResult): string {
  const h = createHash('sha256');
  for (const t of r.trace ?? []) h.update(`${t.layer}:${t.spikesPerStep.join(',')}\n`);
  h.update(`pred:${Array.from(r.predictions).join(',')}\n`);
  return h.digest('hex');
}
