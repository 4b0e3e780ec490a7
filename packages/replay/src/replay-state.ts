import { Projector, type Plugin, type StateDigest, type Store } from '@chronovisor/core';
import { progressEvery, type Progress } from './progress';

/** Where replayed state first differed from what the run recorded. */
export interface DigestMismatch {
  readonly seq: number;
  readonly recorded: string;
  readonly replayed: string;
  /** The projections whose digests differ (when the run recorded them). */
  readonly projections: readonly string[];
}

/** What a state replay found. */
export interface ReplayReport {
  readonly ok: boolean;
  readonly records: number;
  readonly events: number;
  readonly digestsChecked: number;
  readonly finalDigest: string;
  readonly mismatch?: DigestMismatch;
  readonly message: string;
}

/**
 * Folds a run's events through a plugin set's projections (no handlers, no reactors), checking
 * the state against every digest the run recorded, and stops at the first that differs, naming
 * the seq and the projections that differ.
 */
export function replayState(
  store: Store,
  plugins: readonly Plugin[],
  options: { seed?: number; onProgress?: Progress } = {},
): ReplayReport {
  const projector = new Projector(plugins, options.seed ?? 0);
  const digests = [...store.digests()].sort((a, b) => a.seq - b.seq);
  const total = store.head();
  const tick = progressEvery(options.onProgress, total);
  let next = 0;
  let events = 0;
  const check = (d: StateDigest): DigestMismatch | undefined => {
    const replayed = projector.digest();
    if (replayed === d.digest) return undefined;
    const now = projector.projectionDigests();
    const projections = d.projections
      ? Object.keys({ ...now, ...d.projections }).filter(
          (name) => now[name] !== d.projections![name],
        )
      : [];
    return { seq: d.seq, recorded: d.digest, replayed, projections: projections.sort() };
  };
  // Commands change no state: only events are read, and a digest is checked once every event
  // up to its seq is applied.
  const checkUpTo = (seq: number): DigestMismatch | undefined => {
    for (; next < digests.length && digests[next]!.seq <= seq; next++) {
      const mismatch = check(digests[next]!);
      if (mismatch) return mismatch;
    }
    return undefined;
  };
  // The seq of the next digest to check (past the last: none).
  let due = digests[0]?.seq ?? Number.POSITIVE_INFINITY;
  for (const event of store.readEvents(1)) {
    if (event.seq > due) {
      const mismatch = checkUpTo(event.seq - 1);
      if (mismatch) return report(mismatch.seq, events, next, projector.digest(), mismatch);
      due = digests[next]?.seq ?? Number.POSITIVE_INFINITY;
    }
    projector.apply(event);
    events++;
    tick(event.seq);
  }
  tick(total);
  const mismatch = checkUpTo(total);
  if (mismatch) return report(mismatch.seq, events, next, projector.digest(), mismatch);
  return report(total, events, next, projector.digest());
}

function report(
  records: number,
  events: number,
  digestsChecked: number,
  finalDigest: string,
  mismatch?: DigestMismatch,
): ReplayReport {
  const message = mismatch
    ? `State differs from the run at seq ${mismatch.seq}` +
      (mismatch.projections.length > 0 ? ` in ${mismatch.projections.join(', ')}` : '') +
      `: recorded ${mismatch.recorded.slice(0, 12)}…, replayed ${mismatch.replayed.slice(0, 12)}…`
    : `${records} records replayed, ${digestsChecked} digests checked, state ${finalDigest.slice(0, 12)}…`;
  return {
    ok: !mismatch,
    records,
    events,
    digestsChecked,
    finalDigest,
    ...(mismatch ? { mismatch } : {}),
    message,
  };
}
