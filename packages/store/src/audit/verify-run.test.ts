import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ByteReader } from '../codec/byte-reader';
import { decodeRecord, recordBytes } from '../codec/record-codec';
import { BATCH_SIZE, SqliteStore } from '../sqlite/sqlite-store';
import { tamper } from '../test-support/tamper';
import { runWorkload } from '../test-support/workload';
import { verifyRun } from './verify-run';
import * as mmu from '@chronovisor/mmu';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const keys = generateKeyPairSync('ed25519');

/** A closed run of about 3,000 records, committed in several batches and flushes. */
function recordRun(signed = false): { file: string; head: number } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, signed ? { signingKey: keys.privateKey } : {});
  const sim = runWorkload(store, 1000);
  store.flush(); // a head in the middle of the second batch
  for (let i = 0; i < 600; i++) sim.dispatch(mmu.flush, {});
  sim.close();
  const head = store.head();
  store.close();
  return { file, head };
}

const flipLastByte = (records: Buffer[], i: number) => {
  const copy = Buffer.from(records[i]!);
  copy[copy.length - 1]! ^= 0x01;
  return records.map((r, k) => (k === i ? copy : r));
};

describe('verifyRun', () => {
  it('accepts an untouched run, signed or not', () => {
    const { file, head } = recordRun();
    expect(verifyRun(file)).toMatchObject({ ok: true, records: head, signatures: 'unsigned' });
    rmSync(file);
    const signed = recordRun(true);
    const report = verifyRun(signed.file, { trustedKey: keys.publicKey });
    expect(report).toMatchObject({ ok: true, records: signed.head, signatures: 'trusted key' });
    expect(report.heads).toBeGreaterThanOrEqual(3);
  });

  it('accepts a signed run that was reopened and signed on with the same key', () => {
    const { file } = recordRun(true);
    const store = SqliteStore.open(file, { signingKey: keys.privateKey });
    const head = store.head();
    store.append([
      {
        seq: head + 1,
        tick: 9999,
        actor: 'user',
        cause: 0,
        kind: 'command',
        type: 'mmu.flush',
        args: {},
      },
    ]);
    store.appendDigest({ seq: head + 1, digest: 'd' });
    store.close();
    expect(verifyRun(file, { trustedKey: keys.publicKey })).toMatchObject({
      ok: true,
      records: head + 1,
    });
  });

  it('names a record whose payload lost one bit', () => {
    const { file } = recordRun();
    tamper(file, 1500, flipLastByte);
    expect(verifyRun(file).problem).toEqual({ kind: 'altered', seq: 1500 });
    expect(verifyRun(file).message).toBe(
      'Record 1500 was altered: its bytes no longer match the hash committed for it',
    );
  });

  it('names a deleted record', () => {
    const { file } = recordRun();
    tamper(file, 1500, (records, i) => records.filter((_, k) => k !== i));
    expect(verifyRun(file).problem).toEqual({ kind: 'missing', seq: 1500 });
  });

  it('names the first of two swapped records', () => {
    const { file } = recordRun();
    tamper(file, 1500, (records, i) =>
      records.map((r, k) => (k === i ? records[i + 1]! : k === i + 1 ? records[i]! : r)),
    );
    expect(verifyRun(file).problem).toEqual({ kind: 'misplaced', seq: 1500, found: 1501 });
  });

  it('names a forged record appended after the last commit, even with its hashes forged too', () => {
    const { file, head } = recordRun();
    tamper(
      file,
      head,
      (records) => {
        const last = decodeRecord(new ByteReader(records.at(-1)!));
        return [...records, Buffer.from(recordBytes({ ...last, seq: head + 1 }))];
      },
      true,
    );
    expect(verifyRun(file).problem).toEqual({ kind: 'uncommitted', from: head + 1, to: head + 1 });
  });

  it('names the first head that no longer holds when the forger rewrote the stored hashes too', () => {
    const { file } = recordRun();
    const heads = (
      new Database(file, { readonly: true })
        .prepare('SELECT size FROM heads ORDER BY size')
        .all() as { size: number }[]
    ).map((h) => h.size);
    const firstAfter = heads.find((size) => size >= BATCH_SIZE + 500)!;
    const before = heads.filter((size) => size < BATCH_SIZE + 500).at(-1)!;
    tamper(file, BATCH_SIZE + 500, flipLastByte, true);
    expect(verifyRun(file).problem).toEqual({
      kind: 'head',
      size: firstAfter,
      from: before + 1,
      to: firstAfter,
    });
  });

  it('names the first head whose signature fails when the forger recomputed the heads as well', () => {
    const { file } = recordRun(true);
    tamper(file, 1500, flipLastByte, true);
    // The forger recomputes every head's root, but cannot sign them.
    const store = SqliteStore.open(file, { readonly: true });
    const roots = store.treeHeads().map((h) => ({ size: h.size, root: store.treeRoot(h.size) }));
    store.close();
    const db = new Database(file);
    for (const { size, root } of roots)
      db.prepare('UPDATE heads SET root = ? WHERE size = ?').run(root, size);
    db.close();
    const report = verifyRun(file, { trustedKey: keys.publicKey });
    expect(report.problem).toMatchObject({ kind: 'signature' });
    const problem = report.problem as { size: number; from: number; to: number };
    expect(problem.from).toBeLessThanOrEqual(1500);
    expect(problem.to).toBeGreaterThanOrEqual(1500);
  });

  it('refuses a file that is not a run', () => {
    expect(() => verifyRun(path.join(dir, 'nothing.db'))).toThrow('does not exist');
  });
});
