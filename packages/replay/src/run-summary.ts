import type { EventTypeRegistry, Store } from '@chronovisor/core';

/** Counts that say how a run went. */
export interface RunSummary {
  readonly records: number;
  readonly commands: number;
  readonly events: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly rejections: number;
  /** The first refused commands (up to {@link REFUSALS_SHOWN}), with their reasons. */
  readonly refusals: readonly Refusal[];
  /** Events whose declaration marks them as violations (isolation, heap checks…). */
  readonly violations: number;
  /** Events whose declaration marks them as faults. */
  readonly faults: number;
  readonly finalDigest?: string;
}

/** A refused command, as a summary names it. */
export interface Refusal {
  readonly seq: number;
  readonly type: string;
  readonly error: string;
  readonly message: string;
}

/** How many refused commands a summary lists (it counts them all). */
export const REFUSALS_SHOWN = 5;

/**
 * Counts a run's records, by type and by outcome. Faults and violations are the events their
 * declarations mark as such, in the plugin set that reads the run.
 */
export function summarizeRun(store: Store, eventTypes: EventTypeRegistry): RunSummary {
  const byType: Record<string, number> = {};
  let records = 0;
  let events = 0;
  let rejections = 0;
  const refusals: Refusal[] = [];
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
    } else if (r.rejection) {
      if (rejections++ < REFUSALS_SHOWN)
        refusals.push({ seq: r.seq, type: r.type, ...r.rejection });
    }
  }
  const last = store.digests().at(-1);
  return {
    records,
    commands: records - events,
    events,
    byType,
    rejections,
    refusals,
    violations,
    faults,
    ...(last ? { finalDigest: last.digest } : {}),
  };
}
