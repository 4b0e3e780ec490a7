import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { LeverageQuery } from './leverage-query';

/** `info leverage`: each chain's modules, ring, and the fates of its items. */
export class LeverageView implements InfoView {
  readonly name = 'leverage';
  readonly usage =
    'leverage — chains of guest modules: items in, returned, consumed, dropped, failed';

  constructor(@inject(LeverageQuery) private readonly query: LeverageQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length > 0)
      throw new Error(`info leverage takes no arguments (usage: info ${this.usage})`);
    return this.query.chains();
  }
}
