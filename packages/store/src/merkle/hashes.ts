import { createHash } from 'node:crypto';

/** A SHA-256 hash: 32 bytes. */
export type Hash = Buffer;

const LEAF_PREFIX = Buffer.of(0x00);
const NODE_PREFIX = Buffer.of(0x01);

/** RFC 6962 §2.1: the hash of a leaf, H(0x00 ‖ data), so a leaf can never pass for a node. */
export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 §2.1: the hash of an interior node, H(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree: the hash of the empty string. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();
