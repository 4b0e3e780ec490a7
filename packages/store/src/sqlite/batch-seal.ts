import { deflateRawSync } from 'node:zlib';
import { batchLeaf, framesOf, recordChecksum } from '../codec/batch-format';
import type { Hash } from '../merkle/hashes';
import { indexBatch, type BatchIndex, type KindTable } from './record-index';

/** Bytes of each record's checksum kept with its batch. */
export const CHECKSUM_BYTES = 2;

/** What a batch is stored as: the costly, self-contained part of a commit. */
export interface BatchSeal {
  /** The batch's bytes (framed canonical records), deflated (raw DEFLATE). */
  readonly bytes: Buffer;
  /** Each record's 16-bit checksum, big-endian: they name an altered record. */
  readonly checks: Buffer;
  /** The batch's leaf hash in the run's Merkle tree. */
  readonly leaf: Hash;
  readonly index: BatchIndex;
}

/**
 * Seals a batch: its leaf hash, its records' checksums and index, the deflated bytes. A function
 * of the batch (and the run's kinds so far), so it runs as well on another thread as on this one.
 */
export function sealBatch(batch: Uint8Array, first: number, kinds: KindTable): BatchSeal {
  const frames = framesOf(batch);
  const checks = Buffer.alloc(frames.count * CHECKSUM_BYTES);
  for (let i = 0; i < frames.count; i++)
    checks.writeUInt16BE(recordChecksum(batch, frames, i), i * CHECKSUM_BYTES);
  return {
    bytes: deflateRawSync(batch, { level: 1 }),
    checks,
    leaf: batchLeaf(first, frames.count, batch),
    index: indexBatch(batch, frames, first, kinds),
  };
}
