// Starting a worker thread on one of snnc's own modules, built or not: from dist/ the
// sibling .js file; under tsx (tests, development) the .ts file, loaded through tsx's
// loader, whose hooks do not reach worker threads by themselves.
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

/** A worker running module `name` (no extension) next to the module at `callerUrl` (its import.meta.url). */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const href = new URL(`./${name}.ts`, callerUrl).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
