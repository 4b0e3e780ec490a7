import type { LogRecord } from '@chronovisor/core';
import type Database from 'better-sqlite3';

/** What a batch row keeps for the `records` view: its first tick and a JSON row per record. */
export interface BatchIndex {
  readonly firstTick: number;
  readonly json: string;
}

/**
 * The index behind the `records` view: with each batch, a JSON array holding, per record,
 * `[record kind id, seq − cause, tick − the batch's first tick]`, where a record kind (kind,
 * rejected, type, actor: few distinct ones in a run) is a row of `record_kinds`. One text per
 * batch rather than one row per record: the view expands it with `json_each`, so the stock
 * `sqlite3` shell still sees one row per record, while recording pays one string, not a thousand
 * inserts, and the file ~10 bytes a record, not ~18.
 */
export class RecordIndex {
  private readonly kinds = new Map<string, number>();
  private readonly addKind: Database.Statement;

  constructor(db: Database.Database) {
    const rows = db.prepare('SELECT id, kind, rejected, type, actor FROM record_kinds').all() as {
      id: number;
      kind: 'command' | 'event';
      rejected: number;
      type: string;
      actor: string;
    }[];
    for (const row of rows)
      this.kinds.set(kindKey(row.kind, row.rejected, row.type, row.actor), row.id);
    this.addKind = db.prepare(
      'INSERT INTO record_kinds (id, kind, rejected, type, actor) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** The index of a batch; call inside the transaction that stores it (new kinds are written). */
  describe(records: readonly LogRecord[]): BatchIndex {
    const firstTick = records[0]?.tick ?? 0;
    let json = '[';
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const causeBack = r.cause === 0 ? 0 : r.seq - r.cause;
      json += `${i === 0 ? '' : ','}[${this.kindOf(r)},${causeBack},${r.tick - firstTick}]`;
    }
    return { firstTick, json: `${json}]` };
  }

  private kindOf(r: LogRecord): number {
    const rejected = r.kind === 'command' && r.rejection ? 1 : 0;
    const key = kindKey(r.kind, rejected, r.type, r.actor);
    let id = this.kinds.get(key);
    if (id === undefined) {
      id = this.kinds.size + 1;
      this.kinds.set(key, id);
      this.addKind.run(id, r.kind, rejected, r.type, r.actor);
    }
    return id;
  }
}

// Type names are dotted identifiers and kinds two words, so a tab cannot be ambiguous here.
const kindKey = (kind: string, rejected: number, type: string, actor: string) =>
  `${kind}\t${rejected}\t${type}\t${actor}`;
