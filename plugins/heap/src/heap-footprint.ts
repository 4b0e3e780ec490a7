import type { SortedMapEditor } from '@chronovisor/core';

/*
 * Estimates of the memory the heap's maps take, for a time-travel memory budget. The maps do not
 * show their nodes, so the heap counts what a write makes instead: the nodes an editor's write
 * copied or added (see `SortedMapEditor.nodesMade`), or, for the small maps of freed blocks by
 * tag, the path a persistent write copies, a node per level. Sizes are estimates of V8's layout
 * of a tree node (two arrays of some 20 of its 32 slots, and the node object) and of a record (a
 * block, a freed block, a chunk).
 */

/** A tree node, as filled on average. */
export const NODE_BYTES = 400;
/** Entries per node, on average (nodes hold 8 to 32). */
const FANOUT = 20;
/** A record the maps hold: a block, a freed block, a chunk, a ref's number. */
export const RECORD_BYTES = 96;
/** What one entry of a persistent map takes, its share of the nodes and its record. */
export const ENTRY_BYTES = RECORD_BYTES + Math.ceil(NODE_BYTES / FANOUT);

/** What a write to a persistent map of `size` entries makes: its path of nodes, and the record. */
export function writeBytes(size: number): number {
  let levels = 1;
  for (let reach = FANOUT; reach < size; reach *= FANOUT) levels++;
  return levels * NODE_BYTES + RECORD_BYTES;
}

/** Sets `key` through `editor`; returns what that made: the nodes it copied or added, and the record. */
export function madeBySet<V>(editor: SortedMapEditor<V>, key: number, value: V): number {
  const nodes = editor.nodesMade;
  editor.set(key, value);
  return (editor.nodesMade - nodes) * NODE_BYTES + RECORD_BYTES;
}

/** Deletes `key` through `editor`; returns what that made: the nodes it copied. */
export function madeByDelete(editor: SortedMapEditor<unknown>, key: number): number {
  const nodes = editor.nodesMade;
  editor.delete(key);
  return (editor.nodesMade - nodes) * NODE_BYTES;
}
