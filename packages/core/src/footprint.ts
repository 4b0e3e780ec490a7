/**
 * Adds up the memory of objects met for the first time: walking several snapshots of persistent
 * structures, which share everything unchanged, it counts what they hold together, each shared
 * object once (identity says what is shared). For a projection's `snapshotBytes`; sizes are
 * estimates of V8's layout, for a memory budget, not an allocator.
 */
export class Footprint {
  private readonly seen = new Set<object>();
  bytes = 0;

  /** Counts `object` unless met before; true when it was new (so the caller walks inside it). */
  add(object: object, bytes: number): boolean {
    if (this.seen.has(object)) return false;
    this.seen.add(object);
    this.bytes += bytes;
    return true;
  }
}

/** An array of `length` slots, with its object header. */
export const arrayBytes = (length: number): number => 32 + 8 * length;

/** A typed array and its buffer (kept outside the JavaScript heap). */
export const typedArrayBytes = (array: ArrayBufferView): number => 160 + array.byteLength;
