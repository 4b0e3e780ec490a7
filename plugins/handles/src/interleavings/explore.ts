import { Xoshiro128StarStar } from '@chronovisor/core';
import { BLOCKED, NO_VIOLATION, OWN_STEPS } from './model';
import type { Model } from './model';

/** A violating schedule as the search found it: threads by number, one per step. */
export interface Finding {
  readonly kind: number;
  readonly thread: number;
  readonly path: readonly number[];
  readonly preemptions: number;
  /** Blocked: the thread could not take a step, rather than running out of its bound. */
  readonly waited?: boolean;
}

export interface SearchResult {
  readonly interleavings: number;
  readonly steps: number;
  readonly preemptionBound: number;
  readonly complete: boolean;
  readonly digest: number;
  readonly finding?: Finding;
}

/** Whether `t` may take a step: enabled, and within its bound (so that every search is finite). */
export function canStep(model: Model, t: number): boolean {
  return model.enabled(t) && model.registers[t * model.stride + OWN_STEPS]! < model.stepBound[t]!;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * What both searches share: stepping with an undo record (a step changes one thread's registers
 * and at most one word, so undoing it restores those, with no copy of the state), the schedule
 * so far and its running hash, and the never-blocks check.
 */
abstract class Search {
  protected readonly n: number;
  protected readonly stride: number;
  protected readonly regs: Int32Array;
  protected readonly path: Int8Array;
  private readonly hashes: Int32Array;
  private readonly undoRegs: Int32Array;
  private readonly undoSlot: Int32Array;
  private readonly undoOld: Int32Array;
  private readonly soloRegs: Int32Array;
  private readonly soloSlot: Int32Array;
  private readonly soloOld: Int32Array;
  protected steps = 0;
  protected interleavings = 0;
  protected digest = FNV_OFFSET;

  constructor(protected readonly model: Model) {
    this.n = model.threads.length;
    this.stride = model.stride;
    this.regs = model.registers;
    const longest = model.stepBound.reduce((sum, b) => sum + b, 0) + 1;
    this.path = new Int8Array(longest);
    this.hashes = new Int32Array(longest + 1);
    this.hashes[0] = FNV_OFFSET;
    this.undoRegs = new Int32Array(longest * this.stride);
    this.undoSlot = new Int32Array(longest);
    this.undoOld = new Int32Array(longest);
    const soloLongest = Math.max(...model.stepBound) + 1;
    this.soloRegs = new Int32Array(this.stride);
    this.soloSlot = new Int32Array(soloLongest);
    this.soloOld = new Int32Array(soloLongest);
  }

  /** Runs `t`'s next step as step `depth` of the schedule; returns the violation code. */
  protected apply(depth: number, t: number): number {
    const { regs, stride, undoRegs } = this;
    const from = t * stride;
    const to = depth * stride;
    for (let i = 0; i < stride; i++) undoRegs[to + i] = regs[from + i]!;
    const memory = this.model.memory;
    memory.lastSlot = -1;
    const code = this.model.step(t, depth);
    this.undoSlot[depth] = memory.lastSlot;
    this.undoOld[depth] = memory.lastOld;
    this.path[depth] = t;
    this.hashes[depth + 1] = Math.imul(this.hashes[depth]! ^ (t + 1), FNV_PRIME);
    this.steps++;
    return code;
  }

  /** Whether step `depth` stored to memory (only then can it change what others will do). */
  protected stored(depth: number): boolean {
    return this.undoSlot[depth]! >= 0;
  }

  protected undo(depth: number): void {
    const { regs, stride, undoRegs } = this;
    const from = this.path[depth]! * stride;
    const to = depth * stride;
    for (let i = 0; i < stride; i++) regs[from + i] = undoRegs[to + i]!;
    const slot = this.undoSlot[depth]!;
    if (slot >= 0) this.model.memory.words[slot] = this.undoOld[depth]!;
  }

  /** A complete schedule of `length` steps: counted, and folded into the digest. */
  protected completed(length: number): void {
    this.interleavings++;
    this.digest = Math.imul(this.digest ^ this.hashes[length]!, FNV_PRIME) ^ length;
  }

  protected finding(kind: number, thread: number, length: number, preemptions: number): Finding {
    return { kind, thread, path: Array.from(this.path.subarray(0, length)), preemptions };
  }

  /**
   * The never-blocks check, from the state after `depth` steps: every unfinished wait-free thread,
   * run alone while the others never run again, must finish within its step bound. Resolvers
   * only load, so their solo runs from a state differ from those from its predecessor only if
   * that predecessor's step stored; the searches call this after stores (and at the start).
   */
  protected soloBlocked(depth: number, current: number, preemptions: number): Finding | undefined {
    const { model, regs, stride } = this;
    const memory = model.memory;
    for (let t = 0; t < this.n; t++) {
      if (!model.waitFree[t] || model.done(t)) continue;
      const from = t * stride;
      for (let i = 0; i < stride; i++) this.soloRegs[i] = regs[from + i]!;
      let k = 0;
      let waited = false;
      while (!model.done(t)) {
        if (!model.enabled(t)) {
          waited = true;
          break;
        }
        if (regs[from + OWN_STEPS]! >= model.stepBound[t]!) break;
        memory.lastSlot = -1;
        model.step(t, depth + k);
        this.soloSlot[k] = memory.lastSlot;
        this.soloOld[k] = memory.lastOld;
        k++;
        this.steps++;
      }
      const finished = model.done(t);
      for (let i = k - 1; i >= 0; i--) {
        const slot = this.soloSlot[i]!;
        if (slot >= 0) memory.words[slot] = this.soloOld[i]!;
      }
      for (let i = 0; i < stride; i++) regs[from + i] = this.soloRegs[i]!;
      if (!finished) {
        const switched = current >= 0 && current !== t && canStep(model, current);
        return {
          kind: BLOCKED,
          thread: t,
          path: [...Array.from(this.path.subarray(0, depth)), ...Array<number>(k).fill(t)],
          preemptions: preemptions + (switched ? 1 : 0),
          waited,
        };
      }
    }
    return undefined;
  }

  protected result(
    preemptionBound: number,
    complete: boolean,
    finding: Finding | undefined,
  ): SearchResult {
    const { interleavings, steps, digest } = this;
    return { interleavings, steps, preemptionBound, complete, digest, ...(finding && { finding }) };
  }
}

/**
 * Every interleaving, CHESS-style: with preemption bound 0 (each thread, once scheduled, runs
 * until it finishes), then 1, then 2, …, so the first bound with a violation gives one with the
 * fewest preemptions. That bound is then searched to its end for a shorter one (only strictly
 * shorter replaces, and the order is fixed, so the report is deterministic). Bound k counts only
 * the schedules with exactly k preemptions, which the bounds before it did not reach, and skips
 * subtrees that cannot reach k, so each schedule is counted once and mostly executed once.
 */
class ExhaustiveSearch extends Search {
  private bound = 0;
  private cutOff = false;
  private capped = false;
  private best: Finding | undefined;
  private bestLength = Infinity;

  constructor(
    model: Model,
    private readonly maxPreemptions: number,
    private readonly maxInterleavings: number,
  ) {
    super(model);
  }

  run(): SearchResult {
    this.model.reset();
    const initially = this.soloBlocked(0, -1, 0);
    if (initially) return this.result(0, false, initially);
    for (let bound = 0; ; bound++) {
      this.bound = bound;
      this.cutOff = false;
      this.model.reset();
      this.dfs(0, -1, 0);
      if (this.best) return this.result(bound, false, this.best);
      if (this.capped) return this.result(bound - 1, false, undefined);
      if (!this.cutOff) return this.result(bound, true, undefined);
      if (bound >= this.maxPreemptions) return this.result(bound, false, undefined);
    }
  }

  private dfs(depth: number, current: number, preemptions: number): void {
    const model = this.model;
    const currentRuns = current >= 0 && canStep(model, current);
    let leaf = true;
    // The running thread first (no preemption), then the others in a fixed order.
    for (let i = currentRuns ? -1 : 0; i < this.n; i++) {
      const t = i < 0 ? current : i;
      if (i >= 0 && (t === current || !canStep(model, t))) continue;
      leaf = false;
      const p = currentRuns && t !== current ? preemptions + 1 : preemptions;
      if (p > this.bound) {
        this.cutOff = true;
        continue;
      }
      if (depth + 1 >= this.bestLength) continue;
      const code = this.apply(depth, t);
      if (code !== NO_VIOLATION) {
        this.consider(this.finding(code, t, depth + 1, p));
      } else {
        const blocked = this.stored(depth) ? this.soloBlocked(depth + 1, t, p) : undefined;
        if (blocked) this.consider(blocked);
        else if (p + this.morePreemptions() >= this.bound) this.dfs(depth + 1, t, p);
      }
      this.undo(depth);
      if (this.capped) return;
    }
    if (leaf && preemptions === this.bound) {
      this.completed(depth);
      if (this.interleavings >= this.maxInterleavings) this.capped = true;
    }
  }

  private consider(finding: Finding): void {
    if (finding.path.length < this.bestLength) {
      this.best = finding;
      this.bestLength = finding.path.length;
    }
  }

  /**
   * At most how many more preemptions the rest of any schedule from here can have: with r steps
   * left per unfinished thread (their bounds: an over-estimate), at most min(Σr, 2(Σr − max r) + 1)
   * runs of one thread, each switch between them a preemption except the switches after a
   * thread's last run, plus one for leaving the running thread.
   */
  private morePreemptions(): number {
    const { model, regs, stride } = this;
    let sum = 0;
    let most = 0;
    let unfinished = 0;
    for (let t = 0; t < this.n; t++) {
      if (model.done(t)) continue;
      const left = model.stepBound[t]! - regs[t * stride + OWN_STEPS]!;
      if (left <= 0) continue;
      sum += left;
      if (left > most) most = left;
      unfinished++;
    }
    if (unfinished === 0) return 0;
    return Math.min(sum, 2 * (sum - most) + 1) - unfinished + 1;
  }
}

/** Seeded random schedules: at every step, a uniformly drawn thread among those that can run. */
class RandomSearch extends Search {
  constructor(
    model: Model,
    private readonly seed: number,
    private readonly schedules: number,
  ) {
    super(model);
  }

  run(): SearchResult {
    const model = this.model;
    const rng = new Xoshiro128StarStar(this.seed);
    const runnable = new Int8Array(this.n);
    model.reset();
    const initially = this.soloBlocked(0, -1, 0);
    if (initially) return this.result(0, false, initially);
    let most = 0;
    for (let s = 0; s < this.schedules; s++) {
      model.reset();
      let current = -1;
      let preemptions = 0;
      let depth = 0;
      for (;;) {
        let count = 0;
        for (let t = 0; t < this.n; t++) if (canStep(model, t)) runnable[count++] = t;
        if (count === 0) break;
        const t = count === 1 ? runnable[0]! : runnable[rng.nextInt(0, count - 1)]!;
        if (current >= 0 && t !== current && canStep(model, current)) preemptions++;
        const code = this.apply(depth, t);
        depth++;
        if (code !== NO_VIOLATION) {
          return this.result(most, false, this.finding(code, t, depth, preemptions));
        }
        if (this.stored(depth - 1)) {
          const blocked = this.soloBlocked(depth, t, preemptions);
          if (blocked) return this.result(most, false, blocked);
        }
        current = t;
      }
      this.completed(depth);
      if (preemptions > most) most = preemptions;
    }
    return this.result(most, false, undefined);
  }
}

/** Every interleaving, preemption bound by bound (see {@link ExhaustiveSearch}). */
export function searchExhaustive(
  model: Model,
  maxPreemptions: number,
  maxInterleavings: number,
): SearchResult {
  return new ExhaustiveSearch(model, maxPreemptions, maxInterleavings).run();
}

/** `schedules` seeded random schedules, stopping at the first violation. */
export function searchRandom(model: Model, seed: number, schedules: number): SearchResult {
  return new RandomSearch(model, seed, schedules).run();
}
