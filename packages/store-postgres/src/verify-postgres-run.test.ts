import { Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { replayState } from '@chronovisor/replay';
import { SqliteStore, verifyRun } from '@chronovisor/store';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Client } from 'pg';
import { PostgresStore } from './postgres-store';
import { startLocalPostgres, type LocalPostgres } from './local-postgres';
import { verifyPostgresRun } from './verify-postgres-run';

const plugins = [mmu.mmuPlugin({ frames: 1024 })];

function record(store: Store, commands: number): void {
  const sim = new Simulation({ plugins, seed: 3, store, digestInterval: 500 });
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 1024 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: 32 });
  const rng = new Xoshiro128StarStar(3);
  for (let i = 3; i < commands; i++) {
    const va = rng.nextInt(0, 31) * 4096 + rng.nextInt(0, 511) * 8;
    sim.dispatch(mmu.write, { space, va, data: Uint8Array.of(i & 0xff, 7) });
  }
  sim.close();
}

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
    record(sqlite, 3000);
    sqlite.close();
    const pg = PostgresStore.create(url);
    record(pg, 3000);
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
  });
});
