// The small part of ZIP that .npz files use: read the central directory (with ZIP64
// extensions) and extract stored or deflated entries; write stored entries.
// Sizes come from the central directory, never from local headers: numpy writes local
// headers with ZIP64 placeholders (0xFFFFFFFF) even for small arrays.
import { constants as zconstants, inflateRawSync } from 'node:zlib';
import { fail } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
  readonly flags: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32 = 0xffffffff;
const U16 = 0xffff;

function bad(file: string | undefined, message: string): never {
  throw fail({
    code: 'SNNC_E_NPY',
    message,
    ...(file !== undefined ? { file } : {}),
    hint: 'the .npz file may be truncated or not a ZIP archive; re-save it with numpy.savez',
  });
}

export function listZip(bytes: Uint8Array, file?: string): ZipEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record sits in the last 22 + 65535 (max comment) bytes; search backwards.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - U16; i--) {
    if (v.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad(file, 'not a ZIP archive (no end-of-central-directory record)');
  let count = v.getUint16(eocd + 10, true);
  let cdSize = v.getUint32(eocd + 12, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (count === U16 || cdSize === U32 || cdOffset === U32) {
    const loc = eocd - 20;
    if (loc < 0 || v.getUint32(loc, true) !== SIG_LOC64) bad(file, 'ZIP64 end record locator missing');
    const rec = Number(v.getBigUint64(loc + 8, true));
    if (rec + 56 > bytes.length || v.getUint32(rec, true) !== SIG_EOCD64) bad(file, 'ZIP64 end record missing');
    count = Number(v.getBigUint64(rec + 32, true));
    cdSize = Number(v.getBigUint64(rec + 40, true));
    cdOffset = Number(v.getBigUint64(rec + 48, true));
  }
  if (cdOffset + cdSize > bytes.length) bad(file, 'central directory lies outside the file');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || v.getUint32(p, true) !== SIG_CENTRAL) bad(file, `central directory entry ${k} is malformed`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc32 = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localOffset = v.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > bytes.length) bad(file, `central directory entry ${k} is truncated`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): 8-byte values for exactly the fields that are 0xFFFFFFFF, in order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) bad(file, `ZIP64 extra field of '${name}' is too short`);
          const x = Number(v.getBigUint64(q, true));
          q += 8;
          return x;
        };
        if (size === U32) size = take();
        if (compressedSize === U32) compressedSize = take();
        if (localOffset === U32) localOffset = take();
      }
      e += 4 + len;
    }
    entries.push({ name, method, crc32, compressedSize, size, localOffset, flags });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Uncompressed bytes of one entry; `maxBytes` guards against inflating hostile sizes. */
/**
 * The first bytes (at most n) an entry unpacks to, inflating only a prefix of it: enough for a
 * file header, without unpacking (or allocating) the rest.
 */
export function peekZip(bytes: Uint8Array, entry: ZipEntry, n: number): Uint8Array | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || v.getUint32(at, true) !== SIG_LOCAL || (entry.flags & 1) !== 0) return undefined;
  const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
  const packed = bytes.subarray(start, Math.min(bytes.length, start + entry.compressedSize));
  if (entry.method === 0) return packed.subarray(0, n);
  if (entry.method !== 8) return undefined;
  try {
    // Z_SYNC_FLUSH returns what a truncated stream inflates to instead of failing; 2 KiB of
    // deflate input unpacks to at most ~2 MiB (deflate's ratio is bounded by ~1032:1).
    return inflateRawSync(packed.subarray(0, Math.min(packed.length, 2048)), { finishFlush: zconstants.Z_SYNC_FLUSH }).subarray(0, n);
  } catch {
    return undefined;
  }
}

export function extractZip(bytes: Uint8Array, entry: ZipEntry, maxBytes: number, file?: string): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || v.getUint32(at, true) !== SIG_LOCAL) bad(file, `local header of '${entry.name}' is missing`);
  if ((entry.flags & 1) !== 0) bad(file, `entry '${entry.name}' is encrypted`);
  if (entry.size > maxBytes) {
    throw fail({
      code: 'SNNC_E_LIMIT',
      message: `entry '${entry.name}' unpacks to ${entry.size} bytes, over the limit of ${maxBytes}`,
      ...(file !== undefined ? { file } : {}),
      hint: 'raise the limit with --max-elements if the data really is this large',
    });
  }
  const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) bad(file, `entry '${entry.name}' is truncated`);
  const packed = bytes.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) {
    out = packed;
  } else if (entry.method === 8) {
    try {
      out = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      return bad(file, `entry '${entry.name}' does not inflate (${e instanceof Error ? e.message : String(e)})`);
    }
  } else {
    return bad(file, `entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
  }
  if (out.length !== entry.size) bad(file, `entry '${entry.name}' unpacks to ${out.length} bytes, the directory says ${entry.size}`);
  if (crc32(out) !== entry.crc32) bad(file, `entry '${entry.name}' fails its CRC-32 check`);
  return out;
}

let crcTable: Uint32Array | undefined;

function crc32(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (t[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A ZIP of stored entries, in the given order, with a fixed DOS timestamp
 * (1980-01-01 00:00), so the same entries always give the same bytes. No ZIP64: each
 * entry and the archive must stay under 4 GiB.
 */
export function writeZip(entries: readonly { readonly name: string; readonly data: Uint8Array }[]): Uint8Array {
  if (entries.length >= U16) throw fail({ code: 'SNNC_E_LIMIT', message: `${entries.length} entries do not fit a ZIP without ZIP64` });
  const enc = new TextEncoder();
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = enc.encode(name);
    const crc = crc32(data);
    if (data.length >= U32 || offset >= U32) {
      throw fail({ code: 'SNNC_E_LIMIT', message: `entry '${name}' does not fit a ZIP without ZIP64 (4 GiB)` });
    }
    const loc = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, 20, true); // version needed 2.0
    lv.setUint16(8, 0, true); // stored
    lv.setUint16(10, 0, true); // time 00:00:00
    lv.setUint16(12, DOS_DATE, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    loc.set(nameBytes, 30);
    const cen = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, 20, true); // made by 2.0
    cv.setUint16(6, 20, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, DOS_DATE, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    cen.set(nameBytes, 46);
    locals.push(loc, data);
    centrals.push(cen);
    offset += loc.length + data.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
