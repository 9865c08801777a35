// A guard against running the machine into swap: long loops (the interpreter's node loop,
// the simulators' time steps) call checkMemory(), which fails with SNNC_E_LIMIT once the
// process's resident memory passes the limit. Reading the RSS is a system call whose cost grows
// with the process's mappings (WebAssembly reserves gigabytes of address space): measured at
// ~180 µs per read in a compile, 0.55 s of the quick start's 8 s when every time step read
// it. So it is read at most every CHECK_EVERY_MS — a step cannot allocate gigabytes unseen, as
// every large allocation is checked against the element limits first. No node: imports: the
// integer simulator that calls it also runs in browsers (snnc/runtime), where there is no
// limit and no check.
import { fail } from '../errors.js';

/** Environment variable that carries --max-memory into worker threads and child processes. */
const MAX_MEMORY_ENV = 'SNNC_MAX_MEMORY';

interface ProcessLike {
  readonly env?: Record<string, string | undefined>;
  readonly memoryUsage?: { readonly rss?: () => number };
}
const proc = (globalThis as { readonly process?: ProcessLike }).process;

/** Bytes from '1.5GB', '800MB', '512M', '2G' or a plain number of bytes; undefined if malformed. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(s);
  if (m === null) return undefined;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const v = Math.floor(Number(m[1]) * unit);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

function envLimit(): number | undefined {
  const s = proc?.env?.[MAX_MEMORY_ENV];
  return s === undefined || s === '' ? undefined : parseBytes(s);
}

// Unset until the CLI sets its default (80 % of RAM, cli/args.ts), a caller sets one, or a
// parent process passed one in the environment.
let limit: number | undefined = envLimit();

/** The least time between two reads of the RSS. */
const CHECK_EVERY_MS = 20;
let lastCheck = -Infinity;

/** Sets the limit (bytes), and the environment so worker threads started later inherit it. */
export function setMemoryLimit(bytes: number): void {
  limit = bytes;
  lastCheck = -Infinity; // the next check reads the RSS
  if (proc?.env !== undefined) proc.env[MAX_MEMORY_ENV] = String(bytes);
}

export function memoryLimit(): number | undefined {
  return limit;
}

const mb = (b: number): string => `${Math.round(b / 2 ** 20)} MB`;

/** Fails with SNNC_E_LIMIT when resident memory is above the limit; `where` names the step. */
export function checkMemory(where: string): void {
  if (limit === undefined) return;
  const now = performance.now();
  if (now - lastCheck < CHECK_EVERY_MS) return;
  lastCheck = now;
  const rss = proc?.memoryUsage?.rss?.();
  if (rss === undefined || rss <= limit) return;
  throw fail({
    code: 'SNNC_E_LIMIT',
    message: `memory use reached ${mb(rss)} while ${where}, over the limit of ${mb(limit)}`,
    hint: "use fewer samples (--n, --calib-samples) or a smaller batch; raise the limit with --max-memory (default: 80 % of the machine's memory)",
  });
}
