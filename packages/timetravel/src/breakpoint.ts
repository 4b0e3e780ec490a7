import type { Accesses } from './provenance';
import type { LogRecord } from '@chronovisor/core';

/**
 * Where `continue` and `reverseContinue` stop: a test of one record. Breakpoints look at records
 * only, never at state, so they fire the same running forwards or backwards.
 */
export type Breakpoint = (record: LogRecord) => boolean;

/** What a record breakpoint matches; every given field must. */
export interface RecordPattern {
  /** An exact type, or a prefix ending in `.` (`heap.` for everything the heap records). */
  readonly type?: string;
  readonly actor?: string;
  readonly kind?: 'command' | 'event';
  /** Fields of the event's data or the command's args that must equal these values. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export function matching(pattern: RecordPattern): Breakpoint {
  return (record) => {
    if (pattern.kind !== undefined && record.kind !== pattern.kind) return false;
    if (pattern.actor !== undefined && record.actor !== pattern.actor) return false;
    if (pattern.type !== undefined) {
      const type = pattern.type;
      if (type.endsWith('.') ? !record.type.startsWith(type) : record.type !== type) return false;
    }
    if (pattern.fields) {
      const payload = (record.kind === 'event' ? record.data : record.args) as Record<
        string,
        unknown
      >;
      for (const [name, value] of Object.entries(pattern.fields))
        if (payload?.[name] !== value) return false;
    }
    return true;
  };
}

/** Which accesses a watchpoint catches: writes (`watch`), reads (`rwatch`) or both (`awatch`). */
export type WatchKind = 'write' | 'read' | 'access';

/**
 * A watchpoint on `[va, va + length)` of a space: fires on the events whose declarations say they
 * read or write memory (the MMU's reads and writes), where they touch the range.
 */
export function watching(
  accessOf: Accesses,
  space: number,
  va: number,
  length: number,
  kind: WatchKind = 'write',
): Breakpoint {
  const end = va + length;
  return (record) => {
    const access = accessOf(record);
    if (!access || access.space !== space) return false;
    if (kind !== 'access' && access.kind !== kind) return false;
    return access.va < end && access.va + access.length > va;
  };
}
