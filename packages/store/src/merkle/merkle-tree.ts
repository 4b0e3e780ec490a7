import { ChronovisorError } from '@chronovisor/core';
import { EMPTY_ROOT, nodeHash, type Hash } from './hashes';

/** A proof asked of a tree that cannot give it: an index or size out of range. */
export class MerkleProofError extends ChronovisorError {}

/** The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree of n leaves. */
export function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * RFC 6962 §2.1 over a list of leaf hashes: the tree head, audit paths (inclusion proofs) and
 * consistency proofs, by the RFC's own recursive definitions. A leaf source that is not an array
 * (the store's batches) works as well, through `leaf(i)`.
 */
export class MerkleTree {
  /**
   * @param leaf the hash of leaf `index`
   * @param stored the hash of a subtree the caller keeps (a store's full batches), or undefined
   */
  constructor(
    readonly size: number,
    private readonly leaf: (index: number) => Hash,
    private readonly stored: (start: number, end: number) => Hash | undefined = () => undefined,
  ) {}

  static of(leaves: readonly Hash[]): MerkleTree {
    return new MerkleTree(leaves.length, (i) => leaves[i]!);
  }

  /** MTH(D[0:size]). */
  root(): Hash {
    return this.size === 0 ? EMPTY_ROOT : this.hashRange(0, this.size);
  }

  /** MTH(D[start:end]), for end > start. */
  hashRange(start: number, end: number): Hash {
    const n = end - start;
    const known = this.stored(start, end);
    if (known !== undefined) return known;
    if (n === 1) return this.leaf(start);
    const k = split(n);
    return nodeHash(this.hashRange(start, start + k), this.hashRange(start + k, end));
  }

  /** PATH(m, D[0:size]): the audit path proving leaf `index` is in the tree (RFC 6962 §2.1.1). */
  inclusionProof(index: number, size = this.size): Hash[] {
    if (!Number.isInteger(index) || index < 0 || index >= size || size > this.size) {
      throw new MerkleProofError(
        `No inclusion proof for leaf ${index} in a tree of ${size} (the log holds ${this.size})`,
      );
    }
    const path = (m: number, start: number, end: number): Hash[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = split(n);
      return m < k
        ? [...path(m, start, start + k), this.hashRange(start + k, end)]
        : [...path(m - k, start + k, end), this.hashRange(start, start + k)];
    };
    return path(index, 0, size);
  }

  /** PROOF(m, D[0:n]): proves the tree of `n` leaves extends the one of `m` (RFC 6962 §2.1.2). */
  consistencyProof(m: number, n = this.size): Hash[] {
    if (!Number.isInteger(m) || m < 1 || m > n || n > this.size) {
      throw new MerkleProofError(
        `No consistency proof from ${m} to ${n} leaves (the log holds ${this.size})`,
      );
    }
    const subproof = (m: number, start: number, end: number, whole: boolean): Hash[] => {
      const n = end - start;
      if (m === n) return whole ? [] : [this.hashRange(start, end)];
      const k = split(n);
      return m <= k
        ? [...subproof(m, start, start + k, whole), this.hashRange(start + k, end)]
        : [...subproof(m - k, start + k, end, false), this.hashRange(start, start + k)];
    };
    return subproof(m, 0, n, true);
  }
}
