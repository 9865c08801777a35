// The fuzz harness: cases (cases.ts) go to a pool of worker processes (child.ts); each case
// has a watchdog (no reply within the time limit → a hang; the worker is killed and replaced)
// and its peak resident memory is read from /proc (VmHWM, reset before the case with
// clear_refs) on Linux. Outcomes are counted: every command exit 0, exit 2 with a code, an
// internal error (exit 1, or a worker that died), a hang, or memory over the limit.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSeeds, makeCase } from './cases.js';
import type { CaseKind, FuzzCase, Seeds } from './cases.js';
import type { CaseReply, StepResult } from './child.js';

export type Outcome = 'ok' | 'refused' | 'internal' | 'hang' | 'memory';

export interface CaseOutcome {
  readonly index: number;
  readonly kind: CaseKind;
  readonly seed: string;
  readonly outcome: Outcome;
  readonly peakMb?: number;
  readonly steps?: readonly StepResult[];
  readonly detail?: string;
}

export interface FuzzOptions {
  readonly root: string;
  readonly cases: number;
  readonly seed: number;
  readonly workers: number;
  /** Seconds a case may take before it counts as a hang. */
  readonly timeoutS?: number;
  readonly memoryLimitMb?: number;
  readonly first?: number;
  /** Run the seeds unmutated as cases of this kind (see makeCase). */
  readonly clean?: CaseKind;
  readonly onCase?: (o: CaseOutcome, done: number) => void;
}

export interface FuzzSummary {
  readonly cases: number;
  readonly seed: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly byKind: Readonly<Record<string, Readonly<Record<Outcome, number>>>>;
  readonly codes: Readonly<Record<string, number>>;
  readonly peakMb: number;
  readonly failures: readonly CaseOutcome[];
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

function procKb(pid: number, key: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux, or not allowed: the peak is then the worker's lifetime peak (an upper bound)
  }
}

class Worker {
  private proc: ChildProcess;
  constructor(private readonly limitMb: number) {
    this.proc = this.spawn();
  }
  private spawn(): ChildProcess {
    // The worker's own guard (--max-memory) stops a run before the outside limit does.
    const env = { ...process.env, SNNC_MAX_MEMORY: `${Math.floor(this.limitMb * 0.8)}MB` };
    return fork(CHILD, [], { env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  }
  run(c: FuzzCase, timeoutS: number): Promise<CaseOutcome> {
    const base = { index: c.index, kind: c.kind, seed: c.seed };
    return new Promise((done) => {
      const proc = this.proc;
      const pid = proc.pid ?? 0;
      resetPeak(pid);
      let peak = 0;
      const finish = (o: CaseOutcome, restart: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        if (restart) {
          proc.kill('SIGKILL');
          this.proc = this.spawn();
        }
        done(o);
      };
      const onMessage = (r: CaseReply): void => {
        peak = Math.max(peak, (procKb(pid, 'VmHWM') ?? 0) / 1024);
        const worst = r.steps.some((s) => s.exit !== 0 && s.exit !== 2)
          ? 'internal'
          : peak > this.limitMb
            ? 'memory'
            : r.steps.every((s) => s.exit === 0)
              ? 'ok'
              : 'refused';
        finish({ ...base, outcome: worst, peakMb: Math.round(peak), steps: r.steps }, false);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish({ ...base, outcome: 'internal', detail: `worker died (exit ${String(code)}, signal ${String(signal)})` }, true);
      const timer = setTimeout(() => finish({ ...base, outcome: 'hang', detail: `no answer in ${timeoutS} s` }, true), timeoutS * 1000);
      const poll = setInterval(() => {
        const rss = (procKb(pid, 'VmRSS') ?? 0) / 1024;
        peak = Math.max(peak, rss);
        if (rss > this.limitMb * 1.5)
          finish({ ...base, outcome: 'memory', peakMb: Math.round(rss), detail: 'killed: resident memory far over the limit' }, true);
      }, 100);
      proc.on('message', onMessage);
      proc.on('exit', onExit);
      proc.send(c);
    });
  }
  stop(): void {
    this.proc.kill();
  }
}

const EMPTY = (): Record<Outcome, number> => ({ ok: 0, refused: 0, internal: 0, hang: 0, memory: 0 });

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const seeds: Seeds = await buildSeeds(opts.root);
  const limit = opts.memoryLimitMb ?? 1536;
  const workers = Array.from({ length: opts.workers }, () => new Worker(limit));
  const counts = EMPTY();
  const byKind: Record<string, Record<Outcome, number>> = {};
  const codes: Record<string, number> = {};
  const failures: CaseOutcome[] = [];
  let peakMb = 0;
  let next = opts.first ?? 0;
  const end = next + opts.cases;
  let done = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < end) {
        const i = next++;
        const c = await makeCase(seeds, opts.seed, i, opts.clean);
        const o = await w.run(c, opts.timeoutS ?? 120);
        counts[o.outcome]++;
        (byKind[o.kind] ??= EMPTY())[o.outcome]++;
        for (const s of o.steps ?? []) if (s.exit === 2 && s.code !== undefined) codes[s.code] = (codes[s.code] ?? 0) + 1;
        peakMb = Math.max(peakMb, o.peakMb ?? 0);
        if (o.outcome === 'internal' || o.outcome === 'hang' || o.outcome === 'memory') failures.push(o);
        done++;
        opts.onCase?.(o, done);
      }
    }),
  );
  for (const w of workers) w.stop();
  failures.sort((a, b) => a.index - b.index);
  const sortedCodes = Object.fromEntries(Object.entries(codes).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { cases: opts.cases, seed: opts.seed, counts, byKind, codes: sortedCodes, peakMb: Math.round(peakMb), failures };
}
