/**
 * Values keyed by address, kept in address order: exact lookups through a Map, ordered ones
 * (the block holding an address, the next chunk up) by binary search over a sorted key array.
 * Inserting shifts the array, which for the few thousand live blocks or free chunks of a heap is
 * a memmove, far cheaper than a balanced tree's allocations.
 */
export class AddressMap<V> {
  private keys: number[] = [];
  private values = new Map<number, V>();

  get size(): number {
    return this.keys.length;
  }

  get(address: number): V | undefined {
    return this.values.get(address);
  }

  has(address: number): boolean {
    return this.values.has(address);
  }

  set(address: number, value: V): void {
    if (!this.values.has(address)) this.keys.splice(this.lowerBound(address), 0, address);
    this.values.set(address, value);
  }

  delete(address: number): boolean {
    if (!this.values.delete(address)) return false;
    this.keys.splice(this.lowerBound(address), 1);
    return true;
  }

  /** The greatest key ≤ `address`. */
  floor(address: number): number | undefined {
    const i = this.lowerBound(address + 1) - 1;
    return i >= 0 ? this.keys[i] : undefined;
  }

  /** The least key ≥ `address`. */
  ceiling(address: number): number | undefined {
    return this.keys[this.lowerBound(address)];
  }

  /** The key `steps` places below `address`'s floor (0: the floor itself). */
  below(address: number, steps: number): number | undefined {
    const i = this.lowerBound(address + 1) - 1 - steps;
    return i >= 0 ? this.keys[i] : undefined;
  }

  /** Keys in address order, from the first ≥ `from`. */
  *keysFrom(from = 0): IterableIterator<number> {
    for (let i = this.lowerBound(from); i < this.keys.length; i++) yield this.keys[i]!;
  }

  /** Entries in address order. */
  *entries(): IterableIterator<[number, V]> {
    for (const key of this.keys) yield [key, this.values.get(key)!];
  }

  /** A copy sharing the values (which callers never mutate in place). */
  clone(): AddressMap<V> {
    const copy = new AddressMap<V>();
    copy.keys = this.keys.slice();
    copy.values = new Map(this.values);
    return copy;
  }

  /** The index of the first key ≥ `address`. */
  private lowerBound(address: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
