import { ByteReader } from '../codec/byte-reader';
import type { Framed } from '../codec/batch-format';

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
}

/**
 * The index behind the `records` view: with each batch, a JSON array holding, per record,
 * `[record kind id, seq − cause, tick − the batch's first tick]`, where a record kind (kind,
 * rejected, type, actor: few distinct ones in a run) is a row of `record_kinds`. One text per
 * batch rather than one row per record: the view expands it with `json_each`, so the stock
 * `sqlite3` shell still sees one row per record, while recording pays one string, not a thousand
 * inserts. Read from the records' canonical headers, on the sealing thread.
 */
export function indexBatch(
  batch: Uint8Array,
  frames: readonly Framed[],
  kinds: KindTable,
): BatchIndex {
  const newKinds: RecordKind[] = [];
  let firstTick = 0;
  let json = '[';
  for (let i = 0; i < frames.length; i++) {
    const input = new ByteReader(batch, frames[i]!.start, frames[i]!.end);
    const kindByte = input.byte(); // 1 command, 2 refused command, 3 event
    const seq = input.varint();
    const tick = input.varint();
    const actor = input.string();
    const cause = input.varint();
    const type = input.string();
    if (i === 0) firstTick = tick;
    const id = kinds.idOf(
      kindByte === 3 ? 'event' : 'command',
      kindByte === 2 ? 1 : 0,
      type,
      actor,
      newKinds,
    );
    json += `${i === 0 ? '' : ','}[${id},${cause === 0 ? 0 : seq - cause},${tick - firstTick}]`;
  }
  return { firstTick, json: `${json}]`, newKinds };
}

// Type names are dotted identifiers and kinds two words, so a tab cannot be ambiguous here.
const kindKey = (kind: string, rejected: number, type: string, actor: string) =>
  `${kind}\t${rejected}\t${type}\t${actor}`;
