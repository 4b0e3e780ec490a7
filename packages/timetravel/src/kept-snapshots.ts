import { Projector, type Plugin, type ProjectorSnapshot, type Store } from '@chronovisor/core';
import type { ShelvedSnapshot, SnapshotShelving } from '@chronovisor/store';
import { SnapshotDecoder, SnapshotEncoder } from './snapshot-codec';

/** How to index a run. */
export interface IndexOptions {
  /** What the snapshots are made with: a fingerprint of the plugin set and its config. */
  readonly key: string;
  readonly seed?: number;
  /** Records between kept snapshots; by default the run is cut in 128 (at least 4,096 apart). */
  readonly every?: number;
  /**
   * Called as the run is folded, with the seq reached and the run's last: every few thousand
   * events, and once at the end.
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Events folded between calls of `onProgress`: a few milliseconds of folding. */
const PROGRESS_EVENTS = 16_384;

/** What indexing kept. */
export interface IndexSummary {
  readonly snapshots: number;
  readonly bytes: number;
  readonly every: number;
}

/**
 * Folds the whole run once and keeps a snapshot every `every` records, and one at the end, on the
 * shelf (replacing what it kept before): a reopened run then seeks anywhere, `goto end` included,
 * from the nearest kept snapshot instead of from the start, as rr's persistent checkpoints.
 */
export function indexRun(
  store: Store,
  shelf: SnapshotShelving,
  plugins: readonly Plugin[],
  options: IndexOptions,
): IndexSummary {
  const head = store.head();
  const every = options.every ?? Math.max(4096, Math.ceil(head / 128));
  if (!Number.isSafeInteger(every) || every < 1)
    throw new RangeError(`Snapshots must be a whole number of records apart, not ${every}`);
  const projector = new Projector(plugins, options.seed ?? 0);
  const encoder = new SnapshotEncoder();
  const keep = (seq: number): ShelvedSnapshot => ({
    seq,
    digest: projector.digest(),
    ...encoder.encode(projector.snapshotToData(projector.snapshot())),
  });
  function* snapshots(): Generator<ShelvedSnapshot> {
    // Only events change state; a snapshot goes at each multiple of `every` and at the head.
    let at = every;
    let folded = 0;
    for (const event of store.readEvents(1)) {
      for (; at < event.seq; at += every) yield keep(at);
      projector.apply(event);
      if (++folded % PROGRESS_EVENTS === 0) options.onProgress?.(event.seq, head);
    }
    for (; at < head; at += every) yield keep(at);
    if (head > 0) yield keep(head);
    options.onProgress?.(head, head);
  }
  const { count, bytes } = shelf.replace(options.key, snapshots());
  return { snapshots: count, bytes, every };
}

/**
 * The snapshots a shelf keeps, when they were made with `key` (else none: another plugin set's
 * state would be wrong here), decoded when first used.
 */
export class KeptSnapshots {
  readonly seqs: readonly number[];
  private readonly decoder: SnapshotDecoder;

  constructor(
    private readonly shelf: SnapshotShelving,
    key: string,
  ) {
    this.seqs = shelf.key() === key ? shelf.seqs() : [];
    this.decoder = new SnapshotDecoder((id) => shelf.buffer(id));
  }

  /** The snapshot kept at `seq`, ready to restore into `projector`, and the digest it must give. */
  load(seq: number, projector: Projector): { snapshot: ProjectorSnapshot; digest: string } {
    const { state, digest } = this.shelf.snapshot(seq);
    const data = this.decoder.decode(state) as ProjectorSnapshot;
    return { snapshot: projector.snapshotFromData(data), digest };
  }
}
