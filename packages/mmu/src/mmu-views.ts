import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { MmuQuery } from './mmu-query';

/** `info spaces`: every address space, its kind and partition (and a guest's VM). */
export class SpacesView implements InfoView {
  readonly name = 'spaces';
  readonly usage = 'spaces — the address spaces';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  show(): unknown {
    return this.mmu.spaces();
  }
}

/** `info frames`: the partitions, each with the physical frames it owns. */
export class FramesView implements InfoView {
  readonly name = 'frames';
  readonly usage = 'frames — the partitions and their frames';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  show(): unknown {
    return this.mmu.partitions();
  }
}

/** `info tlb <space>`: the translations a space's TLB holds. */
export class TlbView implements InfoView {
  readonly name = 'tlb';
  readonly usage = 'tlb <space> — a space’s TLB entries';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  show(args: readonly string[]): unknown {
    const space = Number(args[0]);
    if (args[0] === undefined || !Number.isSafeInteger(space) || space < 1)
      throw new Error(`expected a space id, such as tlb 1${args[0] ? `, not "${args[0]}"` : ''}`);
    return this.mmu.tlb(space);
  }
}

/** `info mmu`: the MMU's counts (see `MmuQuery.stats`). */
export class MmuStatsView implements InfoView {
  readonly name = 'mmu';
  readonly usage = 'mmu — frames used and free, sharing, TLB hits and faults';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  show(): unknown {
    return this.mmu.stats();
  }
}
