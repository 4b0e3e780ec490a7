import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { ProcQuery } from './proc-query';

const USAGE = 'processes [domain] — domains, process trees (pid ppid pgid sid), images, migrations';

/** `info processes`: the domains and images; `info processes <domain>` its processes as a tree. */
export class ProcView implements InfoView {
  readonly name = 'processes';
  readonly usage = USAGE;

  constructor(@inject(ProcQuery) private readonly query: ProcQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length === 0) return this.query.stats();
    if (args.length > 1) throw new Error(`Expected one domain (usage: info ${USAGE})`);
    const [domain] = args;
    if (!this.query.stats().domains.some((d) => d.name === domain))
      throw new Error(`No domain ${domain} (usage: info ${USAGE})`);
    return this.query.processes(domain!);
  }
}
