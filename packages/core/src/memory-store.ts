import type { EventRecord, LogRecord } from './record';
import { StoreError, checkContinuity, type StateDigest, type Store } from './store';

/** Keeps a run in memory: for tests, scratch runs and benchmarks of everything but storage. */
export class MemoryStore implements Store {
  private readonly records: LogRecord[] = [];
  private readonly stateDigests: StateDigest[] = [];
  private closed = false;

  append(records: readonly LogRecord[]): void {
    this.assertOpen();
    checkContinuity(this.records.length, records);
    for (const record of records) this.records.push(record);
  }

  *read(from: number, to = this.records.length): Iterable<LogRecord> {
    if (from < 1) throw new StoreError(`Cannot read from seq ${from}: seqs start at 1`);
    const end = Math.min(to, this.records.length);
    for (let seq = from; seq <= end; seq++) yield this.records[seq - 1]!;
  }

  *readEvents(from: number, to?: number): Iterable<EventRecord> {
    for (const record of this.read(from, to)) if (record.kind === 'event') yield record;
  }

  head(): number {
    return this.records.length;
  }

  appendDigest(digest: StateDigest): void {
    this.assertOpen();
    if (digest.seq > this.records.length) {
      throw new StoreError(
        `State digest at seq ${digest.seq} is past the last record (${this.records.length})`,
      );
    }
    this.stateDigests.push(digest);
  }

  digests(): readonly StateDigest[] {
    return this.stateDigests;
  }

  flush(): void {}

  close(): void {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('The store is closed');
  }
}
