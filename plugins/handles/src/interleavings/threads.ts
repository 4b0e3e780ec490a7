import { describeResolve, FAULTED, judgeResolve, REJECTED, RESOLVED } from './linearizability';
import type { HandleFacts } from './linearizability';
import { NO_VIOLATION, OWN_STEPS, PC, TORN_TABLE_CODE } from './model';
import type { Model, StepTrace } from './model';
import type { Scenario } from './options';
import { CODE_ADDRESS, hex, LEVELS_ADDRESS, SharedMemory } from './shared-memory';
import {
  capacity,
  digitOf,
  EFFECT_CLOSE,
  EFFECT_PUBLISH,
  entryIdentifier,
  entryName,
  entryObject,
  handleOf,
  MAX_LEVELS,
  plural,
  ModelTableBuilder,
  toScript,
} from './model-table';
import type { Geometry, Script } from './model-table';

const RESOLVER = 0;
const SCRIPTED = 1;

const STRIDE = 8;
// A resolver's registers, after PC and OWN_STEPS: which of its resolves, the step it began at,
// the table it is at (first the top), the level count it uses, and how deep it has walked.
const OP = 2;
const START = 3;
const TABLE = 4;
const LEVELS = 5;
const DEPTH = 6;
// The churn's register: the step that closed its handle (−1: not yet).
const CLOSED_AT = 2;

// A resolver's program counter.
const READ_CODE = 0;
const READ_POINTER = 1;
const READ_LEVELS = 2;
const WALK = 3;
const READ_ENTRY = 4;
const READ_ENTRY_ID = 5;
const READ_ENTRY_OBJECT = 6;
const RESOLVER_DONE = 7;

/** Walk steps a resolve takes at most: one per level below the top, and the entry read(s). */
function resolveBound(g: Geometry): number {
  return (g.splitCode ? 2 : 1) + (MAX_LEVELS - 1) + (g.splitEntry ? 2 : 1);
}

/**
 * The scenario's threads over one handle table. Resolvers are lock-free step machines: every
 * step is one load and none waits, so their only dependence on the others is which values they
 * read. The grower and the churn are straight-line lists of stores, computed once by
 * {@link ModelTableBuilder}; their stores are all they share, so a program counter is their whole
 * state. Per variant only the table code's and the entries' word layout changes.
 */
export class HandleTableModel implements Model {
  readonly threads: readonly string[];
  readonly memory: SharedMemory;
  readonly registers: Int32Array;
  readonly stride = STRIDE;
  readonly stepBound: Int32Array;
  readonly waitFree: readonly boolean[];

  private readonly g: Geometry;
  private readonly resolves: number;
  private readonly kind: Int8Array;
  private readonly scripts: readonly (Script | undefined)[];
  private readonly initialWords: Int32Array;
  private readonly firstPc: number;
  private readonly entryPc: number;
  private readonly grower: number;
  private readonly churn: number;
  /** Per resolve (thread × resolves + which): the handle's index, identifier and facts. */
  private readonly opIndex: Int32Array;
  private readonly opIdentifier: Int32Array;
  private readonly opFacts: readonly HandleFacts[];
  /** Per resolve, levels and depth: the digit its walk reads (see digitOf). */
  private readonly opDigits: Int32Array;
  private readonly capacityAt: Int32Array;
  /** Every (top, levels) pair that was ever the table's: the setup's, then the grower's. */
  private readonly pairTops: Int32Array;
  private readonly pairLevels: Int32Array;
  /** Per grower program counter: how many of those pairs it has begun to publish. */
  private readonly pairsBegun: Int8Array;

  constructor(s: Scenario) {
    const g: Geometry = {
      leafEntries: s.leafEntries,
      pointersPerTable: s.pointersPerTable,
      splitCode: s.variant === 'split-code',
      splitEntry: s.variant === 'split-entry',
      indexBits: Math.ceil(Math.log2(s.leafEntries * s.pointersPerTable ** 2)),
    };
    this.g = g;
    this.resolves = s.resolves;
    this.firstPc = g.splitCode ? READ_POINTER : READ_CODE;
    this.entryPc = g.splitEntry ? READ_ENTRY_ID : READ_ENTRY;

    // Setup: handles 1..initialHandles with identifier 1 and object = index, as if created one
    // by one by the same algorithm as the grower's.
    const builder = new ModelTableBuilder(g);
    for (let index = 1; index <= s.initialHandles; index++) builder.create(index, 1, index);
    const setup = builder.stores;
    const initialPair: [number, number] = [builder.top, builder.levels];
    const setupPairs = builder.published.length;

    const names: string[] = [];
    const kind: number[] = [];
    const scripts: (Script | undefined)[] = [];
    for (let r = 1; r <= s.resolvers; r++) {
      names.push(`resolver ${r}`);
      kind.push(RESOLVER);
      scripts.push(undefined);
    }
    this.grower = -1;
    let growerScript: Script | undefined;
    if (s.creates > 0) {
      builder.stores = [];
      for (let k = 1; k <= s.creates; k++) {
        builder.create(s.initialHandles + k, 1, s.initialHandles + k);
      }
      growerScript = toScript(builder.stores);
      this.grower = names.length;
      names.push('grower');
      kind.push(SCRIPTED);
      scripts.push(growerScript);
    }
    const growerPairs = builder.published.slice(setupPairs);

    // Resolves, spread from the highest open index down to the lowest so that after growth
    // they walk different leaves.
    const ops = s.resolvers * s.resolves;
    const open = s.initialHandles;
    this.opIndex = new Int32Array(ops);
    this.opIdentifier = new Int32Array(ops).fill(1);
    for (let k = 0; k < ops; k++) {
      const spread = ops === 1 ? 0 : Math.round((k * (open - 1)) / (ops - 1));
      this.opIndex[k] = open - spread;
    }
    const churned = this.opIndex[0]!;
    const reuseObject = s.initialHandles + s.creates + 1;
    const facts: HandleFacts[] = [];
    for (let k = 0; k < ops; k++) {
      const index = this.opIndex[k]!;
      const isChurned = s.churn && index === churned;
      facts.push({
        handle: handleOf(g, 1, index),
        object: index,
        reuseHandle: isChurned ? handleOf(g, 2, index) : 0,
        reuseObject: isChurned ? reuseObject : 0,
      });
    }
    this.opFacts = facts;
    this.churn = -1;
    if (s.churn) {
      builder.stores = [];
      builder.close(churned, 1);
      builder.reuse(churned, 2, reuseObject);
      this.churn = names.length;
      names.push('churn');
      kind.push(SCRIPTED);
      scripts.push(toScript(builder.stores));
    }

    this.opDigits = new Int32Array(ops * MAX_LEVELS * MAX_LEVELS);
    for (let k = 0; k < ops; k++) {
      for (let levels = 1; levels <= MAX_LEVELS; levels++) {
        for (let depth = 0; depth < levels; depth++) {
          this.opDigits[(k * MAX_LEVELS + levels - 1) * MAX_LEVELS + depth] = digitOf(
            g,
            levels,
            depth,
            this.opIndex[k]!,
          );
        }
      }
    }
    this.capacityAt = Int32Array.from({ length: MAX_LEVELS + 2 }, (_, levels) =>
      levels >= 1 && levels <= MAX_LEVELS ? capacity(g, levels) : 0,
    );

    const pairs = [initialPair, ...growerPairs];
    this.pairTops = Int32Array.from(pairs, ([top]) => top);
    this.pairLevels = Int32Array.from(pairs, ([, levels]) => levels);
    const growerLength = growerScript?.effect.length ?? 0;
    this.pairsBegun = new Int8Array(growerLength + 1);
    this.pairsBegun[0] = 1;
    for (let pc = 0; pc < growerLength; pc++) {
      this.pairsBegun[pc + 1] =
        this.pairsBegun[pc]! + (growerScript!.effect[pc] === EFFECT_PUBLISH ? 1 : 0);
    }

    this.threads = names;
    this.kind = Int8Array.from(kind);
    this.scripts = scripts;
    this.stepBound = Int32Array.from(scripts, (script) =>
      script === undefined ? s.resolves * resolveBound(g) : script.effect.length,
    );
    this.waitFree = kind.map((k) => k === RESOLVER);
    this.memory = new SharedMemory(builder.pages);
    this.registers = new Int32Array(names.length * STRIDE);
    for (const store of setup) this.memory.store(store.address, store.value);
    this.initialWords = this.memory.words.slice();
    this.reset();
  }

  reset(): void {
    this.memory.words.set(this.initialWords);
    this.registers.fill(0);
    for (let t = 0; t < this.kind.length; t++) {
      if (this.kind[t] === RESOLVER) this.registers[t * STRIDE + PC] = this.firstPc;
    }
    if (this.churn >= 0) this.registers[this.churn * STRIDE + CLOSED_AT] = -1;
  }

  done(t: number): boolean {
    const pc = this.registers[t * STRIDE + PC]!;
    return this.kind[t] === RESOLVER ? pc === RESOLVER_DONE : pc === this.scripts[t]!.effect.length;
  }

  enabled(t: number): boolean {
    // No step of any thread waits: the resolvers' lock-freedom is this line, and the checker's
    // solo runs hold it to it.
    return !this.done(t);
  }

  step(t: number, time: number, trace?: StepTrace): number {
    const r = this.registers;
    const base = t * STRIDE;
    r[base + OWN_STEPS] = r[base + OWN_STEPS]! + 1;
    if (this.kind[t] === SCRIPTED) return this.scriptStep(t, base, time, trace);
    const m = this.memory;
    const op = t * this.resolves + r[base + OP]!;
    switch (r[base + PC]) {
      case READ_CODE: {
        const code = m.load(CODE_ADDRESS);
        const levels = (code & 3) + 1;
        const top = code - (code & 3);
        r[base + START] = time;
        if (trace) {
          trace.label = `read table code ${hex(code)} → top ${hex(top)}, ${plural(levels, 'level')}`;
        }
        return this.useCode(t, base, op, top, levels, time, trace);
      }
      case READ_POINTER: {
        const top = m.load(CODE_ADDRESS);
        r[base + START] = time;
        r[base + TABLE] = top;
        r[base + PC] = READ_LEVELS;
        if (trace) trace.label = `read table pointer → ${hex(top)}`;
        return NO_VIOLATION;
      }
      case READ_LEVELS: {
        const levels = m.load(LEVELS_ADDRESS);
        if (trace) trace.label = `read table levels → ${levels}`;
        return this.useCode(t, base, op, r[base + TABLE]!, levels, time, trace);
      }
      case WALK: {
        const levels = r[base + LEVELS]!;
        const depth = r[base + DEPTH]!;
        const table = r[base + TABLE]!;
        const digit = this.opDigits[(op * MAX_LEVELS + levels - 1) * MAX_LEVELS + depth]!;
        const child = m.load(table + digit);
        if (trace) {
          const role = levels - depth === 3 ? 'top' : 'mid';
          trace.label = `read ${role} ${hex(table)}[${digit}] → ${hex(child)}`;
        }
        if (child === 0) {
          if (trace) trace.label += ': no table there, reject';
          return this.finish(t, base, op, REJECTED, 0, time, trace);
        }
        if (!m.isTable(child)) {
          if (trace) trace.label += ': not a table, fault';
          return this.finish(t, base, op, FAULTED, 0, time, trace);
        }
        r[base + TABLE] = child;
        r[base + DEPTH] = depth + 1;
        if (depth + 1 === levels - 1) r[base + PC] = this.entryPc;
        return NO_VIOLATION;
      }
      case READ_ENTRY: {
        const table = r[base + TABLE]!;
        const slot = this.opIndex[op]! % this.g.leafEntries;
        const word = m.load(table + slot);
        const identifier = entryIdentifier(word);
        const object = entryObject(word);
        const accept = object !== 0 && identifier === this.opIdentifier[op];
        if (trace) {
          const seen = object === 0 ? 'free' : `object ${object}`;
          trace.label = `read entry ${entryName(table + slot, this.g)} → ${seen}, id ${identifier}: ${this.verb(op, accept, object)}`;
        }
        return this.finish(t, base, op, accept ? RESOLVED : REJECTED, object, time, trace);
      }
      case READ_ENTRY_ID: {
        const table = r[base + TABLE]!;
        const at = table + (this.opIndex[op]! % this.g.leafEntries) * 2;
        const identifier = m.load(at);
        const match = identifier === this.opIdentifier[op];
        if (trace) {
          const handle = hex(this.opFacts[op]!.handle);
          trace.label = `read entry ${entryName(at, this.g)}.id → ${identifier}: ${match ? `matches handle ${handle}` : `reject handle ${handle}`}`;
        }
        if (!match) return this.finish(t, base, op, REJECTED, 0, time, trace);
        r[base + PC] = READ_ENTRY_OBJECT;
        return NO_VIOLATION;
      }
      case READ_ENTRY_OBJECT: {
        const table = r[base + TABLE]!;
        const at = table + (this.opIndex[op]! % this.g.leafEntries) * 2;
        const object = m.load(at + 1);
        if (trace) {
          trace.label = `read entry ${entryName(at, this.g)}.object → ${object}: ${this.verb(op, object !== 0, object)}`;
        }
        return this.finish(t, base, op, object !== 0 ? RESOLVED : REJECTED, object, time, trace);
      }
    }
    throw new Error(`${this.threads[t]} has no step left`);
  }

  private verb(op: number, accept: boolean, object: number): string {
    const handle = hex(this.opFacts[op]!.handle);
    return accept ? `handle ${handle} → object ${object}` : `reject handle ${handle}`;
  }

  /** After the (top, levels) pair is read: the check for a torn code, then the walk's start. */
  private useCode(
    t: number,
    base: number,
    op: number,
    top: number,
    levels: number,
    time: number,
    trace: StepTrace | undefined,
  ): number {
    const r = this.registers;
    const torn = !this.wasPublished(top, levels);
    if (trace && torn) {
      trace.label += `: torn, top ${hex(top)} with ${plural(levels, 'level')} was never published`;
    }
    r[base + TABLE] = top;
    r[base + LEVELS] = levels;
    r[base + DEPTH] = 0;
    let verdict = NO_VIOLATION;
    const index = this.opIndex[op]!;
    if (levels < 1 || levels > MAX_LEVELS || index >= this.capacityAt[levels]!) {
      if (trace) trace.label += `: index ${index} is past the capacity, reject`;
      verdict = this.finish(t, base, op, REJECTED, 0, time, trace);
    } else {
      r[base + PC] = levels > 1 ? WALK : this.entryPc;
    }
    if (!torn) return verdict;
    if (trace) trace.message = this.tornMessage(t, op, top, levels);
    return TORN_TABLE_CODE;
  }

  /** Whether (top, levels) is a pair the table has had: the initial one or one the grower published. */
  private wasPublished(top: number, levels: number): boolean {
    const begun =
      this.grower < 0 ? 1 : this.pairsBegun[this.registers[this.grower * STRIDE + PC]!]!;
    for (let k = 0; k < begun; k++) {
      if (this.pairTops[k] === top && this.pairLevels[k] === levels) return true;
    }
    return false;
  }

  private finish(
    t: number,
    base: number,
    op: number,
    result: number,
    object: number,
    time: number,
    trace: StepTrace | undefined,
  ): number {
    const r = this.registers;
    const start = r[base + START]!;
    const closedAt = this.churn < 0 ? -1 : r[this.churn * STRIDE + CLOSED_AT]!;
    const facts = this.opFacts[op]!;
    const verdict = judgeResolve(facts, result, object, start, facts.reuseObject ? closedAt : -1);
    if (trace) {
      const said = describeResolve(
        this.threads[t]!,
        facts,
        result,
        object,
        start,
        time,
        facts.reuseObject ? closedAt : -1,
      );
      trace.outcome = said.outcome;
      if (verdict !== NO_VIOLATION) trace.message = said.message;
    }
    const next = r[base + OP]! + 1;
    if (next < this.resolves) {
      r[base + OP] = next;
      r[base + PC] = this.firstPc;
    } else {
      r[base + PC] = RESOLVER_DONE;
    }
    return verdict;
  }

  private scriptStep(t: number, base: number, time: number, trace: StepTrace | undefined): number {
    const r = this.registers;
    const script = this.scripts[t]!;
    const pc = r[base + PC]!;
    this.memory.store(script.address[pc]!, script.value[pc]!);
    r[base + PC] = pc + 1;
    if (script.effect[pc] === EFFECT_CLOSE) r[base + CLOSED_AT] = time;
    if (trace) trace.label = script.labels[pc]!;
    return NO_VIOLATION;
  }

  private tornMessage(t: number, op: number, top: number, levels: number): string {
    const begun =
      this.grower < 0 ? 1 : this.pairsBegun[this.registers[this.grower * STRIDE + PC]!]!;
    const published: string[] = [];
    for (let k = 0; k < begun; k++) {
      published.push(`${hex(this.pairTops[k]!)} with ${plural(this.pairLevels[k]!, 'level')}`);
    }
    const latest = begun - 1;
    const halfDone =
      this.g.splitCode &&
      this.memory.load(CODE_ADDRESS) === this.pairTops[latest] &&
      this.memory.load(LEVELS_ADDRESS) !== this.pairLevels[latest]
        ? `; the grower has stored the pointer ${hex(this.pairTops[latest])} but not yet its levels ${this.pairLevels[latest]}`
        : '';
    return `${this.threads[t]} read top ${hex(top)} with ${plural(levels, 'level')} for handle ${hex(this.opFacts[op]!.handle)}, a pair never published together; expected one of ${published.join(', ')}${halfDone}`;
  }
}
