import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { HandlesQuery } from './handles-query';

const USAGE = 'handles [space [pages|list]] — handle tables: levels, pages, open handles, reuse';

/**
 * `info handles`: every table at a glance; `info handles <space>` one table; `… pages` its table
 * pages and what each pointer table holds; `… list` its open handles.
 */
export class HandlesView implements InfoView {
  readonly name = 'handles';
  readonly usage = USAGE;

  constructor(@inject(HandlesQuery) private readonly handles: HandlesQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length === 0) return this.handles.stats();
    const [spaceArg, what, ...rest] = args;
    const space = Number(spaceArg);
    if (!Number.isSafeInteger(space) || space < 1)
      throw new Error(`Expected a space id, got "${spaceArg}" (usage: info ${USAGE})`);
    if (rest.length > 0 || (what !== undefined && what !== 'pages' && what !== 'list'))
      throw new Error(`Expected "pages" or "list" after the space (usage: info ${USAGE})`);
    const table = this.handles.table(space);
    if (!table) throw new Error(`Space ${space} has no handle table`);
    if (what === 'pages') return this.handles.pages(space);
    if (what === 'list') return this.handles.handles(space);
    return table;
  }
}
