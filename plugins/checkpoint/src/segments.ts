import type { CommandContext } from '@chronovisor/core';
import { map, share } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Kernel } from './kernel';
import { ProcError } from './proc-error';

/** Where a segment's store keeps its pages. */
export const SEGMENT_VA = 0x1000_0000;

/** A segment as its attachments need it. */
interface Segment {
  readonly key: string;
  readonly store: number;
  readonly va: number;
  readonly pages: number;
}

/**
 * Shared memory segments, as a domain's kernel keeps them: a store space holds the segment's
 * pages (inside a VM, a guest space holding the guest-physical pages the guest kernel set
 * aside), and each attachment maps them, as shmat does: every attacher writes the same memory.
 */
export class Segments {
  constructor(@inject(Kernel) private readonly kernel: Kernel) {}

  /** A new store of `pages` zeroed pages for a segment of `domain`: its space. */
  createStore(domain: string, pages: number, context: CommandContext): number {
    const store = this.kernel.newSpace(domain, context);
    context.call(map, {
      space: store,
      va: SEGMENT_VA,
      pages,
      perms: 'rw-',
      kernel: false,
      lazy: false,
    });
    return store;
  }

  /**
   * Maps a segment's pages into a process's space at `va`: on a host, the store's frames; inside
   * a VM, its guest-physical pages (`mmu.share` between guests of one VM). Either way the pages
   * are marked shared, so a fork keeps them shared.
   */
  attach(segment: Segment, pid: number, space: number, va: number, context: CommandContext): void {
    const shared = context.call(share, {
      from: segment.store,
      va: segment.va,
      pages: segment.pages,
      to: space,
      toVa: va,
      perms: 'rw-',
    });
    if (!shared.ok)
      throw new ProcError(`Segment ${segment.key} could not be mapped into process ${pid}`);
  }
}
