/** The handle table under test: the real algorithm, or one of two intentionally broken ones. */
export type TableVariant = 'atomic' | 'split-code' | 'split-entry';

/** A scenario for {@link exploreInterleavings}; every field but `variant` has a default. */
export interface InterleavingOptions {
  readonly variant: TableVariant;
  /** Entries per leaf table: 2..8 (default 2). */
  readonly leafEntries?: number;
  /** Pointers per mid and top table: 2..8 (default 2). */
  readonly pointersPerTable?: number;
  /**
   * Handles open before the threads start (default: leafEntries − 1, a full one-level table,
   * since index 0 is never used).
   */
  readonly initialHandles?: number;
  /** Resolver threads: 1..6 (default 2). */
  readonly resolvers?: number;
  /**
   * Handles each resolver resolves, one after the other: 1..4 (default 1), chosen among the
   * initially open ones and spread across indices, so that resolvers walk different leaves.
   */
  readonly resolves?: number;
  /**
   * Handles the grower thread creates (default 1): each past the capacity adds a leaf, and a mid
   * or top level when needed (up to 3 levels). 0 leaves the grower out.
   */
  readonly creates?: number;
  /**
   * A churn thread closes the handle resolver 1 resolves first and creates a new handle that
   * reuses its slot with a bumped identifier: the ABA scenario. Default false.
   */
  readonly churn?: boolean;
  /** Every interleaving (default), or seeded random schedules. */
  readonly mode?: 'exhaustive' | 'random';
  /** Random mode: the seed (default 1), a safe integer. */
  readonly seed?: number;
  /** Random mode: how many schedules (default 10_000). */
  readonly schedules?: number;
  /** Exhaustive mode: the highest preemption bound tried (default: until everything is explored). */
  readonly maxPreemptions?: number;
  /** Exhaustive mode: stop after this many interleavings (default 2_000_000), incomplete. */
  readonly maxInterleavings?: number;
}

/** What {@link exploreInterleavings} found. */
export interface InterleavingReport {
  readonly variant: TableVariant;
  readonly mode: 'exhaustive' | 'random';
  /** The simulated threads, e.g. `['resolver 1', 'resolver 2', 'grower', 'churn']`. */
  readonly threads: readonly string[];
  /** Complete schedules explored, each counted once however often the search passed it. */
  readonly interleavings: number;
  /** Atomic steps executed in total, re-executions and solo runs of the never-blocks check included. */
  readonly steps: number;
  /**
   * Exhaustive: the highest preemption bound explored (every bound below it passed; with a
   * violation, the bound it was found at; −1 if the interleaving cap struck within bound 0).
   * Random: the most preemptions in any schedule run.
   */
  readonly preemptionBound: number;
  /** Every interleaving within the bounds was explored and none violated a check. */
  readonly complete: boolean;
  /**
   * A hash of every schedule explored, in order (8 hex digits): equal digests mean the same
   * schedules were explored, so it tells two seeds' runs apart where the counts cannot.
   */
  readonly scheduleDigest: string;
  readonly violation?: Counterexample;
}

/** A schedule that breaks one of the checks, with the fewest preemptions found. */
export interface Counterexample {
  readonly kind: 'torn-table-code' | 'wrong-result' | 'closed-handle-resolved' | 'blocked';
  /** The thread that saw the violation. */
  readonly thread: string;
  /** One sentence naming the handle, what was expected and what was seen. */
  readonly message: string;
  /** Context switches away from a thread that could still run. */
  readonly preemptions: number;
  /** Every step in order, up to the violation. */
  readonly schedule: readonly ScheduledStep[];
}

/** One atomic step of a schedule. */
export interface ScheduledStep {
  readonly thread: string;
  /** E.g. `read table code 0x3001 → top 0x3000, 2 levels`. */
  readonly step: string;
  /** Present (true) when this step switched away from a thread that could still run. */
  readonly preemption?: true;
}
