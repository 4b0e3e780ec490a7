import { MultisetHash } from '@chronovisor/core';
import { CowChunks } from './cow-chunks';
import { TABLE_ROLES, type TableRole } from './handles-events';
import { ENTRY_BYTES } from './handles-options';

/*
 * A leaf table's entries, as words of the table's array: each entry is ENTRY_WORDS words. The
 * simulated page holds a 16-byte entry (object pointer and attributes); the projection keeps,
 * beside it, what the analysis needs (the slot's issue count, when it was closed).
 */
export const ENTRY_WORDS = 8;
/** The object's id; 0 for a free slot. */
export const OBJECT = 0;
/** The object's type, as a number the state's type list names. */
export const TYPE = 1;
/** The identifier the slot's next or current handle carries. */
export const IDENTIFIER = 2;
/** The next free slot's index, for a free slot in the free list; -1 at its end. */
export const NEXT = 3;
/** The ordinal of the table operation (create or close) that last closed the slot. */
export const CLOSED_AT = 4;
/** How many handles the slot has handed out. */
export const ISSUES = 5;
/** The ordinal of the table operation that last handed out the slot's identifier 0. */
export const CYCLE_AT = 6;

/** Kinds of fact in a table's hash: an entry's first word has a bit no index reaches. */
const ENTRY_BIT = 1 << 30;
const POINTER_FACT = 2;
const ROLE_FACT = 3;

/** What a space's table has done, for its summary. */
export interface TableCounters {
  creates: number;
  closes: number;
  resolves: number;
  rejections: number;
  /** Creates that took a closed slot from the free list. */
  reuses: number;
  /**
   * Table operations (creates and closes) from a slot's close to its reuse, the reusing create
   * counted (1: the very next operation): the soonest (-1 before any), and their sum.
   */
  reuseDistanceMin: number;
  reuseDistanceSum: number;
  /** Creates that handed out a handle value handed out before (the identifier wrapped). */
  wraps: number;
  /** Table operations between two issues of one handle value (measured at identifier 0): soonest (-1 before any), sum, count. */
  repeatDistanceMin: number;
  repeatDistanceSum: number;
  repeats: number;
}

const NO_COUNTERS: TableCounters = {
  creates: 0,
  closes: 0,
  resolves: 0,
  rejections: 0,
  reuses: 0,
  reuseDistanceMin: -1,
  reuseDistanceSum: 0,
  wraps: 0,
  repeatDistanceMin: -1,
  repeatDistanceSum: 0,
  repeats: 0,
};

/** A table's scalars, which a snapshot copies. */
interface TableScalars {
  levels: number;
  /** The top table's number. */
  top: number;
  leaves: number;
  mids: number;
  /** The next index never handed out. */
  fresh: number;
  /** The free list: first and last slot (-1 when empty) and length. */
  head: number;
  tail: number;
  freeCount: number;
  open: number;
  readonly counters: TableCounters;
}

/** A space's table as a snapshot holds it. */
export interface TableVersion {
  readonly scalars: Readonly<TableScalars>;
  readonly facts: readonly [number, number];
  readonly chunks: readonly Float64Array[];
  readonly roles: readonly TableRole[];
}

/** A table's geometry: what the walk needs. */
export interface TableGeometry {
  readonly base: number;
  readonly pageSize: number;
  readonly leafEntries: number;
  readonly pointersPerTable: number;
}

/**
 * One space's handle table: the hierarchy of table pages (a leaf, then a mid level over the
 * leaves, then a top over the mids), its entries, and its free list, which runs through the free
 * entries as NT's does. It changes only as the handles projection applies events.
 */
export class HandleTable {
  private s: TableScalars;
  private readonly chunks: CowChunks;
  private roles: TableRole[];
  /**
   * A hash of the entries that differ from a fresh one, the pointers and the roles, kept as they
   * change: so the state's digest costs O(spaces), not O(handles).
   */
  private readonly facts = new MultisetHash();
  private readonly leafShift: number;
  private readonly pointerShift: number;

  constructor(
    readonly space: number,
    readonly geometry: TableGeometry,
    from?: TableVersion,
  ) {
    this.leafShift = Math.log2(geometry.leafEntries);
    this.pointerShift = Math.log2(geometry.pointersPerTable);
    this.s = from ? copyScalars(from.scalars) : emptyScalars();
    this.chunks = new CowChunks(from?.chunks);
    this.roles = from ? from.roles.slice() : [];
    if (from) this.facts.set(from.facts);
  }

  get levels(): number {
    return this.s.levels;
  }
  get leaves(): number {
    return this.s.leaves;
  }
  get mids(): number {
    return this.s.mids;
  }
  get tables(): number {
    return this.chunks.length;
  }
  get fresh(): number {
    return this.s.fresh;
  }
  get open(): number {
    return this.s.open;
  }
  get freeCount(): number {
    return this.s.freeCount;
  }
  /** The first slot of the free list, or -1. */
  get head(): number {
    return this.s.head;
  }
  get counters(): Readonly<TableCounters> {
    return this.s.counters;
  }
  /** Slots the leaves hold. */
  get capacity(): number {
    return this.s.leaves * this.geometry.leafEntries;
  }
  /** The table code: the top table's address with levels − 1 in its low bits, as NT's TableCode. */
  get code(): number {
    return this.s.levels === 0 ? 0 : this.vaOf(this.s.top) + this.s.levels - 1;
  }
  get top(): number {
    return this.vaOf(this.s.top);
  }

  /** The number of the table mapped at `va`. */
  private numberOf(va: number): number {
    return (va - this.geometry.base) / this.geometry.pageSize;
  }

  /** Where table number `table` is mapped. */
  vaOf(table: number): number {
    return this.geometry.base + table * this.geometry.pageSize;
  }

  /** Each table's address and role, in the order they were added. */
  tableList(): { table: number; role: TableRole }[] {
    return this.roles.map((role, n) => ({ table: this.vaOf(n), role }));
  }

  /** A table's words: a leaf's entries, or a pointer table's child addresses. */
  words(table: number): Float64Array {
    return this.chunks.read(table);
  }

  /** The address a pointer table's `slot` holds. */
  childOf(table: number, slot: number): number {
    return this.chunks.read(this.numberOf(table))[slot]!;
  }

  /**
   * The leaf table holding `index`, walked down from the table code as a resolver walks: the top,
   * then a mid, then the leaf. The index must be below `capacity`.
   */
  leafOf(index: number): number {
    let table = this.s.top;
    const levels = this.s.levels;
    if (levels === 3) {
      const child = this.chunks.read(table)[index >>> (this.leafShift + this.pointerShift)]!;
      table = (child - this.geometry.base) / this.geometry.pageSize;
    }
    if (levels >= 2) {
      const slot = (index >>> this.leafShift) & ((1 << this.pointerShift) - 1);
      table = (this.chunks.read(table)[slot]! - this.geometry.base) / this.geometry.pageSize;
    }
    return table;
  }

  /**
   * The object a slot's handle names, if `identifier` is the slot's and the slot is in use; else
   * 0. A kernel's lookup: no record, no allocation.
   */
  lookup(index: number, identifier: number): number {
    if (index === 0 || index >= this.s.fresh) return 0;
    const words = this.chunks.read(this.leafOf(index));
    const o = (index & (this.geometry.leafEntries - 1)) * ENTRY_WORDS;
    return words[o + IDENTIFIER] === identifier ? words[o + OBJECT]! : 0;
  }

  /** The word offset of `index`'s entry in its leaf. */
  offsetOf(index: number): number {
    return (index & (this.geometry.leafEntries - 1)) * ENTRY_WORDS;
  }

  /** `index`'s entry to read: its leaf's words, the entry's offset in them, and its address (one walk). */
  entry(index: number): {
    readonly words: Float64Array;
    readonly offset: number;
    readonly at: number;
  } {
    const leaf = this.leafOf(index);
    const slot = index & (this.geometry.leafEntries - 1);
    return {
      words: this.chunks.read(leaf),
      offset: slot * ENTRY_WORDS,
      at: this.vaOf(leaf) + slot * ENTRY_BYTES,
    };
  }

  // --- Changes, made only by the projection as it applies events. ---

  /** A table page added: a leaf (its slots free, identifiers 0) or a pointer table. */
  addTable(role: TableRole, va: number, parent?: number, slot?: number, child?: number): void {
    const n = this.numberOf(va);
    if (n !== this.chunks.length)
      throw new Error(`Space ${this.space}: table ${hexOf(va)} is not the next table page`);
    const size =
      role === 'leaf' ? this.geometry.leafEntries * ENTRY_WORDS : this.geometry.pointersPerTable;
    const words = new Float64Array(size);
    if (role === 'leaf') {
      for (let o = 0; o < size; o += ENTRY_WORDS) {
        words[o + NEXT] = -1;
        words[o + CLOSED_AT] = -1;
      }
      this.s.leaves++;
    } else if (role === 'mid') this.s.mids++;
    if (child !== undefined) {
      words[0] = child;
      this.facts.toggle(1, POINTER_FACT, n, 0, child);
    }
    this.chunks.add(words);
    this.roles.push(role);
    this.facts.toggle(1, ROLE_FACT, n, TABLE_ROLES.indexOf(role));
    if (parent !== undefined) {
      const p = this.numberOf(parent);
      this.chunks.write(p)[slot!] = va;
      this.facts.toggle(1, POINTER_FACT, p, slot, va);
    }
  }

  /** The table code stored: the tree resolvers walk from now on. */
  publish(top: number, levels: number): void {
    this.s.top = this.numberOf(top);
    this.s.levels = levels;
  }

  /** A slot handed a handle: taken from the free list's head (`reused`) or fresh. */
  take(index: number, reused: boolean, object: number, type: number): void {
    const s = this.s;
    const c = s.counters;
    const words = this.chunks.write(this.leafOf(index));
    const o = this.offsetOf(index);
    this.entryFact(-1, index, words, o);
    if (reused) {
      if (s.head !== index)
        throw new Error(`Space ${this.space}: slot ${index} is not the head of the free list`);
      s.head = words[o + NEXT]!;
      if (s.head === -1) s.tail = -1;
      s.freeCount--;
      words[o + NEXT] = -1;
      const distance = c.creates + c.closes + 1 - words[o + CLOSED_AT]!;
      c.reuses++;
      c.reuseDistanceSum += distance;
      if (c.reuseDistanceMin === -1 || distance < c.reuseDistanceMin) c.reuseDistanceMin = distance;
    } else {
      if (index !== s.fresh)
        throw new Error(`Space ${this.space}: slot ${index} is not the next fresh slot`);
      s.fresh++;
    }
    if (words[o + IDENTIFIER] === 0) {
      if (words[o + ISSUES]! > 0) {
        const distance = c.creates + c.closes + 1 - words[o + CYCLE_AT]!;
        c.repeats++;
        c.repeatDistanceSum += distance;
        if (c.repeatDistanceMin === -1 || distance < c.repeatDistanceMin)
          c.repeatDistanceMin = distance;
      }
      words[o + CYCLE_AT] = c.creates + c.closes + 1;
    }
    words[o + OBJECT] = object;
    words[o + TYPE] = type;
    words[o + ISSUES]!++;
    this.entryFact(1, index, words, o);
    c.creates++;
    s.open++;
  }

  /** A handle value handed out again: counted, for the summary. */
  countWrap(): void {
    this.s.counters.wraps++;
  }

  /** A slot's handle closed: the identifier moves on, the slot joins the free list. */
  release(index: number, next: number, lifo: boolean): void {
    const s = this.s;
    const words = this.chunks.write(this.leafOf(index));
    const o = this.offsetOf(index);
    this.entryFact(-1, index, words, o);
    words[o + OBJECT] = 0;
    words[o + TYPE] = 0;
    words[o + IDENTIFIER] = next;
    words[o + CLOSED_AT] = s.counters.creates + s.counters.closes + 1;
    if (lifo || s.head === -1) {
      words[o + NEXT] = s.head;
      if (s.head === -1) s.tail = index;
      s.head = index;
    } else {
      words[o + NEXT] = -1;
      const tail = this.chunks.write(this.leafOf(s.tail));
      const t = this.offsetOf(s.tail);
      this.entryFact(-1, s.tail, tail, t);
      tail[t + NEXT] = index;
      this.entryFact(1, s.tail, tail, t);
      s.tail = index;
    }
    this.entryFact(1, index, words, o);
    s.freeCount++;
    s.open--;
    s.counters.closes++;
  }

  countResolve(): void {
    this.s.counters.resolves++;
  }

  countRejection(): void {
    this.s.counters.rejections++;
  }

  /** The table as it is, for a snapshot: O(tables). */
  capture(): TableVersion {
    return {
      scalars: copyScalars(this.s),
      facts: this.facts.value,
      chunks: this.chunks.share(),
      roles: this.roles.slice(),
    };
  }

  /** Back to a version of this table. */
  reset(version: TableVersion): void {
    this.s = copyScalars(version.scalars);
    this.chunks.reset(version.chunks);
    this.roles = version.roles.slice();
    this.facts.set(version.facts);
  }

  /**
   * Rebuilds the hash of its facts from what it holds, as its changes would have made it: for a
   * table rebuilt word for word from data (table-data), whose later changes must cancel it.
   */
  rehash(): void {
    this.facts.set([0, 0]);
    this.roles.forEach((role, n) => {
      this.facts.toggle(1, ROLE_FACT, n, TABLE_ROLES.indexOf(role));
      if (role !== 'leaf')
        this.words(n).forEach((child, slot) => {
          if (child !== 0) this.facts.toggle(1, POINTER_FACT, n, slot, child);
        });
    });
    for (let index = 1; index < this.s.fresh; index++) {
      const { words, offset } = this.entry(index);
      this.entryFact(1, index, words, offset);
    }
  }

  /** The same table for a forked space: the pages shared until either writes them. */
  forkInto(space: number): HandleTable {
    return new HandleTable(space, this.geometry, this.capture());
  }

  /** Every open slot's index and object, in index order. */
  *openSlots(): IterableIterator<{
    index: number;
    object: number;
    type: number;
    identifier: number;
  }> {
    for (let index = 1; index < this.s.fresh; index++) {
      const words = this.chunks.read(this.leafOf(index));
      const o = this.offsetOf(index);
      const object = words[o + OBJECT]!;
      if (object !== 0)
        yield { index, object, type: words[o + TYPE]!, identifier: words[o + IDENTIFIER]! };
    }
  }

  /** Bytes of pages made and copied so far, a running count. */
  get made(): number {
    return this.chunks.made;
  }

  /** The state that defines the table, for a digest: O(1). */
  digestInput(): unknown {
    return [this.space, { ...this.s, counters: { ...this.s.counters } }, this.facts.value];
  }

  /**
   * Adds (1) or removes (−1) an entry's fact: its slot, object, type, identifier, free-list link
   * and issue count (the analysis' words aside), for an entry that differs from a fresh one.
   */
  private entryFact(sign: 1 | -1, index: number, words: Float64Array, o: number): void {
    const issues = words[o + ISSUES]!;
    const next = words[o + NEXT]!;
    if (issues === 0 && next === -1) return; // fresh: object, type and identifier are 0 too
    // Four words straight into the hash (the hot path: two per create or close); the fields
    // folded into the last two need not be separable, only different states unlikely to collide.
    const a = index | ENTRY_BIT;
    const b = words[o + OBJECT]! >>> 0;
    const c = Math.imul(words[o + IDENTIFIER]!, 0x85ebca6b) ^ words[o + TYPE]!;
    const d = Math.imul(next + 1, 0x9e3779b1) ^ issues;
    if (sign > 0) this.facts.add(a, b, c >>> 0, d >>> 0);
    else this.facts.remove(a, b, c >>> 0, d >>> 0);
  }
}

function emptyScalars(): TableScalars {
  return {
    levels: 0,
    top: 0,
    leaves: 0,
    mids: 0,
    fresh: 1, // index 0 is never handed out: handle 0 is no handle, as on NT
    head: -1,
    tail: -1,
    freeCount: 0,
    open: 0,
    counters: { ...NO_COUNTERS },
  };
}

function copyScalars(s: Readonly<TableScalars>): TableScalars {
  return { ...s, counters: { ...s.counters } };
}

const hexOf = (n: number): string => `0x${n.toString(16)}`;
