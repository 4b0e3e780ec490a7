import { EMPTY_ROOT, nodeHash, type Hash } from './hashes';

/**
 * The right edge of a growing RFC 6962 tree: the roots of its complete subtrees, largest first
 * (the binary decomposition of its size). Appending a complete subtree merges equal neighbours,
 * like a binary counter; the tree head folds them right to left. O(log n) hashes per head.
 */
export class Frontier {
  private readonly sizes: number[] = [];
  private readonly hashes: Hash[] = [];

  /** Leaves covered. */
  get size(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Appends a complete subtree of `size` leaves (a power of two no larger than the last one). */
  push(root: Hash, size: number): void {
    this.sizes.push(size);
    this.hashes.push(root);
    while (this.sizes.length > 1 && this.sizes.at(-1) === this.sizes.at(-2)) {
      const right = this.hashes.pop()!;
      const left = this.hashes.pop()!;
      this.sizes.push(this.sizes.pop()! + this.sizes.pop()!);
      this.hashes.push(nodeHash(left, right));
    }
  }

  /** The head of the tree: these subtrees, then optionally a tail (the root of the leaves after them). */
  root(tail?: Hash): Hash {
    let h = tail;
    for (let i = this.hashes.length - 1; i >= 0; i--)
      h = h === undefined ? this.hashes[i]! : nodeHash(this.hashes[i]!, h);
    return h ?? EMPTY_ROOT;
  }
}
