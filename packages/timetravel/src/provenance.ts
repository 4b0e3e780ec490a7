import type { EventTypeRegistry, LogRecord, MemoryAccess, Store } from '@chronovisor/core';
import { ByteTrail, type Place, type Touch, type TrailReading } from './byte-trail';
import { recordAt, scanBackward } from './scan';

/** One recorded access to memory: an event whose declaration says which bytes it reads or writes. */
export interface Access extends MemoryAccess {
  readonly seq: number;
  readonly actor: string;
  /** Seq of the command from outside (or the event) the access was made for. */
  readonly cause: number;
}

/** The access a record makes, if it is one. */
export type Accesses = (record: LogRecord) => Access | undefined;

/**
 * Reads accesses as the plugin set's event declarations describe them (`defineEvent(…, { access })`),
 * so the tools name no plugin's event types.
 */
export function accessesOf(eventTypes: EventTypeRegistry): Accesses {
  return (record) => {
    if (record.kind !== 'event') return undefined;
    const access = eventTypes.accessOf(record);
    if (!access) return undefined;
    return { ...access, seq: record.seq, actor: record.actor, cause: record.cause };
  };
}

/** Where byte `place` came from, as of `at`: what put it there, and what that copied, back. */
export interface Origin {
  /** The write (or the copy or load of its whole page) that put the byte where it was. */
  readonly write: Access;
  /** `write`: stored; `copy`: a copy-on-write fault copied its page; `load`: a lazy page was loaded. */
  readonly how: 'write' | 'copy' | 'load';
  /** The command from outside behind it (a plugin's write acts for it): who wrote this. */
  readonly command: { readonly seq: number; readonly type: string; readonly actor: string };
  /**
   * Where the bytes came from, when they were copied: memory a read took them from (a realloc
   * moving a block: a read of the same length by the same actor for the same command just
   * before), or for a copy-on-write copy, the frame's physical address.
   */
  readonly copiedFrom?: {
    readonly read?: Access;
    readonly space?: number;
    readonly va?: number;
    readonly pa?: number;
  };
}

/** The last write (or load) of the bytes at `place` (as of `at`), followed through physical memory. */
export function lastWrite(
  store: Store,
  reading: TrailReading,
  place: Place,
  at: number,
): Access | undefined {
  return lastChange(store, new ByteTrail(reading, place), at, false)?.access;
}

/**
 * Every access to the bytes at `place` (as they are at `at`) over the whole run: back from `at`
 * through copies to where they began, and on from `at` until they are freed.
 */
export function history(store: Store, reading: TrailReading, place: Place, at: number): Touch[] {
  const before: Touch[] = [];
  const back = new ByteTrail(reading, place);
  scanBackward(store, at, (record) => {
    const touch = back.back(record);
    if (touch) before.push(touch);
    return !back.alive;
  });
  const after: Touch[] = [];
  const on = new ByteTrail(reading, place);
  if (at < store.head())
    for (const record of store.read(at + 1)) {
      const touch = on.forward(record);
      if (touch) after.push(touch);
      if (!on.alive) break;
    }
  return [...before.reverse(), ...after];
}

/**
 * Where the byte at `place` came from, as of `at`: the write that put it there, and if it was
 * copied (a copy-on-write fault, a realloc moving a block, a copy loop), where from and that
 * byte's own origin, and so on back (at most `depth` steps).
 */
export function provenance(
  store: Store,
  reading: TrailReading,
  place: Place,
  at: number,
  depth = 16,
): Origin[] {
  const chain: Origin[] = [];
  let trail = new ByteTrail(reading, { ...place, length: 1 });
  let from = at;
  while (chain.length < depth) {
    const touch = lastChange(store, trail, from, true);
    if (!touch) break;
    const write = touch.access;
    const command = outsideCommand(store, write.cause);
    if (touch.how === 'copy') {
      chain.push({ write, how: 'copy', command, copiedFrom: { pa: touch.from! } });
      from = write.seq - 1; // the trail now stands in the frame copied from
      continue;
    }
    if (touch.how === 'load') {
      chain.push({ write, how: 'load', command });
      break;
    }
    const read = copySource(store, reading.accessOf, write);
    if (!read) {
      chain.push({ write, how: 'write', command });
      break;
    }
    // The byte's offset in the write, physically where both know it.
    const { physical } = trail;
    const offset =
      physical !== undefined && write.pa !== undefined
        ? physical - write.pa
        : trail.place.va - write.va;
    const source = {
      space: read.space,
      va: read.va + offset,
      ...(read.pa === undefined ? {} : { pa: read.pa + offset }),
    };
    chain.push({ write, how: 'write', command, copiedFrom: { read, ...source } });
    trail = new ByteTrail(reading, { ...source, length: 1 });
    from = read.seq;
  }
  return chain;
}

/** The last record at or before `at` that changed the trail's bytes (or copied them, with `copies`). */
function lastChange(
  store: Store,
  trail: ByteTrail,
  at: number,
  copies: boolean,
): Touch | undefined {
  let found: Touch | undefined;
  scanBackward(store, at, (record) => {
    const touch = trail.back(record);
    if (
      touch &&
      (touch.how === 'write' || touch.how === 'load' || (copies && touch.how === 'copy'))
    )
      found = touch;
    return found !== undefined || !trail.alive;
  });
  return found;
}

/**
 * The read a write copied from: the last read before it of the same length, made by the same
 * actor for the same cause (a realloc moving a block, a copy loop inside one command). A write
 * issued directly from outside has no such read.
 */
function copySource(store: Store, accessOf: Accesses, write: Access): Access | undefined {
  for (let seq = write.seq - 1; seq > write.cause; seq--) {
    const record = recordAt(store, seq);
    if (!record || record.cause !== write.cause) continue;
    const access = accessOf(record);
    if (access?.kind === 'read' && access.length === write.length && access.actor === write.actor)
      return access;
  }
  return undefined;
}

/** The command from outside at the root of a record's causes. */
function outsideCommand(store: Store, seq: number): Origin['command'] {
  let record = recordAt(store, seq)!;
  while (record.cause !== 0) record = recordAt(store, record.cause)!;
  return { seq: record.seq, type: record.type, actor: record.actor };
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** One step of `why`, in words: how the debugger and the web page say it. */
export function describeOrigin(o: Origin): string {
  const by = `by ${o.command.actor} (${o.command.type} at seq ${o.command.seq})`;
  const at = `${o.write.space}:${hex(o.write.va)}`;
  if (o.how === 'copy')
    return `copied at seq ${o.write.seq} into space ${o.write.space}'s own page at ${at} (copy-on-write) ${by}, from pa ${hex(o.copiedFrom!.pa!)}`;
  if (o.how === 'load') return `loaded at seq ${o.write.seq} with its page at ${at} ${by}`;
  const from = o.copiedFrom?.read
    ? `, copying from ${o.copiedFrom.space}:${hex(o.copiedFrom.va!)} read at seq ${o.copiedFrom.read.seq}`
    : '';
  return `written at seq ${o.write.seq} through ${at} ${by}${from}`;
}
