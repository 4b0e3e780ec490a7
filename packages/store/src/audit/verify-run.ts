import { StoreError } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  batchLeaf,
  framesOf,
  inflateBatch,
  recordChecksum,
  seqOf,
  type Frames,
} from '../codec/batch-format';
import { ByteReader } from '../codec/byte-reader';
import { Frontier } from '../merkle/frontier';
import { CHECKSUM_BYTES } from '../sqlite/batch-seal';
import { formatHead, type HeadCommitment } from './proofs';
import { chunkRows, type ChunkRows, type StoredRow } from './quick-check';
import { VerifyPool } from './verify-pool';
import { checkTreeHead } from './tree-head';
import { SCAN_MMAP_BYTES } from '../sqlite/schema';
import { checkRunPath } from '../sqlite/sqlite-store';

/** The first thing found wrong in a run, at the lowest seq it concerns. */
export type AuditProblem =
  /** The record's bytes no longer match the checksum recorded for it. */
  | { readonly kind: 'altered'; readonly seq: number }
  /** The record with this seq is gone (deleted, or the log was cut short). */
  | { readonly kind: 'missing'; readonly seq: number }
  /** Another record stands where this seq should be (records swapped, or one inserted). */
  | { readonly kind: 'misplaced'; readonly seq: number; readonly found: number }
  /** The stored bytes from this seq on cannot be decoded. */
  | { readonly kind: 'unreadable'; readonly seq: number; readonly detail: string }
  /** A tree head no longer holds for the records it covers: they were rewritten with their checksums. */
  | { readonly kind: 'head'; readonly size: number; readonly from: number; readonly to: number }
  /** A tree head's signature does not verify (or is missing in a signed run). */
  | {
      readonly kind: 'signature';
      readonly size: number;
      readonly from: number;
      readonly to: number;
    }
  /** A batch's stored leaf does not match its records. */
  | { readonly kind: 'batch'; readonly from: number; readonly to: number }
  /** Records that no tree head covers: appended after the last commit, by someone else. */
  | { readonly kind: 'uncommitted'; readonly from: number; readonly to: number }
  /** The run no longer extends the head the user kept: cut short, or rewritten up to it. */
  | {
      readonly kind: 'trusted-head';
      readonly head: string;
      readonly records: number;
      readonly cut: boolean;
    };

/** What `verifyRun` found. */
export interface AuditReport {
  readonly ok: boolean;
  readonly records: number;
  readonly heads: number;
  /** Whose key the signatures were checked with, if any. */
  readonly signatures: 'trusted key' | 'key stored in the run' | 'unsigned';
  /** False when the recording never closed the run (it was killed or interrupted). */
  readonly closedCleanly: boolean;
  readonly problem?: AuditProblem;
  /** One line for people. */
  readonly message: string;
}

/** What to check a run against beyond itself. */
export interface VerifyOptions {
  /** The signer's public key: a key stored in the run could have been replaced with the signatures. */
  readonly trustedKey?: KeyObject;
  /**
   * A head kept from earlier (as `chronovisor run` prints it): the run must still extend it, which
   * catches a tail cut off with its heads, or records rewritten with every hash the file holds.
   */
  readonly head?: HeadCommitment;
  /**
   * Check batches on the verifying threads too, one less than the machine's cores: true always,
   * false never (all on this thread), and by default for runs of 2,048 batches (about two
   * million records) or more, which repay starting them.
   */
  readonly threads?: boolean;
  /**
   * Called as the check goes, with the records checked so far and the run's count of them:
   * every few thousand records (a batch at a time), and once at the end.
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs of this many batches or more are checked on the verifying threads too, unless told: a
 * thread takes ~50 ms to start, more than it saves on shorter runs (measured: a run of 977
 * batches verified at 8.0–8.5 M records/s with the threads, 9.7–9.9 M without).
 */
const THREADED_BATCHES = 2048;

/** Batches checked between calls of `onProgress`: up to 16,384 records, a few milliseconds. */
const PROGRESS_BATCHES = 16;

/**
 * Recomputes a run's Merkle tree from its stored records and checks it against everything it
 * committed to: each batch's leaf, each tree head, each signature, and a head the user kept.
 * Names the first record that was altered, removed, reordered or inserted (each record's checksum
 * names it when its batch's hash no longer matches); where a forger also rewrote the checksums,
 * the first tree head that no longer holds and the seqs it covers.
 */
export function verifyRun(path: string, options: VerifyOptions = {}): AuditReport {
  checkRunPath(path);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`mmap_size = ${SCAN_MMAP_BYTES}`);
    db.prepare("SELECT value FROM meta WHERE key = 'format'").get();
  } catch (error) {
    throw new StoreError(`${path} is not a Chronovisor run: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return auditRun(sqliteRun(db, path), options);
  } finally {
    db.close();
  }
}

/** A tree head as stored. */
export interface StoredHead {
  readonly size: number;
  readonly batches: number;
  readonly root: Buffer;
  readonly signature: Buffer | null;
}
type BatchRow = StoredRow;

/** A stored run, as verify reads it: the same rows in any store (a SQLite file, PostgreSQL). */
export interface AuditedRun {
  /** Its tree heads, by size. */
  heads(): StoredHead[];
  /** The signer's public key kept with the run (DER, SPKI), if any. */
  publicKey(): Buffer | undefined;
  /** False when the recording never closed the run. */
  closedCleanly(): boolean;
  /** Its batches' first seqs and counts, in order. */
  batches(): { first_seq: number; count: number }[];
  /** A batch's row. */
  row(first: number): StoredRow;
  /** A batch's records' checksums. */
  checks(first: number): Buffer;
  /** The rows of the batches whose first seqs are `from` to `to`, in order. */
  readonly rows: ChunkRows;
  /** The run file, when it is one (the verifying threads open it). */
  readonly file?: string;
}

/** A SQLite run file, as verify reads it. */
function sqliteRun(db: Database.Database, path: string): AuditedRun {
  const select = db.prepare(
    'SELECT first_seq, count, bytes, leaf FROM batches WHERE first_seq = ?',
  );
  const checksOf = db.prepare('SELECT checks FROM batches WHERE first_seq = ?');
  const meta = (key: string) =>
    (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  return {
    heads: () =>
      db
        .prepare('SELECT size, batches, root, signature FROM heads ORDER BY size')
        .all() as StoredHead[],
    publicKey: () => {
      const key = meta('public_key');
      return key === undefined ? undefined : Buffer.from(key, 'base64');
    },
    closedCleanly: () => meta('open') !== '1',
    batches: () =>
      db.prepare('SELECT first_seq, count FROM batches ORDER BY first_seq').all() as {
        first_seq: number;
        count: number;
      }[],
    row: (first) => select.get(first) as StoredRow,
    checks: (first) => (checksOf.get(first) as { checks: Buffer }).checks,
    rows: chunkRows(db),
    file: path,
  };
}

/**
 * Verifies a stored run (see `verifyRun`, for a run file): recomputes its Merkle tree from its
 * records and checks it against everything it committed to.
 */
export function auditRun(
  run: AuditedRun,
  { trustedKey, head: kept, onProgress, threads }: VerifyOptions = {},
): AuditReport {
  const heads = run.heads();
  const stored = run.publicKey();
  const key =
    trustedKey ??
    (stored ? createPublicKey({ key: stored, format: 'der', type: 'spki' }) : undefined);
  const signatures = trustedKey ? 'trusted key' : stored ? 'key stored in the run' : 'unsigned';
  const closedCleanly = run.closedCleanly();
  const report = (records: number, problem?: AuditProblem): AuditReport => ({
    ok: problem === undefined,
    records,
    heads: heads.length,
    signatures,
    closedCleanly,
    ...(problem ? { problem } : {}),
    message:
      (problem
        ? describe(problem)
        : `${records} records and ${heads.length} tree heads verified (signatures: ${signatures})` +
          (kept ? `; the run extends the head ${formatHead(kept)}` : '')) +
      (closedCleanly ? '' : `; the run was never closed: its recording was interrupted`),
  });

  const frontier = new Frontier();
  let batches = 0;
  let expected = 1;
  let headIndex = 0;
  let covered = 0;
  let keptHeld = false;
  const batchList = run.batches();
  const total = batchList.reduce((n, b) => n + b.count, 0);
  const firsts = batchList.map((b) => b.first_seq);
  // Shared out with the verifying threads, where the machine has more than one core and the run
  // is a file they can open.
  const threaded = run.file !== undefined && (threads ?? firsts.length >= THREADED_BATCHES);
  const pool = VerifyPool.start(run.file ?? '', firsts, run.rows, threaded);
  try {
    for (let i = 0; i < batchList.length; i++) {
      const { first_seq: first, count: stored } = batchList[i]!;
      if (first > expected) return report(expected - 1, { kind: 'missing', seq: expected });
      if (first < expected)
        return report(expected - 1, { kind: 'misplaced', seq: expected, found: first });
      // Nearly always, every record is where it belongs and the batch hashes to its leaf: the
      // quick check. Otherwise, the frames are listed here and what is wrong is found and named.
      let row: BatchRow | undefined;
      let leaf = pool.leafOf(i);
      let count = stored;
      if (!leaf) {
        row = run.row(first);
        let batch: Buffer;
        let frames: Frames;
        try {
          batch = inflateBatch(row.bytes);
          frames = framesOf(batch);
        } catch (error) {
          const detail = (error as Error).message;
          return report(expected - 1, { kind: 'unreadable', seq: expected, detail });
        }
        count = frames.count;
        leaf = batchLeaf(first, count, batch);
        // The records where they belong, each one that is not named; by their checksums, when
        // the batch no longer hashes to its leaf.
        const checks = leaf.equals(row.leaf) ? undefined : run.checks(first);
        const problem = placeRecords(batch, frames, expected, row, checks);
        if (problem) return report(expected - 1, problem);
        if (count !== stored)
          return report(expected - 1, { kind: 'batch', from: first, to: first + stored - 1 });
      }
      frontier.push(leaf, 1);
      batches++;
      const last = first + count - 1;
      // The heads committed with this batch hold if the tree recomputed from the records agrees.
      while (headIndex < heads.length && heads[headIndex]!.size <= last) {
        const head = heads[headIndex]!;
        const range = { size: head.size, from: covered + 1, to: head.size };
        if (head.size !== last || head.batches !== batches || !frontier.root().equals(head.root))
          return report(expected - 1, { kind: 'head', ...range });
        if (key && (!head.signature || !checkTreeHead(head.size, head.root, head.signature, key)))
          return report(expected - 1, { kind: 'signature', ...range });
        covered = head.size;
        headIndex++;
      }
      if (kept && !keptHeld && last >= kept.size) {
        if (last !== kept.size || !frontier.root().equals(kept.root))
          return report(expected - 1, {
            kind: 'trusted-head',
            head: formatHead(kept),
            records: last,
            cut: false,
          });
        keptHeld = true;
      }
      // The store rebuilds its tree from these leaves when it reopens a run: they must hold too
      // (the quick check held a leaf to the stored one).
      if (row && !leaf.equals(row.leaf))
        return report(expected - 1, { kind: 'batch', from: first, to: last });
      expected = last + 1;
      if (batches % PROGRESS_BATCHES === 0) onProgress?.(last, total);
    }
  } finally {
    pool.close();
  }
  const records = expected - 1;
  onProgress?.(records, total);
  if (headIndex < heads.length) return report(records, { kind: 'missing', seq: expected });
  if (covered < records)
    return report(records, { kind: 'uncommitted', from: covered + 1, to: records });
  if (kept && !keptHeld)
    return report(records, { kind: 'trusted-head', head: formatHead(kept), records, cut: true });
  return report(records);
}

/**
 * The first record out of place in a batch (missing, swapped or inserted), or, when the batch no
 * longer hashes to its leaf (`checks`: its records' checksums), the first whose checksum fails.
 */
function placeRecords(
  batch: Buffer,
  frames: Frames,
  expected: number,
  row: BatchRow,
  checks: Buffer | undefined,
): AuditProblem | undefined {
  const reader = new ByteReader(batch);
  for (let i = 0; i < frames.count; i++) {
    const seq = expected + i;
    let found: number;
    try {
      found = seqOf(reader, frames, i, row.first_seq);
    } catch (error) {
      return { kind: 'unreadable', seq, detail: (error as Error).message };
    }
    if (found !== seq) {
      let later = false;
      for (let k = i + 1; k < frames.count && !later; k++)
        later = seqOf(reader, frames, k, row.first_seq) === seq;
      return found > seq && !later ? { kind: 'missing', seq } : { kind: 'misplaced', seq, found };
    }
    if (checks) {
      const at = i * CHECKSUM_BYTES;
      if (at + CHECKSUM_BYTES > checks.length)
        return { kind: 'batch', from: row.first_seq, to: row.first_seq + row.count - 1 };
      if (checks.readUInt16BE(at) !== recordChecksum(batch, frames, i))
        return { kind: 'altered', seq };
    }
  }
  return undefined;
}

function describe(problem: AuditProblem): string {
  switch (problem.kind) {
    case 'altered':
      return `Record ${problem.seq} was altered: its bytes no longer match the checksum recorded for it`;
    case 'missing':
      return `Record ${problem.seq} is missing: it was removed, or the log was cut short`;
    case 'misplaced':
      return `Record ${problem.seq} is out of place: seq ${problem.found} stands there (records swapped or inserted)`;
    case 'unreadable':
      return `The log cannot be read from record ${problem.seq} on: ${problem.detail}`;
    case 'head':
      return `The tree head at ${problem.size} no longer holds: records ${problem.from} to ${problem.to} were rewritten, hashes and all`;
    case 'signature':
      return `The signature of the tree head at ${problem.size} does not verify: records ${problem.from} to ${problem.to} cannot be trusted`;
    case 'batch':
      return `The stored leaf of the batch of records ${problem.from} to ${problem.to} does not match them`;
    case 'uncommitted':
      return `Records ${problem.from} to ${problem.to} are covered by no tree head: they were appended after the last commit`;
    case 'trusted-head':
      return problem.cut
        ? `The run no longer extends the head ${problem.head}: it holds only ${problem.records} records, the rest was cut off with its heads`
        : `The run no longer extends the head ${problem.head}: records up to ${problem.records} were rewritten since, hashes and heads included`;
  }
}
