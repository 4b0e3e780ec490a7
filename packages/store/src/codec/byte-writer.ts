/** Appends bytes to a buffer that grows by doubling: the encoder's only allocation, amortized. */
export class ByteWriter {
  bytes: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 64 * 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.length = 0;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  take(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** Makes room for `extra` more bytes (`bytes` may be a new array after). */
  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** An unsigned integer below 2^53 as LEB128: seven bits a byte, low first. */
  varint(value: number): void {
    this.reserve(8);
    this.length = writeVarint(this.bytes, this.length, value);
  }

  float64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  raw(data: Uint8Array): void {
    const n = data.length;
    this.reserve(n);
    // By hand for a few bytes (keys, small stores): the call into TypedArray#set costs more.
    if (n <= 32) {
      const bytes = this.bytes;
      let at = this.length;
      for (let i = 0; i < n; i++) bytes[at++] = data[i]!;
      this.length = at;
      return;
    }
    this.bytes.set(data, this.length);
    this.length += n;
  }

  /** A string as its UTF-8 byte length then bytes; short ones, the common case, from a cache. */
  string(value: string): void {
    const known = encodedStrings.get(value);
    if (known !== undefined) {
      this.reserve(known.length);
      // By hand: for a few bytes a loop beats the call into TypedArray#set.
      for (let i = 0; i < known.length; i++) this.bytes[this.length++] = known[i]!;
      return;
    }
    const start = this.length;
    this.uncachedString(value);
    if (value.length <= CACHED_STRING_LENGTH && encodedStrings.size < CACHED_STRINGS)
      encodedStrings.set(value, this.bytes.slice(start, this.length));
  }

  /** ASCII without an encoder call. */
  private uncachedString(value: string): void {
    const n = value.length;
    this.reserve(n * 3 + 8);
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (value.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.varint(n);
      for (let i = 0; i < n; i++) this.bytes[this.length++] = value.charCodeAt(i);
      return;
    }
    const encoded = Buffer.from(value, 'utf8');
    this.varint(encoded.length);
    this.raw(encoded);
  }
}

/*
 * Records repeat a few short strings (types, actors, object keys, enum values) millions of times:
 * their encodings are kept, process-wide, up to a bound so that varied strings cannot grow it.
 */
const CACHED_STRING_LENGTH = 32;
const CACHED_STRINGS = 4096;
const encodedStrings = new Map<string, Uint8Array>();

/**
 * Writes `value` (below 2^53) as LEB128 into `bytes` at `at`, which has room for it (8 bytes at
 * most); returns where it ends. For writers that fill a buffer in place (a record's head).
 */
export function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  if (value < 0x80) {
    bytes[at] = value;
    return at + 1;
  }
  // Integer arithmetic while the value fits 31 bits, as nearly all do: seqs, ticks, lengths.
  while (value >= 0x80000000) {
    bytes[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  while (value >= 0x80) {
    bytes[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[at++] = value;
  return at;
}
