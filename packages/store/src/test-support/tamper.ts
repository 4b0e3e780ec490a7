import Database from 'better-sqlite3';
import { inflateRawSync, deflateRawSync } from 'node:zlib';
import { canonicalRecords } from '../codec/record-codec';
import { leafHash } from '../merkle/hashes';
import { MerkleTree } from '../merkle/merkle-tree';
import { LEAF_PREFIX_BYTES } from '../sqlite/sqlite-store';

/**
 * What a forger does to a run file: edits the canonical bytes of the records in the batch holding
 * `seq`, and, if `rehash`, recomputes the stored leaf hashes and batch root to match.
 */
export function tamper(
  file: string,
  seq: number,
  edit: (records: Buffer[], index: number) => Buffer[],
  rehash = false,
): void {
  const db = new Database(file);
  const row = db
    .prepare(
      'SELECT first_seq, bytes, leaves FROM batches WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1',
    )
    .get(seq) as { first_seq: number; bytes: Buffer; leaves: Buffer };
  const records = [...canonicalRecords(inflateRawSync(row.bytes))].map((r) => Buffer.from(r.bytes));
  const edited = edit(records, seq - row.first_seq);
  const leaves = rehash
    ? Buffer.concat(edited.map((r) => leafHash(r).subarray(0, LEAF_PREFIX_BYTES)))
    : row.leaves;
  const update = rehash
    ? db.prepare(
        'UPDATE batches SET bytes = ?, count = ?, leaves = ?, root = ? WHERE first_seq = ?',
      )
    : db.prepare('UPDATE batches SET bytes = ?, count = ?, leaves = ? WHERE first_seq = ?');
  const args: unknown[] = [deflateRawSync(Buffer.concat(edited)), edited.length, leaves];
  if (rehash) args.push(MerkleTree.of(edited.map((r) => leafHash(r))).root());
  update.run(...args, row.first_seq);
  db.close();
}
