import { StoreError } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { registerRecordPayloads } from './record-payloads';
import { checkRunPath } from './sqlite-store';

/** What a query on a run file gave: its columns' names and its rows, each a value per column. */
export interface RunQueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/**
 * Runs one SQL query on a run file, read-only: its tables and views as the stock `sqlite3` shell
 * sees them, and its records' payloads as JSON (`records_json`, `record_payload(seq)`: see
 * {@link registerRecordPayloads}, which checks each batch it reads against its hash unless
 * `verify` is false). A statement that is not a query, or that SQLite refuses, fails with a
 * StoreError giving SQLite's reason.
 */
export function queryRun(
  path: string,
  sql: string,
  options: { verify?: boolean } = {},
): RunQueryResult {
  checkRunPath(path);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const payloads = registerRecordPayloads(db, options);
    try {
      let statement: Database.Statement;
      try {
        statement = db.prepare(sql);
      } catch (error) {
        throw new StoreError(`SQL: ${(error as Error).message}`, { cause: error });
      }
      if (!statement.reader)
        throw new StoreError(
          'SQL: only a query that returns rows (SELECT …) runs on a run file, which stays read-only',
        );
      const columns = statement.columns().map((c) => c.name);
      try {
        return { columns, rows: statement.raw(true).all() as unknown[][] };
      } catch (error) {
        if (error instanceof StoreError) throw error; // a payload's batch, named
        throw new StoreError(`SQL: ${(error as Error).message}`, { cause: error });
      }
    } finally {
      payloads.close();
    }
  } finally {
    db.close();
  }
}
