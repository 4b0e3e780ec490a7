import type { Store } from '@chronovisor/core';

/** What a run did, counted from its log. */
export interface RunSummary {
  readonly records: number;
  readonly events: number;
  readonly commands: number;
  readonly rejections: number;
  readonly violations: number;
  readonly faults: number;
  /** Records by plugin (the type's first word), then by type. */
  readonly byPlugin: Record<string, Record<string, number>>;
  readonly finalDigest?: string;
}

/** Counts a run's records. */
export function summarize(store: Store): RunSummary {
  const byPlugin: Record<string, Record<string, number>> = {};
  let records = 0;
  let events = 0;
  let rejections = 0;
  let violations = 0;
  let faults = 0;
  for (const r of store.read(1)) {
    records++;
    const plugin = r.type.split('.')[0]!;
    const types = (byPlugin[plugin] ??= {});
    types[r.type] = (types[r.type] ?? 0) + 1;
    if (r.kind === 'event') {
      events++;
      if (r.type.includes('violat')) violations++;
      if (r.type.includes('fault')) faults++;
    } else if (r.rejection) rejections++;
  }
  const last = store.digests().at(-1);
  return {
    records,
    events,
    commands: records - events,
    rejections,
    violations,
    faults,
    byPlugin,
    ...(last ? { finalDigest: last.digest } : {}),
  };
}
