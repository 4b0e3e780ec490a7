import {
  MemoryReader,
  Projector,
  type LogRecord,
  type Plugin,
  type ProjectorSnapshot,
  type EventTypeRegistry,
  type Store,
} from '@chronovisor/core';
import type { ServiceIdentifier } from 'inversify';
import { performance } from 'node:perf_hooks';
import {
  Watchpoint,
  type Breakpoint,
  type Direction,
  type Stop,
  type WatchKind,
} from './breakpoint';
import {
  frameEffectsOf,
  type FrameEffects,
  type Place,
  type Touch,
  type TrailReading,
} from './byte-trail';
import { summarizeChanges, type RunDiff } from './diff';
import {
  accessesOf,
  history,
  lastWrite,
  provenance,
  type Access,
  type Accesses,
  type Origin,
} from './provenance';

/** Where a run stopped: the record, and which of the stops it was given fired there (by index). */
export interface Stopped {
  readonly record: LogRecord;
  readonly by: readonly number[];
}
import type { KeptSnapshots } from './kept-snapshots';
import { recordAt, scanBackward } from './scan';

/** How a {@link Timeline} trades memory for seek time. */
export interface TimelineOptions {
  /** The run's seed (projections never draw from it, but the plugin set is built with it). */
  readonly seed?: number;
  /**
   * Records between snapshots, taken as the timeline first passes them. Without it the interval
   * adapts to the cost of replay: a snapshot whenever folding since the last one took
   * `foldBudgetMs`, so costly stretches of the run get denser snapshots.
   */
  readonly snapshotEvery?: number;
  /** With an adaptive interval: the replay time a seek may need past its snapshot; default 4 ms. */
  readonly foldBudgetMs?: number;
  /**
   * The most snapshots to hold: past it, every other one is dropped and the interval doubles;
   * default 2,048.
   */
  readonly maxSnapshots?: number;
  /**
   * The most memory, in bytes, the snapshots may hold together (as the projections estimate it:
   * frames, table nodes, chunks, heaps, each counted once however many snapshots share it; the
   * live state comes on top): past it, projections shed what they can rebuild (see
   * `Projection.shed`), then as many snapshots as the overshoot asks are dropped, those left
   * evenly spread, and the interval grows as much, down to 7/8 of it; default 1 GiB.
   */
  readonly memoryBudget?: number;
  /** Snapshots kept in the run file (see `indexRun`): seeks start from them as from its own. */
  readonly kept?: KeptSnapshots;
}

/** A snapshot the timeline can restore: taken as it went, or kept in the file (loaded on first use). */
interface Entry {
  readonly seq: number;
  snapshot: ProjectorSnapshot | undefined;
  readonly kept: boolean;
}

/** Records applied between looks at the clock, with an adaptive interval. */
const CHECK_EVERY = 256;

/**
 * A recorded run as a place to move around in: the state after any record, reached by restoring
 * the nearest snapshot at or before it and folding the events from there (about `foldBudgetMs`
 * of replay, or `snapshotEvery` records), stepping either way, and running forwards or backwards to the next
 * record a breakpoint or watchpoint matches. Position 0 is the state before the first record.
 */
export class Timeline {
  /** The last record's seq. */
  readonly head: number;
  private readonly projector: Projector;
  /** Which records access memory, as the plugin set's declarations say. */
  readonly accessOf: Accesses;
  /** Which records copy, load or free whole frames, as the declarations say. */
  readonly framesOf: FrameEffects;
  private every: number | undefined;
  private budgetMs: number;
  private readonly maxSnapshots: number;
  private readonly memoryBudget: number;
  /**
   * The most the snapshots can hold now: what they held when last measured, plus what each
   * snapshot taken since can add (the state made since the last one was taken or a restore
   * began).
   */
  private heldAtMost = 0;
  /** The projections' count of state made, when a snapshot was last taken or a restore began. */
  private madeAtMark = 0;
  /** When folding since the last snapshot (or since this fold began) started. */
  private foldStart = 0;
  private sinceCheck = 0;
  /** Snapshots by position, in order; the first is position 0. */
  private snapshots: Entry[];
  /** Where the next snapshot after the position stands (Infinity past the last). */
  private nextSnapshot = Infinity;
  /**
   * Where the last snapshot at or before the position stands: the state was restored from it,
   * or passed it. With `snapshotEvery`, the next is taken that many records past it.
   */
  private lastSnapshot = 0;
  private position = 0;
  private readonly kept: KeptSnapshots | undefined;

  constructor(
    private readonly store: Store,
    /** The plugin set the run is read with. */
    readonly plugins: readonly Plugin[],
    options: TimelineOptions = {},
  ) {
    this.head = store.head();
    this.every = options.snapshotEvery;
    this.budgetMs = options.foldBudgetMs ?? 4;
    this.maxSnapshots = Math.max(2, options.maxSnapshots ?? 2048);
    this.memoryBudget = options.memoryBudget ?? 2 ** 30;
    if (!(this.memoryBudget >= 0))
      throw new RangeError(`A memory budget is a number of bytes, not ${options.memoryBudget}`);
    this.projector = new Projector(plugins, options.seed ?? 0);
    this.accessOf = accessesOf(this.projector.eventTypes);
    this.framesOf = frameEffectsOf(this.projector.eventTypes);
    this.projector.incrementalSnapshots();
    this.kept = options.kept;
    this.snapshots = [
      { seq: 0, snapshot: this.projector.snapshot(), kept: false },
      ...(this.kept?.seqs ?? [])
        .filter((seq) => seq > 0 && seq <= this.head)
        .map((seq) => ({ seq, snapshot: undefined, kept: true })),
    ];
    this.standAfter(0);
    this.heldAtMost = this.madeAtMark = this.projector.allocatedBytes();
  }

  /** Where the timeline stands: the seq of the last record applied (0 before the first). */
  get seq(): number {
    return this.position;
  }

  /** Moves to the state right after record `seq` (clamped to the run); returns where it is. */
  seek(seq: number): number {
    const target = Math.max(0, Math.min(this.head, Math.floor(seq)));
    const at = this.nearestSnapshot(target);
    const nearest = this.snapshots[at]!;
    if (target < this.position || nearest.seq > this.position) {
      this.restore(nearest);
      this.position = nearest.seq;
      this.standAfter(at);
    }
    if (target > this.position) {
      this.foldStart = performance.now();
      // Commands change no state: a seek folds only the events, and skips decoding the rest.
      for (const event of this.store.readEvents(this.position + 1, target)) this.apply(event);
      this.position = target;
    }
    this.keepToMemoryBudget();
    return this.position;
  }

  /** Moves `n` records forwards (or backwards, when negative). */
  step(n = 1): number {
    return this.seek(this.position + n);
  }

  /**
   * Runs forwards to the next record one of `stops` matches and stops after it; at the end,
   * undefined. Watchpoints follow their bytes from here.
   */
  continue(stops: Stop | readonly Stop[]): Stopped | undefined {
    if (this.position >= this.head) return undefined;
    const tests = this.arm(stops, 'forward');
    this.foldStart = performance.now();
    try {
      for (const record of this.store.read(this.position + 1)) {
        this.apply(record);
        const by = fired(tests, record);
        if (by.length > 0) return { record, by };
      }
      return undefined;
    } finally {
      this.keepToMemoryBudget();
    }
  }

  /**
   * Runs backwards to the previous record one of `stops` matches and stops after it; at the
   * start, undefined (at 0). Watchpoints follow their bytes back from here.
   */
  reverseContinue(stops: Stop | readonly Stop[]): Stopped | undefined {
    const tests = this.arm(stops, 'backward');
    const here = this.position;
    let by: number[] = [];
    // The current record is taken too (watchpoints follow what it did), but never stops the run.
    const found = scanBackward(this.store, here, (record) => {
      by = fired(tests, record);
      return record.seq < here && by.length > 0;
    });
    this.seek(found?.seq ?? 0);
    return found && { record: found, by };
  }

  /** A watchpoint on `[va, va + length)` of a space: the bytes behind it, wherever they go. */
  watch(space: number, va: number, length: number, kind?: WatchKind): Watchpoint {
    return new Watchpoint(space, va, length, kind);
  }

  /** The last write to byte `va` of `space` up to here, through whichever space made it. */
  lastWrite(space: number, va: number): Access | undefined {
    return lastWrite(this.store, this.reading(), this.place(space, va), this.position);
  }

  /** Where byte `va` of `space` came from, as of here: its last write, and what that copied, back. */
  why(space: number, va: number): Origin[] {
    return provenance(this.store, this.reading(), this.place(space, va), this.position);
  }

  /** Every access to the byte behind `va` of `space` here, over its life in the whole run. */
  history(space: number, va: number): Touch[] {
    return history(this.store, this.reading(), this.place(space, va), this.position);
  }

  /** How provenance reads records: their accesses and frame effects, and the MMU's page size. */
  private reading(): TrailReading {
    const reader = this.memoryReader();
    return { accessOf: this.accessOf, framesOf: this.framesOf, pageSize: reader?.pageSize ?? 1 };
  }

  private memoryReader(): MemoryReader | undefined {
    return this.projector.getAll<MemoryReader>(MemoryReader)[0];
  }

  /** Byte `va` of `space` here, with its host physical address if a frame backs it. */
  private place(space: number, va: number): Place {
    const pa = this.memoryReader()?.physicalAddress(space, va);
    return { space, va, length: 1, ...(pa === undefined ? {} : { pa }) };
  }

  private arm(stops: Stop | readonly Stop[], direction: Direction): Breakpoint[] {
    const list: readonly Stop[] = Array.isArray(stops) ? stops : [stops as Stop];
    const reader = this.memoryReader();
    const locate = (space: number, va: number) => reader?.physicalAddress(space, va);
    return list.map((stop) =>
      stop instanceof Watchpoint ? stop.arm(this.reading(), locate, direction) : stop,
    );
  }

  /** What changed between two points (the timeline comes back to where it was). */
  diff(from: number, to: number): RunDiff {
    const back = this.position;
    const [a, b] = [Math.min(from, to), Math.max(from, to)];
    this.seek(a);
    const before = this.projectionDigests();
    this.seek(b);
    const after = this.projectionDigests();
    this.seek(back);
    const projections = Object.keys(after).filter((name) => before[name] !== after[name]);
    return { from: a, to: b, projections, ...summarizeChanges(this.store, this.accessOf, a, b) };
  }

  /** The record at `seq`, if the run has it. */
  record(seq: number): LogRecord | undefined {
    return recordAt(this.store, seq);
  }

  /** The current record and the records that caused it, back to a command from outside. */
  where(): LogRecord[] {
    const chain: LogRecord[] = [];
    for (let record = this.record(this.position); record; record = this.record(record.cause)) {
      chain.push(record);
      if (record.cause === 0) break;
    }
    return chain;
  }

  /** The state digest at the current position. */
  digest(): string {
    return this.projector.digest();
  }

  projectionDigests(): Record<string, string> {
    return this.projector.projectionDigests();
  }

  /** The plugin set's event declarations: what a record means (its marks, accesses, fields). */
  get eventTypes(): EventTypeRegistry {
    return this.projector.eventTypes;
  }

  /** A plugin's query (or any service) reading the state at the current position. */
  get<T>(token: ServiceIdentifier<T>): T {
    return this.projector.get(token);
  }

  /** Every service bound to a token, such as every plugin's query. */
  getAll<T>(token: ServiceIdentifier<T>): T[] {
    return this.projector.getAll(token);
  }

  /** How many snapshots the timeline holds. */
  get snapshotCount(): number {
    return this.snapshots.length;
  }

  private apply(record: LogRecord): void {
    if (record.kind === 'event') this.projector.apply(record);
    this.position = record.seq;
    if (this.position >= this.nextSnapshot) {
      // Passing a snapshot we have: a seek past here starts from it, so the fold cost restarts.
      this.standAfter(this.nearestSnapshot(this.position));
      this.foldStart = performance.now();
      this.sinceCheck = 0;
      return;
    }
    // A snapshot just short of one we have would shorten few seeks, and hold its memory: after a
    // thinning, seeks took one beside nearly every snapshot they passed.
    const since = this.position - this.lastSnapshot;
    const nextIsNear = this.nextSnapshot - this.position <= since / 2;
    if (this.every !== undefined) {
      // `every` records past the last snapshot, not at multiples of `every`, which thinning by
      // other than a half leaves out of step with the snapshots.
      if (since >= this.every && !nextIsNear) this.takeSnapshot();
    } else if (++this.sinceCheck >= CHECK_EVERY) {
      // Reading the clock costs more than applying a small event: look every few hundred.
      this.sinceCheck = 0;
      if (performance.now() - this.foldStart >= this.budgetMs && !nextIsNear) this.takeSnapshot();
    }
  }

  private takeSnapshot(): void {
    const entry = { seq: this.position, snapshot: this.projector.snapshot(), kept: false };
    this.snapshots.splice(this.nearestSnapshot(this.position) + 1, 0, entry);
    this.lastSnapshot = this.position;
    const made = this.projector.allocatedBytes();
    this.heldAtMost += made - this.madeAtMark;
    this.madeAtMark = made;
    this.foldStart = performance.now();
    if (this.snapshots.length > this.maxSnapshots) this.thin();
    this.keepToMemoryBudget();
  }

  /**
   * Thins the snapshots when what they hold could pass the memory budget. Measuring walks all
   * they hold, so it waits until the most they can hold passes the budget; thinning then goes to
   * 7/8 of it, so the next measure is some way off.
   */
  private keepToMemoryBudget(): void {
    if (this.heldAtMost <= this.memoryBudget) return;
    // Shedding first: it costs restores some replay, where thinning costs seeks a longer fold.
    // After a thinning, projections shed again: they may let go of what only dropped ones held.
    const target = (this.memoryBudget * 7) / 8;
    for (let held = this.measure(); held > target; held = this.measure()) {
      if (this.shed()) continue;
      // As many as the overshoot asks (snapshots hold about alike), not half: the room is used.
      if (!this.thin(1 - target / held)) break;
    }
  }

  /**
   * Drops a `fraction` of the snapshots taken (at least one; never the first), keeping the rest
   * evenly spread by their order (every other one, for a half), and spaces new ones as much
   * farther. Kept ones stay listed but let go of what they loaded (the file has it). False when
   * nothing went.
   */
  private thin(fraction = 1 / 2): boolean {
    const before = this.snapshots.length;
    const taken = this.snapshots.flatMap((e, i) => (!e.kept && i > 0 ? [i] : []));
    const dropped = Math.min(taken.length, Math.max(1, Math.ceil(taken.length * fraction)));
    const keep = taken.length - dropped;
    // The k-th taken stays when k * keep / taken passes a whole number: `keep` of them, evenly.
    const gone = new Set(
      taken.filter(
        (_, k) =>
          Math.floor(((k + 1) * keep) / taken.length) === Math.floor((k * keep) / taken.length),
      ),
    );
    this.snapshots = this.snapshots.filter((_, i) => !gone.has(i));
    let released = false;
    for (const e of this.snapshots)
      if (e.kept && e.snapshot) {
        e.snapshot = undefined;
        released = true;
      }
    // Over the snapshots taken (the first and kept ones stay): dropping every other one spaces
    // them exactly twice as far.
    const spread = taken.length / Math.max(1, keep);
    this.budgetMs *= spread;
    if (this.every !== undefined) this.every = Math.ceil(this.every * spread);
    this.standAfter(this.nearestSnapshot(this.position));
    return released || this.snapshots.length < before;
  }

  /** The position is at or past snapshot `at`, and short of the next. */
  private standAfter(at: number): void {
    this.lastSnapshot = this.snapshots[at]!.seq;
    this.nextSnapshot = this.snapshots[at + 1]?.seq ?? Infinity;
  }

  private shed(): boolean {
    return this.projector.shed(this.heldSnapshots());
  }

  private heldSnapshots(): ProjectorSnapshot[] {
    return this.snapshots.flatMap((e) => (e.snapshot ? [e.snapshot] : []));
  }

  /** Measures what the snapshots in memory hold together, in bytes. */
  private measure(): number {
    return (this.heldAtMost = this.projector.snapshotBytes(this.heldSnapshots()));
  }

  /** The memory the snapshots hold, in bytes (an estimate; see `memoryBudget`). */
  snapshotBytes(): number {
    return this.measure();
  }

  private restore(entry: Entry): void {
    // Before: what restoring makes (frames an incremental snapshot's patches are replayed into)
    // is live state the next snapshot may hold.
    const made = this.projector.allocatedBytes();
    this.restoreState(entry);
    this.madeAtMark = made;
  }

  private restoreState(entry: Entry): void {
    if (entry.snapshot) return this.projector.restore(entry.snapshot);
    const { snapshot, digest } = this.kept!.load(entry.seq, this.projector);
    this.projector.restore(snapshot);
    // What it loaded is held from now on: no bound on it but measuring.
    this.heldAtMost = Infinity;
    if (this.projector.digest() !== digest)
      throw new Error(
        `The snapshot kept at seq ${entry.seq} does not give the state recorded with it: rebuild the index (chronovisor index)`,
      );
    entry.snapshot = snapshot;
  }

  /** The index of the last snapshot at or before `seq` (they are in order, so binary search works). */
  private nearestSnapshot(seq: number): number {
    let lo = 0;
    let hi = this.snapshots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.snapshots[mid]!.seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The indexes of the tests that match: every test sees every record (watchpoints keep state). */
function fired(tests: readonly Breakpoint[], record: LogRecord): number[] {
  const by: number[] = [];
  for (let i = 0; i < tests.length; i++) if (tests[i]!(record)) by.push(i);
  return by;
}
