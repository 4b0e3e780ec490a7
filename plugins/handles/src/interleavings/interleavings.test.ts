import { buildCounterexample } from './counterexample';
import { searchExhaustive } from './explore';
import { exploreInterleavings, formatCounterexample } from './index';
import type { InterleavingOptions } from './index';
import { NO_VIOLATION, OWN_STEPS, PC } from './model';
import type { Model, StepTrace } from './model';
import { SharedMemory } from './shared-memory';

/**
 * Independent counts of the schedules, from the threads' step counts alone. The grower runs
 * `grower` stores and publishes the grown table at its `publishAt`-th; a resolver takes `short`
 * steps if it reads the table code before that and `long` (one more level to walk) after; the
 * other threads take fixed numbers of steps. Counts the interleavings by dynamic programming.
 */
function countSchedules(
  grower: number,
  publishAt: number,
  resolvers: number,
  short: number,
  long: number,
  fixed: readonly number[] = [],
): number {
  const memo = new Map<string, number>();
  const count = (
    g: number,
    taken: readonly number[],
    lengths: readonly number[],
    rest: readonly number[],
  ): number => {
    const key = `${g}|${taken.join()}|${lengths.join()}|${rest.join()}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let total = 0;
    let any = false;
    if (g < grower) {
      any = true;
      total += count(g + 1, taken, lengths, rest);
    }
    for (let r = 0; r < resolvers; r++) {
      const length = lengths[r] === 0 ? (g >= publishAt ? long : short) : lengths[r]!;
      if (taken[r]! >= length) continue;
      any = true;
      const t = [...taken];
      const l = [...lengths];
      t[r] = t[r]! + 1;
      l[r] = length;
      total += count(g, t, l, rest);
    }
    rest.forEach((left, i) => {
      if (left === 0) return;
      any = true;
      total += count(
        g,
        taken,
        lengths,
        rest.map((x, j) => (j === i ? x - 1 : x)),
      );
    });
    const result = any ? total : 1;
    memo.set(key, result);
    return result;
  };
  const zeros = Array<number>(resolvers).fill(0);
  return count(0, zeros, zeros, fixed);
}

/** (Σn)! / Π(n!): the interleavings of threads whose step counts never vary. */
function multinomial(counts: readonly number[]): number {
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  return counts.reduce((acc, n) => acc / factorial(n), factorial(counts.reduce((a, b) => a + b)));
}

describe('the atomic handle table', () => {
  it('passes every interleaving of growth from 1 to 2 levels under 2 resolvers', () => {
    const report = exploreInterleavings({ variant: 'atomic' });
    expect(report.threads).toEqual(['resolver 1', 'resolver 2', 'grower']);
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(true);
    // Grower: link the old top, link the new leaf, publish, create; resolvers: code and entry,
    // plus the mid table once the code has 2 levels.
    expect(report.interleavings).toBe(countSchedules(4, 3, 2, 2, 3));
    expect(report.steps).toBeGreaterThan(report.interleavings);
  });

  it('passes every interleaving of growth from 2 to 3 levels', () => {
    const report = exploreInterleavings({ variant: 'atomic', initialHandles: 3 });
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(true);
    // Grower: link the leaf into a new mid, the old top and the mid into a new top, publish, create.
    expect(report.interleavings).toBe(countSchedules(5, 4, 2, 3, 4));
  });

  it('passes every interleaving of close and slot reuse (the ABA scenario)', () => {
    const report = exploreInterleavings({ variant: 'atomic', churn: true });
    expect(report.threads).toEqual(['resolver 1', 'resolver 2', 'grower', 'churn']);
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(true);
    expect(report.interleavings).toBe(countSchedules(4, 3, 2, 2, 3, [2]));
  });

  it('enumerates every interleaving exactly once: the multinomial of the step counts', () => {
    // No growth (the create fills the one leaf), so no thread's step count varies: resolvers 2
    // resolves × (code, entry), grower 1 store, churn 2 stores.
    const report = exploreInterleavings({
      variant: 'atomic',
      leafEntries: 4,
      initialHandles: 2,
      creates: 1,
      resolves: 2,
      churn: true,
    });
    expect(report.complete).toBe(true);
    expect(report.violation).toBeUndefined();
    expect(report.interleavings).toBe(multinomial([4, 4, 1, 2]));
  });

  it('passes seeded random schedules of 4 resolvers while the table grows to 3 levels', () => {
    const options: InterleavingOptions = {
      variant: 'atomic',
      resolvers: 4,
      initialHandles: 1,
      creates: 3,
      churn: true,
      mode: 'random',
      schedules: 3_000,
    };
    const report = exploreInterleavings(options);
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(false); // random schedules prove nothing complete
    expect(report.interleavings).toBe(3_000);
    // Every schedule runs every thread to its end: at least 2 steps per resolver, 10 grower
    // stores (1→2 levels: 4, a create: 1, 2→3 levels: 5) and 2 churn stores.
    expect(report.steps).toBeGreaterThanOrEqual(3_000 * (4 * 2 + 10 + 2));
    expect(report.preemptionBound).toBeGreaterThan(2);
  });

  it('stops at the preemption bound or interleaving cap it is given, incomplete', () => {
    const full = exploreInterleavings({ variant: 'atomic', churn: true });
    const bounded = exploreInterleavings({ variant: 'atomic', churn: true, maxPreemptions: 1 });
    expect(bounded).toMatchObject({ complete: false, preemptionBound: 1 });
    expect(bounded.violation).toBeUndefined();
    expect(bounded.interleavings).toBeLessThan(full.interleavings);
    const capped = exploreInterleavings({ variant: 'atomic', churn: true, maxInterleavings: 100 });
    expect(capped).toMatchObject({ complete: false, interleavings: 100 });
    expect(capped.preemptionBound).toBeLessThan(full.preemptionBound);
  });
});

describe('the split table code', () => {
  const report = exploreInterleavings({ variant: 'split-code' });
  const c = report.violation!;

  it('is caught as a torn table code with the fewest preemptions: 1', () => {
    expect(c.kind).toBe('torn-table-code');
    expect(c.thread).toBe('resolver 1');
    // Not 0: with no preemption every thread, once it starts, runs to its end, so the grower's
    // two stores are never between a resolver's two loads. Bound 0 is explored in full first.
    expect(c.preemptions).toBe(1);
    expect(report.preemptionBound).toBe(1);
    expect(report.complete).toBe(false);
    const boundZero = exploreInterleavings({ variant: 'split-code', maxPreemptions: 0 });
    expect(boundZero.violation).toBeUndefined();
  });

  it('prints the minimal schedule: the pointer store, the preemption, the torn read', () => {
    expect(formatCounterexample(c)).toMatchInlineSnapshot(`
      "torn-table-code in resolver 1, after 5 steps with 1 preemption:
      1. grower      write mid 0x3000[0] ← 0x1000 (the old top)
      2. grower      write mid 0x3000[1] ← 0x2000
      3. grower      store table pointer ← 0x3000 (1st of 2 stores publishing top 0x3000 with 2 levels)
      4. resolver 1  read table pointer → 0x3000   [preempts grower]
      5. resolver 1  read table levels → 1: torn, top 0x3000 with 1 level was never published
      violation: resolver 1 read top 0x3000 with 1 level for handle 0x9, a pair never published together; expected one of 0x1000 with 1 level, 0x3000 with 2 levels; the grower has stored the pointer 0x3000 but not yet its levels 2; carried on alone, resolver 1 rejected handle 0x9, where it should have returned object 1"
    `);
  });

  it('has a schedule whose structure shows the two halves and the tear', () => {
    const steps = c.schedule.map((s) => `${s.thread}: ${s.step}`);
    const pointerStore = steps.findIndex((s) => /^grower: store table pointer ← 0x3000/.test(s));
    const pointerLoad = steps.findIndex((s) => /^resolver 1: read table pointer → 0x3000/.test(s));
    expect(pointerStore).toBeGreaterThanOrEqual(0);
    expect(pointerLoad).toBeGreaterThan(pointerStore);
    // The torn read ends the schedule: the old level count with the new pointer.
    expect(steps.at(-1)).toMatch(/^resolver 1: read table levels → 1: torn/);
    // The levels store, the other half, had not happened: the message names it.
    expect(steps.some((s) => s.includes('store table levels'))).toBe(false);
    expect(c.message).toContain('not yet its levels 2');
    // And the torn code leads to a wrong result.
    expect(c.message).toMatch(/rejected handle 0x9, where it should have returned object 1/);
    expect(c.schedule.filter((s) => s.preemption).length).toBe(c.preemptions);
    const lines = formatCounterexample(c).split('\n');
    expect(lines).toHaveLength(c.schedule.length + 2);
    expect(lines.filter((l) => l.includes('[preempts '))).toHaveLength(c.preemptions);
  });

  it('is harmless while the table does not grow', () => {
    const report = exploreInterleavings({ variant: 'split-code', creates: 0, churn: true });
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(true);
  });
});

describe('the split entry', () => {
  it('resolves a closed handle to the object that reused its slot (ABA) under churn', () => {
    const report = exploreInterleavings({ variant: 'split-entry', churn: true });
    const c = report.violation!;
    expect(c.kind).toBe('closed-handle-resolved');
    expect(c.preemptions).toBe(1);
    const churn = c.schedule.filter((s) => s.thread === 'churn').map((s) => s.step);
    expect(churn).toEqual([
      expect.stringMatching(/^close handle 0x9/),
      expect.stringMatching(/^create handle 0x11 .*\.id ← 2$/),
      expect.stringMatching(/^create handle 0x11 .*\.object ← \d+$/),
    ]);
    // The identifier was read before the churn ran, the object after it.
    const at = (pattern: RegExp) => c.schedule.findIndex((s) => pattern.test(s.step));
    const churnSteps = c.schedule.flatMap((s, i) => (s.thread === 'churn' ? [i] : []));
    expect(c.schedule[at(/\.id → 1: matches handle 0x9/)]!.thread).toBe(c.thread);
    expect(at(/\.id → 1: matches handle 0x9/)).toBeLessThan(churnSteps[0]!);
    expect(at(/\.object → \d+: handle 0x9 → object/)).toBe(c.schedule.length - 1);
    expect(c.schedule.at(-1)!.thread).toBe(c.thread);
    expect(c.message).toMatch(/handle 0x9 to object \d+, the object of handle 0x11/);
  });

  it('passes every interleaving without churn', () => {
    const report = exploreInterleavings({ variant: 'split-entry' });
    expect(report.violation).toBeUndefined();
    expect(report.complete).toBe(true);
  });
});

describe('determinism', () => {
  it('gives the same report for the same options', () => {
    for (const options of [
      { variant: 'split-entry', churn: true },
      { variant: 'atomic', initialHandles: 3 },
      { variant: 'split-code', mode: 'random', seed: 7, schedules: 500 },
    ] as const) {
      expect(exploreInterleavings(options)).toEqual(exploreInterleavings(options));
    }
  });

  it('explores different schedules for different seeds, with the same verdict', () => {
    const run = (seed: number) =>
      exploreInterleavings({
        variant: 'atomic',
        churn: true,
        mode: 'random',
        seed,
        schedules: 500,
      });
    const [a, b] = [run(1), run(2)];
    expect(a.scheduleDigest).not.toBe(b.scheduleDigest);
    expect(a.violation).toBeUndefined();
    expect(b.violation).toBeUndefined();
  });

  it('catches the split code in random mode too', () => {
    const report = exploreInterleavings({ variant: 'split-code', mode: 'random', seed: 3 });
    expect(report.violation?.kind).toBe('torn-table-code');
    expect(report.violation!.preemptions).toBeGreaterThanOrEqual(1);
  });
});

describe('never blocks', () => {
  /**
   * A resolver guarded by a spin lock (or one that waits for it): the check that the atomic
   * variant passes must be able to fail.
   */
  class LockedResolver implements Model {
    readonly threads = ['resolver', 'locker'];
    readonly memory = new SharedMemory(2);
    readonly stride = 2;
    readonly registers = new Int32Array(4);
    readonly stepBound = Int32Array.of(4, 3);
    readonly waitFree = [true, false];
    constructor(private readonly waits: boolean) {}
    reset(): void {
      this.memory.words.fill(0);
      this.registers.fill(0);
    }
    done(t: number): boolean {
      return this.registers[t * 2 + PC] === (t === 0 ? 2 : 3);
    }
    enabled(t: number): boolean {
      if (this.done(t)) return false;
      return !(this.waits && t === 0 && this.memory.load(0x1000) !== 0);
    }
    step(t: number, _time: number, trace?: StepTrace): number {
      const r = this.registers;
      const pc = r[t * 2 + PC]!;
      r[t * 2 + OWN_STEPS] = r[t * 2 + OWN_STEPS]! + 1;
      if (t === 1) {
        this.memory.store(0x1000 + (pc === 1 ? 1 : 0), [1, 5, 0][pc]!);
        if (trace) trace.label = ['lock', 'write data', 'unlock'][pc]!;
      } else if (pc === 0) {
        if (this.memory.load(0x1000) === 0) r[PC] = 1;
        if (trace) trace.label = 'read lock';
      } else {
        this.memory.load(0x1001);
        r[PC] = 2;
        if (trace) trace.label = 'read data';
      }
      r[t * 2 + PC] = t === 1 ? pc + 1 : r[PC]!;
      return NO_VIOLATION;
    }
  }

  it.each([
    ['spins', false, /taken its bound of 4 steps/],
    ['waits', true, /waits on another thread after 0 of its own steps/],
  ])('catches a resolver that %s on a lock', (_how, waits, message) => {
    const model = new LockedResolver(waits);
    const found = searchExhaustive(model, Infinity, 1_000);
    expect(found.finding).toBeDefined();
    const c = buildCounterexample(model, found.finding!);
    expect(c).toMatchObject({ kind: 'blocked', thread: 'resolver', message });
    expect(c.schedule[0]).toEqual({ thread: 'locker', step: 'lock' });
  });
});

describe('options', () => {
  it.each([
    ['variant', { variant: 'lock-free' }],
    ['leafEntries', { leafEntries: 1 }],
    ['pointersPerTable', { pointersPerTable: 9 }],
    ['initialHandles', { initialHandles: 0 }],
    ['initialHandles', { initialHandles: 8 }],
    ['resolvers', { resolvers: 0 }],
    ['resolves', { resolves: 1.5 }],
    ['creates', { initialHandles: 5, creates: 3 }],
    ['churn', { churn: 'yes' }],
    ['mode', { mode: 'bfs' }],
    ['seed', { seed: 0.5 }],
    ['schedules', { schedules: 0 }],
    ['maxPreemptions', { maxPreemptions: -1 }],
    ['maxInterleavings', { maxInterleavings: 0 }],
  ])('rejects a bad %s', (name, bad) => {
    const options = { variant: 'atomic', ...bad } as unknown as InterleavingOptions;
    expect(() => exploreInterleavings(options)).toThrow(RangeError);
    expect(() => exploreInterleavings(options)).toThrow(new RegExp(`^${name} must`));
  });
});
