import { ByteTrail, type Touch, type TrailReading } from './byte-trail';
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

/** Which way a run goes: `continue` forwards, `reverseContinue` backwards. */
export type Direction = 'forward' | 'backward';

/**
 * A watchpoint on `[va, va + length)` of a space: the bytes behind that range, followed through
 * physical memory from wherever a run starts. It fires on every write to them (stores, and lazy
 * loads of their page), whichever space makes it; reads for `rwatch`; both for `awatch`. A
 * copy-on-write copy moves the bytes without changing them, so it follows and does not fire.
 */
export class Watchpoint {
  constructor(
    readonly space: number,
    readonly va: number,
    readonly length: number,
    readonly kind: WatchKind = 'write',
  ) {}

  /**
   * A test for one run in one direction, following the bytes from the state it starts in
   * (`locate` gives their physical addresses there). It keeps state: feed it every record, in
   * order, each exactly once.
   */
  arm(
    reading: TrailReading,
    locate: (space: number, va: number) => number | undefined,
    direction: Direction,
  ): Breakpoint {
    const trails: ByteTrail[] = [];
    for (let va = this.va; va < this.va + this.length;) {
      const length = Math.min(
        this.va + this.length - va,
        reading.pageSize - (va % reading.pageSize),
      );
      const pa = locate(this.space, va);
      trails.push(
        new ByteTrail(reading, {
          space: this.space,
          va,
          length,
          ...(pa === undefined ? {} : { pa }),
        }),
      );
      va += length;
    }
    return (record) => {
      let fired = false;
      for (const trail of trails) {
        const touch = direction === 'forward' ? trail.forward(record) : trail.back(record);
        if (touch && this.fires(touch)) fired = true;
      }
      return fired;
    };
  }

  private fires({ how }: Touch): boolean {
    if (how === 'copy') return false;
    if (this.kind === 'access') return true;
    return this.kind === 'read' ? how === 'read' : how !== 'read';
  }
}

/** What `continue` and `reverseContinue` run to: breakpoints (tests of records) and watchpoints. */
export type Stop = Breakpoint | Watchpoint;
