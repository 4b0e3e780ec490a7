import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { LeverageQuery } from './leverage-query';

const n = (value: number): string => value.toLocaleString('en-US');

/** What a run came to in each chain: items in, and where every one went. */
export class LeverageSummaryLines implements SummaryLines {
  readonly name = 'guest-leverage';

  constructor(@inject(LeverageQuery) private readonly query: LeverageQuery) {}

  summary(): Readonly<Record<string, unknown>> {
    return { chains: this.query.chains() };
  }

  lines(): readonly string[] {
    return this.query
      .chains()
      .map(
        ({ name, modules, sharing, failure, counts: c, inRing, waiting, balanced }) =>
          `chain ${name} (${modules.join(' → ')}; ${sharing}, fails ${failure}): ${n(c.received)} in, ${n(c.returned)} returned, ` +
          `${n(c.consumed)} consumed, ${n(c.dropped)} dropped (${n(c.failed)} by failures), ${n(inRing + waiting)} pending; ` +
          `${n(c.bytesCopied)} bytes copied${balanced ? '' : ' — ITEMS UNACCOUNTED FOR'}`,
      );
  }
}
