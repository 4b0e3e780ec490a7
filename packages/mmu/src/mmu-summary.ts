import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { MmuQuery } from './mmu-query';

/** What a run came to in the MMU: frames per partition, sharing, and each space's TLB and faults. */
export class MmuSummary implements SummaryLines {
  readonly name = 'mmu';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  /** `MmuQuery.stats()`. */
  summary(): Readonly<Record<string, unknown>> {
    return { ...this.mmu.stats() };
  }

  /** The TLB's hit rate over every space, and their page faults. */
  figures(): Readonly<Record<string, number>> {
    let hits = 0;
    let lookups = 0;
    let faults = 0;
    for (const s of this.mmu.stats().spaces) {
      hits += s.tlbHits;
      lookups += s.tlbHits + s.tlbMisses;
      faults += s.faults;
    }
    return { ...(lookups === 0 ? {} : { 'tlb hit rate': hits / lookups }), 'page faults': faults };
  }

  lines(): readonly string[] {
    const stats = this.mmu.stats();
    return [
      ...stats.partitions.map(
        (p) => `partition ${p.name}: ${p.used} of ${p.frames} frames used (from frame ${p.base})`,
      ),
      `frames: ${stats.sharedFrames} shared, ${stats.cowFrames} copy-on-write, ${stats.materializedFrames} written`,
      ...stats.spaces.map(
        (s) =>
          `space ${s.id} (${s.kind}): ${s.pages} pages, TLB ${(s.tlbHitRate * 100).toFixed(1)}% hits (${s.tlbHits} of ${s.tlbHits + s.tlbMisses}), ${s.faults} faults`,
      ),
    ];
  }
}
