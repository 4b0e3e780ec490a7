import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BATCH_RECORDS as BATCH_SIZE,
  batchLeaf,
  framesOf,
  recordChecksum,
} from '../codec/batch-format';
import { batchBytes } from '../codec/batch-builder';
import { deflateRawSync } from 'node:zlib';
import { SqliteStore } from '../sqlite/sqlite-store';
import { formatHead } from './proofs';
import { tamper } from '../test-support/tamper';
import { runWorkload } from '../test-support/workload';
import { VerifyPool } from './verify-pool';
import { verifyRun } from './verify-run';
import * as mmu from '@chronovisor/mmu';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const keys = generateKeyPairSync('ed25519');

/** A closed run of about 3,200 records, in several batches, one of them short (a flush). */
function recordRun(signed = false): { file: string; head: number } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, signed ? { signingKey: keys.privateKey } : {});
  const sim = runWorkload(store, 1000);
  store.flush(); // a short second batch
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
      'Record 1500 was altered: its bytes no longer match the checksum recorded for it',
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

  it('names a forged record appended after the last commit, in a batch of its own with its leaf', () => {
    const { file, head } = recordRun();
    const store = SqliteStore.open(file, { readonly: true });
    const last = [...store.read(head)][0]!;
    store.close();
    // The forger writes a batch row as the store would, but cannot add a head to a signed run
    // (nor, unsigned, to the head its victim kept).
    const batch = batchBytes([{ ...last, seq: head + 1 }]);
    const check = Buffer.alloc(2);
    check.writeUInt16BE(recordChecksum(batch, framesOf(batch), 0));
    const db = new Database(file);
    db.prepare(
      "INSERT INTO batches (first_seq, count, bytes, checks, leaf, first_tick, records) VALUES (?, 1, ?, ?, ?, 0, '[]')",
    ).run(head + 1, deflateRawSync(batch), check, batchLeaf(head + 1, 1, batch));
    db.close();
    expect(verifyRun(file).problem).toEqual({ kind: 'uncommitted', from: head + 1, to: head + 1 });
  });

  it('names the last batch and its head when a record is forged into it, leaf and all', () => {
    const { file, head } = recordRun();
    const store = SqliteStore.open(file, { readonly: true });
    const lastBatch = store.batchEnds().at(-2)! + 1;
    store.close();
    tamper(
      file,
      head,
      (records, _at, batch) => {
        const last = batch.decode(records.at(-1)!);
        return [...records, batch.encode({ ...last, seq: head + 1 })];
      },
      'leaf',
    );
    expect(verifyRun(file).problem).toEqual({
      kind: 'head',
      size: head,
      from: lastBatch,
      to: head,
    });
  });

  it.each(['checksums', 'leaf'] as const)(
    'names the batch and the first head that no longer holds when the forger rewrote the %s too',
    (cover) => {
      const { file } = recordRun();
      const heads = (
        new Database(file, { readonly: true })
          .prepare('SELECT size FROM heads ORDER BY size')
          .all() as { size: number }[]
      ).map((h) => h.size);
      const firstAfter = heads.find((size) => size >= BATCH_SIZE + 500)!;
      const before = heads.filter((size) => size < BATCH_SIZE + 500).at(-1)!;
      tamper(file, BATCH_SIZE + 500, flipLastByte, cover);
      const report = verifyRun(file);
      expect(report.problem).toEqual({
        kind: 'head',
        size: firstAfter,
        from: before + 1,
        to: firstAfter,
      });
      expect(report.message).toBe(
        `The tree head at ${firstAfter} no longer holds: records ${before + 1} to ${firstAfter} were rewritten, hashes and all`,
      );
    },
  );

  it('catches a tail cut off with its heads, or a run rewritten whole, given the head kept from the run', () => {
    const { file, head } = recordRun();
    const store = SqliteStore.open(file, { readonly: true });
    const kept = store.treeHead();
    const earlier = store.treeHeads()[0]!;
    store.close();
    expect(verifyRun(file, { head: kept })).toMatchObject({ ok: true });
    expect(verifyRun(file, { head: earlier }).message).toContain(
      `the run extends the head ${formatHead(earlier)}`,
    );
    // The last batch and its head dropped: the file alone is consistent.
    const db = new Database(file);
    const last = db.prepare('SELECT max(first_seq) AS first FROM batches').get() as {
      first: number;
    };
    db.prepare('DELETE FROM batches WHERE first_seq = ?').run(last.first);
    db.prepare('DELETE FROM heads WHERE size >= ?').run(last.first);
    db.close();
    expect(verifyRun(file)).toMatchObject({ ok: true, records: last.first - 1 });
    expect(verifyRun(file, { head: kept })).toMatchObject({
      ok: false,
      problem: { kind: 'trusted-head', head: formatHead(kept), records: last.first - 1, cut: true },
    });
    expect(verifyRun(file, { head: kept }).message).toBe(
      `The run no longer extends the head ${formatHead(kept)}: it holds only ${last.first - 1} records, the rest was cut off with its heads`,
    );
    // A record rewritten with every hash and head recomputed: only the kept head tells.
    tamper(file, 10, flipLastByte, 'leaf');
    const forged = SqliteStore.open(file, { readonly: true });
    const heads = forged.treeHeads().map((h) => ({ size: h.size, root: forged.treeRoot(h.size) }));
    forged.close();
    const rewrite = new Database(file);
    for (const h of heads)
      rewrite.prepare('UPDATE heads SET root = ? WHERE size = ?').run(h.root, h.size);
    rewrite.close();
    expect(verifyRun(file).ok).toBe(true);
    expect(verifyRun(file, { head: earlier }).problem).toMatchObject({
      kind: 'trusted-head',
      cut: false,
    });
    expect(head).toBeGreaterThan(last.first);
  });

  it('names the first head whose signature fails when the forger recomputed the heads as well', () => {
    const { file } = recordRun(true);
    tamper(file, 1500, flipLastByte, 'leaf');
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

describe('verifyRun on the verifying threads', () => {
  // Over 32 batches (more than a chunk): the run is shared out between this thread and the
  // verifying threads, each claiming chunks of 32 batches as it goes.
  const RECORDS_IN_RUN = 75 * BATCH_SIZE;

  function recordLongRun(): string {
    const file = path.join(dir, 'long.db');
    const store = SqliteStore.create(file);
    runWorkload(store, RECORDS_IN_RUN / 2).close();
    store.close();
    return file;
  }

  it('finds and names what the check on one thread does, wherever it is in the run', async () => {
    const original = recordLongRun();
    await VerifyPool.warm();
    const whole = verifyRun(original, { threads: true });
    expect(whole).toMatchObject({ ok: true });
    const before = VerifyPool.threadChunks;
    expect(verifyRun(original, { threads: false })).toEqual(whole);
    // An altered record, a swap, a deletion, and checksums rewritten too: in chunks the first
    // thread, and the others, check.
    const edits: [string, (records: Buffer[], i: number) => Buffer[], 'none' | 'checksums'][] = [
      ['flip', flipLastByte, 'none'],
      [
        'swap',
        (records, i) =>
          records.map((r, k) => (k === i ? records[i + 1]! : k === i + 1 ? records[i]! : r)),
        'none',
      ],
      ['delete', (records, i) => records.filter((_, k) => k !== i), 'none'],
      ['rewrite', flipLastByte, 'checksums'],
    ];
    for (const seq of [700, 40 * BATCH_SIZE + 17, 70 * BATCH_SIZE + 500]) {
      for (const [name, edit, cover] of edits) {
        const file = path.join(dir, `${name}-${seq}.db`);
        copyFileSync(original, file);
        tamper(file, seq, edit, cover);
        const threaded = verifyRun(file, { threads: true });
        expect(threaded.ok).toBe(false);
        expect({ name, seq, report: threaded }).toEqual({
          name,
          seq,
          report: verifyRun(file, { threads: false }),
        });
        rmSync(file);
      }
    }
    // The threads checked chunks (where the machine has more than one core to run them).
    if (availableParallelism() > 1) expect(VerifyPool.threadChunks).toBeGreaterThan(before);
  });
});
