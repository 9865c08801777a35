// A growing UTF-8 buffer for large generated sources: a VGG-16 weights header is 60 MB of
// decimal integers, which as one JavaScript string built from millions of row strings peaked
// at ~900 MB during emission; written as bytes it takes its own size.
const utf8 = new TextEncoder();
const MINUS = 45;
const ZERO = 48;

export class TextBytes {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends `s` (any text; model names must be sanitized by the caller). */
  text(s: string): this {
    this.room(3 * s.length);
    // Short ASCII pieces (the common case: separators) byte by byte: encodeInto needs a
    // subarray per call, which costs more than the copy.
    if (s.length <= 32) {
      let ascii = true;
      for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 128;
      if (ascii) {
        for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
        return this;
      }
    }
    this.len += utf8.encodeInto(s, this.buf.subarray(this.len)).written;
    return this;
  }

  /** Appends a safe integer in decimal, as String(v) writes it. */
  int(v: number): this {
    if (!Number.isSafeInteger(v)) return this.text(String(v));
    this.room(17);
    if (v < 0) {
      this.buf[this.len++] = MINUS;
      v = -v;
    }
    if (v < 2 ** 31) {
      // 32-bit integer arithmetic: the common case (weights, thresholds) and twice as fast.
      let digits = 1;
      for (let r = v; r >= 10; r = (r / 10) | 0) digits++;
      let at = this.len + digits;
      this.len = at;
      do {
        const q = (v / 10) | 0;
        this.buf[--at] = ZERO + v - 10 * q;
        v = q;
      } while (v > 0);
      return this;
    }
    let digits = 1;
    for (let r = v; r >= 10; r = Math.floor(r / 10)) digits++;
    let at = this.len + digits;
    this.len = at;
    do {
      this.buf[--at] = ZERO + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    return this;
  }

  /** Appends one ASCII character by its code. */
  char(code: number): this {
    this.room(1);
    this.buf[this.len++] = code;
    return this;
  }

  /**
   * The bytes written so far. A view, not a copy, when they fill most of the buffer: a CIFAR
   * VGG-16's 63 MB weights header copied out of its 67 MB buffer held both at once.
   */
  bytes(): Uint8Array {
    return this.len >= 0.75 * this.buf.length ? this.buf.subarray(0, this.len) : this.buf.slice(0, this.len);
  }
}
