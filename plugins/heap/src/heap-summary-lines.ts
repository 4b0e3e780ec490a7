import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { HeapQuery } from './heap-query';

const n = (value: number): string => value.toLocaleString('en-US');

/** What a run came to in its heaps: allocations, frees, live and peak bytes, utilization, violations. */
export class HeapSummaryLines implements SummaryLines {
  readonly name = 'heap';

  constructor(@inject(HeapQuery) private readonly heap: HeapQuery) {}

  /** `HeapQuery.stats()`. */
  summary(): Readonly<Record<string, unknown>> {
    return { ...this.heap.stats() };
  }

  /** Utilization over every heap (peak live bytes over the bytes the heaps grew to), counts. */
  figures(): Readonly<Record<string, number>> {
    const { heaps, violations } = this.heap.stats();
    let peak = 0;
    let extent = 0;
    let allocations = 0;
    for (const h of heaps) {
      peak += h.peakLiveBytes;
      extent += h.extent;
      allocations += h.counters.allocations;
    }
    return {
      ...(extent === 0 ? {} : { utilization: peak / extent }),
      allocations,
      violations: Object.values(violations).reduce((sum, n) => sum + n, 0),
    };
  }

  lines(): readonly string[] {
    const { heaps, violations } = this.heap.stats();
    const found = Object.entries(violations).map(([kind, count]) => `${count} ${kind}`);
    return [
      ...heaps.map(
        (h) =>
          `space ${h.space} (${h.policy}, ${h.tagBits} tag bits): ${n(h.counters.allocations)} allocations, ${n(h.counters.frees)} frees; ` +
          `${n(h.liveBytes)} bytes live in ${n(h.liveBlocks)} blocks, peak ${n(h.peakLiveBytes)} of a ${n(h.extent)}-byte heap (${(h.utilization * 100).toFixed(1)}% utilization)`,
      ),
      `violations: ${found.length === 0 ? 'none' : found.join(', ')}`,
    ];
  }
}
