import { panelTable, type Panel, type PanelContent } from '@chronovisor/core';
import { inject } from 'inversify';
import { MmuQuery } from './mmu-query';

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
    return {
      kind: 'sections',
      sections: [
        {
          title: 'Address spaces',
          content: panelTable(
            [
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
            stats.spaces,
            (s) => {
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
            },
            { empty: 'no address spaces' },
          ),
        },
        {
          title: 'Partitions',
          content: panelTable(
            [
              { key: 'name', label: 'partition' },
              { key: 'base', label: 'base frame', format: 'number' },
              { key: 'frames', label: 'frames', format: 'number' },
              { key: 'used', label: 'used', format: 'number' },
              { key: 'free', label: 'free', format: 'number' },
            ],
            stats.partitions,
            ({ name, base, frames, used, free }) => ({ name, base, frames, used, free }),
            { empty: 'no partitions' },
          ),
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
