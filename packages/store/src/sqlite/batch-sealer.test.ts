import { StoreError, type LogRecord } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from './sqlite-store';
import { BatchBuilder } from '../codec/batch-builder';
import { BatchSealer } from './batch-sealer';

/** A batch of `count` records of varied lengths and kinds, from seq `first`. */
function batch(first: number, count: number, salt: number): Uint8Array {
  const out = new BatchBuilder();
  for (let i = 0; i < count; i++) {
    const seq = first + i;
    const record: LogRecord =
      i % 3 === 0
        ? { seq, tick: seq, actor: 'user', cause: 0, kind: 'command', type: 't.go', args: { n: i } }
        : {
            seq,
            tick: seq,
            actor: `plugin:p${salt % 2}`,
            cause: seq - 1,
            kind: 'event',
            type: `t.thing.happened${i % 2}`,
            v: 1,
            data: { pad: 'x'.repeat((i * 7 + salt) % 200) },
          };
    out.append(record);
  }
  return out.take();
}

/** Run files to commit into, in a directory removed after each test. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-commit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A new, empty run file and a connection to it. */
function runFile(name: string): { file: string; db: Database.Database } {
  const file = path.join(dir, name);
  SqliteStore.create(file).close();
  return { file, db: new Database(file) };
}

/** What a run file holds of what a sealer commits. */
function committed(db: Database.Database): unknown[] {
  const all = (table: string) => db.prepare(`SELECT * FROM ${table}`).all();
  return ['batches', 'heads', 'digests', 'record_kinds'].map(all);
}

const batches: [number, Uint8Array][] = [
  [1, batch(1, 1024, 1)],
  [1025, batch(1025, 3, 2)],
  [1028, batch(1028, 1, 3)],
  [1029, batch(1029, 700, 4)],
];

describe('BatchSealer', () => {
  it('seals and commits on its own thread, in submission order, one recording beside another, exactly as here', () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const [a, b, here] = ['a.db', 'b.db', 'here.db'].map(runFile) as [
      ReturnType<typeof runFile>,
      ReturnType<typeof runFile>,
      ReturnType<typeof runFile>,
    ];
    const sealer = new BatchSealer([], { path: a.file, db: a.db, signingKey: key });
    // A second recording, interleaved on the same thread, with the same batches.
    const other = new BatchSealer([], { path: b.file, db: b.db, signingKey: key });
    const inline = new BatchSealer(
      [],
      { path: here.file, db: here.db, signingKey: key },
      { here: true },
    );
    expect([sealer.threaded, other.threaded, inline.threaded]).toEqual([true, true, false]);
    for (const [first, bytes] of batches) {
      const digests = [{ seq: first, digest: `d${first}` }];
      for (const s of [sealer, other, inline]) s.submit(bytes.slice(), first, digests);
    }
    sealer.submitDigests([{ seq: 1729, digest: 'last', projections: { p: 'x' } }]);
    other.submitDigests([{ seq: 1729, digest: 'last', projections: { p: 'x' } }]);
    inline.submitDigests([{ seq: 1729, digest: 'last', projections: { p: 'x' } }]);
    expect(sealer.inFlight).toBe(5);
    while (sealer.inFlight > 0) sealer.settle();
    for (const s of [sealer, other, inline]) s.close();
    const [there, beside, mine] = [a, b, here].map(({ db }) => committed(db));
    // A head for each batch, signed; kinds numbered per recording, in the order its batches bring them.
    expect(there![1]).toHaveLength(4);
    expect(there![2]).toHaveLength(5);
    expect(there).toEqual(mine);
    expect(beside).toEqual(mine);
    for (const { db } of [a, b, here]) db.close();
  });

  it('numbers kinds on from those a reopened run already holds', () => {
    const { file, db } = runFile('reopened.db');
    const sealer = new BatchSealer(
      [{ id: 1, kind: 'command', rejected: 0, type: 't.go', actor: 'user' }],
      { path: file, db },
    );
    sealer.submit(batch(1, 3, 0), 1);
    sealer.settle();
    sealer.close();
    expect(db.prepare('SELECT id, type FROM record_kinds ORDER BY id').raw().all()).toEqual([
      [2, 't.thing.happened1'],
      [3, 't.thing.happened0'],
    ]);
    db.close();
  });

  it('refuses to settle a batch nobody submitted', () => {
    const { file, db } = runFile('empty.db');
    const sealer = new BatchSealer([], { path: file, db });
    try {
      expect(() => sealer.settle()).toThrow(StoreError);
    } finally {
      sealer.close();
      db.close();
    }
  });
});
