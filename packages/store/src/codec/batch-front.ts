import { StoreError, checkContinuity, type LogRecord, type StateDigest } from '@chronovisor/core';
import { BatchBuilder } from './batch-builder';
import { BATCH_BYTES, BATCH_RECORDS } from './batch-format';
import type { StoredBatch } from './batch-records';

/** A full (or flushed) batch, as a store hands it on to be sealed and committed. */
export interface TakenBatch {
  readonly batch: Uint8Array;
  readonly first: number;
  readonly count: number;
  /** The digests it brings: those of its records not yet written. */
  readonly digests: StateDigest[];
}

/**
 * What a batched store holds before it stores it: the run's head, the batch filling (encoded as
 * records are appended: what the log holds is the record as appended, whatever its holder does
 * next), and the state digests, each waiting for the batch that covers its seq (it is written
 * with it, never before it). The SQLite and the PostgreSQL stores keep their runs through it.
 */
export class BatchFront {
  private readonly batch = new BatchBuilder();
  private pending: StateDigest[] = [];

  /**
   * @param last the seq of the last record the run holds
   * @param digests the digests the run holds, in seq order
   */
  constructor(
    private last: number,
    private readonly digests: StateDigest[],
  ) {}

  /** Seq of the last record appended; 0 when the log is empty. */
  get head(): number {
    return this.last;
  }

  /** The digests appended and held, in seq order. */
  get allDigests(): readonly StateDigest[] {
    return this.digests;
  }

  /** Records in the batch filling. */
  get filling(): number {
    return this.batch.size;
  }

  /** Appends records whose seqs continue the log, calling `full` each time the batch fills. */
  append(records: readonly LogRecord[], full: () => void): void {
    this.last = checkContinuity(this.last, records);
    for (let i = 0; i < records.length; i++) {
      this.batch.append(records[i]!);
      if (this.batch.size === BATCH_RECORDS || this.batch.recordBytes >= BATCH_BYTES) full();
    }
  }

  appendDigest(digest: StateDigest): void {
    if (digest.seq > this.last)
      throw new StoreError(
        `State digest at seq ${digest.seq} is past the last record (${this.last})`,
      );
    this.digests.push(digest);
    this.pending.push(digest);
  }

  /** The batch filling, with the digests it brings; the next one starts. */
  take(): TakenBatch {
    const { first, size: count } = this.batch;
    const last = first + count - 1;
    const digests = this.pending.filter((d) => d.seq <= last);
    if (digests.length > 0) this.pending = this.pending.filter((d) => d.seq > last);
    return { batch: this.batch.take(), first, count, digests };
  }

  /** Digests whose batches went before them (with no batch filling to bring them): taken. */
  takeDigests(): StateDigest[] {
    const digests = this.pending;
    this.pending = [];
    return digests;
  }

  /** The batch filling, as a stored batch is read, if it holds any of seqs `from` to `to`. */
  fillingBatch(from: number, to: number): StoredBatch | undefined {
    const { first, size } = this.batch;
    if (size === 0 || first > to || first + size - 1 < from) return undefined;
    return { first, count: size, batch: Buffer.from(this.batch.peek()) };
  }
}
