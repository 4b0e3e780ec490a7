import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { VmmQuery } from './vmm-query';

/** What a run came to in the VMM: its version, guests, updates committed, reverted, refused. */
export class VmmSummaryLines implements SummaryLines {
  readonly name = 'vmm';

  constructor(@inject(VmmQuery) private readonly query: VmmQuery) {}

  summary(): Readonly<Record<string, unknown>> {
    return { ...this.query.stats() };
  }

  lines(): readonly string[] {
    const { vmm, guests, counts: c } = this.query.stats();
    if (!vmm) return ['no VMM installed'];
    return [
      `VMM ${vmm.version} (${vmm.applied.length === 0 ? 'as installed' : `updates ${vmm.applied.join(', ')}`}), ${vmm.hypercalls.length} hypercalls`,
      ...guests.map(
        (g) =>
          `VM ${g.vm}: ${
            Object.entries(g.extensions)
              .map(([n, v]) => `${n} ${v}`)
              .join(', ') || 'no extensions'
          }${g.busy ? ' (busy)' : ''}`,
      ),
      `updates: ${c.committed} committed (last blackout ${(c.lastBlackoutMicros / 1000).toFixed(3)} ms), ${c.reverted} reverted, ${c.refused} refused`,
    ];
  }
}
