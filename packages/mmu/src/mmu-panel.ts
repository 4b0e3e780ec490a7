import type { Panel, PanelContent, PanelValue } from '@chronovisor/core';
import { inject } from 'inversify';
import { MmuQuery } from './mmu-query';

/** The most rows a table of the panel shows; the rest are counted in `more`. */
const MAX_ROWS = 200;

/** The first {@link MAX_ROWS} rows, and how many were left out. */
function capped<T>(items: readonly T[]): { shown: readonly T[]; more?: number } {
  return items.length <= MAX_ROWS
    ? { shown: items }
    : { shown: items.slice(0, MAX_ROWS), more: items.length - MAX_ROWS };
}

/**
 * The web page's `mmu` panel, at the page's position, in three sections:
 *
 * - **Address spaces**: each space's id, kind (host, vm, guest, store), partition, the VM a guest
 *   translates through, its mapped pages, its TLB's hits, misses and hit rate (none before the
 *   first lookup), and the faults it raised;
 * - **Partitions**: each partition's first host frame, its frames, and how many are used and free;
 * - **Frames**: frames held by several mappings, behind copy-on-write entries, and written.
 *
 * The counts are `MmuQuery.stats()`'s; the MMU keeps no seq of the records that made a space or a
 * partition, so nothing here links to the log.
 */
export class MmuPanel implements Panel {
  readonly name = 'mmu';
  readonly title = 'Address spaces and partitions';

  constructor(@inject(MmuQuery) private readonly mmu: MmuQuery) {}

  show(): PanelContent {
    const stats = this.mmu.stats();
    const where = new Map(this.mmu.spaces().map((s) => [s.id, s]));
    const spaces = capped(stats.spaces);
    const partitions = capped(stats.partitions);
    return {
      kind: 'sections',
      sections: [
        {
          title: 'Address spaces',
          content: {
            kind: 'table',
            columns: [
              { key: 'id', label: 'space', format: 'number' },
              { key: 'kind', label: 'kind' },
              { key: 'partition', label: 'partition' },
              { key: 'vm', label: 'VM', format: 'number' },
              { key: 'pages', label: 'pages', format: 'number' },
              { key: 'tlbHits', label: 'TLB hits', format: 'number' },
              { key: 'tlbMisses', label: 'TLB misses', format: 'number' },
              { key: 'tlbHitRate', label: 'TLB hit rate' },
              { key: 'faults', label: 'faults', format: 'number' },
            ],
            rows: spaces.shown.map((s): Record<string, PanelValue> => {
              const space = where.get(s.id);
              const lookups = s.tlbHits + s.tlbMisses;
              return {
                id: s.id,
                kind: s.kind,
                partition: space?.partition ?? null,
                vm: space?.vm ?? null,
                pages: s.pages,
                tlbHits: s.tlbHits,
                tlbMisses: s.tlbMisses,
                tlbHitRate: lookups === 0 ? null : `${(s.tlbHitRate * 100).toFixed(1)}%`,
                faults: s.faults,
              };
            }),
            empty: 'no address spaces',
            ...(spaces.more === undefined ? {} : { more: spaces.more }),
          },
        },
        {
          title: 'Partitions',
          content: {
            kind: 'table',
            columns: [
              { key: 'name', label: 'partition' },
              { key: 'base', label: 'base frame', format: 'number' },
              { key: 'frames', label: 'frames', format: 'number' },
              { key: 'used', label: 'used', format: 'number' },
              { key: 'free', label: 'free', format: 'number' },
            ],
            rows: partitions.shown.map(({ name, base, frames, used, free }) => ({
              name,
              base,
              frames,
              used,
              free,
            })),
            empty: 'no partitions',
            ...(partitions.more === undefined ? {} : { more: partitions.more }),
          },
        },
        {
          title: 'Frames',
          content: {
            kind: 'facts',
            facts: [
              { label: 'page size', value: this.mmu.pageSize },
              { label: 'shared', value: stats.sharedFrames },
              { label: 'copy-on-write', value: stats.cowFrames },
              { label: 'written', value: stats.materializedFrames },
            ],
          },
        },
      ],
    };
  }
}
