import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { OverlayQuery } from './overlay-query';

/** What a run came to in each program: its live versions and its shared and own globals. */
export class OverlaySummaryLines implements SummaryLines {
  readonly name = 'global-overlay';

  constructor(@inject(OverlayQuery) private readonly query: OverlayQuery) {}

  summary(): Readonly<Record<string, unknown>> {
    return { programs: this.query.programs() };
  }

  lines(): readonly string[] {
    return this.query.programs().map((p) => {
      const shared = p.slots.filter((s) => s.users.length > 1).length;
      return (
        `program ${p.program}: versions ${p.versions.map((v) => v.version).join(', ') || 'none live'}; ` +
        `${p.slots.length} globals in ${p.pages} pages, ${shared} shared by several versions, ${p.freeBytes} bytes free`
      );
    });
  }
}
