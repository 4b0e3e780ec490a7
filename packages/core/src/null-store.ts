import type { EventRecord, LogRecord } from './record';
import { StoreError, checkContinuity, type StateDigest, type Store } from './store';

/**
 * Keeps no records, only the head: for runs that need no log, and the "no recording at all"
 * limit that benchmarks measure stores against. It still checks that seqs continue.
 */
export class NullStore implements Store {
  private last = 0;

  append(records: readonly LogRecord[]): void {
    this.last = checkContinuity(this.last, records);
  }

  read(from: number): Iterable<LogRecord> {
    throw new StoreError(`A NullStore keeps no records: cannot read from seq ${from}`);
  }

  readEvents(from: number): Iterable<EventRecord> {
    return this.read(from) as Iterable<EventRecord>;
  }

  head(): number {
    return this.last;
  }

  appendDigest(_digest: StateDigest): void {}

  digests(): readonly StateDigest[] {
    return [];
  }

  flush(): void {}

  close(): void {}
}
