import type { RecordView } from '../../src/api';
import { api, type RecordFilter } from './api-client';

/** Records per request of the whole run (the API allows up to 1,000). */
const BLOCK = 250;
/** Blocks kept: about 20,000 records, however far the user scrolls. */
const BLOCKS_KEPT = 80;
/** Records per request of a filtered list. */
const PAGE = 1_000;

/**
 * Every record of the run, row i being seq i + 1, fetched in blocks as rows come on show: never
 * the whole run. Blocks far from the view are dropped again.
 */
export class RunRecords {
  private readonly blocks = new Map<number, ReadonlyMap<number, RecordView>>();
  private readonly loading = new Set<number>();

  constructor(
    private readonly head: number,
    /** Runs a request the page waits for (PageState.track). */
    private readonly track: (work: () => Promise<void>) => Promise<unknown>,
    private readonly changed: () => void,
  ) {}

  get rows(): number {
    return this.head;
  }

  at(index: number): RecordView | undefined {
    const seq = index + 1;
    return this.blocks.get(Math.floor(index / BLOCK))?.get(seq);
  }

  /** Loads the blocks rows first to last need (one block of margin each way). */
  async load(first: number, last: number): Promise<void> {
    const from = Math.max(0, Math.floor(first / BLOCK) - 1);
    const to = Math.min(Math.floor((this.head - 1) / BLOCK), Math.floor(last / BLOCK) + 1);
    const wanted: Promise<unknown>[] = [];
    for (let block = from; block <= to; block++) {
      const kept = this.blocks.get(block);
      if (kept) {
        // Most recently used last, so that eviction drops the oldest.
        this.blocks.delete(block);
        this.blocks.set(block, kept);
      } else if (!this.loading.has(block)) wanted.push(this.fetchBlock(block));
    }
    await Promise.all(wanted);
  }

  private fetchBlock(block: number): Promise<unknown> {
    this.loading.add(block);
    return this.track(async () => {
      try {
        const window = await api.records(1 + block * BLOCK, BLOCK);
        this.blocks.set(block, new Map(window.records.map((r) => [r.seq, r])));
        while (this.blocks.size > BLOCKS_KEPT) {
          const oldest = this.blocks.keys().next().value;
          if (oldest === undefined) break;
          this.blocks.delete(oldest);
        }
        this.changed();
      } finally {
        this.loading.delete(block);
      }
    });
  }
}

/**
 * The records a filter matches, from the run's start, a page at a time: the server scans a
 * bounded stretch per request, and `next` says where to go on from.
 */
export class FilteredRecords {
  private readonly records: RecordView[] = [];
  private next: number | undefined = 1;
  private busy = false;
  /** A page failed (its error is on show): no more automatic requests, which would fail alike. */
  private failed = false;
  private readonly abort = new AbortController();

  constructor(
    readonly filter: RecordFilter,
    private readonly track: (work: () => Promise<void>) => Promise<unknown>,
    private readonly changed: () => void,
  ) {}

  /** The matches so far, and a last row saying the scan goes on while it does. */
  get rows(): number {
    return this.records.length + (this.next === undefined ? 0 : 1);
  }

  get matches(): number {
    return this.records.length;
  }

  /** Where the scan has reached (undefined: the run's end). */
  get scannedTo(): number | undefined {
    return this.next;
  }

  at(index: number): RecordView | undefined {
    return this.records[index];
  }

  indexOf(seq: number): number {
    return this.records.findIndex((r) => r.seq === seq);
  }

  /** Loads the next page when rows up to `last` show the scan's end. */
  async load(_first: number, last: number): Promise<void> {
    if (this.busy || this.failed || this.next === undefined || last < this.records.length) return;
    this.busy = true;
    const from = this.next;
    await this.track(async () => {
      try {
        const window = await api.records(from, PAGE, this.filter, this.abort.signal);
        this.records.push(...window.records);
        this.next = window.next;
      } catch (error) {
        this.failed = true;
        throw error;
      } finally {
        this.busy = false;
      }
      this.changed();
    });
  }

  /** Gives up on this filter's requests (the filter changed). */
  close(): void {
    this.abort.abort();
  }
}
