import { sign, verify, type KeyObject } from 'node:crypto';
import type { Hash } from '../merkle/hashes';

/**
 * A commitment to the first `size` records of a run: the Merkle root of the `batches` batches
 * holding them, signed if a key was given.
 */
export interface TreeHead {
  readonly size: number;
  readonly batches: number;
  readonly root: Hash;
  readonly signature?: Buffer;
}

/** The bytes a tree head's signature covers: a label, the size (8 bytes, big-endian) and the root. */
export function treeHeadBytes(size: number, root: Hash): Buffer {
  const bytes = Buffer.alloc(24 + 8 + 32);
  bytes.write('chronovisor-tree-head-v1', 0, 'ascii');
  bytes.writeBigUInt64BE(BigInt(size), 24);
  root.copy(bytes, 32);
  return bytes;
}

/** Signs a head with an Ed25519 private key. */
export function signTreeHead(size: number, root: Hash, key: KeyObject): Buffer {
  return sign(null, treeHeadBytes(size, root), key);
}

/** True if `signature` is the key's signature of this head. */
export function checkTreeHead(
  size: number,
  root: Hash,
  signature: Buffer,
  key: KeyObject,
): boolean {
  return verify(null, treeHeadBytes(size, root), key, signature);
}
