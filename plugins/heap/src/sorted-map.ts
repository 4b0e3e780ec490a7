import { PersistentSortedMap } from '@chronovisor/core';
import { writeBytes } from './heap-footprint';

/*
 * The one place that says which sorted map the heap keeps its blocks, freed blocks and chunks in:
 * core's PersistentSortedMap, a B+tree whose writes copy only their path, so a snapshot holds
 * the roots as they are and shares every unchanged node with the live heap.
 */

/** A map from addresses to values, in address order, that a snapshot can hold. */
export type SortedMap<V> = PersistentSortedMap<V>;

/** A new, empty map. */
export function emptySortedMap<V>(): SortedMap<V> {
  return PersistentSortedMap.empty<V>();
}

/** About the bytes a write that turned map `before` into `after` made: its path and record. */
export function writeCost<V>(before: SortedMap<V>, after: SortedMap<V>): number {
  return after === before ? 0 : writeBytes(after.size);
}
