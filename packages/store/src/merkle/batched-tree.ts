import type { Hash } from './hashes';
import { MerkleTree } from './merkle-tree';

/**
 * The RFC 6962 tree over a log stored in batches of `batchSize` leaves (a power of two). A full
 * batch, aligned on a multiple of its size, is a complete subtree of the log's tree, so its stored
 * root stands for its leaves: a tree head of n leaves takes O(n / batchSize + batchSize) hashes,
 * and a proof reads the leaves of only the batches its path enters.
 */
export function batchedTree(
  size: number,
  batchSize: number,
  /** Roots of the full batches, in order. */
  batchRoots: readonly Hash[],
  /** Leaf hashes of a batch (full, or the partial last one). */
  batchLeaves: (batch: number) => readonly Hash[],
): MerkleTree {
  let cached: { batch: number; leaves: readonly Hash[] } | undefined;
  const leaf = (index: number): Hash => {
    const batch = Math.floor(index / batchSize);
    if (cached?.batch !== batch) cached = { batch, leaves: batchLeaves(batch) };
    return cached.leaves[index % batchSize]!;
  };
  const stored = (start: number, end: number): Hash | undefined =>
    end - start === batchSize && start % batchSize === 0
      ? batchRoots[start / batchSize]
      : undefined;
  return new MerkleTree(size, leaf, stored);
}
