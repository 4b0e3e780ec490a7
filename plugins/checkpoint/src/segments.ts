import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, map, share } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Kernel } from './kernel';
import { ProcError } from './proc-error';
import { ProcState } from './proc-state';

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
 * pages, and each attachment maps them. On a host, the store's frames are shared into the
 * attacher (`mmu.share`). Inside a VM, the store is a guest space whose guest-physical pages the
 * guest kernel set aside, and an attacher's pages map those guest-physical pages (`mmu.map …
 * to`), as a guest's shmat maps the segment's pages: either way every attacher writes the same
 * memory.
 */
export class Segments {
  constructor(
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(ProcState) private readonly state: ProcState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

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

  /** Maps a segment's pages into a process's space at `va`. */
  attach(
    domain: string,
    segment: Segment,
    pid: number,
    space: number,
    va: number,
    context: CommandContext,
  ): void {
    if (this.state.vmOf(domain) === undefined) {
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
      return;
    }
    const { pageSize } = this.mmu.config;
    for (const run of this.mmu.mappings(segment.store))
      context.call(map, {
        space,
        va: va + (run.va - segment.va),
        pages: run.pages,
        perms: 'rw-',
        kernel: false,
        lazy: false,
        to: run.frame * pageSize,
      });
  }
}
