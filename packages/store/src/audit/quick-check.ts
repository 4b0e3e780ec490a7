import type Database from 'better-sqlite3';
import { batchLeaf, inflateBatch } from '../codec/batch-format';
import { skipBatchHeader } from '../codec/batch-header';
import { ByteReader } from '../codec/byte-reader';
import type { Hash } from '../merkle/hashes';

/** Batches checked by one thread in a row: a range of rows, read in one pass. */
export const CHUNK = 32;

/** Reads the rows of the batches whose first seqs are `from` to `to`, in order. */
export type ChunkRows = (from: number, to: number) => Iterable<StoredRow>;

/** The rows of a run's batches, a range at a time, on a connection to it. */
export function chunkRows(db: Database.Database): ChunkRows {
  const range = db.prepare(
    'SELECT first_seq, count, bytes, leaf FROM batches WHERE first_seq >= ? AND first_seq <= ? ORDER BY first_seq',
  );
  return (from, to) => range.iterate(from, to) as Iterable<StoredRow>;
}

/**
 * Chunk `chunk` of the batches whose first seqs are `firsts`, checked the quick way: each one's
 * leaf (32 bytes each) and whether it passed; undefined past the last chunk.
 */
export function checkChunk(
  rows: ChunkRows,
  firsts: readonly number[],
  chunk: number,
): { leaves: Uint8Array; passed: Uint8Array } | undefined {
  const start = chunk * CHUNK;
  if (start >= firsts.length) return undefined;
  const end = Math.min(firsts.length, start + CHUNK);
  const leaves = new Uint8Array(32 * (end - start));
  const passed = new Uint8Array(end - start);
  let i = 0;
  for (const row of rows(firsts[start]!, firsts[end - 1]!)) {
    const leaf =
      i < passed.length && row.first_seq === firsts[start + i] ? quickCheck(row) : undefined;
    if (leaf) {
      leaves.set(leaf, 32 * i);
      passed[i] = 1;
    }
    i++;
  }
  return { leaves, passed };
}

/** A batch as stored: what verify reads of it. */
export interface StoredRow {
  readonly first_seq: number;
  readonly count: number;
  readonly bytes: Buffer;
  readonly leaf: Buffer;
}

/**
 * A stored batch checked the quick way, as nearly every batch of a run is: inflated, each record
 * where it belongs, as many as the row says, and hashing to its stored leaf. Its leaf, or
 * undefined when anything is wrong: verify then finds what, and names it. Loads nothing of the
 * kernel: the verifying threads run it.
 */
export function quickCheck(row: StoredRow): Hash | undefined {
  let batch: Buffer;
  try {
    batch = inflateBatch(row.bytes);
  } catch {
    return undefined;
  }
  if (placedFrames(batch) !== row.count) return undefined;
  const leaf = batchLeaf(row.first_seq, row.count, batch);
  return leaf.equals(row.leaf) ? leaf : undefined;
}

/**
 * How many records a batch holds, each found where it belongs (its seq's place in the batch
 * after its kind byte), in one pass over the frames; -1 if one is not, or the frames do not
 * fit: then verify names what is wrong.
 */
function placedFrames(batch: Buffer): number {
  const reader = new ByteReader(batch);
  try {
    skipBatchHeader(reader);
  } catch {
    return -1;
  }
  const b = batch;
  const end = b.length;
  let at = reader.offset;
  let i = 0;
  while (at < end) {
    let length = b[at++]!;
    if (length >= 0x80) {
      // Longer records (rare): their length by the reader.
      reader.offset = at - 1;
      try {
        length = reader.varint();
      } catch {
        return -1;
      }
      at = reader.offset;
    }
    const next = at + length;
    if (length < 2 || next > end) return -1;
    let place = b[at + 1]!;
    if (place >= 0x80) {
      if (length < 3 || b[at + 2]! >= 0x80) return -1;
      place = (place & 0x7f) | (b[at + 2]! << 7);
    }
    if (place !== i) return -1;
    at = next;
    i++;
  }
  return i;
}
