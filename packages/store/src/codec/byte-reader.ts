// From its own package, not the kernel's: the sealing thread reads batches without loading it.
import { ChronovisorError } from '@chronovisor/errors';

/** Bytes that do not decode: cut short, or not what the format allows at that point. */
export class DecodeError extends ChronovisorError {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}

/** Reads what {@link ByteWriter} wrote, failing with the offset on anything malformed or cut short. */
export class ByteReader {
  offset: number;
  end: number;
  // Made when first needed: a reader is often made per record, and most records need neither.
  private view?: DataView;
  /** The same bytes as a Buffer, for its native UTF-8 decoding. */
  private buffer?: Buffer;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
    end = bytes.length,
  ) {
    this.offset = offset;
    this.end = end;
  }

  /** Reads `[offset, end)` of the same bytes next (one reader serves a batch's records). */
  moveTo(offset: number, end: number): this {
    this.offset = offset;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  private need(n: number): void {
    if (this.offset + n > this.end)
      throw new DecodeError(this.offset, `${n} more bytes needed, the data ends`);
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    const start = this.offset;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new DecodeError(start, 'An integer longer than 53 bits');
    }
    return value;
  }

  float64(): number {
    this.need(8);
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  raw(n: number): Uint8Array {
    this.need(n);
    // A plain Uint8Array even when reading a Buffer: payloads are plain data (a Buffer would
    // serialize differently, through its toJSON).
    const out = new Uint8Array(n);
    const bytes = this.bytes;
    const at = this.offset;
    // By hand for a few bytes (a store's data): a view to copy from costs more than the copy.
    if (n <= 32) for (let i = 0; i < n; i++) out[i] = bytes[at + i]!;
    else out.set(bytes.subarray(at, at + n));
    this.offset += n;
    return out;
  }

  /** Moves past `n` bytes. */
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  string(): string {
    const n = this.varint();
    this.need(n);
    const start = this.offset;
    this.offset += n;
    return n <= INTERNED_MAX
      ? intern(this.bytes, start, n)
      : (this.buffer ??= Buffer.from(
          this.bytes.buffer,
          this.bytes.byteOffset,
          this.bytes.byteLength,
        )).toString('utf8', start, start + n);
  }
}

/*
 * Short strings repeat in a log (types, actors, field names), and decoding them is most of what
 * decoding a record costs. A small direct-mapped cache, keyed by a hash of the bytes and checked
 * byte for byte, returns the string already made.
 */
const INTERNED_MAX = 48;
const SLOTS = 1024;
const cachedBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SLOTS);
const cachedStrings: string[] = new Array<string>(SLOTS);
const imul = Math.imul;

function intern(bytes: Uint8Array, start: number, n: number): string {
  let h = n;
  for (let i = start; i < start + n; i++) h = (imul(h, 31) + bytes[i]!) | 0;
  const slot = h & (SLOTS - 1);
  const known = cachedBytes[slot];
  if (known !== undefined && known.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (known[i] !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cachedStrings[slot]!;
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, n).toString('utf8');
  cachedBytes[slot] = new Uint8Array(bytes.subarray(start, start + n)); // a copy: the input may be reused
  cachedStrings[slot] = text;
  return text;
}
