import { IDENTIFIER, ISSUES, OBJECT, TYPE, type HandleTable } from './handle-table';
import type { HandleRejected } from './handles-events';
import { identifierOf, indexOf, type TableLayout } from './table-layout';

/** A good handle: its slot, its entry's address, and what it names. */
export interface GoodHandle {
  readonly ok: true;
  readonly index: number;
  readonly identifier: number;
  readonly at: number;
  readonly object: number;
  /** The type's number in the state's list. */
  readonly type: number;
}

/** Why a handle is refused, as the rejection event says it (less the space and operation). */
export type BadHandle = Omit<HandleRejected, 'space' | 'op'>;

/**
 * US7403887B1's check: the handle's index names a slot, and the identifier it carries must equal
 * the slot's. When they differ, the slot's issue count tells a stale handle (an identifier it
 * handed out before) from a forged one (one it never did), until its identifiers wrap: from then
 * on every identifier has been handed out, and a stale copy of the current one is accepted.
 */
export function checkHandle(
  table: HandleTable | undefined,
  layout: TableLayout,
  handle: number,
): GoodHandle | { readonly ok: false; readonly bad: BadHandle } {
  const index = indexOf(layout, handle);
  const identifier = identifierOf(layout, handle);
  if (!table || index === 0 || index >= table.fresh || identifier >= layout.identifiers)
    return { ok: false, bad: { handle, reason: 'invalid', index, identifier } };
  const { words, offset, at } = table.entry(index);
  const object = words[offset + OBJECT]!;
  const current = words[offset + IDENTIFIER]!;
  if (object !== 0 && identifier === current)
    return { ok: true, index, identifier, at, object, type: words[offset + TYPE]! };
  const issues = words[offset + ISSUES]!;
  const issued = issues >= layout.identifiers || identifier < issues;
  const reason = !issued ? 'forged' : object === 0 ? 'closed' : 'stale';
  const entry = object === 0 ? { at, identifier: current } : { at, identifier: current, object };
  return { ok: false, bad: { handle, reason, index, identifier, entry } };
}
