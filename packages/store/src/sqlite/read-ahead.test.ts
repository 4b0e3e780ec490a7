import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tamper } from '../test-support/tamper';
import { runWorkload } from '../test-support/workload';
import { ReadAhead } from './read-ahead';
import { SqliteStore } from './sqlite-store';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-read-ahead-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run of about 40 batches: long scans of it are read ahead on the reading thread. */
function recordRun(name: string): { file: string; head: number } {
  const file = path.join(dir, name);
  const store = SqliteStore.create(file);
  runWorkload(store, 20_000).close();
  const head = store.head();
  store.close();
  return { file, head };
}

/** The run read in stretches short enough to be read here, batch by batch. */
function readShort(store: SqliteStore): number[] {
  const seqs: number[] = [];
  for (let from = 1; from <= store.head(); from += 4096)
    for (const r of store.read(from, Math.min(store.head(), from + 4095))) seqs.push(r.seq);
  return seqs;
}

describe('reading ahead on another thread', () => {
  it('gives the records a scan batch by batch gives, events alone too, and frees the thread when a scan stops early', () => {
    const { file, head } = recordRun('a.db');
    const store = SqliteStore.open(file, { readonly: true });
    const before = ReadAhead.scans;
    const all = [...store.read(1)];
    expect(ReadAhead.scans).toBe(before + 1);
    expect(all.map((r) => r.seq)).toEqual(readShort(store));
    expect(all).toHaveLength(head);
    expect([...store.readEvents(1)]).toEqual(all.filter((r) => r.kind === 'event'));
    expect([...store.read(5000, 30_000)]).toEqual(all.slice(4999, 30_000));
    // A scan left early lets the thread go: the next long scan reads ahead again, and one
    // inside another reads for itself.
    for (const r of store.read(1)) if (r.seq === 3000) break;
    let inner = 0;
    for (const r of store.read(1)) {
      if (r.seq % 10_000 === 0) inner += [...store.read(1)].length;
    }
    expect(inner).toBe(Math.floor(head / 10_000) * head);
    expect(ReadAhead.scans).toBe(before + 5); // the inner scans read for themselves
    store.close();
  });

  it('refuses an altered batch as reading it here does, naming its seqs', () => {
    const { file } = recordRun('b.db');
    tamper(file, 20_500, (records, i) => {
      const copy = [...records];
      copy[i] = Buffer.from(copy[i]!.map((b, k) => (k === copy[i]!.length - 1 ? b ^ 1 : b)));
      return copy;
    });
    const store = SqliteStore.open(file, { readonly: true });
    const first = 20_500 - ((20_500 - 1) % 1024);
    const message = `${file}: the batch of seqs ${first} to ${first + 1023} no longer matches its hash`;
    expect(() => [...store.read(1)]).toThrow(message);
    expect(() => [...store.read(first, first + 10)]).toThrow(message);
    store.close();
    const unchecked = SqliteStore.open(file, { readonly: true, verify: false });
    expect([...unchecked.read(1)].length).toBe(unchecked.head());
    unchecked.close();
  });
});
