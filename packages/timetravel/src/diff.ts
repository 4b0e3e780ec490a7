import type { Store } from '@chronovisor/core';
import type { Accesses } from './provenance';

/** What changed between two points of a run. */
export interface RunDiff {
  readonly from: number;
  readonly to: number;
  /** Projections whose state differs (by digest). */
  readonly projections: readonly string[];
  /** Records in between, by type. */
  readonly byType: Readonly<Record<string, number>>;
  /** Memory written in between, merged into ranges per space. */
  readonly written: readonly {
    readonly space: number;
    readonly va: number;
    readonly length: number;
  }[];
}

/** The records between `from` (exclusive) and `to`, summarised: types, and written memory as ranges. */
export function summarizeChanges(
  store: Store,
  accessOf: Accesses,
  from: number,
  to: number,
): Pick<RunDiff, 'byType' | 'written'> {
  const byType: Record<string, number> = {};
  const writes = new Map<number, [number, number][]>();
  if (to > from) {
    for (const record of store.read(from + 1, to)) {
      byType[record.type] = (byType[record.type] ?? 0) + 1;
      const access = accessOf(record);
      if (access?.kind === 'write') {
        let list = writes.get(access.space);
        if (!list) writes.set(access.space, (list = []));
        list.push([access.va, access.va + access.length]);
      }
    }
  }
  const written: { space: number; va: number; length: number }[] = [];
  for (const [space, ranges] of [...writes].sort((a, b) => a[0] - b[0])) {
    ranges.sort((a, b) => a[0] - b[0]);
    let [start, end] = ranges[0]!;
    for (const [s, e] of ranges.slice(1)) {
      if (s <= end) end = Math.max(end, e);
      else {
        written.push({ space, va: start, length: end - start });
        [start, end] = [s, e];
      }
    }
    written.push({ space, va: start, length: end - start });
  }
  return { byType, written };
}
