import { CODE_ADDRESS, hex, LEVELS_ADDRESS, PAGE_BYTES } from './shared-memory';

/** The shape of a handle table: how big its tables are and how its words are laid out. */
export interface Geometry {
  readonly leafEntries: number;
  readonly pointersPerTable: number;
  /** The table code as two words (pointer, levels) instead of one: the split-code variant. */
  readonly splitCode: boolean;
  /** Each entry as two words (identifier, object) instead of one: the split-entry variant. */
  readonly splitEntry: boolean;
  /** Bits of a handle below its identifier: enough for every index of a 3-level table. */
  readonly indexBits: number;
}

/** The highest table depth: top → mid → leaf, as NT's handle table. */
export const MAX_LEVELS = 3;

/** Handle indices a table of `levels` levels covers. */
export function capacity(g: Geometry, levels: number): number {
  return g.leafEntries * g.pointersPerTable ** (levels - 1);
}

export function handleOf(g: Geometry, identifier: number, index: number): number {
  return identifier * 2 ** g.indexBits + index;
}

/** Which word of the table at depth `depth` (0: the top) a walk for `index` reads. */
export function digitOf(g: Geometry, levels: number, depth: number, index: number): number {
  const below = levels - 1 - depth;
  if (below === 0) return index % g.leafEntries;
  return (
    Math.floor(index / (g.leafEntries * g.pointersPerTable ** (below - 1))) % g.pointersPerTable
  );
}

/** One word entry: the identifier above the object, so that a single load sees both. */
export function entryWord(identifier: number, object: number): number {
  return identifier * 0x10000 + object;
}

export function entryIdentifier(word: number): number {
  return Math.floor(word / 0x10000);
}

export function entryObject(word: number): number {
  return word & 0xffff;
}

/** What a store means to the checks, besides the word it writes. */
export const EFFECT_NONE = 0;
/** The first store publishing a new (top, levels) pair: from here the pair is the table's. */
export const EFFECT_PUBLISH = 1;
/** The store that closes the churned handle. */
export const EFFECT_CLOSE = 2;

/** A straight-line thread's program: the grower's and the churn's stores, in order. */
export interface Script {
  readonly address: Int32Array;
  readonly value: Int32Array;
  readonly effect: Int8Array;
  readonly labels: readonly string[];
}

interface Store {
  readonly address: number;
  readonly value: number;
  readonly effect: number;
  readonly label: string;
}

export function toScript(stores: readonly Store[]): Script {
  return {
    address: Int32Array.from(stores, (s) => s.address),
    value: Int32Array.from(stores, (s) => s.value),
    effect: Int8Array.from(stores, (s) => s.effect),
    labels: stores.map((s) => s.label),
  };
}

/**
 * Builds a handle table the way its creator does, as a list of stores: the setup's (applied
 * before the threads start) and then the grower's and churn's (their scripts). Growth follows
 * US7031971B1: a new leaf, mid or top table is filled in while no resolver can reach it (it is
 * fresh, zeroed memory) and linked bottom-up, so the one store that makes it reachable (a
 * pointer into an already published table, or the table code) comes last. Old tables are never
 * freed or rewritten, so a resolver still holding an old code walks an intact tree.
 */
export class ModelTableBuilder {
  /** Where the stores go: swap it to start the next thread's script. */
  stores: Store[] = [];
  /** Every (top, levels) pair published, in order. */
  readonly published: [top: number, levels: number][] = [];
  levels = 1;
  top: number;
  private nextPage = 1;
  private readonly leaves: number[] = [];
  /** In a 3-level table, mids[k] covers leaves kP..kP+P−1; in a 2-level one mids[0] is the top. */
  private readonly mids: number[] = [];

  constructor(private readonly g: Geometry) {
    this.top = this.allocate();
    this.leaves[0] = this.top;
    this.publish(this.top, 1);
  }

  /** Pages used so far, page 0 (the table code) included. */
  get pages(): number {
    return this.nextPage;
  }

  /** The address of `index`'s entry (of its identifier word, when entries are split). */
  entryAddress(index: number): number {
    const leaf = this.leaves[Math.floor(index / this.g.leafEntries)];
    if (leaf === undefined) throw new Error(`no leaf holds index ${index}`);
    return leaf + (index % this.g.leafEntries) * (this.g.splitEntry ? 2 : 1);
  }

  /** Creates a handle at the next free index, growing the table first if it is full. */
  create(index: number, identifier: number, object: number): void {
    const leafNo = Math.floor(index / this.g.leafEntries);
    if (this.leaves[leafNo] === undefined) {
      const leaf = this.allocate();
      this.leaves[leafNo] = leaf;
      if (index >= capacity(this.g, this.levels)) this.addLevel(leafNo, leaf);
      else this.linkLeaf(leafNo, leaf);
    }
    this.writeEntry(
      index,
      identifier,
      object,
      `create handle ${hex(handleOf(this.g, identifier, index))}`,
    );
  }

  /** Closes the handle at `index`: its entry becomes free, keeping its identifier. */
  close(index: number, identifier: number): void {
    const at = this.entryAddress(index);
    const handle = hex(handleOf(this.g, identifier, index));
    if (this.g.splitEntry) {
      this.emit(
        at + 1,
        0,
        EFFECT_CLOSE,
        `close handle ${handle}: write ${entryName(at, this.g)}.object ← 0`,
      );
    } else {
      this.emit(
        at,
        entryWord(identifier, 0),
        EFFECT_CLOSE,
        `close handle ${handle}: write ${entryName(at, this.g)} ← free, id ${identifier}`,
      );
    }
  }

  /** Creates a handle in the closed slot at `index` with the next identifier. */
  reuse(index: number, identifier: number, object: number): void {
    const handle = hex(handleOf(this.g, identifier, index));
    this.writeEntry(index, identifier, object, `create handle ${handle} in the closed slot`);
  }

  private writeEntry(index: number, identifier: number, object: number, what: string): void {
    const at = this.entryAddress(index);
    if (this.g.splitEntry) {
      // The identifier first, then the object: the order a writer that thinks of the
      // identifier as the entry's guard would choose. Either order lets a resolver mix them.
      this.emit(
        at,
        identifier,
        EFFECT_NONE,
        `${what}: write ${entryName(at, this.g)}.id ← ${identifier}`,
      );
      this.emit(
        at + 1,
        object,
        EFFECT_NONE,
        `${what}: write ${entryName(at, this.g)}.object ← ${object}`,
      );
    } else {
      const word = entryWord(identifier, object);
      this.emit(
        at,
        word,
        EFFECT_NONE,
        `${what}: write ${entryName(at, this.g)} ← object ${object}, id ${identifier}`,
      );
    }
  }

  /** A leaf within the current capacity: one pointer store into a published table publishes it. */
  private linkLeaf(leafNo: number, leaf: number): void {
    const p = this.g.pointersPerTable;
    if (this.levels === 2) {
      this.link('mid', this.top, leafNo % p, leaf);
      return;
    }
    const midNo = Math.floor(leafNo / p);
    const mid = this.mids[midNo];
    if (mid !== undefined) {
      this.link('mid', mid, leafNo % p, leaf);
      return;
    }
    const fresh = this.allocate();
    this.mids[midNo] = fresh;
    this.link('mid', fresh, leafNo % p, leaf);
    this.link('top', this.top, midNo, fresh);
  }

  /** One more level: a new top with the old top as child 0, published by the table code. */
  private addLevel(leafNo: number, leaf: number): void {
    const p = this.g.pointersPerTable;
    if (this.levels === 1) {
      const mid = this.allocate();
      this.mids[0] = mid;
      this.link('mid', mid, 0, this.top, ' (the old top)');
      this.link('mid', mid, leafNo % p, leaf);
      this.publish(mid, 2);
      return;
    }
    if (this.levels !== 2) throw new Error('a handle table has at most 3 levels');
    const midNo = Math.floor(leafNo / p);
    const mid = this.allocate();
    this.mids[midNo] = mid;
    this.link('mid', mid, leafNo % p, leaf);
    const top = this.allocate();
    this.link('top', top, 0, this.top, ' (the old top)');
    this.link('top', top, midNo, mid);
    this.publish(top, 3);
  }

  private link(role: string, table: number, slot: number, child: number, note = ''): void {
    this.emit(
      table + slot,
      child,
      EFFECT_NONE,
      `write ${role} ${hex(table)}[${slot}] ← ${hex(child)}${note}`,
    );
  }

  private publish(top: number, levels: number): void {
    const pair = `top ${hex(top)} with ${plural(levels, 'level')}`;
    if (this.g.splitCode) {
      this.emit(
        CODE_ADDRESS,
        top,
        EFFECT_PUBLISH,
        `store table pointer ← ${hex(top)} (1st of 2 stores publishing ${pair})`,
      );
      this.emit(
        LEVELS_ADDRESS,
        levels,
        EFFECT_NONE,
        `store table levels ← ${levels} (2nd of 2 stores publishing ${pair})`,
      );
    } else {
      const code = top + levels - 1;
      this.emit(CODE_ADDRESS, code, EFFECT_PUBLISH, `publish table code ${hex(code)} (${pair})`);
    }
    this.top = top;
    this.levels = levels;
    this.published.push([top, levels]);
  }

  private allocate(): number {
    return this.nextPage++ * PAGE_BYTES;
  }

  private emit(address: number, value: number, effect: number, label: string): void {
    this.stores.push({ address, value, effect, label });
  }
}

/** `leaf 0x1000[1]`: an entry by its leaf and slot. */
export function entryName(address: number, g: Geometry): string {
  const leaf = address - (address % PAGE_BYTES);
  const slot = (address - leaf) / (g.splitEntry ? 2 : 1);
  return `leaf ${hex(leaf)}[${Math.floor(slot)}]`;
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
