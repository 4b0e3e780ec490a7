import type { Query } from '@chronovisor/core';
import { inject } from 'inversify';
import { Allocator } from './allocator';
import type { Chunk } from './free-chunks';
import type { Block, FreedBlock, HeapCounters } from './heap';
import type { ViolationKind } from './heap-events';
import type { PolicyName } from './heap-options';
import { HeapState, type Violation } from './heap-state';
import { addressOf, tagOf, type AllocationInfo } from './pointer';

/** One heap at a glance. */
export interface HeapSummary {
  readonly space: number;
  readonly policy: PolicyName;
  readonly tagBits: number;
  readonly base: number;
  readonly brk: number;
  /** Bytes from base to break. */
  readonly extent: number;
  readonly liveBytes: number;
  readonly peakLiveBytes: number;
  readonly liveBlocks: number;
  readonly freeBytes: number;
  readonly freeChunks: number;
  /** peakLiveBytes / extent, CS:APP's utilization (1 for a heap that never grew). */
  readonly utilization: number;
  readonly counters: Readonly<HeapCounters>;
}

/** The heaps at a glance and the violations by kind: what `info heap` and `inspect` show. */
export interface HeapStats {
  readonly heaps: readonly HeapSummary[];
  readonly violations: Readonly<Partial<Record<ViolationKind, number>>>;
}

/** The heap's read-only face, for scenarios, other plugins, the debugger and the CLI. */
export class HeapQuery implements Query {
  readonly name = 'heap';

  constructor(
    @inject(HeapState) private readonly state: HeapState,
    @inject(Allocator) private readonly allocator: Allocator,
  ) {}

  /** Every heap, by space. */
  heaps(): HeapSummary[] {
    return [...this.state.allHeaps()]
      .sort((a, b) => a.space - b.space)
      .map((h) => ({
        space: h.space,
        policy: h.policy,
        tagBits: h.tagBits,
        base: h.base,
        brk: h.brk,
        extent: h.extent,
        liveBytes: h.liveBytes,
        peakLiveBytes: h.peakLiveBytes,
        liveBlocks: h.blocks.size,
        freeBytes: h.chunks.bytes,
        freeChunks: h.chunks.count,
        utilization: h.extent === 0 ? 1 : h.peakLiveBytes / h.extent,
        counters: h.counters,
      }));
  }

  heap(space: number): HeapSummary | undefined {
    return this.heaps().find((h) => h.space === space);
  }

  /** The live block holding the address a pointer points to (tag ignored). */
  blockAt(space: number, ptr: number): Block | undefined {
    const heap = this.state.heap(space);
    return heap?.blockContaining(addressOf(ptr, heap));
  }

  /** The live blocks of a space's heap, in address order. */
  blocks(space: number): Block[] {
    const heap = this.state.heap(space);
    return heap ? [...heap.blocks.values()] : [];
  }

  /** The free chunks of a space's heap, `[address, size]`, in address order. */
  freeChunks(space: number): Chunk[] {
    const heap = this.state.heap(space);
    return heap ? [...heap.chunks] : [];
  }

  /** Who freed the block a stale pointer points to: the freed block, with the seq of its free. */
  whoFreed(space: number, ptr: number): FreedBlock | undefined {
    const heap = this.state.heap(space);
    return heap?.freedCovering(addressOf(ptr, heap), tagOf(ptr, heap));
  }

  /** The info word stored for the block start `address`, read through the MMU. */
  info(space: number, address: number): AllocationInfo | undefined {
    const heap = this.state.heap(space);
    return heap ? this.allocator.readInfo(heap, address) : undefined;
  }

  /**
   * The chance that the heap's checks stop a stale pointer used now: one from a block allocated
   * with `count`, freed since, used to free (`free`, also realloc) or to access (`access`).
   * Memory not allocated again since is always caught (its info says freed). Memory allocated
   * again carries a count at least one higher per reallocation, so the pointer is certain to be
   * caught until its memory has been allocated 2^k more times; after that only the tag's k bits
   * tell the counts apart, and with the number of reallocations spread evenly a stale pointer
   * slips through once in 2^k.
   */
  expectedDetection(
    space: number,
    stale: { ptr: number; count: number },
    use: 'free' | 'access',
  ): number {
    const heap = this.state.heap(space);
    if (!heap) return 1;
    const address = addressOf(stale.ptr, heap);
    // The block a free would check (one starting there) or an access would (one holding it).
    const now = (use === 'free' ? heap.blocks.get(address) : heap.blockContaining(address))?.count;
    if (now === undefined) return 1;
    const reallocations = now - stale.count;
    return reallocations < 2 ** heap.tagBits ? 1 : 1 - 2 ** -heap.tagBits;
  }

  /** The heaps at a glance and the violations by kind (what `chronovisor inspect` shows). */
  stats(): HeapStats {
    const violations: Partial<Record<ViolationKind, number>> = {};
    for (const v of this.state.violations()) violations[v.kind] = (violations[v.kind] ?? 0) + 1;
    return { heaps: this.heaps(), violations };
  }

  /** Every violation so far, in order. */
  violations(): readonly Violation[] {
    return this.state.violations();
  }
}
