import type { LogRecord } from '@chronovisor/core';
import type Database from 'better-sqlite3';
import { replaceBytes } from '../ndjson/ndjson';
import { SqliteStore } from './sqlite-store';

/** What `registerRecordPayloads` opened beside the connection, to close with it. */
export interface RecordPayloads {
  close(): void;
}

/**
 * Lets SQL on a run file see what the stock `sqlite3` shell cannot: the records' payloads, which
 * the file keeps in its own binary encoding, deflated a batch to a row. Registers on `db`, a
 * better-sqlite3 connection to the run file (read-only is enough):
 *
 * - `record_payload(seq)`: the payload of record `seq` as JSON text (an event's data, a
 *   command's args; bytes as `{"$bytes": "<base64>"}`, as an NDJSON export writes them), NULL
 *   where the run has no such record;
 * - the temporary view `records_json`: the `records` view's columns and `payload`, as in
 *   `SELECT seq, json_extract(payload, '$.va') FROM records_json
 *   WHERE type = 'mmu.memory.written'`.
 *
 * SQLite computes `payload` only for the rows that use it. Payloads are read through a second,
 * read-only connection (a function may not query the connection running the statement that
 * calls it), keeping the records of the last batch read, so a scan in seq order reads each batch
 * once; each batch is checked against its leaf, unless `verify` is false.
 */
export function registerRecordPayloads(
  db: Database.Database,
  options: { verify?: boolean } = {},
): RecordPayloads {
  const store = SqliteStore.open(db.name, { readonly: true, verify: options.verify ?? true });
  const payloads = new PayloadReader(store);
  db.function('record_payload', { deterministic: true }, (seq: unknown) => payloads.json(seq));
  db.exec(
    'CREATE TEMP VIEW IF NOT EXISTS records_json AS SELECT r.*, record_payload(r.seq) AS payload FROM main.records r',
  );
  return { close: () => store.close() };
}

/** Payloads by seq, from the records of the batch holding each, the last batch read kept. */
class PayloadReader {
  /** The last seq of each batch, in order (a read-only run's batches stay as they are). */
  private readonly ends: number[];
  private batch: { first: number; records: LogRecord[] } = { first: 1, records: [] };

  constructor(private readonly store: SqliteStore) {
    this.ends = store.batchEnds();
  }

  json(seq: unknown): string | null {
    const n = typeof seq === 'bigint' ? Number(seq) : seq;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > this.store.head())
      return null;
    let { first, records } = this.batch;
    if (n < first || n >= first + records.length) {
      const at = this.batchIndexOf(n);
      first = at === 0 ? 1 : this.ends[at - 1]! + 1;
      records = [...this.store.read(first, this.ends[at])];
      this.batch = { first, records };
    }
    const record = records[n - first]!;
    return JSON.stringify(record.kind === 'event' ? record.data : record.args, replaceBytes);
  }

  /** The index of the batch holding `seq`: the first whose last seq is at or past it. */
  private batchIndexOf(seq: number): number {
    let [low, high] = [0, this.ends.length - 1];
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.ends[middle]! < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
