import { StoreError } from '@chronovisor/core';
import type Database from 'better-sqlite3';

/** A snapshot to keep: its position, its encoded state, its digest, and the shared buffers it adds. */
export interface ShelvedSnapshot {
  readonly seq: number;
  readonly state: Uint8Array;
  /** The state digest at `seq`, checked when the snapshot is restored. */
  readonly digest: string;
  /** Buffers first used by this snapshot (later ones refer to them by id). */
  readonly buffers: readonly (readonly [id: number, bytes: Uint8Array])[];
}

/**
 * Where a run's snapshots are kept (a time-travel index), beside its log and outside its audit
 * chain: derived data, rebuilt by `chronovisor index`. A run file's, or a PostgreSQL server's.
 */
export interface SnapshotShelving {
  /** What the kept snapshots were made with (a plugin set's fingerprint), if there are any. */
  key(): string | undefined;
  /** The seqs of the kept snapshots, in order. */
  seqs(): number[];
  snapshot(seq: number): { state: Uint8Array; digest: string };
  buffer(id: number): Uint8Array;
  /** Replaces the kept snapshots with `snapshots`, made with `key`, at once; the bytes stored. */
  replace(key: string, snapshots: Iterable<ShelvedSnapshot>): { count: number; bytes: number };
}

/**
 * Snapshots kept in a run file. The tables are made the first time an index is written, so runs
 * without one stay as they were.
 */
const TABLES = `
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_buffers (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
`;

const KEY = 'snapshot-key';

export class SnapshotShelf implements SnapshotShelving {
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly readonly: boolean,
  ) {}

  /** What the kept snapshots were made with (a plugin set's fingerprint), if there are any. */
  key(): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(KEY) as
      { value: string } | undefined;
    return row?.value;
  }

  /** The seqs of the kept snapshots, in order. */
  seqs(): number[] {
    if (this.key() === undefined) return [];
    return (
      this.db.prepare('SELECT seq FROM snapshots ORDER BY seq').all() as { seq: number }[]
    ).map((r) => r.seq);
  }

  snapshot(seq: number): { state: Uint8Array; digest: string } {
    const row = this.db.prepare('SELECT state, digest FROM snapshots WHERE seq = ?').get(seq) as
      { state: Uint8Array; digest: string } | undefined;
    if (!row) throw new StoreError(`${this.path} keeps no snapshot at seq ${seq}`);
    return row;
  }

  buffer(id: number): Uint8Array {
    const row = this.db.prepare('SELECT bytes FROM snapshot_buffers WHERE id = ?').get(id) as
      { bytes: Uint8Array } | undefined;
    if (!row)
      throw new StoreError(`${this.path} keeps no snapshot buffer ${id}: its index is damaged`);
    return row.bytes;
  }

  /** Replaces the kept snapshots with `snapshots`, made with `key`, in one transaction; returns the bytes stored. */
  replace(key: string, snapshots: Iterable<ShelvedSnapshot>): { count: number; bytes: number } {
    if (this.readonly)
      throw new StoreError(`${this.path} is open read-only: cannot keep snapshots in it`);
    let count = 0;
    let bytes = 0;
    this.db.transaction(() => {
      this.db.exec(TABLES);
      this.db.exec('DELETE FROM snapshots; DELETE FROM snapshot_buffers;');
      const insertSnapshot = this.db.prepare(
        'INSERT INTO snapshots (seq, state, digest) VALUES (?, ?, ?)',
      );
      const insertBuffer = this.db.prepare(
        'INSERT INTO snapshot_buffers (id, bytes) VALUES (?, ?)',
      );
      for (const { seq, state, digest, buffers } of snapshots) {
        insertSnapshot.run(seq, state, digest);
        bytes += state.byteLength;
        for (const [id, data] of buffers) {
          insertBuffer.run(id, data);
          bytes += data.byteLength;
        }
        count++;
      }
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(KEY, key);
    })();
    return { count, bytes };
  }
}
