import { StoreError, type LogRecord } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from './sqlite-store';
import { BatchBuilder } from '../codec/batch-builder';
import { sealBatch } from './batch-seal';
import { BatchSealer } from './batch-sealer';
import { KindTable } from './record-index';

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

describe('BatchSealer', () => {
  it('seals on its own thread, in submission order, exactly as sealing here does', () => {
    const sealer = new BatchSealer([]);
    const other = new BatchSealer([]); // a second recording, interleaved on the same thread
    try {
      expect(sealer.threaded).toBe(true);
      const batches: [number, Uint8Array][] = [
        [1, batch(1, 1024, 1)],
        [1025, batch(1025, 3, 2)],
        [1028, batch(1028, 1, 3)],
        [1029, batch(1029, 700, 4)],
      ];
      for (const [i, [first, bytes]] of batches.entries()) {
        sealer.submit(bytes.slice(), first);
        const [mirrorFirst, mirror] = batches[batches.length - 1 - i]!;
        other.submit(mirror.slice(), mirrorFirst);
      }
      expect(sealer.inFlight).toBe(4);
      // Kinds are numbered per recording, in the order its batches bring them.
      const here = new KindTable();
      const mirrored = new KindTable();
      for (const [i, [first, bytes]] of batches.entries()) {
        const want = sealBatch(bytes, first, here);
        const got = sealer.take();
        expect(got.leaf).toEqual(want.leaf);
        expect(got.checks).toEqual(want.checks);
        expect(got.bytes).toEqual(want.bytes);
        expect(got.index).toEqual(want.index);
        const [mirrorFirst, mirror] = batches[batches.length - 1 - i]!;
        expect(other.take().index).toEqual(sealBatch(mirror, mirrorFirst, mirrored).index);
      }
      expect(sealer.inFlight).toBe(0);
    } finally {
      sealer.close();
      other.close();
    }
  });

  it('numbers kinds on from those a reopened run already holds', () => {
    const sealer = new BatchSealer([
      { id: 1, kind: 'command', rejected: 0, type: 't.go', actor: 'user' },
    ]);
    try {
      sealer.submit(batch(1, 3, 0), 1);
      expect(sealer.take().index.newKinds.map((k) => [k.id, k.type])).toEqual([
        [2, 't.thing.happened1'],
        [3, 't.thing.happened0'],
      ]);
    } finally {
      sealer.close();
    }
  });

  it('refuses to take a batch nobody submitted', () => {
    const sealer = new BatchSealer([]);
    try {
      expect(() => sealer.take()).toThrow(StoreError);
    } finally {
      sealer.close();
    }
  });

  it('commits on its own thread, on a connection of its own, exactly as committing here does', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-commit-'));
    try {
      const files = ['there.db', 'here.db'].map((name) => {
        const file = path.join(dir, name);
        SqliteStore.create(file).close();
        return file;
      });
      const key = generateKeyPairSync('ed25519').privateKey;
      const tables = files.map((file, i) => {
        const db = new Database(file);
        const sealer = new BatchSealer([], { path: file, db, signingKey: key }, { here: i === 1 });
        expect(sealer.threaded).toBe(i === 0);
        sealer.submit(batch(1, 1024, 1), 1, [{ seq: 500, digest: 'a' }]);
        sealer.submit(batch(1025, 3, 2), 1025, [
          { seq: 1026, digest: 'b', projections: { p: 'c' } },
        ]);
        sealer.submitDigests([{ seq: 1027, digest: 'd' }]);
        while (sealer.inFlight > 0) sealer.settle();
        sealer.close();
        const all = (table: string) => db.prepare(`SELECT * FROM ${table}`).all();
        const out = ['batches', 'heads', 'digests', 'record_kinds'].map(all);
        db.close();
        return out;
      });
      expect(tables[0]![1]).toHaveLength(2); // a head for each batch, signed
      expect(tables[0]).toEqual(tables[1]);
      expect(tables[0]![2]).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
