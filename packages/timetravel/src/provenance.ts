import type { EventTypeRegistry, LogRecord, MemoryAccess, Store } from '@chronovisor/core';
import { recordAt, scanBackward } from './scan';

/** One recorded access to memory: an event whose declaration says which bytes it reads or writes. */
export interface Access extends MemoryAccess {
  readonly seq: number;
  readonly actor: string;
  /** Seq of the command from outside (or the event) the access was made for. */
  readonly cause: number;
}

/** A step of a byte's provenance: the write that put it there, and where that write copied it from. */
export interface Origin {
  readonly write: Access;
  /** The command from outside behind the write (a plugin's write acts for it): who wrote this. */
  readonly command: { readonly seq: number; readonly type: string; readonly actor: string };
  /** When the write copied memory (a read of the same length by the same actor for the same command just before): the read and the source byte. */
  readonly copiedFrom?: { readonly read: Access; readonly space: number; readonly va: number };
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

const covers = (a: Access, space: number, va: number) =>
  a.space === space && a.va <= va && va < a.va + a.length;

/** The last write to byte `va` of `space` at or before `at`. */
export function lastWrite(
  store: Store,
  accessOf: Accesses,
  space: number,
  va: number,
  at: number,
): Access | undefined {
  const found = scanBackward(store, at, (r) => {
    const access = accessOf(r);
    return access?.kind === 'write' && covers(access, space, va);
  });
  return found && accessOf(found);
}

/** Every read and write of byte `va` of `space` from `from` to `to`, in order. */
export function history(
  store: Store,
  accessOf: Accesses,
  space: number,
  va: number,
  from = 1,
  to = store.head(),
): Access[] {
  const out: Access[] = [];
  if (to < from) return out;
  for (const record of store.read(Math.max(1, from), to)) {
    const access = accessOf(record);
    if (access && covers(access, space, va)) out.push(access);
  }
  return out;
}

/**
 * Where byte `va` of `space` came from, as of `at`: the write that put it there, and if that
 * write copied memory (a realloc moving a block, a copy loop), the source byte and its own last
 * write, and so on back (at most `depth` steps).
 */
export function provenance(
  store: Store,
  accessOf: Accesses,
  space: number,
  va: number,
  at: number,
  depth = 16,
): Origin[] {
  const chain: Origin[] = [];
  let where = { space, va, at };
  for (let step = 0; step < depth; step++) {
    const write = lastWrite(store, accessOf, where.space, where.va, where.at);
    if (!write) break;
    const read = copySource(store, accessOf, write);
    const command = outsideCommand(store, write.cause);
    if (!read) {
      chain.push({ write, command });
      break;
    }
    const source = { space: read.space, va: read.va + (where.va - write.va) };
    chain.push({ write, command, copiedFrom: { read, ...source } });
    where = { ...source, at: read.seq };
  }
  return chain;
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
