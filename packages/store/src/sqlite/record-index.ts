import type { LogRecord } from '@chronovisor/core';
import type Database from 'better-sqlite3';

/**
 * The rows behind the `records` view: one per record, its type and actor stored once each in
 * `names`. Written with each batch, in the batch's transaction, from the records in memory, so
 * the index is always as complete as the log and costs no decoding.
 */
export class RecordIndex {
  private readonly names = new Map<string, number>();
  private readonly addName: Database.Statement;
  private readonly insert: Database.Statement;

  constructor(db: Database.Database) {
    for (const row of db.prepare('SELECT id, name FROM names').all() as {
      id: number;
      name: string;
    }[]) {
      this.names.set(row.name, row.id);
    }
    this.addName = db.prepare('INSERT INTO names (id, name) VALUES (?, ?)');
    this.insert = db.prepare(
      'INSERT OR REPLACE INTO record_index (seq, event, type, actor, cause, tick, rejected) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Indexes records; call inside the transaction that stores them. */
  add(records: readonly LogRecord[]): void {
    for (const r of records) {
      this.insert.run(
        r.seq,
        r.kind === 'event' ? 1 : 0,
        this.id(r.type),
        this.id(r.actor),
        r.cause,
        r.tick,
        r.kind === 'command' && r.rejection ? 1 : 0,
      );
    }
  }

  private id(name: string): number {
    let known = this.names.get(name);
    if (known === undefined) {
      known = this.names.size + 1;
      this.names.set(name, known);
      this.addName.run(known, name);
    }
    return known;
  }
}
