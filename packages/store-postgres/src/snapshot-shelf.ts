import { StoreError } from '@chronovisor/core';
import type { ShelvedSnapshot, SnapshotShelving } from '@chronovisor/store';
import { redactUrl } from './connection';
import type { PgChannel } from './pg-channel';

/**
 * Snapshots of a run kept in PostgreSQL (a time-travel index), beside its records and outside
 * their audit chain, as a run file keeps them: derived data, rebuilt by `chronovisor index`, so a
 * run open read-only takes them too.
 */
export class PostgresSnapshotShelf implements SnapshotShelving {
  constructor(
    private readonly channel: PgChannel,
    private readonly url: string,
    private readonly run: number,
  ) {}

  key(): string | undefined {
    const [row] = this.channel.query<{ key: string }>(
      'SELECT key FROM snapshot_sets WHERE run = $1',
      [this.run],
    );
    return row?.key;
  }

  seqs(): number[] {
    return this.channel
      .query<{ seq: number }>('SELECT seq FROM snapshots WHERE run = $1 ORDER BY seq', [this.run])
      .map((r) => r.seq);
  }

  snapshot(seq: number): { state: Uint8Array; digest: string } {
    const [row] = this.channel.query<{ state: Uint8Array; digest: string }>(
      'SELECT state, digest FROM snapshots WHERE run = $1 AND seq = $2',
      [this.run, seq],
    );
    if (!row) throw new StoreError(`${this.name()} keeps no snapshot at seq ${seq}`);
    return row;
  }

  buffer(id: number): Uint8Array {
    const [row] = this.channel.query<{ bytes: Uint8Array }>(
      'SELECT bytes FROM snapshot_buffers WHERE run = $1 AND id = $2',
      [this.run, id],
    );
    if (!row)
      throw new StoreError(`${this.name()} keeps no snapshot buffer ${id}: its index is damaged`);
    return row.bytes;
  }

  /** Replaces the run's kept snapshots in one transaction: a snapshot and its buffers a query. */
  replace(key: string, snapshots: Iterable<ShelvedSnapshot>): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    this.channel.query('BEGIN');
    try {
      for (const table of ['snapshot_sets', 'snapshots', 'snapshot_buffers'])
        this.channel.query(`DELETE FROM ${table} WHERE run = $1`, [this.run]);
      for (const { seq, state, digest, buffers } of snapshots) {
        this.channel.query(
          'WITH buffers AS (INSERT INTO snapshot_buffers (run, id, bytes) SELECT $1, * FROM unnest($5::integer[], $6::bytea[])) INSERT INTO snapshots (run, seq, state, digest) VALUES ($1, $2, $3, $4)',
          [this.run, seq, state, digest, buffers.map(([id]) => id), buffers.map(([, b]) => b)],
        );
        bytes += state.byteLength + buffers.reduce((n, [, b]) => n + b.byteLength, 0);
        count++;
      }
      this.channel.query('INSERT INTO snapshot_sets (run, key) VALUES ($1, $2)', [this.run, key]);
      this.channel.query('COMMIT');
    } catch (error) {
      this.channel.query('ROLLBACK');
      throw error;
    }
    return { count, bytes };
  }

  private name(): string {
    return `Run ${this.run} at ${redactUrl(this.url)}`;
  }
}
