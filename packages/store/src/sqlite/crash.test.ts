import { Projector } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { verifyRun } from '../audit/verify-run';
import { BATCH_RECORDS as BATCH_SIZE } from '../codec/batch-format';
import { SEALING_AHEAD } from './batch-sealer';
import { SqliteStore } from './sqlite-store';

const registerSrc = path.join(__dirname, '..', '..', '..', '..', 'register-src.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a recording child process and kills it with SIGKILL once it reports `records` records. */
function recordThenKill(file: string, records: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // From the TypeScript sources, @chronovisor/* mapped to src: nothing needs to be built first.
    const child = spawn(
      process.execPath,
      [
        '-r',
        registerSrc,
        path.join(__dirname, '..', 'test-support', 'record-until-killed.ts'),
        file,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const reported = Number(chunk.toString().trim().split('\n').at(-1));
      if (reported >= records) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve()
        : reject(new Error(`the recorder exited by itself: ${stderr}`)),
    );
  });
}

describe('a run killed with SIGKILL while recording', () => {
  jest.setTimeout(60_000);

  it.each([24_000, 40_000, 60_000])(
    'opens, says it was not closed, holds every committed batch, verifies and replays (killed past %i records)',
    async (records) => {
      const file = path.join(dir, `killed-${records}.db`);
      await recordThenKill(file, records);
      const store = SqliteStore.open(file, { readonly: true });
      expect(store.status.closedCleanly).toBe(false);
      // Full batches are committed once sealed, up to SEALING_AHEAD batches behind; the one
      // filling at the kill, and those still sealing, are lost with the process (~17,000 records
      // at most: the last few milliseconds of recording).
      expect(store.status.records % BATCH_SIZE).toBe(0);
      expect(store.status.records).toBeGreaterThanOrEqual(
        Math.max(0, Math.floor(records / BATCH_SIZE) - SEALING_AHEAD - 1) * BATCH_SIZE,
      );
      const seqs = [...store.read(1)].map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: store.status.records }, (_, i) => i + 1));
      expect(store.digests().every((d) => d.seq <= store.head())).toBe(true);
      // It verifies, every record under a tree head...
      expect(verifyRun(file)).toMatchObject({ ok: true, records: store.status.records });
      // ...and replays: the recorder's plugin set folds its events to every digest it recorded.
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
    },
  );
});
