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
type Slot = TlbSlot;

/**
 * A fully associative TLB of one address space (as if tagged by ASID/VMID), caching
 * virtual page → host frame with the combined flags of both stages. Hits and misses are counted
 * as state, so replaying a run reproduces them exactly. Entries are kept in eviction order, in a
 * Map's insertion order: LRU moves an entry to the back when it is used, FIFO never does, and the
 * victim is always the front. Every operation is O(1).
 */
export class Tlb {
  private readonly slots = new Map<number, Slot>();
  /**
   * The vpn last filled or moved to the back, or -1: while cached, it is the last entry (deleting
   * others keeps it so; only a restore reorders), and a hit on it need not move it.
   */
  private newest = -1;
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
  hitSlot(vpn: number, slot: TlbSlot, setFlags: number): void {
    this.hits++;
    slot.flags |= setFlags;
    if (this.policy === 'lru' && vpn !== this.newest) {
      this.slots.delete(vpn);
      this.slots.set(vpn, slot);
      this.newest = vpn;
    }
  }

  /** Counts a hit on `vpn` (which must be cached), marks it used (LRU) and sets `setFlags` in it. */
  hit(vpn: number, setFlags = 0): void {
    this.hitSlot(vpn, this.slots.get(vpn)!, setFlags);
  }

  /** Counts a miss on `vpn` and caches its translation, evicting the front entry when full. */
  fill(vpn: number, frame: number, guestFrame: number, flags: number): void {
    this.misses++;
    let slot = this.slots.get(vpn);
    if (slot !== undefined) this.slots.delete(vpn);
    else if (this.slots.size >= this.capacity) {
      // Reuse the victim's slot object: the hot path allocates nothing.
      const victim = this.slots.keys().next().value!;
      slot = this.slots.get(victim);
      this.slots.delete(victim);
    }
    if (slot === undefined) slot = { frame, guestFrame, flags };
    slot.frame = frame;
    slot.guestFrame = guestFrame;
    slot.flags = flags;
    this.slots.set(vpn, slot);
    this.newest = vpn;
  }

  /** Drops the translations of `pages` pages from `vpn` (a shootdown); returns how many were cached. */
  invalidate(vpn: number, pages: number): number {
    let dropped = 0;
    if (pages > this.slots.size) {
      for (const cached of [...this.slots.keys()]) {
        if (cached >= vpn && cached < vpn + pages) dropped += Number(this.slots.delete(cached));
      }
      return dropped;
    }
    for (let page = vpn; page < vpn + pages; page++) dropped += Number(this.slots.delete(page));
    return dropped;
  }

  /** Drops every translation. */
  flush(): void {
    this.slots.clear();
  }

  /** Cached translations, next victim first. */
  entries(): TlbEntry[] {
    return [...this.slots].map(([vpn, { frame, guestFrame, flags }]) => ({
      vpn,
      frame,
      guestFrame,
      flags,
    }));
  }

  snapshot(): TlbSnapshot {
    const entries = new Float64Array(this.slots.size * 4);
    let i = 0;
    for (const [vpn, { frame, guestFrame, flags }] of this.slots) {
      entries[i++] = vpn;
      entries[i++] = frame;
      entries[i++] = guestFrame;
      entries[i++] = flags;
    }
    return { entries, hits: this.hits, misses: this.misses };
  }

  restore(snapshot: TlbSnapshot): void {
    this.newest = -1;
    this.slots.clear();
    const entries = snapshot.entries;
    for (let i = 0; i < entries.length; i += 4)
      this.slots.set(entries[i]!, {
        frame: entries[i + 1]!,
        guestFrame: entries[i + 2]!,
        flags: entries[i + 3]!,
      });
    this.hits = snapshot.hits;
    this.misses = snapshot.misses;
  }
}
