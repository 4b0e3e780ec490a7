import { replayState } from '@chronovisor/replay';
import { SqliteStore, verifyRun } from '@chronovisor/store';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Client } from 'pg';
import { PostgresStore } from './postgres-store';
import { plugins, recordWorkload } from './test-support/workload';
import { startLocalPostgres, type LocalPostgres } from './local-postgres';
import { verifyPostgresRun } from './verify-postgres-run';

let server: LocalPostgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-pg-verify-'));
  server = await startLocalPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a run kept in PostgreSQL', () => {
  it('verifies and replays as the same run in SQLite does, and names the same altered record', async () => {
    const url = await server.database('verify');
    const file = path.join(dir, 'run.db');
    const sqlite = SqliteStore.create(file);
    recordWorkload(sqlite, 3000);
    sqlite.close();
    const pg = PostgresStore.create(url);
    recordWorkload(pg, 3000);
    const run = pg.run;
    pg.close();

    const whole = verifyRun(file);
    expect(whole.ok).toBe(true);
    expect(verifyPostgresRun(url, run)).toEqual(whole);
    const replayed = PostgresStore.open(url, run, { readonly: true });
    const reopened = SqliteStore.open(file, { readonly: true });
    expect(replayState(replayed, plugins)).toEqual(replayState(reopened, plugins));
    replayed.close();
    reopened.close();

    // The same byte flipped in the second batch of both: both name the same record.
    const db = new Database(file);
    const row = db
      .prepare('SELECT first_seq, bytes FROM batches ORDER BY first_seq LIMIT 1 OFFSET 1')
      .get() as { first_seq: number; bytes: Buffer };
    const batch = inflateRawSync(row.bytes);
    batch[batch.length - 3]! ^= 0x01;
    const altered = deflateRawSync(batch, { level: 1 });
    db.prepare('UPDATE batches SET bytes = ? WHERE first_seq = ?').run(altered, row.first_seq);
    db.close();
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE batches SET bytes = $1 WHERE run = $2 AND first_seq = $3', [
      altered,
      run,
      row.first_seq,
    ]);
    await client.end();
    const sqliteReport = verifyRun(file);
    expect(sqliteReport).toMatchObject({ ok: false, problem: { kind: 'altered' } });
    expect(verifyPostgresRun(url, run)).toEqual(sqliteReport);
    // And a read of it is refused, naming the batch.
    const reading = PostgresStore.open(url, run, { readonly: true });
    expect(() => [...reading.read(1)]).toThrow(
      /the batch of seqs \d+ to \d+ no longer matches its hash/,
    );
    reading.close();
    // Unless asked to read it anyway (--no-verify): then it reads as the altered file reads.
    const anyway = PostgresStore.open(url, run, { readonly: true, verify: false });
    const file_ = SqliteStore.open(file, { readonly: true, verify: false });
    expect([...anyway.read(1)]).toEqual([...file_.read(1)]);
    anyway.close();
    file_.close();
  });
});
