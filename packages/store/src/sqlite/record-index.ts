import { batchHeaderOf } from '../codec/batch-header';
import type { BatchNames } from '../codec/batch-names';
import { ByteReader } from '../codec/byte-reader';
import type { Frames } from '../codec/batch-format';
import { isEventKind, isRefusedKind, readHead, type RecordHead } from '../codec/record-head';

/** A distinct (kind, rejected, type, actor) of a run: a row of `record_kinds`. */
export interface RecordKind {
  readonly id: number;
  readonly kind: 'command' | 'event';
  readonly rejected: number;
  readonly type: string;
  readonly actor: string;
}

/** What a batch row keeps for the `records` view: its first tick and a JSON row per record. */
export interface BatchIndex {
  readonly firstTick: number;
  readonly json: string;
  /** Kinds first seen in this batch, to store with it. */
  readonly newKinds: RecordKind[];
}

/**
 * The record kinds of a run, numbered in order of first appearance. Kept where batches are
 * sealed (the sealing thread), seeded with the kinds a reopened run already holds.
 */
export class KindTable {
  private readonly ids = new Map<string, number>();

  constructor(known: readonly RecordKind[] = []) {
    for (const k of known) this.ids.set(kindKey(k.kind, k.rejected, k.type, k.actor), k.id);
  }

  /** The id of a kind, numbering it (and listing it in `added`) if new. */
  idOf(
    kind: 'command' | 'event',
    rejected: number,
    type: string,
    actor: string,
    added: RecordKind[],
  ): number {
    const key = kindKey(kind, rejected, type, actor);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
      added.push({ id, kind, rejected, type, actor });
    }
    return id;
  }

  /**
   * The id of a batch's record kind from its head's numbers (kind byte, actor and type names):
   * cached per batch in `seen`, so a batch's thousand records look up a handful of kinds.
   */
  idOfHeader(
    kindByte: number,
    actor: number,
    type: number,
    names: BatchNames,
    seen: Map<number, number>,
    added: RecordKind[],
  ): number {
    const key = (type * 0x10000 + actor) * 8 + kindByte;
    let id = seen.get(key);
    if (id === undefined) {
      id = this.idOf(
        isEventKind(kindByte) ? 'event' : 'command',
        isRefusedKind(kindByte) ? 1 : 0,
        names.name(type, 0),
        names.name(actor, 0),
        added,
      );
      seen.set(key, id);
    }
    return id;
  }
}

/**
 * The index behind the `records` view: with each batch, one flat JSON array holding three numbers
 * a record, `record kind id, seq − cause, tick − the previous record's tick` (the first record's
 * tick is the batch's `first_tick`), where a record kind (kind, rejected, type, actor: few
 * distinct ones in a run) is a row of `record_kinds`. One text per batch rather than one row per
 * record: the view expands it with `json_each` and window functions, so the stock `sqlite3` shell
 * still sees one row per record, while recording pays one string, not a thousand inserts, and the
 * file ~6 bytes a record. Read from the records' canonical headers, on the sealing thread.
 */
export function indexBatch(
  batch: Uint8Array,
  frames: Frames,
  first: number,
  kinds: KindTable,
): BatchIndex {
  const newKinds: RecordKind[] = [];
  // Written as ASCII bytes, decoded once: a string per record cost more than the rest of the index.
  const json = new AsciiWriter(frames.count * 12 + 2);
  json.byte(0x5b); // [
  const header = batchHeaderOf(batch, first);
  const reader = new ByteReader(batch);
  const head: RecordHead = { kind: 0, seq: 0, tick: 0, actor: 0, cause: 0, type: 0 };
  const seen = new Map<number, number>();
  let previousTick = header.tick;
  for (let i = 0; i < frames.count; i++) {
    readHead(reader.moveTo(frames.starts[i]!, frames.ends[i]!), header, head);
    const id = kinds.idOfHeader(head.kind, head.actor, head.type, header.names, seen, newKinds);
    if (i > 0) json.byte(0x2c); // ,
    json.number(id);
    json.byte(0x2c);
    json.number(head.cause === 0 ? 0 : head.seq - head.cause);
    json.byte(0x2c);
    json.number(head.tick - previousTick);
    previousTick = head.tick;
  }
  json.byte(0x5d);
  return { firstTick: header.tick, json: json.text(), newKinds };
}

/** ASCII text built in bytes: integers and punctuation. */
class AsciiWriter {
  private bytes: Uint8Array;
  private length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  byte(b: number): void {
    if (this.length === this.bytes.length) this.grow();
    this.bytes[this.length++] = b;
  }

  /** An integer in decimal (negative only in a run imported with ticks that go back). */
  number(n: number): void {
    if (n >= 0 && n < 10) {
      this.byte(0x30 + n);
      return;
    }
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) this.byte(digits.charCodeAt(i));
  }

  text(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.length).toString('latin1');
  }

  private grow(): void {
    const grown = new Uint8Array(this.bytes.length * 2);
    grown.set(this.bytes);
    this.bytes = grown;
  }
}

// Type names are dotted identifiers and kinds two words, so a tab cannot be ambiguous here.
const kindKey = (kind: string, rejected: number, type: string, actor: string) =>
  `${kind}\t${rejected}\t${type}\t${actor}`;
