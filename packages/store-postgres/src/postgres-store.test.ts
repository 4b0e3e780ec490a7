import { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { SqliteStore } from '@chronovisor/store';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PostgresStore } from './postgres-store';
import { recordWorkload } from './test-support/workload';
import { freePort, startLocalPostgres, type LocalPostgres } from './local-postgres';

let server: LocalPostgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-pg-store-'));
  server = await startLocalPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PostgresStore', () => {
  it('keeps a run as the SQLite store does: the same records, digests, batches and tree head', async () => {
    const url = await server.database('round_trip');
    const sqlite = SqliteStore.create(path.join(dir, 'run.db'));
    recordWorkload(sqlite, 2600);
    sqlite.close();
    const written = PostgresStore.create(url, { name: 'round trip', manifest: { seed: 1 } });
    recordWorkload(written, 2600);
    const run = written.run;
    written.close();

    const a = SqliteStore.open(path.join(dir, 'run.db'), { readonly: true });
    const b = PostgresStore.open(url, run, { readonly: true });
    expect(b.closedCleanly()).toBe(true);
    expect(b.manifest()).toEqual({ seed: 1 });
    expect(b.head()).toBe(a.head());
    expect([...b.read(1)]).toEqual([...a.read(1)]);
    expect([...b.readEvents(700, 1900)]).toEqual([...a.readEvents(700, 1900)]);
    expect(b.digests()).toEqual(a.digests());
    expect(b.batchEnds()).toEqual(a.batchEnds());
    // Its tree head is the one the same records give in SQLite: a function of the records alone.
    expect(b.treeHeads().at(-1)).toEqual(a.treeHead());
    a.close();
    b.close();
  });

  it('records many runs at once, each its own, and reads the batch still filling', async () => {
    const url = await server.database('concurrent');
    const stores = [1, 2, 3].map((seed) => PostgresStore.create(url, { name: `seed ${seed}` }));
    // Interleaved, command after command, as runs written from many processes would be.
    const sims = stores.map(
      (store, i) =>
        new Simulation({ plugins: [mmu.mmuPlugin({ frames: 256 })], seed: i + 1, store }),
    );
    const spaces = sims.map((sim) => {
      sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 });
      const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
      sim.dispatch(mmu.map, { space, va: 0, pages: 8 });
      return space;
    });
    for (let i = 0; i < 1500; i++)
      sims.forEach((sim, k) =>
        sim.dispatch(mmu.write, {
          space: spaces[k]!,
          va: (i % 8) * 4096,
          data: Uint8Array.of(k, i & 0xff),
        }),
      );
    // Read while recording: the stored batches and the one still filling.
    const live = [...stores[1]!.read(1)];
    expect(live.map((r) => r.seq)).toEqual(
      Array.from({ length: stores[1]!.head() }, (_, i) => i + 1),
    );
    sims.forEach((sim) => sim.close());
    const runs = stores.map((s) => s.run);
    stores.forEach((s) => s.close());
    expect(new Set(runs).size).toBe(3);
    runs.forEach((run, k) => {
      const store = PostgresStore.open(url, run, { readonly: true });
      const writes = [...store.readEvents(1)].filter((r) => r.type === 'mmu.memory.written');
      expect(writes).toHaveLength(1500);
      expect(writes.every((r) => (r.data as { data: Uint8Array }).data[0] === k)).toBe(true);
      store.close();
    });
  });

  it('signs its tree heads with the key it records with', async () => {
    const url = await server.database('signed');
    const keys = generateKeyPairSync('ed25519');
    const store = PostgresStore.create(url, { signingKey: keys.privateKey });
    recordWorkload(store, 1500);
    const heads = store.treeHeads();
    store.close();
    expect(heads.length).toBeGreaterThan(1);
    expect(heads.every((h) => h.signature?.length === 64)).toBe(true);
  });

  it('says what is wrong with a server it cannot use, never with its password', async () => {
    const nobody = `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/nothing`;
    expect(() => PostgresStore.create(nobody)).toThrow(
      /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/nothing: .*ECONNREFUSED/,
    );
    let message = '';
    try {
      PostgresStore.create(server.urlWithPassword('postgres', 'wrong-password'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/password authentication failed for user "postgres"/);
    expect(message).not.toContain('wrong-password');
    expect(() => PostgresStore.create('mysql://x@y/z')).toThrow(
      'mysql://x@y/z is not a PostgreSQL URL: expected postgres://user:password@host:port/database',
    );
    const url = await server.database('missing');
    expect(() => PostgresStore.open(url, 42)).toThrow(/holds no run 42/);
  });
});
