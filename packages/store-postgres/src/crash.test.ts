import { Projector } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startLocalPostgres, type LocalPostgres } from './local-postgres';
import { PostgresStore } from './postgres-store';
import { verifyPostgresRun } from './verify-postgres-run';

const registerSrc = path.join(__dirname, '..', '..', '..', 'register-src.js');

let server: LocalPostgres;
beforeAll(async () => {
  server = await startLocalPostgres();
}, 60_000);
afterAll(() => server?.stop());

/** Starts a recording child process and kills it with SIGKILL past `records` records; its run id. */
function recordThenKill(url: string, records: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', registerSrc, path.join(__dirname, 'test-support', 'record-until-killed.ts'), url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let run = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().trim().split('\n')) {
        if (line.startsWith('run ')) run = Number(line.slice(4));
        else if (Number(line) >= records) child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve(run)
        : reject(new Error(`the recorder exited by itself: ${stderr}`)),
    );
  });
}

describe('a run in PostgreSQL whose recorder was killed with SIGKILL', () => {
  jest.setTimeout(120_000);

  it('opens, says it was not closed, holds whole batches, verifies and replays', async () => {
    const url = await server.database('killed');
    const run = await recordThenKill(url, 30_000);
    const store = PostgresStore.open(url, run, { readonly: true });
    expect(store.closedCleanly()).toBe(false);
    expect(store.head() % 1024).toBe(0);
    expect(store.head()).toBeGreaterThan(0);
    expect([...store.read(1)].map((r) => r.seq)).toEqual(
      Array.from({ length: store.head() }, (_, i) => i + 1),
    );
    expect(verifyPostgresRun(url, run)).toMatchObject({
      ok: true,
      records: store.head(),
      closedCleanly: false,
    });
    const projector = new Projector([mmuPlugin({ frames: 256 })], 7);
    const digests = [...store.digests()];
    expect(digests.length).toBeGreaterThan(1);
    for (const event of store.readEvents(1)) {
      while (digests.length > 0 && digests[0]!.seq < event.seq)
        expect(projector.digest()).toBe(digests.shift()!.digest);
      projector.apply(event);
    }
    for (const d of digests) expect(projector.digest()).toBe(d.digest);
    store.close();
  });
});
