/** Which entry a full TLB gives up. */
export type TlbPolicy = 'lru' | 'fifo';

/** One cached translation. */
export interface TlbEntry {
  readonly vpn: number;
  /** Host frame the page translates to (through both stages for a guest). */
  readonly frame: number;
  /** Guest frame, for a guest space; -1 otherwise. */
  readonly guestFrame: number;
  /** The combined permission and state bits of the translation. */
  readonly flags: number;
}

/**
 * A captured TLB: its entries in eviction order (next victim first), packed four numbers each
 * (vpn, frame, guest frame, flags: a timeline holds hundreds of these), and its counters.
 */
export interface TlbSnapshot {
  readonly entries: Float64Array;
  readonly hits: number;
  readonly misses: number;
}

/** A cached translation, as the TLB holds it (read it, do not keep it: the TLB reuses slots). */
export interface TlbSlot {
  frame: number;
  guestFrame: number;
  flags: number;
}

/** A slot in eviction order: a doubly linked list from the next victim to the newest. */
interface Slot extends TlbSlot {
  vpn: number;
  older: Slot | undefined;
  newer: Slot | undefined;
}

/**
 * A fully associative TLB of one address space (as if tagged by ASID/VMID), caching
 * virtual page → host frame with the combined flags of both stages. Hits and misses are counted
 * as state, so replaying a run reproduces them exactly. Entries are kept in eviction order, a
 * list linked through the slots: LRU moves an entry to the newest end when it is used, FIFO never
 * does, and the victim is always the oldest. Every operation is O(1), and a hit allocates
 * nothing and touches no Map but the lookup (moving a Map entry cost more than the rest of a hit).
 */
export class Tlb {
  private readonly slots = new Map<number, Slot>();
  /** The next victim, and the newest entry. */
  private oldest: Slot | undefined;
  private newest: Slot | undefined;
  hits = 0;
  misses = 0;

  constructor(
    readonly capacity: number,
    readonly policy: TlbPolicy,
  ) {}

  /** The cached translation of `vpn`, or undefined on a miss; no side effects. One lookup for all its fields. */
  lookup(vpn: number): TlbSlot | undefined {
    return this.slots.get(vpn);
  }

  /** Counts a hit on a slot found by {@link lookup}, marks it used (LRU) and sets `setFlags` in it. */
  hitSlot(_vpn: number, slot: TlbSlot, setFlags: number): void {
    this.hits++;
    slot.flags |= setFlags;
    if (this.policy === 'lru' && slot !== this.newest) {
      this.unlink(slot as Slot);
      this.append(slot as Slot);
    }
  }

  /** Counts a hit on `vpn` (which must be cached), marks it used (LRU) and sets `setFlags` in it. */
  hit(vpn: number, setFlags = 0): void {
    this.hitSlot(vpn, this.slots.get(vpn)!, setFlags);
  }

  /** Counts a miss on `vpn` and caches its translation, evicting the oldest entry when full. */
  fill(vpn: number, frame: number, guestFrame: number, flags: number): void {
    this.misses++;
    let slot = this.slots.get(vpn);
    if (slot !== undefined) this.unlink(slot);
    else {
      if (this.slots.size >= this.capacity) {
        // Reuse the victim's slot: the hot path allocates nothing.
        slot = this.oldest!;
        this.unlink(slot);
        this.slots.delete(slot.vpn);
        slot.vpn = vpn;
      } else slot = { vpn, frame, guestFrame, flags, older: undefined, newer: undefined };
      this.slots.set(vpn, slot);
    }
    slot.frame = frame;
    slot.guestFrame = guestFrame;
    slot.flags = flags;
    this.append(slot);
  }

  /** Drops the translations of `pages` pages from `vpn` (a shootdown); returns how many were cached. */
  invalidate(vpn: number, pages: number): number {
    let dropped = 0;
    const drop = (slot: Slot) => {
      this.unlink(slot);
      this.slots.delete(slot.vpn);
      dropped++;
    };
    if (pages > this.slots.size) {
      for (const slot of [...this.slots.values()])
        if (slot.vpn >= vpn && slot.vpn < vpn + pages) drop(slot);
      return dropped;
    }
    for (let page = vpn; page < vpn + pages; page++) {
      const slot = this.slots.get(page);
      if (slot !== undefined) drop(slot);
    }
    return dropped;
  }

  /** Drops every translation. */
  flush(): void {
    this.slots.clear();
    this.oldest = this.newest = undefined;
  }

  /** Cached translations, next victim first. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let s = this.oldest; s; s = s.newer)
      out.push({ vpn: s.vpn, frame: s.frame, guestFrame: s.guestFrame, flags: s.flags });
    return out;
  }

  snapshot(): TlbSnapshot {
    const entries = new Float64Array(this.slots.size * 4);
    let i = 0;
    for (let s = this.oldest; s; s = s.newer) {
      entries[i++] = s.vpn;
      entries[i++] = s.frame;
      entries[i++] = s.guestFrame;
      entries[i++] = s.flags;
    }
    return { entries, hits: this.hits, misses: this.misses };
  }

  restore(snapshot: TlbSnapshot): void {
    this.flush();
    const entries = snapshot.entries;
    for (let i = 0; i < entries.length; i += 4) {
      const slot: Slot = {
        vpn: entries[i]!,
        frame: entries[i + 1]!,
        guestFrame: entries[i + 2]!,
        flags: entries[i + 3]!,
        older: undefined,
        newer: undefined,
      };
      this.slots.set(slot.vpn, slot);
      this.append(slot);
    }
    this.hits = snapshot.hits;
    this.misses = snapshot.misses;
  }

  private unlink(slot: Slot): void {
    if (slot.older) slot.older.newer = slot.newer;
    else this.oldest = slot.newer;
    if (slot.newer) slot.newer.older = slot.older;
    else this.newest = slot.older;
    slot.older = slot.newer = undefined;
  }

  private append(slot: Slot): void {
    slot.older = this.newest;
    slot.newer = undefined;
    if (this.newest) this.newest.newer = slot;
    else this.oldest = slot;
    this.newest = slot;
  }
}
