import { panelTable, type Panel, type PanelContent } from '@chronovisor/core';
import { inject } from 'inversify';
import { LeverageQuery, type ChainSummary } from './leverage-query';

/**
 * The web page's `leverage` panel, at the page's position:
 *
 * - **Chains**: each chain of leveraged guest modules: the guest VM they run in, the modules in
 *   the order an item meets them, whether a failed path delivers the original (`open`) or drops
 *   it (`closed`), and how data crosses into the guest (`shared` frames or a `copy`);
 * - **Host I/O through the chains**: for each chain, the items received from its host resources
 *   and where they went: returned to the host, consumed or dropped in the guest, failed (a module
 *   crashed or timed out), held at the host while the ring was full; those in the ring and still
 *   waiting now; the bytes copied into the guest and shared with it; the modules' simulated time;
 *   and whether every item is accounted for (received = returned + consumed + dropped + in the
 *   ring + waiting).
 *
 * The query gives neither the host resources attached to each chain, nor the items in a ring
 * (their slot and guest-physical address), nor the seq of any item's records, so the panel shows
 * counts, and nothing here links to the log or to guest memory.
 */
export class GuestLeveragePanel implements Panel {
  readonly name = 'leverage';
  readonly title = 'Guest modules and the host I/O through them';

  constructor(@inject(LeverageQuery) private readonly query: LeverageQuery) {}

  show(): PanelContent {
    const chains = this.query.chains();
    return {
      kind: 'sections',
      sections: [
        {
          title: 'Chains',
          content: panelTable(
            [
              { key: 'name', label: 'chain' },
              { key: 'vm', label: 'guest VM', format: 'number' },
              { key: 'modules', label: 'modules, in order' },
              { key: 'failure', label: 'on failure' },
              { key: 'sharing', label: 'crossing' },
            ],
            chains,
            (c) => ({
              name: c.name,
              vm: c.vm,
              modules: c.modules.join(' → '),
              failure: c.failure === 'open' ? 'open (deliver)' : 'closed (drop)',
              sharing: c.sharing,
            }),
            { empty: 'no chains' },
          ),
        },
        {
          title: 'Host I/O through the chains',
          content: panelTable(
            [
              { key: 'name', label: 'chain' },
              { key: 'received', label: 'received', format: 'number' },
              { key: 'returned', label: 'returned', format: 'number' },
              { key: 'consumed', label: 'consumed', format: 'number' },
              { key: 'dropped', label: 'dropped', format: 'number' },
              { key: 'failed', label: 'failed', format: 'number' },
              { key: 'held', label: 'held at the host', format: 'number' },
              { key: 'inRing', label: 'in the ring', format: 'number' },
              { key: 'waiting', label: 'waiting', format: 'number' },
              { key: 'bytesCopied', label: 'bytes copied', format: 'number' },
              { key: 'bytesShared', label: 'bytes shared', format: 'number' },
              { key: 'micros', label: 'module time (µs)', format: 'number' },
              { key: 'balanced', label: 'all accounted for' },
            ],
            chains,
            (c) => io(c),
            { empty: 'no chains' },
          ),
        },
      ],
    };
  }
}

function io(c: ChainSummary): Record<string, string | number | boolean> {
  const { received, returned, consumed, dropped, failed, held, bytesCopied, bytesShared, micros } =
    c.counts;
  return {
    name: c.name,
    received,
    returned,
    consumed,
    dropped,
    failed,
    held,
    inRing: c.inRing,
    waiting: c.waiting,
    bytesCopied,
    bytesShared,
    micros,
    balanced: c.balanced,
  };
}
