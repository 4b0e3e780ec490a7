import type { EventTypeRegistry, Store } from '@chronovisor/core';

/** Counts that say how a run went. */
export interface RunSummary {
  readonly records: number;
  readonly commands: number;
  readonly events: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly rejections: number;
  /** Events whose declaration marks them as violations (isolation, heap checks…). */
  readonly violations: number;
  /** Events whose declaration marks them as faults. */
  readonly faults: number;
  readonly finalDigest?: string;
}

/**
 * Counts a run's records, by type and by outcome. Faults and violations are the events their
 * declarations mark as such, in the plugin set that reads the run.
 */
export function summarizeRun(store: Store, eventTypes: EventTypeRegistry): RunSummary {
  const byType: Record<string, number> = {};
  let records = 0;
  let events = 0;
  let rejections = 0;
  let violations = 0;
  let faults = 0;
  for (const r of store.read(1)) {
    records++;
    byType[r.type] = (byType[r.type] ?? 0) + 1;
    if (r.kind === 'event') {
      events++;
      const mark = eventTypes.markOf(r);
      if (mark === 'violation') violations++;
      else if (mark === 'fault') faults++;
    } else if (r.rejection) rejections++;
  }
  const last = store.digests().at(-1);
  return {
    records,
    commands: records - events,
    events,
    byType,
    rejections,
    violations,
    faults,
    ...(last ? { finalDigest: last.digest } : {}),
  };
}
