import { ChronovisorError } from './errors';
import type { EventRecord, LogRecord } from './record';

/** Token of the store a simulation records into. */
export const Store = Symbol.for('@chronovisor/core:Store');

/** A state digest recorded in the log: the simulation's digest right after record `seq`. */
export interface StateDigest {
  readonly seq: number;
  readonly digest: string;
  /** Each projection's digest, by name: says which slice of state differs when the digest does. */
  readonly projections?: Readonly<Record<string, string>>;
}

/**
 * Where a run's records go. Synchronous on purpose: the kernel appends each command's records as
 * one batch on the hot path, and an implementation batches further (transactions, hashing) itself.
 */
export interface Store {
  /** Appends records whose seqs continue the log without a gap. */
  append(records: readonly LogRecord[]): void;
  /** The records with `from <= seq <= to` (to the end when `to` is absent), in order. */
  read(from: number, to?: number): Iterable<LogRecord>;
  /**
   * The events among those records: all that folding state needs (commands change nothing), so a
   * store may skip decoding the commands.
   */
  readEvents(from: number, to?: number): Iterable<EventRecord>;
  /** Seq of the last record; 0 when the log is empty. */
  head(): number;
  /** Records a state digest; its seq must not be past the head. */
  appendDigest(digest: StateDigest): void;
  /** The recorded state digests, in seq order. */
  digests(): readonly StateDigest[];
  /** Makes everything appended so far durable. */
  flush(): void;
  close(): void;
}

/** A store refused an operation: a gap in the log, a read past the end, a closed store. */
export class StoreError extends ChronovisorError {}

/** Checks that `records` continue a log whose last seq is `head`, and returns the new head. */
export function checkContinuity(head: number, records: readonly LogRecord[]): number {
  let expected = head + 1;
  for (const record of records) {
    if (record.seq !== expected) {
      throw new StoreError(
        `Record seq ${record.seq} does not continue the log: expected seq ${expected}`,
      );
    }
    expected++;
  }
  return expected - 1;
}
