import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { verifyRun } from './audit/verify-run';
import { BATCH_RECORDS } from './codec/batch-format';
import { exportNdjson, importNdjson } from './ndjson/ndjson';
import { SqliteStore } from './sqlite/sqlite-store';
import { runWorkload } from './test-support/workload';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-progress-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A closed run of some `commands` (two or three records each), in many batches. */
function recordRun(commands: number): { file: string; head: number } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file);
  runWorkload(store, commands).close();
  const head = store.head();
  store.close();
  return { file, head };
}

/** The calls of a progress callback, checked to climb to the end. */
function calls(): { seen: [number, number][]; onProgress: (done: number, total: number) => void } {
  const seen: [number, number][] = [];
  return { seen, onProgress: (done, total) => void seen.push([done, total]) };
}

describe('progress of a long pass over a run', () => {
  jest.setTimeout(60_000);

  it('verify reports every few thousand records, not every record, up to the end', () => {
    const { file, head } = recordRun(40_000);
    const { seen, onProgress } = calls();
    expect(verifyRun(file, { onProgress }).ok).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(head / (4 * BATCH_RECORDS) + 1);
    expect(seen.map(([done]) => done)).toEqual(
      [...seen.map(([done]) => done)].sort((a, b) => a - b),
    );
    expect(seen.at(-1)).toEqual([head, head]);
  });

  it('export reports records written, import bytes read, a chunk at a time, up to the end', () => {
    const { file, head } = recordRun(6_000); // some 2 MiB of NDJSON
    const ndjson = path.join(dir, 'run.ndjson');
    const exported = calls();
    const store = SqliteStore.open(file, { readonly: true });
    exportNdjson(store, store.manifest(), ndjson, { onProgress: exported.onProgress });
    store.close();
    expect(exported.seen.length).toBeGreaterThan(1);
    expect(exported.seen.length).toBeLessThan(head / 1000);
    expect(exported.seen.at(-1)).toEqual([head, head]);

    const imported = calls();
    const size = statSync(ndjson).size;
    const copy = importNdjson(
      ndjson,
      (header) => SqliteStore.create(path.join(dir, 'copy.db'), header),
      { onProgress: imported.onProgress },
    ).store;
    copy.close();
    expect(imported.seen.length).toBe(Math.ceil(size / 2 ** 20));
    expect(imported.seen.at(-1)).toEqual([size, size]);
  });
});
