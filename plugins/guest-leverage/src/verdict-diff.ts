import type { LogRecord } from '@chronovisor/core';
import type { Fate, ItemSettled } from './leverage-events';

/** An item whose fate differs between two runs of the same input. */
export interface FateDifference {
  readonly item: number;
  readonly recorded?: Fate;
  readonly reexecuted?: Fate;
}

/** Every item's fate in a log, by item id. */
function fates(records: Iterable<LogRecord>): Map<number, Fate> {
  const out = new Map<number, Fate>();
  for (const r of records)
    if (r.kind === 'event' && r.type === 'leverage.item.settled') {
      const { item, fate } = r.data as ItemSettled;
      out.set(item, fate);
    }
  return out;
}

/**
 * Every item whose fate differs between a recorded run and its re-execution with another chain
 * (where `reexecute` stops at the first divergent record, this lists them all).
 */
export function fateDifferences(
  recorded: Iterable<LogRecord>,
  reexecuted: Iterable<LogRecord>,
): FateDifference[] {
  const [a, b] = [fates(recorded), fates(reexecuted)];
  const items = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  return items
    .filter((item) => a.get(item) !== b.get(item))
    .map((item) => ({
      item,
      ...(a.has(item) ? { recorded: a.get(item)! } : {}),
      ...(b.has(item) ? { reexecuted: b.get(item)! } : {}),
    }));
}
