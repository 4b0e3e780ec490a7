/**
 * A generation's mark on the structures it made. An object, not a number: a mark read back from a
 * persisted snapshot is a fresh object, so nothing loaded from a file can pass for the live
 * generation and be changed in place (a number from another process could).
 */
export type Stamp = { readonly generation: number };

/**
 * The snapshot epoch shared by all of the MMU's persistent structures. A node, chunk or frame
 * buffer stamped with the current generation belongs to the live state alone and may change in
 * place; anything older may be held by a snapshot, so it is copied before it changes. Taking a
 * snapshot is then just capturing the roots and moving to the next generation.
 */
export class Generation {
  value = 1;
  stamp: Stamp = { generation: 1 };
  /**
   * Bytes of structures made so far (frames, chunks, table nodes, copies of them): a running
   * count, for a time-travel memory budget (see `MmuState.allocatedBytes`).
   */
  allocatedBytes = 0;

  next(): void {
    this.value++;
    this.stamp = { generation: this.value };
  }
}
