// Outputs are written into a temp folder beside the destination and renamed into
// place only when complete, so an interrupted run never leaves a half-written result.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, isSnncError } from '../errors.js';

/** Marker file that says "snnc wrote this folder", so --force is not needed to replace it. */
export const OUTPUT_MARKER = '.snnc-output';

export interface OutputFile {
  /** Path relative to the output folder, '/'-separated, no '..'. */
  readonly path: string;
  readonly data: Uint8Array | string;
}

export interface WriteDirOptions {
  /** Replace an existing folder that snnc did not write. */
  readonly force?: boolean;
}

// Fault injection for the kill test (test/api/kill-write.test.ts): with SNNC_FAULT_KILL_AT=k
// the process kills itself (SIGKILL, as a crash or the OOM killer would) just before the k-th
// file-system change of an output write, so every point of the write phase can be tried.
const KILL_AT = Number(process.env['SNNC_FAULT_KILL_AT'] ?? 0);
let fsSteps = 0;
function step(): void {
  fsSteps++;
  if (KILL_AT > 0 && fsSteps === KILL_AT) process.kill(process.pid, 'SIGKILL');
}

function checkRelative(p: string): void {
  if (p === '' || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '')) {
    throw fail({ code: 'SNNC_E_IO', message: `refusing to write output file with unsafe path '${p}'` });
  }
}

/** An output folder being written: files go into a temp folder beside it as they are made. */
export interface DirWriter {
  /** Write one file into the temp folder now (a large compile need not hold its files in memory). */
  add(file: OutputFile): void;
  /** Put the complete folder in place of `dir` (replacing the old one). */
  commit(): void;
  /** Remove the temp folder; `dir` stays as it was. Safe to call after commit (does nothing then). */
  abort(): void;
}

/**
 * Starts writing folder `dir` atomically: `add` the files, then `commit`. An existing `dir` is
 * replaced only if snnc wrote it (marker present), it is empty, or `force` is set — checked
 * now, before any work is spent on the files.
 */
export function openDirAtomic(dir: string, opts: WriteDirOptions = {}): DirWriter {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) {
      throw fail({ code: 'SNNC_E_OUTPUT_EXISTS', message: `output path exists and is not a folder`, file: dir, hint: 'choose another -o path' });
    }
    const owned = existsSync(join(target, OUTPUT_MARKER)) || readdirSync(target).length === 0;
    if (!owned && opts.force !== true) {
      throw fail({
        code: 'SNNC_E_OUTPUT_EXISTS',
        message: 'output folder exists and was not written by snnc',
        file: dir,
        hint: 'pass --force to replace it, or choose another folder',
      });
    }
  }
  const parent = dirname(target);
  step();
  ioStep(dir, () => mkdirSync(parent, { recursive: true }));
  cleanStale(target);
  const tmp = join(parent, `.snnc-tmp-${basename(target)}-${process.pid}`);
  let open = true;
  const abort = (): void => {
    if (!open) return;
    open = false;
    rmSync(tmp, { recursive: true, force: true });
  };
  // Any failure inside removes the temp folder: the destination is never half-written.
  const guarded = (f: () => void): void => {
    if (!open) throw new Error(`output ${dir} was already committed or aborted`);
    try {
      f();
    } catch (e) {
      abort();
      if (isSnncError(e)) throw e;
      throw ioError(dir, e);
    }
  };
  guarded(() => {
    step();
    rmSync(tmp, { recursive: true, force: true });
    step();
    mkdirSync(tmp);
  });
  return {
    add: (f) =>
      guarded(() => {
        checkRelative(f.path);
        const p = join(tmp, f.path);
        step();
        mkdirSync(dirname(p), { recursive: true });
        step();
        writeFileSync(p, f.data);
      }),
    commit: () => {
      guarded(() => {
        step();
        writeFileSync(join(tmp, OUTPUT_MARKER), 'written by snnc; safe to delete\n');
        if (existsSync(target)) {
          const old = `${tmp}-old`;
          step();
          renameSync(target, old);
          step();
          renameSync(tmp, target);
          step();
          rmSync(old, { recursive: true, force: true });
        } else {
          step();
          renameSync(tmp, target);
        }
      });
      open = false;
    },
    abort,
  };
}

/**
 * Writes `files` as the complete content of folder `dir` (openDirAtomic, every file, commit).
 */
export function writeDirAtomic(dir: string, files: readonly OutputFile[], opts: WriteDirOptions = {}): void {
  const w = openDirAtomic(dir, opts);
  for (const f of files) w.add(f);
  w.commit();
}

function ioError(path: string, e: unknown): Error {
  return fail({
    code: 'SNNC_E_IO',
    message: `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`,
    file: path,
    hint: 'choose an output folder you can write to (and with free space)',
  });
}

function ioStep(path: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    throw ioError(path, e);
  }
}

/** Is a process with this id still running (so its temp folders and locks are live)? */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * What a killed snnc left beside `target`: temp folders of dead processes are removed; if the
 * kill came between the two renames (old output moved aside, new one not yet in place), the
 * old output is put back first, so the user always has a complete output.
 */
function cleanStale(target: string): void {
  const parent = dirname(target);
  const prefix = `.snnc-tmp-${basename(target)}-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.startsWith(prefix)).sort()) {
    const rest = name.slice(prefix.length);
    const m = /^(\d+)(-old)?$/.exec(rest);
    if (m === null || alive(Number(m[1]))) continue;
    const p = join(parent, name);
    step();
    if (m[2] !== undefined && !existsSync(target)) renameSync(p, target);
    else rmSync(p, { recursive: true, force: true });
  }
}

const held = new Set<string>();

/**
 * Fails with SNNC_E_IO now if the output's folder cannot be created or written, so a command
 * does not do minutes of work and then fail to save it; then takes the output's lock, so a
 * second snnc writing the same output at the same time stops with SNNC_E_OUTPUT_BUSY instead
 * of silently overwriting it. The lock is released by releaseOutputs() (the CLI does it after
 * every command) or when the process exits; a lock of a dead process is taken over.
 */
export function probeOutput(path: string): void {
  const target = resolve(path);
  const parent = dirname(target);
  const lock = join(parent, `.snnc-lock-${basename(target)}`);
  ioStep(path, () => {
    mkdirSync(parent, { recursive: true });
    const probe = join(parent, `.snnc-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  });
  if (held.has(lock)) return;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      held.add(lock);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(path, e);
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (alive(owner)) {
        throw fail({
          code: 'SNNC_E_OUTPUT_BUSY',
          message: `another snnc (process ${owner}) is writing this output`,
          file: path,
          hint: `wait for it to finish, or choose another -o; if no snnc runs, delete ${lock}`,
        });
      }
      rmSync(lock, { force: true }); // its owner died: take it over
    }
  }
  throw fail({
    code: 'SNNC_E_OUTPUT_BUSY',
    message: 'the output lock changed hands while taking it',
    file: path,
    hint: 'another snnc started writing the same output; try again',
  });
}

/** Releases the output locks this process holds. */
export function releaseOutputs(): void {
  for (const lock of held) rmSync(lock, { force: true });
  held.clear();
}

process.on('exit', releaseOutputs);

/** Writes one file atomically (temp file in the same folder + rename). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.snnc-tmp-${basename(target)}-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fail({ code: 'SNNC_E_IO', message: `could not write ${path}: ${(e as Error).message}`, file: path });
  }
}
