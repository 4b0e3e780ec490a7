import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { HandlesQuery, type TableSummary } from './handles-query';

const n = (value: number): string => value.toLocaleString('en-US');
/** `count` and the noun, plural but for one. */
const of = (count: number, noun: string): string => `${n(count)} ${noun}${count === 1 ? '' : 's'}`;

/** How soon slots and values came back, for one table. */
function reuseLine({ counters: c }: TableSummary): string {
  const reuse =
    c.reuses === 0
      ? 'no slot reused'
      : `a closed slot reused ${of(c.reuseDistanceMin, 'operation')} later at the soonest, ${(c.reuseDistanceSum / c.reuses).toFixed(1)} on average`;
  const repeats =
    c.wraps === 0
      ? 'no handle value repeated'
      : `${of(c.wraps, 'handle value')} handed out again (identifier wrapped)` +
        (c.repeats === 0 ? '' : `, ${of(c.repeatDistanceMin, 'operation')} apart at the soonest`);
  return `${reuse}; ${repeats}`;
}

/** What a run came to in its handle tables: levels, pages, handles, reuse, refusals. */
export class HandlesSummaryLines implements SummaryLines {
  readonly name = 'handles';

  constructor(@inject(HandlesQuery) private readonly handles: HandlesQuery) {}

  /** `HandlesQuery.stats()`. */
  summary(): Readonly<Record<string, unknown>> {
    return { ...this.handles.stats() };
  }

  lines(): readonly string[] {
    const { tables, objects, rejections } = this.handles.stats();
    const refused = Object.entries(rejections).map(([reason, count]) => `${count} ${reason}`);
    return [
      ...tables.map(
        (t) =>
          `space ${t.space}: ${of(t.levels, 'level')}, ${of(t.tables.leaf + t.tables.mid + t.tables.top, 'table page')}; ` +
          `${of(t.counters.creates, 'handle')} made, ${n(t.counters.closes)} closed, ${n(t.open)} open; ${t.reuse} reuse: ${reuseLine(t)}`,
      ),
      `objects: ${n(objects.made)} made, ${n(objects.live)} live`,
      `refused handles: ${refused.length === 0 ? 'none' : refused.join(', ')}`,
    ];
  }
}
