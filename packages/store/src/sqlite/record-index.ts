import type { LogRecord } from '@chronovisor/core';
import type Database from 'better-sqlite3';

const ROWS_PER_STATEMENT = 128;

/**
 * The rows behind the `records` view: one per record, its type and actor stored once each in
 * `names`. Written with each batch, in the batch's transaction, from the records in memory, so
 * the index is always as complete as the log and costs no decoding.
 */
export class RecordIndex {
  private readonly names = new Map<string, number>();
  private readonly addName: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly insertMany: Database.Statement;

  constructor(db: Database.Database) {
    for (const row of db.prepare('SELECT id, name FROM names').all() as {
      id: number;
      name: string;
    }[]) {
      this.names.set(row.name, row.id);
    }
    this.addName = db.prepare('INSERT INTO names (id, name) VALUES (?, ?)');
    const sql = (rows: number) =>
      `INSERT OR REPLACE INTO record_index (seq, type, actor, cause_back, tick, flags) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`;
    this.insert = db.prepare(sql(1));
    // Many rows per statement: crossing into SQLite once per row is what an insert mostly costs.
    this.insertMany = db.prepare(sql(ROWS_PER_STATEMENT));
  }

  /** Indexes records; call inside the transaction that stores them. */
  add(records: readonly LogRecord[]): void {
    const values: number[] = [];
    let i = 0;
    for (; i + ROWS_PER_STATEMENT <= records.length; i += ROWS_PER_STATEMENT) {
      values.length = 0;
      for (let k = i; k < i + ROWS_PER_STATEMENT; k++) this.row(records[k]!, values);
      this.insertMany.run(values);
    }
    for (; i < records.length; i++) {
      values.length = 0;
      this.insert.run(this.row(records[i]!, values));
    }
  }

  private row(r: LogRecord, values: number[]): number[] {
    const flags = r.kind === 'event' ? 1 : r.rejection ? 2 : 0;
    values.push(
      r.seq,
      this.id(r.type),
      this.id(r.actor),
      r.cause === 0 ? 0 : r.seq - r.cause,
      r.tick,
      flags,
    );
    return values;
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
