import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { VmmQuery } from './vmm-query';

/** `info vmm`: the VMM's version and hypercalls, its guests' extensions, the update in flight. */
export class VmmView implements InfoView {
  readonly name = 'vmm';
  readonly usage = 'vmm — the VMM: version, hypercalls, guests and their extensions, updates';

  constructor(@inject(VmmQuery) private readonly query: VmmQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length > 0) throw new Error(`info vmm takes no arguments (usage: info ${this.usage})`);
    return this.query.stats();
  }
}
