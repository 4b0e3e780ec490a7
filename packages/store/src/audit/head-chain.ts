import type { KeyObject } from 'node:crypto';
import { Frontier } from '../merkle/frontier';
import { signTreeHead } from './tree-head';
import type { Hash } from '../merkle/hashes';

/** A tree head as a store commits it with its batch: the signature null where there is no key. */
export interface CommittedHead {
  readonly size: number;
  readonly batches: number;
  readonly root: Hash;
  readonly signature: Buffer | null;
}

/**
 * A run's audit tree as it grows, batch by batch, where batches are committed: each batch's leaf
 * gives the next tree head, signed when there is a key. Loads nothing of the kernel.
 */
export class HeadChain {
  /** The complete subtrees of the audit tree over the batches so far. */
  private readonly frontier = new Frontier();
  private batches = 0;

  /** @param leaves the leaves of the batches the run holds already, in order */
  constructor(
    leaves: Iterable<Uint8Array>,
    private readonly signingKey: KeyObject | undefined,
  ) {
    for (const leaf of leaves) this.add(leaf);
  }

  /** The head once the batch whose leaf is `leaf`, ending at seq `size`, is added. */
  next(leaf: Hash, size: number): CommittedHead {
    this.add(leaf);
    const root = this.frontier.root();
    const signature = this.signingKey ? signTreeHead(size, root, this.signingKey) : null;
    return { size, batches: this.batches, root, signature };
  }

  private add(leaf: Uint8Array): void {
    this.frontier.push(Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength), 1);
    this.batches++;
  }
}
