import { MemoryStore, StoreError } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runWorkload } from '../test-support/workload';
import { BATCH_RECORDS as BATCH_SIZE } from '../codec/batch-format';
import { checkConsistencyProof, checkRecordProof, formatHead } from '../audit/proofs';
import { verifyRun } from '../audit/verify-run';
import { tamper } from '../test-support/tamper';
import { SqliteStore } from './sqlite-store';
import * as mmu from '@chronovisor/mmu';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name = 'run.db') => path.join(dir, name);

describe('SqliteStore', () => {
  it('keeps exactly the records and digests of a run, across a close and a reopen', () => {
    const reference = new MemoryStore();
    runWorkload(reference, 3000).close();

    const store = SqliteStore.create(file(), {
      manifest: { seed: 1, plugins: ['@chronovisor/mmu@1.0.0'] },
    });
    const sim = runWorkload(store, 3000);
    sim.close();
    store.close();

    const reopened = SqliteStore.open(file(), { readonly: true });
    expect(reopened.status).toEqual({ closedCleanly: true, records: reference.head() });
    expect(reopened.head()).toBeGreaterThan(3 * BATCH_SIZE);
    expect([...reopened.read(1)]).toEqual([...reference.read(1)]);
    expect(reopened.digests()).toEqual(reference.digests());
    expect(reopened.manifest()).toEqual({ seed: 1, plugins: ['@chronovisor/mmu@1.0.0'] });
    reopened.close();
  });

  it('reads any range, or its events, across batch boundaries and the batch still filling', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 1500);
    const all = [...store.read(1)];
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: store.head() }, (_, i) => i + 1));
    for (const [from, to] of [
      [1, 1],
      [BATCH_SIZE - 2, BATCH_SIZE + 3],
      [BATCH_SIZE, BATCH_SIZE],
      [store.head() - 5, store.head() + 10],
    ] as const) {
      expect([...store.read(from, to)]).toEqual(all.slice(from - 1, Math.min(to, store.head())));
      expect([...store.readEvents(from, to)]).toEqual(
        all.slice(from - 1, Math.min(to, store.head())).filter((r) => r.kind === 'event'),
      );
    }
    store.flush(); // the batch still filling is now both in the file and in memory
    expect([...store.readEvents(1)]).toEqual(all.filter((r) => r.kind === 'event'));
    store.close();
  });

  it('can be queried with SQL, one row per record', () => {
    const store = SqliteStore.create(file());
    const sim = runWorkload(store, 2000);
    sim.dispatch(mmu.map, { space: 99, va: 0, pages: 1 }); // refused: no such space
    sim.close();
    const expected = [...store.read(1)].map((r) => ({
      seq: r.seq,
      kind: r.kind,
      type: r.type,
      actor: r.actor,
      cause: r.cause,
      tick: r.tick,
      rejected: r.kind === 'command' && r.rejection ? 1 : 0,
    }));
    store.close();
    const db = new Database(file(), { readonly: true });
    expect(db.prepare('SELECT * FROM records ORDER BY seq').all()).toEqual(expected);
    const byType = db.prepare('SELECT type, count(*) AS n FROM records GROUP BY type').all() as {
      type: string;
      n: number;
    }[];
    db.close();
    expect(byType.find((r) => r.type === 'mmu.map')?.n).toBe(2);
    expect(expected.at(-1)).toMatchObject({ type: 'mmu.map', rejected: 1, cause: 0 });
  });

  it('goes on recording into a reopened run, in a batch after its last (short) one', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 1200).close();
    const head = store.head();
    const ends = store.batchEnds();
    store.close();
    const again = SqliteStore.open(file());
    again.append([
      {
        seq: head + 1,
        tick: 999,
        actor: 'user',
        cause: 0,
        kind: 'command',
        type: 'mmu.flush',
        args: {},
      },
    ]);
    again.close();
    const reopened = SqliteStore.open(file(), { readonly: true });
    expect(reopened.head()).toBe(head + 1);
    expect([...reopened.read(head)].map((r) => r.seq)).toEqual([head, head + 1]);
    expect(reopened.batchEnds()).toEqual([...ends, head + 1]);
    reopened.close();
    expect(verifyRun(file())).toMatchObject({ ok: true, records: head + 1 });
  });

  it('refuses to overwrite a run, a gap in the log, and writes to a read-only or closed store', () => {
    SqliteStore.create(file()).close();
    expect(() => SqliteStore.create(file())).toThrow(`${file()} already exists`);
    const store = SqliteStore.open(file());
    expect(() =>
      store.append([
        { seq: 2, tick: 0, actor: 'a', cause: 0, kind: 'command', type: 't.x', args: {} },
      ]),
    ).toThrow('Record seq 2 does not continue the log: expected seq 1');
    store.close();
    expect(() => store.append([])).toThrow(`${file()} is closed`);
    const readonly = SqliteStore.open(file(), { readonly: true });
    expect(() => readonly.append([])).toThrow(`${file()} is open read-only`);
    readonly.close();
  });

  it('says clearly when a file is not a run, or is missing', () => {
    writeFileSync(file('notes.txt'), 'hello, this is not a database');
    expect(() => SqliteStore.open(file('notes.txt'))).toThrow(StoreError);
    expect(() => SqliteStore.open(file('notes.txt'))).toThrow(
      `${file('notes.txt')} is not a Chronovisor run`,
    );
    const other = new Database(file('other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(() => SqliteStore.open(file('other.db'))).toThrow(
      `${file('other.db')} is not a Chronovisor run: no such table: meta`,
    );
    expect(() => SqliteStore.open(file('missing.db'))).toThrow(
      `${file('missing.db')} does not exist`,
    );
  });

  it('refuses a run of an older format, saying what to do, and one of a newer format', () => {
    for (const [format, advice] of [
      [
        6,
        ' (format 6 was written by Chronovisor before Plugin API 2, which recorded calls as command records): record the run again with this version (chronovisor run <scenario>)',
      ],
      [
        7,
        ' (format 7 was written by Chronovisor before batch leaves, whose audit tree had a leaf per record): export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
      ],
      [
        8,
        ' (format 8 was written by Chronovisor before batch names, whose records spelled out every actor, type and key): export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
      ],
      [
        9,
        ' (format 9 was written by Chronovisor before payload shapes, whose records tagged and named every field): export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
      ],
      [11, ': read it with a newer version of Chronovisor'],
    ] as const) {
      const name = `format-${format}.db`;
      SqliteStore.create(file(name)).close();
      const db = new Database(file(name));
      db.prepare("UPDATE meta SET value = ? WHERE key = 'format'").run(String(format));
      db.close();
      expect(() => SqliteStore.open(file(name))).toThrow(
        `${file(name)} is a Chronovisor run of format ${format}; this version reads format 10${advice}`,
      );
    }
  });

  it('names the batch and seq of corrupt stored bytes instead of replaying them', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 1500).close();
    store.close();
    const db = new Database(file());
    const row = db
      .prepare('SELECT first_seq, bytes FROM batches ORDER BY first_seq LIMIT 1 OFFSET 1')
      .get() as { first_seq: number; bytes: Buffer };
    const flipped = Buffer.from(row.bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    db.prepare('UPDATE batches SET bytes = ? WHERE first_seq = ?').run(flipped, row.first_seq);
    db.close();
    const reopened = SqliteStore.open(file(), { readonly: true });
    expect([...reopened.read(1, BATCH_SIZE)]).toHaveLength(BATCH_SIZE); // the first batch is intact
    expect(() => [...reopened.read(1)]).toThrow(
      new RegExp(
        `the batch of seqs ${BATCH_SIZE + 1} to ${2 * BATCH_SIZE} (is corrupt|no longer matches its hash)`,
      ),
    );
    reopened.close();
    expect(readFileSync(file()).length).toBeGreaterThan(0);
  });

  it('refuses to read a batch altered since it was sealed, unless told not to check', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 1500).close();
    const original = [...store.read(1500, 1500)][0]!;
    store.close();
    tamper(file(), 1500, (records, i) => {
      const copy = Buffer.from(records[i]!);
      copy[copy.length - 1]! ^= 0x01; // still a record: the last byte of its payload
      return records.map((r, k) => (k === i ? copy : r));
    });
    const checked = SqliteStore.open(file(), { readonly: true });
    expect(() => [...checked.read(1500, 1500)]).toThrow(
      `${file()}: the batch of seqs ${BATCH_SIZE + 1} to ${2 * BATCH_SIZE} no longer matches its hash: the run was altered (chronovisor verify ${file()} names the record); --no-verify reads it anyway`,
    );
    expect([...checked.read(1, BATCH_SIZE)]).toHaveLength(BATCH_SIZE); // the first batch is whole
    checked.close();
    const unchecked = SqliteStore.open(file(), { readonly: true, verify: false });
    expect([...unchecked.read(1500, 1500)][0]).not.toEqual(original);
    unchecked.close();
  });
});

describe('SqliteStore bookmarks', () => {
  it('are in the .db file itself once the store closes, even while a reader has the run open', () => {
    SqliteStore.create(file()).close();
    const store = SqliteStore.create(file('b.db'));
    runWorkload(store, 50).close();
    store.close();
    const reader = SqliteStore.open(file('b.db'), { readonly: true });
    const writer = SqliteStore.open(file('b.db'));
    writer.bookmark('here', 10, 'kept');
    writer.close();
    copyFileSync(file('b.db'), file('copy.db')); // the .db alone, as a user copies it
    reader.close();
    const copy = SqliteStore.open(file('copy.db'), { readonly: true });
    expect(copy.bookmarks()).toEqual([{ name: 'here', seq: 10, note: 'kept' }]);
    copy.close();
  });

  it('keeps named points of the run with notes, and refuses one past the end', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 200).close();
    store.bookmark('fork', 12, 'the child is born here');
    store.bookmark('end', store.head());
    store.bookmark('fork', 10, 'earlier, in fact');
    expect(() => store.bookmark('late', store.head() + 1)).toThrow(
      `Cannot bookmark seq ${store.head() + 1}: the run holds records 1 to ${store.head()}`,
    );
    store.close();
    const reopened = SqliteStore.open(file(), { readonly: true });
    expect(reopened.bookmarks()).toEqual([
      { name: 'fork', seq: 10, note: 'earlier, in fact' },
      { name: 'end', seq: reopened.head(), note: '' },
    ]);
    reopened.close();
  });
});

describe('SqliteStore proofs', () => {
  it('proves any record is in the run, and that the run only grew, in O(log n) hashes', () => {
    const store = SqliteStore.create(file());
    runWorkload(store, 2500).close();
    const heads = store.treeHeads();
    const last = heads.at(-1)!;
    expect(last.size).toBe(store.head());
    expect(last.batches).toBe(Math.ceil(last.size / BATCH_SIZE));
    expect(store.treeRoot()).toEqual(last.root);
    for (const seq of [1, BATCH_SIZE, BATCH_SIZE + 1, last.size]) {
      const proof = store.recordProof(seq);
      expect(proof.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(last.batches)));
      const checked = checkRecordProof(proof, last);
      expect(checked).toMatchObject({ ok: true, record: [...store.read(seq, seq)][0] });
      const bytes = Buffer.from(proof.batch.bytes);
      bytes[bytes.length - 1]! ^= 1;
      expect(checkRecordProof({ ...proof, batch: { ...proof.batch, bytes } }, last).ok).toBe(false);
      expect(checkRecordProof(proof, { size: last.size, root: heads[0]!.root }).message).toBe(
        `The proof is against the head ${formatHead(last)}, not the one given (${formatHead({ size: last.size, root: heads[0]!.root })})`,
      );
    }
    for (const earlier of heads.slice(0, -1)) {
      const proof = store.consistencyProof(earlier.size);
      expect(checkConsistencyProof(proof)).toBe(true);
      expect(checkConsistencyProof({ ...proof, from: { ...proof.from, root: last.root } })).toBe(
        false,
      );
    }
    expect(() => store.recordProof(1, 5)).toThrow(
      'No tree head covers exactly the first 5 records',
    );
    store.close();
  });
});
