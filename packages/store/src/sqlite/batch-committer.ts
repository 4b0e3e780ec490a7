import type { StateDigest } from '@chronovisor/core';
import Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { HeadChain } from '../audit/head-chain';
import type { BatchSeal } from './batch-seal';

/** One commit: a sealed batch of `count` records from `first` and the digests it brings, or digests alone. */
export type Commit =
  | {
      readonly seal: BatchSeal;
      readonly first: number;
      readonly count: number;
      readonly digests: readonly StateDigest[];
    }
  | { readonly seal?: undefined; readonly digests: readonly StateDigest[] };

/** How long a connection waits for another one's write to end before it gives up. */
const BUSY_MS = 10_000;

/**
 * Commits sealed batches to a run file: each batch with its records, checksums and leaf, the
 * record kinds and state digests it brings, and the new tree head (signed when there is a key), in
 * one transaction, so a crash leaves all of it or none. It runs where the batches are sealed: on
 * the sealing thread, on a connection of its own, so the recording thread writes nothing per
 * batch; or on the recording thread's own connection where there is no sealing thread.
 * Loads nothing of the kernel (the sealing thread uses it).
 */
export class BatchCommitter {
  private readonly insertBatch: Database.Statement;
  private readonly insertDigest: Database.Statement;
  private readonly insertHead: Database.Statement;
  private readonly insertKind: Database.Statement;
  /** The audit tree over the batches stored. */
  private readonly heads: HeadChain;

  constructor(
    private readonly db: Database.Database,
    signingKey: KeyObject | undefined,
    /** Whether the connection is this committer's own, to close with it. */
    private readonly owned = false,
  ) {
    this.insertBatch = db.prepare(
      'INSERT INTO batches (first_seq, count, bytes, checks, leaf, first_tick, records) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertDigest = db.prepare(
      'INSERT OR REPLACE INTO digests (seq, digest, projections) VALUES (?, ?, ?)',
    );
    this.insertHead = db.prepare(
      'INSERT OR REPLACE INTO heads (size, batches, root, signature) VALUES (?, ?, ?, ?)',
    );
    this.insertKind = db.prepare(
      'INSERT INTO record_kinds (id, kind, rejected, type, actor) VALUES (?, ?, ?, ?, ?)',
    );
    const leaves = db.prepare('SELECT leaf FROM batches ORDER BY first_seq').all() as {
      leaf: Buffer;
    }[];
    this.heads = new HeadChain(
      leaves.map((row) => row.leaf),
      signingKey,
    );
  }

  /** A committer on a connection of its own to the run file at `path`. */
  static open(path: string, signingKey: KeyObject | undefined): BatchCommitter {
    const db = new Database(path, { fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_MS}`);
    return new BatchCommitter(db, signingKey, true);
  }

  /** Lets a connection wait for the committer's writes (and the committer for its). */
  static share(db: Database.Database): void {
    db.pragma(`busy_timeout = ${BUSY_MS}`);
  }

  /** Commits the batch of `count` records from `first`, with the digests it brings. */
  commit(seal: BatchSeal, first: number, count: number, digests: readonly StateDigest[]): void {
    this.commitAll([{ seal, first, count, digests }]);
  }

  /**
   * Commits batches (each with its head) and digests, in order, in one transaction: the sealing
   * thread commits what queued up while it sealed the one before together, as a transaction
   * costs about as much as a batch's rows.
   */
  commitAll(items: readonly Commit[]): void {
    this.db.transaction(() => {
      for (const item of items) {
        if (item.seal) this.writeBatch(item.seal, item.first, item.count);
        this.writeDigests(item.digests);
      }
    })();
  }

  /** Commits digests that came after the batch holding their seq was committed. */
  commitDigests(digests: readonly StateDigest[]): void {
    this.commitAll([{ digests }]);
  }

  private writeBatch(seal: BatchSeal, first: number, count: number): void {
    const head = this.heads.next(seal.leaf, first + count - 1);
    const { index } = seal;
    for (const k of index.newKinds) this.insertKind.run(k.id, k.kind, k.rejected, k.type, k.actor);
    this.insertBatch.run(
      first,
      count,
      seal.bytes,
      seal.checks,
      seal.leaf,
      index.firstTick,
      index.json,
    );
    this.insertHead.run(head.size, head.batches, head.root, head.signature);
  }

  close(): void {
    if (this.owned) this.db.close();
  }

  private writeDigests(digests: readonly StateDigest[]): void {
    for (const d of digests)
      this.insertDigest.run(d.seq, d.digest, d.projections ? JSON.stringify(d.projections) : null);
  }
}
