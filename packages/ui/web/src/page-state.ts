import type { RunInfo } from '../../src/api';
import type { ErrorLine } from './error-line';

/** Loads what a view shows at a position; `signal` aborts when a newer seek replaces this one. */
export type SeekListener = (seq: number, signal: AbortSignal) => Promise<void> | void;

/**
 * The page's position in the run, and the bookkeeping around moving it: every seek aborts the
 * previous one's requests (so no view shows an older position's data), and the body's
 * `data-busy` / `data-seq` say when everything for the current position has arrived: the
 * end-to-end tests wait on them.
 */
export class PageState {
  private current = 0;
  private seekCount = 0;
  private readonly listeners: SeekListener[] = [];
  private seekAbort = new AbortController();
  private inFlight = 0;

  constructor(
    readonly run: RunInfo,
    private readonly errors: ErrorLine,
  ) {}

  get seq(): number {
    return this.current;
  }

  get head(): number {
    return this.run.head;
  }

  /** Counts seeks: work begun before a seek compares it to see whether it is still wanted. */
  get generation(): number {
    return this.seekCount;
  }

  /** The signal of the current seek: aborts at the next one. */
  get signal(): AbortSignal {
    return this.seekAbort.signal;
  }

  onSeek(listener: SeekListener): void {
    this.listeners.push(listener);
  }

  /** Moves to `seq` (clamped to the run) and has every view load what it shows there. */
  seek(seq: number): void {
    const to = Math.max(0, Math.min(this.run.head, Math.round(seq)));
    this.seekAbort.abort();
    this.seekAbort = new AbortController();
    this.seekCount += 1;
    this.current = to;
    history.replaceState(null, '', `#seq=${to}`);
    const signal = this.seekAbort.signal;
    for (const listener of this.listeners) void this.track(async () => listener(to, signal));
  }

  /**
   * Runs work the page waits for: marks the page busy until it settles, and reports its failure
   * on the error line (an aborted request is no failure). Never rejects.
   */
  async track<T>(work: () => Promise<T>): Promise<T | undefined> {
    this.inFlight += 1;
    document.body.dataset.busy = 'true';
    try {
      return await work();
    } catch (error) {
      this.errors.show(error);
      return undefined;
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        document.body.dataset.seq = String(this.current);
        document.body.dataset.busy = 'false';
      }
    }
  }
}
