import { ChronovisorError } from '@chronovisor/core';
import type { Overview } from './api';
import { MARKS_SHOWN } from './api';
import type { RecordViews } from './record-views';

/** What the scan reads: the types of a run's records, a batch at a time (`SqliteStore.outline`). */
export type Outline = Iterable<{ first: number; types: readonly string[] }>;

/**
 * The whole run at a glance, built by one pass over its records' types (no payload decoded):
 * each record's plugin in a byte, so the page may ask for any number of buckets, and the faults
 * and violations. The pass goes a step at a time (`advance`), so the server answers the page
 * meanwhile.
 */
export class OverviewScan {
  /** Each record's plugin, by its index in `views.plugins` (seq s at s - 1). */
  private readonly pluginOf: Uint8Array;
  private readonly marks: { seq: number; mark: 'fault' | 'violation'; type: string }[] = [];
  private markCount = 0;
  private scanned = 0;
  private readonly batches: Iterator<{ first: number; types: readonly string[] }>;
  private done = false;
  /** Why the scan stopped short: a batch that no longer matches its hash, say. */
  private failure: string | undefined;

  constructor(
    private readonly head: number,
    outline: Outline,
    private readonly views: RecordViews,
  ) {
    this.pluginOf = new Uint8Array(head);
    this.batches = outline[Symbol.iterator]();
  }

  get ready(): boolean {
    return this.done;
  }

  /**
   * Scans about `records` more records; returns whether the scan is done. A run that cannot be
   * read to its end (an altered batch) ends the scan there, saying why, rather than the server.
   */
  advance(records: number): boolean {
    try {
      this.scan(records);
    } catch (error) {
      if (!(error instanceof ChronovisorError)) throw error;
      this.failure = error.message;
      this.done = true;
    }
    return this.done;
  }

  private scan(records: number): void {
    const until = this.scanned + records;
    while (!this.done && this.scanned < until) {
      const next = this.batches.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const { first, types } = next.value;
      for (let i = 0; i < types.length; i++) {
        const type = types[i]!;
        this.pluginOf[first + i - 1] = this.views.pluginIndex(type);
        const mark = this.views.markOf(type);
        if (mark === undefined) continue;
        if (this.marks.length < MARKS_SHOWN) this.marks.push({ seq: first + i, mark, type });
        this.markCount++;
      }
      this.scanned = first + types.length - 1;
    }
  }

  /** The overview in `buckets` buckets (as far as the scan has got). */
  overview(buckets: number): Overview {
    const head = this.head;
    const bucketSize = Math.max(1, Math.ceil(head / Math.max(1, buckets)));
    const count = Math.ceil(head / bucketSize);
    const perPlugin = this.views.plugins.map(() => new Array<number>(count).fill(0));
    const pluginOf = this.pluginOf;
    for (let bucket = 0, seq = 1; seq <= this.scanned; bucket++)
      for (const end = Math.min(this.scanned, seq + bucketSize - 1); seq <= end; seq++)
        perPlugin[pluginOf[seq - 1]!]![bucket]!++;
    const counts: Record<string, number[]> = {};
    this.views.plugins.forEach(({ name }, i) => {
      if (perPlugin[i]!.some((n) => n > 0)) counts[name] = perPlugin[i]!;
    });
    return {
      head,
      ready: this.done,
      scanned: this.scanned,
      bucketSize,
      counts,
      marks: this.marks,
      markCount: this.markCount,
      ...(this.failure === undefined ? {} : { error: this.failure }),
    };
  }
}
