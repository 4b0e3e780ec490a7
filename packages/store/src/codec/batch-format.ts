import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { skipBatchHeader } from './batch-header';
import { ByteReader } from './byte-reader';
import type { Hash } from '../merkle/hashes';

/*
 * A batch: the unit the audit hashes and the file stores. Its bytes are its header (the tick, the
 * names and the payload shapes its records use), then its records' canonical encodings, each
 * framed by its length:
 *
 *   batch  = header (length:varint record)*  record = the canonical bytes of one record
 *   header = tick:varint names shapes        (see batch-header)
 *   leaf   = SHA-256(0x00 ‖ first seq:u64 big-endian ‖ count:u32 big-endian ‖ batch)
 *
 * The leaf is the batch's leaf in the run's RFC 6962 tree, a function of the records alone (never
 * of the compression the file applies to them), so an exported and re-imported run has the same
 * root. The framing lets a reader find one record without decoding those before it. Batches are
 * written by BatchBuilder (batch-builder); this module reads them, and loads nothing of the kernel:
 * the sealing thread uses it.
 */

/** The most records in one batch. */
export const BATCH_RECORDS = 1024;
/** A batch is sealed early once its bytes pass this (a few large records make a batch). */
export const BATCH_BYTES = 1 << 20;

/**
 * A stored batch's bytes, inflated: in one output chunk, as zlib's default 16 KiB chunks cost a
 * copy to join (a tenth of verifying a run), sized from the stored bytes (records deflate to
 * less than a third) rather than always the most a batch may take, since a chunk's memory is
 * what the next garbage collection waits on (a third of a cold verify).
 */
export function inflateBatch(stored: Uint8Array): Buffer {
  return inflateRawSync(stored, {
    chunkSize: Math.min(MAX_INFLATE_CHUNK, Math.max(MIN_INFLATE_CHUNK, stored.length * 4)),
  });
}
const MIN_INFLATE_CHUNK = 1 << 12;
const MAX_INFLATE_CHUNK = 1 << 17;

/** The batch's leaf hash in the run's Merkle tree. */
export function batchLeaf(first: number, count: number, batch: Uint8Array): Hash {
  const header = Buffer.alloc(13);
  header[0] = 0x00;
  header.writeBigUInt64BE(BigInt(first), 1);
  header.writeUInt32BE(count, 9);
  return createHash('sha256').update(header).update(batch).digest();
}

/**
 * Where each record of a batch lies: record i is `[starts[i], ends[i])` (its canonical bytes);
 * the batch's header is its first `headerEnd` bytes.
 */
export interface Frames {
  readonly count: number;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly headerEnd: number;
}

/**
 * The records' places in a batch, checking only the framing: names, then records filling it
 * exactly. A frame that does not fit is a {@link DecodeError} naming its offset.
 */
export function framesOf(batch: Uint8Array): Frames {
  const reader = new ByteReader(batch);
  skipBatchHeader(reader);
  const headerEnd = reader.offset;
  let starts = new Uint32Array(1024);
  let ends = new Uint32Array(1024);
  let count = 0;
  while (!reader.done) {
    const length = reader.varint();
    const start = reader.offset;
    reader.skip(length);
    if (count === starts.length) {
      starts = grow(starts);
      ends = grow(ends);
    }
    starts[count] = start;
    ends[count++] = reader.offset;
  }
  return { count, starts, ends, headerEnd };
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** Record i's canonical bytes (a view). */
export function frameBytes(batch: Uint8Array, frames: Frames, i: number): Uint8Array {
  return batch.subarray(frames.starts[i], frames.ends[i]);
}

/** The seq record i's canonical bytes hold (after its kind byte, as its place after `first`). */
export function seqOf(batch: ByteReader, frames: Frames, i: number, first: number): number {
  return first + batch.moveTo(frames.starts[i]! + 1, frames.ends[i]!).varint();
}

/**
 * A record's checksum, kept beside its batch to name an altered record: 32-bit FNV-1a of its
 * canonical bytes (the first record's, from the batch's start: its header too), folded to 16 bits
 * (high half XOR low half). A check for naming, not for security: the batch's leaf is that.
 */
export function recordChecksum(batch: Uint8Array, frames: Frames, i: number): number {
  return checksumOf(batch, i === 0 ? 0 : frames.starts[i]!, frames.ends[i]!);
}

/** The checksum of `bytes[start, end)`: 32-bit FNV-1a folded to 16 bits (see `recordChecksum`). */
export function checksumOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let at = start; at < end; at++) h = Math.imul(h ^ bytes[at]!, 0x01000193);
  return ((h >>> 16) ^ h) & 0xffff;
}
