import { deflateRawSync } from 'node:zlib';
import { leafHash, type Hash } from '../merkle/hashes';
import { Frontier } from '../merkle/frontier';

/** Bytes of each record's leaf hash kept per record: enough to name an altered record. */
export const LEAF_PREFIX_BYTES = 4;

/** What a batch of encoded records is stored as: the costly, self-contained part of a commit. */
export interface BatchSeal {
  /** The records' canonical bytes, concatenated and deflated (raw DEFLATE). */
  readonly bytes: Buffer;
  /** The first {@link LEAF_PREFIX_BYTES} bytes of each record's leaf hash. */
  readonly leaves: Buffer;
  /** The RFC 6962 root of the batch's records. */
  readonly root: Hash;
}

/**
 * Seals a batch: each record's leaf hash, the batch's Merkle root, the deflated bytes. A pure
 * function of the encoded records (`ends[i]` is where record i ends), so it runs as well on
 * another thread as on this one.
 */
export function sealBatch(encoded: Uint8Array, ends: Uint32Array): BatchSeal {
  // The tree's right edge, leaf by leaf: the batch root, in n - 1 node hashes. (Not MerkleTree,
  // which would load @chronovisor/core into the sealing thread for its errors.)
  const tree = new Frontier();
  const prefixes = Buffer.alloc(ends.length * LEAF_PREFIX_BYTES);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const leaf = leafHash(encoded.subarray(start, ends[i]));
    // By hand: Buffer#copy costs more in argument checks than four byte stores.
    for (let k = 0; k < LEAF_PREFIX_BYTES; k++) prefixes[i * LEAF_PREFIX_BYTES + k] = leaf[k]!;
    tree.push(leaf, 1);
    start = ends[i]!;
  }
  return {
    bytes: deflateRawSync(encoded, { level: 1 }),
    leaves: prefixes,
    root: tree.root(),
  };
}
