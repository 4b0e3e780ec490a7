/**
 * An append-only list that snapshots share: a snapshot holds the array and its length then, and
 * the array only grows past that length. After going back to a shorter snapshot, the first append
 * copies the prefix, so what a longer snapshot holds stays as it was.
 */
export class SharedList<T> {
  private items: T[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  at(index: number): T | undefined {
    return index < this.count ? this.items[index] : undefined;
  }

  push(item: T): number {
    if (this.items.length !== this.count) this.items = this.items.slice(0, this.count);
    this.items.push(item);
    return this.count++;
  }

  /** The list as it is, for a snapshot. */
  capture(): SharedListVersion<T> {
    return { items: this.items, length: this.count };
  }

  reset(version: SharedListVersion<T>): void {
    this.items = version.items as T[];
    this.count = version.length;
  }

  /** The items, as an array of their own. */
  toArray(): T[] {
    return this.items.slice(0, this.count);
  }
}

/** What a snapshot holds of a {@link SharedList}. */
export interface SharedListVersion<T> {
  readonly items: readonly T[];
  readonly length: number;
}
