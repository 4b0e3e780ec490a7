import {
  MemoryStore,
  Projector,
  Simulation,
  Xoshiro128StarStar,
  type LogRecord,
} from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import fc from 'fast-check';
import { matching, type Breakpoint } from './breakpoint';
import { Timeline, type TimelineOptions } from './timeline';
import * as mmu from '@chronovisor/mmu';

const plugins = () => [mmuPlugin({ frames: 256 })];

/** A recorded run of random MMU work: maps, unmaps, writes and reads over two spaces. */
function recordRun(seed: number): MemoryStore {
  const store = new MemoryStore();
  const sim = new Simulation({ plugins: plugins(), seed, store });
  const rng = new Xoshiro128StarStar(seed);
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 256 });
  const spaces = [1, 2].map(
    () => sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!,
  );
  for (const space of spaces) sim.dispatch(mmu.map, { space, va: 0, pages: 16 });
  for (let i = 0; i < 1500; i++) {
    const space = spaces[rng.nextInt(0, 1)]!;
    const page = rng.nextInt(0, 15);
    const va = page * 4096 + rng.nextInt(0, 511) * 8;
    const roll = rng.nextInt(0, 19);
    if (roll === 0) sim.dispatch(mmu.map, { space, va: page * 4096, pages: 1 });
    else if (roll === 1) sim.dispatch(mmu.unmap, { space, va: page * 4096, pages: 1 });
    else if (roll < 10)
      sim.dispatch(mmu.write, { space, va, data: Uint8Array.of(i & 255, i >> 8) });
    else sim.dispatch(mmu.read, { space, va, length: 2 });
  }
  sim.close();
  return store;
}

const store = recordRun(5);
const records = [...store.read(1)];
/** The digest after every seq, by brute force: one projector folding the whole run. */
const digests: string[] = (() => {
  const projector = new Projector(plugins(), 5);
  const out = [projector.digest()];
  for (const record of records) {
    if (record.kind === 'event') projector.apply(record);
    out.push(projector.digest());
  }
  return out;
})();

/** A timeline over the run that has passed over it once, taking its snapshots. */
function passedOnce(options: TimelineOptions): Timeline {
  const timeline = new Timeline(store, plugins(), { seed: 5, ...options });
  timeline.seek(records.length);
  return timeline;
}

/** Seeks to `count` random points, each landing on the recorded state; `then` checks more. */
function seeksExactly(timeline: Timeline, seed: number, count: number, then = () => {}): void {
  const rng = new Xoshiro128StarStar(seed);
  for (let i = 0; i < count; i++) {
    const at = timeline.seek(rng.nextInt(0, records.length));
    expect(timeline.digest()).toBe(digests[at]);
    then();
  }
}

describe('Timeline', () => {
  it('seeks to the exact recorded state from anywhere, in any order, with any snapshot spacing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.array(
          fc.oneof(fc.integer({ min: -50, max: records.length + 50 }), fc.constant(records.length)),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (every, targets) => {
          const timeline = new Timeline(store, plugins(), { seed: 5, snapshotEvery: every });
          for (const target of targets) {
            const at = timeline.seek(target);
            expect(at).toBe(Math.max(0, Math.min(records.length, target)));
            expect(timeline.digest()).toBe(digests[at]);
          }
          timeline.step(-3);
          expect(timeline.digest()).toBe(digests[timeline.seq]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('adapts the interval to replay cost and keeps to its snapshot budget, seeking exactly all the same', () => {
    for (const options of [
      { foldBudgetMs: 0 },
      { foldBudgetMs: 0, maxSnapshots: 3 },
      { snapshotEvery: 10, maxSnapshots: 4 },
    ]) {
      const timeline = passedOnce(options);
      expect(timeline.snapshotCount).toBeGreaterThan(1);
      expect(timeline.snapshotCount).toBeLessThanOrEqual(options.maxSnapshots ?? 2048);
      seeksExactly(timeline, options.maxSnapshots ?? 1, 50);
    }
  });

  it('spaces new snapshots as thinning left them: seeks take none beside one it holds', () => {
    // 21 snapshots a hundred records apart pass the 20 allowed: every other goes, and the rest
    // of the run is taken two hundred apart. A seek then folds less than that from a snapshot.
    const timeline = passedOnce({ snapshotEvery: 100, maxSnapshots: 20 });
    const held = timeline.snapshotCount;
    expect(held).toBeLessThan(20);
    seeksExactly(timeline, 3, 100);
    // Taking one beside nearly every snapshot a seek passed cost the bench's p99 five times over.
    expect(timeline.snapshotCount).toBe(held);
  });

  it('keeps the memory its snapshots hold under a budget in bytes, seeking exactly all the same', () => {
    const budget = 512 * 1024; // a few copies of the run's 32 pages
    const unbounded = passedOnce({ snapshotEvery: 8 });
    expect(unbounded.snapshotBytes()).toBeGreaterThan(3 * budget); // so the budget has work to do
    const timeline = passedOnce({ snapshotEvery: 8, memoryBudget: budget });
    expect(timeline.snapshotBytes()).toBeLessThanOrEqual(budget);
    expect(timeline.snapshotCount).toBeGreaterThan(2);
    expect(timeline.snapshotCount).toBeLessThan(unbounded.snapshotCount);
    seeksExactly(timeline, 9, 50, () =>
      expect(timeline.snapshotBytes()).toBeLessThanOrEqual(budget),
    );
    expect(() => new Timeline(store, plugins(), { memoryBudget: -1 })).toThrow(/memory budget/);
  });

  it('drops as many snapshots as a budget passed by a little asks, not half of them, using its room', () => {
    const budget = Math.floor(passedOnce({ snapshotEvery: 8 }).snapshotBytes() * 0.8);
    const timeline = passedOnce({ snapshotEvery: 8, memoryBudget: budget });
    expect(timeline.snapshotBytes()).toBeLessThanOrEqual(budget);
    // The room the budget gives is used: halving the snapshots left 83% of it held here.
    expect(timeline.snapshotBytes()).toBeGreaterThan(budget * 0.85);
    seeksExactly(timeline, 3, 30);
  });

  it('agrees with the recorded digests', () => {
    const timeline = new Timeline(store, plugins(), { seed: 5, snapshotEvery: 100 });
    for (const { seq, digest } of store.digests()) {
      timeline.seek(seq);
      expect(timeline.digest()).toBe(digest);
    }
  });

  it('continues and reverse-continues to the same stops as a brute-force scan', () => {
    const accessOf = new Timeline(store, plugins()).accessOf;
    // Tests of records alone (watchpoints, which follow bytes, have their own tests).
    const touching =
      (space: number, va: number, length: number, kind?: 'write'): Breakpoint =>
      (record) => {
        const a = accessOf(record);
        return (
          a !== undefined &&
          a.space === space &&
          (kind === undefined || a.kind === kind) &&
          a.va < va + length &&
          va < a.va + a.length
        );
      };
    const write = touching(1, 3 * 4096, 4096, 'write');
    const anyAccess = touching(2, 0, 16 * 4096);
    const unmaps = matching({ type: 'mmu.pages.unmapped' });
    const stops = (bp: Breakpoint) => records.filter(bp).map((r) => r.seq);
    for (const bp of [write, anyAccess, unmaps]) {
      const expected = stops(bp);
      expect(expected.length).toBeGreaterThan(2);
      const timeline = new Timeline(store, plugins(), { seed: 5, snapshotEvery: 250 });
      const forward: number[] = [];
      for (let r = timeline.continue(bp); r; r = timeline.continue(bp)) {
        expect(r.by).toEqual([0]);
        forward.push(r.record.seq);
        expect(timeline.digest()).toBe(digests[r.record.seq]);
      }
      expect(forward).toEqual(expected);
      expect(timeline.seq).toBe(records.length);
      const backward: number[] = [];
      for (let r = timeline.reverseContinue(bp); r; r = timeline.reverseContinue(bp)) {
        backward.push(r.record.seq);
        expect(timeline.digest()).toBe(digests[r.record.seq]);
      }
      expect(backward).toEqual([...expected].reverse());
      expect(timeline.seq).toBe(0);
    }
  });

  it('reads memory at any point, and says which command caused the current record', () => {
    const timeline = new Timeline(store, plugins(), { seed: 5 });
    const written = records.find(
      (r): r is Extract<LogRecord, { kind: 'event' }> =>
        r.kind === 'event' && r.type === 'mmu.memory.written',
    )!;
    const { space, va, data } = written.data as { space: number; va: number; data: Uint8Array };
    timeline.seek(written.seq);
    expect([...timeline.get(MmuQuery).read(space, va, 2)!]).toEqual([...data]);
    const chain = timeline.where();
    expect(chain.map((r) => r.seq)).toEqual([written.seq, written.cause]);
    expect(chain.at(-1)).toMatchObject({ kind: 'command', type: 'mmu.write', cause: 0 });
  });
});
