import { createHash, hash } from 'node:crypto';

/** A SHA-256 hash: 32 bytes. */
export type Hash = Buffer;

// One-shot hashing of a prefixed copy beats a streaming hash object for small inputs (~2×).
let scratch = Buffer.alloc(4096);

/** RFC 6962 §2.1: the hash of a leaf, H(0x00 ‖ data), so a leaf can never pass for a node. */
export function leafHash(data: Uint8Array): Hash {
  if (data.length + 1 > scratch.length)
    scratch = Buffer.alloc(Math.max(data.length + 1, scratch.length * 2));
  scratch[0] = 0x00;
  scratch.set(data, 1);
  return hash('sha256', scratch.subarray(0, data.length + 1), 'buffer');
}

const node = Buffer.alloc(65);
node[0] = 0x01;

/** RFC 6962 §2.1: the hash of an interior node, H(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  node.set(left, 1);
  node.set(right, 33);
  return hash('sha256', node, 'buffer');
}

/** The root of the empty tree: the hash of the empty string. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();
