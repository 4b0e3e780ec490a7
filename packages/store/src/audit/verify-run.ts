import { StoreError } from '@chronovisor/core';
import Database from 'better-sqlite3';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { ByteReader } from '../codec/byte-reader';
import { skipRecord } from '../codec/record-codec';
import { Frontier } from '../merkle/frontier';
import { leafHash, type Hash } from '../merkle/hashes';
import { MerkleTree } from '../merkle/merkle-tree';
import { BATCH_SIZE, LEAF_PREFIX_BYTES } from '../sqlite/sqlite-store';
import { checkTreeHead } from './tree-head';

/** The first thing found wrong in a run, at the lowest seq it concerns. */
export type AuditProblem =
  /** The record's bytes no longer match the hash recorded for it. */
  | { readonly kind: 'altered'; readonly seq: number }
  /** The record with this seq is gone (deleted, or the log was cut short). */
  | { readonly kind: 'missing'; readonly seq: number }
  /** Another record stands where this seq should be (records swapped, or one inserted). */
  | { readonly kind: 'misplaced'; readonly seq: number; readonly found: number }
  /** The stored bytes from this seq on cannot be decoded. */
  | { readonly kind: 'unreadable'; readonly seq: number; readonly detail: string }
  /** A tree head no longer holds for the records it covers: they were rewritten with their hashes. */
  | { readonly kind: 'head'; readonly size: number; readonly from: number; readonly to: number }
  /** A tree head's signature does not verify (or is missing in a signed run). */
  | {
      readonly kind: 'signature';
      readonly size: number;
      readonly from: number;
      readonly to: number;
    }
  /** A batch's stored root does not match its records. */
  | { readonly kind: 'batch'; readonly from: number; readonly to: number }
  /** Records that no tree head covers: appended after the last commit, by someone else. */
  | { readonly kind: 'uncommitted'; readonly from: number; readonly to: number };

/** What `verifyRun` found. */
export interface AuditReport {
  readonly ok: boolean;
  readonly records: number;
  readonly heads: number;
  /** Whose key the signatures were checked with, if any. */
  readonly signatures: 'trusted key' | 'key stored in the run' | 'unsigned';
  readonly problem?: AuditProblem;
  /** One line for people. */
  readonly message: string;
}

/**
 * Recomputes a run's Merkle tree from its stored records and checks it against everything it
 * committed to: each record's leaf hash, each tree head, each signature. Names the first record
 * that was altered, removed, reordered or inserted; where a forger also rewrote the stored hashes,
 * the first tree head that no longer holds and the seqs it covers. Pass the signer's public key
 * as `trustedKey`: a key stored in the run could have been replaced along with the signatures.
 */
export function verifyRun(path: string, options: { trustedKey?: KeyObject } = {}): AuditReport {
  if (!existsSync(path)) throw new StoreError(`${path} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare("SELECT value FROM meta WHERE key = 'format'").get();
  } catch (error) {
    throw new StoreError(`${path} is not a Chronovisor run: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return audit(db, options.trustedKey);
  } finally {
    db.close();
  }
}

interface HeadRow {
  size: number;
  root: Buffer;
  signature: Buffer | null;
}
interface BatchRow {
  first_seq: number;
  count: number;
  bytes: Buffer;
  leaves: Buffer;
  root: Buffer;
}

function audit(db: Database.Database, trustedKey: KeyObject | undefined): AuditReport {
  const heads = db
    .prepare('SELECT size, root, signature FROM heads ORDER BY size')
    .all() as HeadRow[];
  const stored = db.prepare("SELECT value FROM meta WHERE key = 'public_key'").get() as
    { value: string } | undefined;
  const key =
    trustedKey ??
    (stored
      ? createPublicKey({ key: Buffer.from(stored.value, 'base64'), format: 'der', type: 'spki' })
      : undefined);
  const signatures = trustedKey ? 'trusted key' : stored ? 'key stored in the run' : 'unsigned';
  const report = (records: number, problem?: AuditProblem): AuditReport => ({
    ok: problem === undefined,
    records,
    heads: heads.length,
    signatures,
    ...(problem ? { problem } : {}),
    message: problem
      ? describe(problem)
      : `${records} records and ${heads.length} tree heads verified (signatures: ${signatures})`,
  });

  const frontier = new Frontier();
  let expected = 1;
  let headIndex = 0;
  let covered = 0;
  const batches = db
    .prepare('SELECT first_seq, count, bytes, leaves, root FROM batches ORDER BY first_seq')
    .iterate() as Iterable<BatchRow>;
  for (const row of batches) {
    if (row.first_seq > expected) return report(expected - 1, { kind: 'missing', seq: expected });
    let bytes: Buffer;
    try {
      bytes = inflateRawSync(row.bytes);
    } catch (error) {
      return report(expected - 1, {
        kind: 'unreadable',
        seq: expected,
        detail: (error as Error).message,
      });
    }
    const input = new ByteReader(bytes);
    const leaves: Hash[] = [];
    for (let i = 0; !input.done; i++) {
      const start = input.offset;
      let seq: number;
      try {
        seq = skipRecord(input);
      } catch (error) {
        return report(expected - 1, {
          kind: 'unreadable',
          seq: expected,
          detail: (error as Error).message,
        });
      }
      if (seq > expected) {
        // Gone, or just further on (records swapped)?
        const problem: AuditProblem = appearsLater(input, expected)
          ? { kind: 'misplaced', seq: expected, found: seq }
          : { kind: 'missing', seq: expected };
        return report(expected - 1, problem);
      }
      if (seq < expected)
        return report(expected - 1, { kind: 'misplaced', seq: expected, found: seq });
      const leaf = leafHash(bytes.subarray(start, input.offset));
      const recorded = row.leaves.subarray(i * LEAF_PREFIX_BYTES, (i + 1) * LEAF_PREFIX_BYTES);
      if (recorded.length < LEAF_PREFIX_BYTES)
        return report(expected - 1, { kind: 'uncommitted', from: expected, to: expected });
      if (!leaf.subarray(0, LEAF_PREFIX_BYTES).equals(recorded))
        return report(expected - 1, { kind: 'altered', seq });
      leaves.push(leaf);
      expected++;
    }
    // The heads committed inside this batch hold if the tree recomputed from its records agrees.
    const last = row.first_seq + leaves.length - 1;
    const batchRoot = MerkleTree.of(leaves).root();
    while (headIndex < heads.length && heads[headIndex]!.size <= last) {
      const head = heads[headIndex]!;
      const inBatch = head.size - row.first_seq + 1;
      // A batch is a complete subtree only when full; before that, its prefix is the tree's tail.
      const tail =
        inBatch === leaves.length ? batchRoot : MerkleTree.of(leaves.slice(0, inBatch)).root();
      const root = frontier.root(tail);
      const range = { size: head.size, from: covered + 1, to: head.size };
      if (!root.equals(head.root)) return report(expected - 1, { kind: 'head', ...range });
      if (key && (!head.signature || !checkTreeHead(head.size, head.root, head.signature, key))) {
        return report(expected - 1, { kind: 'signature', ...range });
      }
      covered = head.size;
      headIndex++;
    }
    // The store rebuilds its tree from these roots when it reopens a run: they must hold too.
    if (!batchRoot.equals(row.root))
      return report(expected - 1, { kind: 'batch', from: row.first_seq, to: last });
    if (leaves.length === BATCH_SIZE) frontier.push(batchRoot, BATCH_SIZE);
  }
  const records = expected - 1;
  if (headIndex < heads.length) return report(records, { kind: 'missing', seq: expected });
  if (covered < records)
    return report(records, { kind: 'uncommitted', from: covered + 1, to: records });
  return report(records);
}

/** True if a record with `seq` follows in the rest of the batch (read on a copy of the reader). */
function appearsLater(input: ByteReader, seq: number): boolean {
  const rest = new ByteReader(input.bytes, input.offset, input.end);
  try {
    while (!rest.done) if (skipRecord(rest) === seq) return true;
  } catch {
    return false;
  }
  return false;
}

function describe(problem: AuditProblem): string {
  switch (problem.kind) {
    case 'altered':
      return `Record ${problem.seq} was altered: its bytes no longer match the hash committed for it`;
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
      return `The stored root of records ${problem.from} to ${problem.to} does not match them`;
    case 'uncommitted':
      return `Records ${problem.from} to ${problem.to} are covered by no tree head: they were appended after the last commit`;
  }
}
