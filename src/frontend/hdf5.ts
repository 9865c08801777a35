// h5wasm plumbing for every HDF5 file snnc reads or writes (NIR here, lava-dl netx in the
// Loihi backend). The library keeps files in an in-memory Emscripten FS, so a file is
// written under a fresh name, its bytes read back, and the name unlinked.
//
// Determinism: HDF5 stamps object headers with times from Emscripten's clock, which
// reads Date.now(); h5wasm has no switch for H5Pset_obj_track_times. Holding Date.now at
// 0 while the file is written makes every stamp 0, so one graph always gives one byte
// string (test/frontend/nir-roundtrip and test/backends/loihi-netx check it).
import h5wasm from 'h5wasm';
import type { File as H5File } from 'h5wasm';

export type { H5File };
export { h5wasm };

interface MemFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

let fs: MemFs | undefined;
let counter = 0;

async function memFs(): Promise<MemFs> {
  if (fs === undefined) {
    const mod = (await h5wasm.ready) as unknown as { FS: MemFs };
    fs = mod.FS;
  }
  return fs;
}

function freshName(): string {
  counter += 1;
  return `/snnc-${counter}.h5`;
}

/** Build a file with `fill` and return its bytes, with all HDF5 timestamps at 0. */
export async function writeH5(fill: (f: H5File) => void): Promise<Uint8Array> {
  const mem = await memFs();
  const name = freshName();
  const realNow = Date.now;
  Date.now = (): number => 0;
  try {
    const f = new h5wasm.File(name, 'w');
    try {
      fill(f);
    } finally {
      f.close();
    }
    return Uint8Array.from(mem.readFile(name));
  } finally {
    Date.now = realNow;
    try {
      mem.unlink(name);
    } catch {
      // never created (the File constructor failed); nothing to clean up
    }
  }
}

/** Open `bytes` read-only, run `use`, close and unlink. */
export async function readH5<T>(bytes: Uint8Array, use: (f: H5File) => T): Promise<T> {
  const mem = await memFs();
  const name = freshName();
  mem.writeFile(name, bytes);
  try {
    const f = new h5wasm.File(name, 'r');
    try {
      return use(f);
    } finally {
      f.close();
    }
  } finally {
    mem.unlink(name);
  }
}
