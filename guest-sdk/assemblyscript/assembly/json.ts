// A small, strict JSON reader (RFC 8259) over UTF-8 bytes, for the kwargs.
// It walks and validates the text and hands back spans (offsets); strings
// are decoded on demand. See ../README.md ("kwargs").

export enum Kind { ERROR = -1, NULL = 0, FALSE = 1, TRUE = 2, NUMBER = 3, STRING = 4, ARRAY = 5, OBJECT = 6 }

/** A value's place in the text: [start, end). For a string, its content without the quotes. */
export class Span {
  kind: Kind = Kind.ERROR;
  start: i32 = 0;
  end: i32 = 0;
}

/** The deepest nesting value() accepts. */
export const MAX_DEPTH: i32 = 256;

function isWS(c: u8): bool { return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D; }

function hexVal(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export class JSONReader {
  buf: Uint8Array;
  pos: i32;
  end: i32;

  constructor(buf: Uint8Array, start: i32 = 0, end: i32 = -1) {
    this.buf = buf;
    this.pos = start;
    this.end = end < 0 ? buf.length : end;
  }

  private ws(): void {
    while (this.pos < this.end && isWS(unchecked(this.buf[this.pos]))) this.pos++;
  }

  /** The kind of the next value (after whitespace), by its first character. */
  peek(): Kind {
    this.ws();
    if (this.pos >= this.end) return Kind.ERROR;
    const c = unchecked(this.buf[this.pos]);
    if (c == 0x7B) return Kind.OBJECT;
    if (c == 0x5B) return Kind.ARRAY;
    if (c == 0x22) return Kind.STRING;
    if (c == 0x74) return Kind.TRUE;
    if (c == 0x66) return Kind.FALSE;
    if (c == 0x6E) return Kind.NULL;
    if (c == 0x2D || (c >= 0x30 && c <= 0x39)) return Kind.NUMBER;
    return Kind.ERROR;
  }

  /** Validates and skips the next value; returns its kind (its span in out) or Kind.ERROR. */
  value(out: Span | null = null): Kind { return this.val(out, 0); }

  /** Consumes the '{' of an object; false if the next value is not one. */
  enter(): bool {
    if (this.peek() != Kind.OBJECT) return false;
    this.pos++;
    return true;
  }

  /**
   * Reads member n (0 for the first) of the entered object up to its ':':
   * 1 with the key's span (still escaped), 0 when the object ends (its '}'
   * consumed), -1 on a syntax error. Read the value before the next member.
   */
  member(n: i32, key: Span): i32 {
    this.ws();
    if (this.pos >= this.end) return -1;
    let c = unchecked(this.buf[this.pos]);
    if (c == 0x7D) { this.pos++; return 0; }
    if (n > 0) {
      if (c != 0x2C) return -1;
      this.pos++;
      this.ws();
      if (this.pos >= this.end) return -1;
      c = unchecked(this.buf[this.pos]);
    }
    if (c != 0x22 || !this.str(key)) return -1;
    this.ws();
    if (this.pos >= this.end || unchecked(this.buf[this.pos]) != 0x3A) return -1;
    this.pos++;
    return 1;
  }

  /** True when only whitespace is left. */
  atEnd(): bool {
    this.ws();
    return this.pos == this.end;
  }

  private str(out: Span | null): bool {
    let p = this.pos + 1;
    const start = p;
    const b = this.buf;
    while (p < this.end) {
      const c = unchecked(b[p]);
      if (c == 0x22) {
        if (out) { out.kind = Kind.STRING; out.start = start; out.end = p; }
        this.pos = p + 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c == 0x5C) {
        if (++p >= this.end) return false;
        const e = unchecked(b[p]);
        if (e == 0x75) { // u
          if (this.end - p < 5) return false;
          for (let i = 1; i <= 4; i++) if (hexVal(unchecked(b[p + i])) < 0) return false;
          p += 5;
        } else if (e == 0x22 || e == 0x5C || e == 0x2F || e == 0x62 || e == 0x66 || e == 0x6E || e == 0x72 || e == 0x74) {
          p++;
        } else {
          return false;
        }
        continue;
      }
      p++;
    }
    return false;
  }

  private digits(): bool {
    const s = this.pos;
    while (this.pos < this.end) {
      const c = unchecked(this.buf[this.pos]);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > s;
  }

  private num(): bool {
    const b = this.buf;
    if (unchecked(b[this.pos]) == 0x2D) this.pos++;
    if (this.pos >= this.end) return false;
    if (unchecked(b[this.pos]) == 0x30) this.pos++;
    else if (!this.digits()) return false;
    if (this.pos < this.end && unchecked(b[this.pos]) == 0x2E) {
      this.pos++;
      if (!this.digits()) return false;
    }
    if (this.pos < this.end && (unchecked(b[this.pos]) | 0x20) == 0x65) {
      this.pos++;
      if (this.pos < this.end && (unchecked(b[this.pos]) == 0x2B || unchecked(b[this.pos]) == 0x2D)) this.pos++;
      if (!this.digits()) return false;
    }
    return true;
  }

  private lit(w: string): bool {
    const n = w.length;
    if (this.end - this.pos < n) return false;
    for (let i = 0; i < n; i++) if (<i32>unchecked(this.buf[this.pos + i]) != w.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  private val(out: Span | null, depth: i32): Kind {
    const k = this.peek();
    const start = this.pos;
    let ok = false;
    switch (k) {
      case Kind.ERROR: return Kind.ERROR;
      case Kind.NULL: ok = this.lit("null"); break;
      case Kind.TRUE: ok = this.lit("true"); break;
      case Kind.FALSE: ok = this.lit("false"); break;
      case Kind.NUMBER: ok = this.num(); break;
      case Kind.STRING: return this.str(out) ? Kind.STRING : Kind.ERROR;
      case Kind.ARRAY: {
        if (depth >= MAX_DEPTH) return Kind.ERROR;
        this.pos++;
        this.ws();
        if (this.pos < this.end && unchecked(this.buf[this.pos]) == 0x5D) { this.pos++; ok = true; break; }
        while (true) {
          if (this.val(null, depth + 1) == Kind.ERROR) return Kind.ERROR;
          this.ws();
          if (this.pos >= this.end) return Kind.ERROR;
          const c = unchecked(this.buf[this.pos]);
          this.pos++;
          if (c == 0x2C) continue;
          if (c != 0x5D) return Kind.ERROR;
          ok = true;
          break;
        }
        break;
      }
      case Kind.OBJECT: {
        if (depth >= MAX_DEPTH) return Kind.ERROR;
        this.pos++;
        const key = new Span();
        let r: i32, i = 0;
        while ((r = this.member(i++, key)) > 0) if (this.val(null, depth + 1) == Kind.ERROR) return Kind.ERROR;
        ok = r == 0;
        break;
      }
    }
    if (!ok) return Kind.ERROR;
    if (out) { out.kind = k; out.start = start; out.end = this.pos; }
    return k;
  }

  /** Decodes a validated string span into UTF-8 bytes (lone surrogates become U+FFFD). */
  bytes(s: Span): Uint8Array {
    const b = this.buf;
    const out = new Uint8Array(s.end - s.start); // never longer than the literal
    let o = 0, p = s.start;
    while (p < s.end) {
      const c = unchecked(b[p]);
      if (c != 0x5C) { unchecked(out[o++] = c); p++; continue; }
      const e = unchecked(b[p + 1]);
      p += 2;
      if (e == 0x75) {
        let u = this.u4(p);
        p += 4;
        if (u >= 0xD800 && u < 0xDC00 && s.end - p >= 6 && unchecked(b[p]) == 0x5C && unchecked(b[p + 1]) == 0x75) {
          const lo = this.u4(p + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            p += 6;
            o = utf8(out, o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
            continue;
          }
        }
        if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
        o = utf8(out, o, u);
        continue;
      }
      let d: u8 = e; // " \ /
      if (e == 0x62) d = 8; else if (e == 0x66) d = 12; else if (e == 0x6E) d = 10; else if (e == 0x72) d = 13; else if (e == 0x74) d = 9;
      unchecked(out[o++] = d);
    }
    return out.subarray(0, o);
  }

  /** Decodes a validated string span into a string. */
  string(s: Span): string {
    const v = this.bytes(s);
    return String.UTF8.decodeUnsafe(v.dataStart, v.length);
  }

  /** Whether the string at span s decodes to exactly w (ASCII, no escapes in w). */
  is(s: Span, w: string): bool {
    const n = s.end - s.start;
    if (n != w.length) return this.string(s) == w;
    for (let i = 0; i < n; i++) if (<i32>unchecked(this.buf[s.start + i]) != w.charCodeAt(i)) return this.string(s) == w;
    return true;
  }

  private u4(p: i32): i32 {
    const b = this.buf;
    return hexVal(unchecked(b[p])) << 12 | hexVal(unchecked(b[p + 1])) << 8 | hexVal(unchecked(b[p + 2])) << 4 | hexVal(unchecked(b[p + 3]));
  }
}

function utf8(out: Uint8Array, o: i32, c: i32): i32 {
  if (c < 0x80) { unchecked(out[o++] = <u8>c); }
  else if (c < 0x800) { unchecked(out[o++] = <u8>(0xC0 | (c >> 6))); unchecked(out[o++] = <u8>(0x80 | (c & 0x3F))); }
  else if (c < 0x10000) {
    unchecked(out[o++] = <u8>(0xE0 | (c >> 12))); unchecked(out[o++] = <u8>(0x80 | ((c >> 6) & 0x3F)));
    unchecked(out[o++] = <u8>(0x80 | (c & 0x3F)));
  } else {
    unchecked(out[o++] = <u8>(0xF0 | (c >> 18))); unchecked(out[o++] = <u8>(0x80 | ((c >> 12) & 0x3F)));
    unchecked(out[o++] = <u8>(0x80 | ((c >> 6) & 0x3F))); unchecked(out[o++] = <u8>(0x80 | (c & 0x3F)));
  }
  return o;
}
