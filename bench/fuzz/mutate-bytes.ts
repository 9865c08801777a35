// Byte-level mutations (format-blind): bit flips, random bytes, deleted/duplicated ranges,
// truncation. They test the parsers' first line of defence: length and magic checks.
import type { Rand } from './rand.js';

export function mutateBytes(r: Rand, src: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds && b.length > 0; k++) {
    const at = r.int(b.length);
    switch (r.int(6)) {
      case 0:
        b[at] = (b[at] as number) ^ (1 << r.int(8));
        break;
      case 1:
        b[at] = r.int(256);
        break;
      case 2:
        b = b.slice(0, at);
        break;
      case 3: {
        const n = 1 + r.int(64);
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n)));
        break;
      }
      case 4: {
        const n = 1 + r.int(64);
        b = concat(b.subarray(0, at), b.subarray(at, at + n), b.subarray(at));
        break;
      }
      default: {
        const n = 1 + r.int(16);
        const junk = Uint8Array.from({ length: n }, () => r.pick([0, 0xff, 0x7f, 0x80, r.int(256)]));
        b = concat(b.subarray(0, at), junk, b.subarray(at));
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
