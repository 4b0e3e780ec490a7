import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import {
  HandlesQuery,
  type HandlesStats,
  type OpenHandle,
  type TablePage,
  type TableSummary,
} from './handles-query';
import { HandlesSummaryLines } from './handles-summary-lines';

const USAGE = 'handles [space [pages|list]] — handle tables: levels, pages, open handles, reuse';

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * `info handles`: every table at a glance; `info handles <space>` one table; `… pages` its table
 * pages and what each pointer table holds; `… list` its open handles. The data is the query's;
 * the terminal gets addresses and handles in hex.
 */
export class HandlesView implements InfoView {
  readonly name = 'handles';
  readonly usage = USAGE;

  constructor(
    @inject(HandlesQuery) private readonly handles: HandlesQuery,
    @inject(HandlesSummaryLines) private readonly summary: HandlesSummaryLines,
  ) {}

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

  format(view: unknown): string {
    if (Array.isArray(view)) {
      const rows = view as (TablePage | OpenHandle)[];
      if (rows.length === 0) return '(none)';
      return 'role' in rows[0]!
        ? (rows as TablePage[]).map(formatPage).join('\n')
        : (rows as OpenHandle[]).map(formatHandle).join('\n');
    }
    if ('tables' in (view as object) && Array.isArray((view as HandlesStats).tables))
      return this.summary.lines().join('\n');
    return formatTable(view as TableSummary);
  }
}

function formatTable(t: TableSummary): string {
  const c = t.counters;
  const types = Object.entries(t.byType).map(([type, n]) => `${n} ${type}`);
  return [
    `space ${t.space}: ${t.levels} level${t.levels === 1 ? '' : 's'}, table code ${hex(t.code)} (top ${hex(t.code - (t.levels - 1))} | ${t.levels - 1})`,
    `  pages: ${t.tables.leaf} leaf, ${t.tables.mid} mid, ${t.tables.top} top; ${t.capacity} slots, at most ${t.limit}`,
    `  handles: ${t.open} open${types.length === 0 ? '' : ` (${types.join(', ')})`}, ${t.free} free slot${t.free === 1 ? '' : 's'}, ${t.reuse} reuse`,
    `  ${c.creates} made, ${c.closes} closed, ${c.resolves} resolved, ${c.rejections} refused; ${c.reuses} slots reused, ${c.wraps} values handed out again`,
  ].join('\n');
}

function formatPage(p: TablePage): string {
  const children = p.children ? ` → ${p.children.map(hex).join(', ')}` : '';
  return `${p.role.padEnd(4)} ${hex(p.table)}${children}`;
}

function formatHandle(h: OpenHandle): string {
  const name = h.name === undefined ? '' : ` ${JSON.stringify(h.name)}`;
  return `${hex(h.handle).padStart(10)}  slot ${h.index}, identifier ${h.identifier}: object ${h.object} (${h.type}${name})`;
}
