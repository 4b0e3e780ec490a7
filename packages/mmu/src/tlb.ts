/** Which entry a full TLB gives up. */
export type TlbPolicy = 'lru' | 'fifo';

/** A captured TLB. */
export interface TlbSnapshot {
  readonly vpns: Float64Array;
  readonly frames: Float64Array;
  readonly guestFrames: Float64Array;
  readonly flags: Uint16Array;
  readonly stamps: Float64Array;
  readonly clock: number;
  readonly hits: number;
  readonly misses: number;
}

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
 * A fully associative TLB of one address space (as if tagged by ASID/VMID), caching
 * virtual page → host frame with the combined flags of both stages. Hits and misses are counted
 * as state, so replaying a run reproduces them exactly. LRU evicts the entry used longest ago;
 * FIFO the one filled longest ago.
 */
export class Tlb {
  private vpns: Float64Array;
  private frames: Float64Array;
  private guestFrames: Float64Array;
  private flags: Uint16Array;
  /** Last use (LRU) or fill (FIFO) time of each slot; 0 for an empty slot. */
  private stamps: Float64Array;
  private readonly slots = new Map<number, number>();
  private clock = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly capacity: number,
    readonly policy: TlbPolicy,
  ) {
    this.vpns = new Float64Array(capacity).fill(-1);
    this.frames = new Float64Array(capacity);
    this.guestFrames = new Float64Array(capacity);
    this.flags = new Uint16Array(capacity);
    this.stamps = new Float64Array(capacity);
  }

  /** The cached translation of `vpn`, without counting or touching anything. */
  peek(vpn: number): TlbEntry | undefined {
    const slot = this.slots.get(vpn);
    return slot === undefined ? undefined : this.entry(vpn, slot);
  }

  /** Flags of the cached translation of `vpn`, or -1 on a miss; no side effects. */
  flagsOf(vpn: number): number {
    const slot = this.slots.get(vpn);
    return slot === undefined ? -1 : this.flags[slot]!;
  }

  /** Frame of the cached translation of `vpn`, or -1 on a miss; no side effects. */
  frameOf(vpn: number): number {
    const slot = this.slots.get(vpn);
    return slot === undefined ? -1 : this.frames[slot]!;
  }

  /** Guest frame of the cached translation of `vpn` (-1 for a host translation or a miss). */
  guestFrameOf(vpn: number): number {
    const slot = this.slots.get(vpn);
    return slot === undefined ? -1 : this.guestFrames[slot]!;
  }

  /** Counts a hit on `vpn` (which must be cached) and, under LRU, marks it used. */
  hit(vpn: number, setFlags = 0): void {
    const slot = this.slots.get(vpn)!;
    this.hits++;
    if (this.policy === 'lru') this.stamps[slot] = ++this.clock;
    this.flags[slot]! |= setFlags;
  }

  /** Counts a miss on `vpn` and caches its translation, evicting an entry when full. */
  fill(vpn: number, frame: number, guestFrame: number, flags: number): void {
    this.misses++;
    let slot = this.slots.get(vpn);
    if (slot === undefined) {
      slot = this.victim();
      const evicted = this.vpns[slot]!;
      if (evicted !== -1) this.slots.delete(evicted);
      this.slots.set(vpn, slot);
      this.vpns[slot] = vpn;
    }
    this.frames[slot] = frame;
    this.guestFrames[slot] = guestFrame;
    this.flags[slot] = flags;
    this.stamps[slot] = ++this.clock;
  }

  /** Drops the translations of `pages` pages from `vpn` (a shootdown); returns how many were cached. */
  invalidate(vpn: number, pages: number): number {
    let dropped = 0;
    if (pages > this.slots.size) {
      for (const [cached, slot] of this.slots) {
        if (cached >= vpn && cached < vpn + pages) dropped += this.drop(cached, slot);
      }
      return dropped;
    }
    for (let page = vpn; page < vpn + pages; page++) {
      const slot = this.slots.get(page);
      if (slot !== undefined) dropped += this.drop(page, slot);
    }
    return dropped;
  }

  /** Drops every translation. */
  flush(): void {
    this.slots.clear();
    this.vpns.fill(-1);
    this.stamps.fill(0);
  }

  /** Cached translations, in slot order. */
  entries(): TlbEntry[] {
    return [...this.slots].sort((a, b) => a[1] - b[1]).map(([vpn, slot]) => this.entry(vpn, slot));
  }

  private entry(vpn: number, slot: number): TlbEntry {
    return {
      vpn,
      frame: this.frames[slot]!,
      guestFrame: this.guestFrames[slot]!,
      flags: this.flags[slot]!,
    };
  }

  snapshot(): TlbSnapshot {
    return {
      vpns: this.vpns.slice(),
      frames: this.frames.slice(),
      guestFrames: this.guestFrames.slice(),
      flags: this.flags.slice(),
      stamps: this.stamps.slice(),
      clock: this.clock,
      hits: this.hits,
      misses: this.misses,
    };
  }

  restore(snapshot: TlbSnapshot): void {
    this.vpns = snapshot.vpns.slice();
    this.frames = snapshot.frames.slice();
    this.guestFrames = snapshot.guestFrames.slice();
    this.flags = snapshot.flags.slice();
    this.stamps = snapshot.stamps.slice();
    this.clock = snapshot.clock;
    this.hits = snapshot.hits;
    this.misses = snapshot.misses;
    this.slots.clear();
    this.vpns.forEach((vpn, slot) => {
      if (vpn !== -1) this.slots.set(vpn, slot);
    });
  }

  private drop(vpn: number, slot: number): number {
    this.slots.delete(vpn);
    this.vpns[slot] = -1;
    this.stamps[slot] = 0;
    return 1;
  }

  /** An empty slot if there is one, else the oldest stamp (the lowest slot on ties). */
  private victim(): number {
    let best = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.stamps[slot] === 0) return slot;
      if (this.stamps[slot]! < this.stamps[best]!) best = slot;
    }
    return best;
  }
}
