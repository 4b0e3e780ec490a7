import type { LogRecord, Store } from '@chronovisor/core';
import { recordAt, scanBackward } from './scan';

/** One recorded access to memory: an MMU read or write event. */
export interface Access {
  readonly seq: number;
  readonly kind: 'read' | 'write';
  readonly space: number;
  readonly va: number;
  readonly length: number;
  readonly actor: string;
  /** Seq of the command that made the access. */
  readonly cause: number;
}

/** A step of a byte's provenance: the write that put it there, and where that write copied it from. */
export interface Origin {
  readonly write: Access;
  /** The command from outside behind the write (a plugin's write acts for it): who wrote this. */
  readonly command: { readonly seq: number; readonly type: string; readonly actor: string };
  /** When the write copied memory (a read of the same length by the same command just before): the read and the source byte. */
  readonly copiedFrom?: { readonly read: Access; readonly space: number; readonly va: number };
}

type AccessData = { space: number; va: number; length?: number; data?: Uint8Array };

/** The access an MMU event records, if it is one. */
export function accessOf(record: LogRecord): Access | undefined {
  if (record.kind !== 'event') return undefined;
  const kind =
    record.type === 'mmu.memory.written'
      ? 'write'
      : record.type === 'mmu.memory.read'
        ? 'read'
        : undefined;
  if (!kind) return undefined;
  const data = record.data as AccessData;
  return {
    seq: record.seq,
    kind,
    space: data.space,
    va: data.va,
    length: data.length ?? data.data?.length ?? 0,
    actor: record.actor,
    cause: record.cause,
  };
}

const covers = (a: Access, space: number, va: number) =>
  a.space === space && a.va <= va && va < a.va + a.length;

/** The last write to byte `va` of `space` at or before `at`. */
export function lastWrite(store: Store, space: number, va: number, at: number): Access | undefined {
  const found = scanBackward(store, at, (r) => {
    const access = accessOf(r);
    return access?.kind === 'write' && covers(access, space, va);
  });
  return found && accessOf(found);
}

/** Every read and write of byte `va` of `space` from `from` to `to`, in order. */
export function history(
  store: Store,
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
  space: number,
  va: number,
  at: number,
  depth = 16,
): Origin[] {
  const chain: Origin[] = [];
  let where = { space, va, at };
  for (let step = 0; step < depth; step++) {
    const write = lastWrite(store, where.space, where.va, where.at);
    if (!write) break;
    const read = copySource(store, write);
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
 * The read a write copied from: made for the same outside command (the write's command and the
 * read's share a parent), with the same length, the last such read before the write.
 */
function copySource(store: Store, write: Access): Access | undefined {
  const command = recordAt(store, write.cause);
  if (!command || command.cause === 0) return undefined; // a write issued directly: no copy
  const parent = command.cause;
  for (let seq = write.seq - 1; seq > parent; seq--) {
    const record = recordAt(store, seq);
    const access = record && accessOf(record);
    if (access?.kind === 'read' && access.length === write.length) {
      const readCommand = recordAt(store, access.cause);
      if (readCommand?.cause === parent) return access;
    }
  }
  return undefined;
}

/** The command from outside at the root of a record's causes. */
function outsideCommand(store: Store, seq: number): Origin['command'] {
  let record = recordAt(store, seq)!;
  while (record.cause !== 0) record = recordAt(store, record.cause)!;
  return { seq: record.seq, type: record.type, actor: record.actor };
}
