import {
  ChronovisorError,
  Footprint,
  canonicalJson,
  on,
  typedArrayBytes,
  type Projection,
} from '@chronovisor/core';
import { inject } from 'inversify';
import { createHash } from 'node:crypto';
import type { AddressSpace, AddressSpaceSnapshot } from './address-space';
import { Generation } from './generation';
import { MmuConfig } from './mmu-config';
import {
  cowResolved,
  faultRaised,
  framesExported,
  memoryRead,
  memoryWritten,
  pageLoaded,
  pagesMapped,
  pagesMarked,
  pagesProtected,
  pagesRemapped,
  pagesShared,
  pagesUnmapped,
  partitionCreated,
  spaceCreated,
  spaceDestroyed,
  spaceForked,
  tlbFlushed,
  tlbInvalidated,
  type CowResolved,
  type PageLoaded,
  type PagesMapped,
  type PagesMarked,
  type PagesProtected,
  type PagesRemapped,
  type PagesShared,
  type SpaceCreated,
  type SpaceForked,
  type TlbInvalidated,
} from './mmu-events';
import { PageTable } from './page-table';
import { PhysicalMemory, type MemoryState, type PhysicalMemorySnapshot } from './physical-memory';
import { PERMISSIONS, Pte, makePte, pteFlags, pteFrame, withFlags } from './pte';
import { Tlb, type TlbSnapshot } from './tlb';
import { combine } from './translate';

/** A command the MMU refuses: an unknown space, a misaligned or overlapping range, no free frames. */
export class MmuError extends ChronovisorError {}

/** A captured MMU. */
export interface MmuSnapshot {
  readonly memory: PhysicalMemorySnapshot;
  readonly spaces: readonly AddressSpaceSnapshot[];
  readonly nextSpace: number;
}

/** The kernel's rollback point (see {@link MmuState.checkpoint}). */
export interface MmuCheckpoint extends Omit<MmuSnapshot, 'memory'> {
  readonly memory: MemoryState;
}

/**
 * The MMU's state: physical memory and every address space with its page table and TLB. Only
 * events change it; handlers and queries read it. Snapshots share everything unchanged
 * (frames, table nodes), so they cost O(what changed since the last one).
 */
export class MmuState implements Projection<MmuSnapshot> {
  readonly name = 'mmu';
  readonly memory: PhysicalMemory;
  private readonly generation = new Generation();
  private spaces = new Map<number, AddressSpace>();
  private nextSpace = 1;

  constructor(@inject(MmuConfig) readonly config: MmuConfig) {
    this.memory = new PhysicalMemory(config.frames, config.pageSize, this.generation);
  }

  // ---- reading ------------------------------------------------------------------------------

  /** The space with this id; a refusal naming it when there is none. */
  space(id: number): AddressSpace {
    const space = this.spaces.get(id);
    if (space === undefined) throw new MmuError(`There is no address space ${id}`);
    return space;
  }

  /** The space with this id, if there is one. */
  findSpace(id: number): AddressSpace | undefined {
    return this.spaces.get(id);
  }

  allSpaces(): readonly AddressSpace[] {
    return [...this.spaces.values()];
  }

  /** The id the next created space gets. */
  get nextSpaceId(): number {
    return this.nextSpace;
  }

  /** The VM a guest space translates through, else undefined. */
  vmOf(space: AddressSpace): AddressSpace | undefined {
    return space.vm === undefined ? undefined : this.space(space.vm);
  }

  vpn(va: number): number {
    return Math.floor(va / this.config.pageSize);
  }

  // ---- applying events ----------------------------------------------------------------------

  /** Each event type it applies, with the change it makes. */
  readonly listeners = [
    on(partitionCreated, ({ data }) => this.memory.addPartition(data)),
    on(spaceCreated, ({ data }) => this.createSpace(data)),
    on(spaceDestroyed, ({ data }) => this.destroySpace(data.space)),
    on(spaceForked, ({ data }) => this.fork(data)),
    on(pagesMapped, ({ data }) => this.mapPages(data)),
    on(pagesUnmapped, ({ data }) => this.unmapPages(data.space, data.va, data.pages)),
    on(pagesProtected, ({ data }) => this.protectPages(data)),
    on(pagesMarked, ({ data }) => this.markPages(data)),
    on(pagesShared, ({ data }) => this.sharePages(data)),
    on(pagesRemapped, ({ data }) => this.remapPages(data)),
    on(framesExported, ({ data }) => this.memory.export(data.frames, data.partition)),
    on(pageLoaded, ({ data }) => this.loadPage(data)),
    on(cowResolved, ({ data }) => this.resolveCow(data)),
    on(memoryRead, ({ data }) => this.touch(data.space, data.va, false)),
    on(memoryWritten, ({ data }) => {
      this.touch(data.space, data.va, true);
      this.memory.write(data.pa, data.data);
    }),
    on(faultRaised, ({ data }) => void this.space(data.space).faults++),
    // mmu.isolation.violated changes nothing: the refusal is only recorded.
    on(tlbInvalidated, ({ data }) => this.invalidate(data)),
    on(tlbFlushed, ({ data }) => this.flushTlbs(data.space)),
  ];

  private createSpace(d: SpaceCreated): void {
    const space: AddressSpace = {
      id: d.space,
      kind: d.kind,
      partition: d.partition,
      ...(d.vm === undefined ? {} : { vm: d.vm }),
      table: new PageTable(this.config, this.generation),
      tlb: new Tlb(this.config.tlb.entries, this.config.tlb.policy),
      faults: 0,
    };
    this.spaces.set(d.space, space);
    this.nextSpace = Math.max(this.nextSpace, d.space + 1);
  }

  private destroySpace(id: number): void {
    const space = this.space(id);
    if (space.kind !== 'guest') space.table.forEach((_vpn, pte) => this.release(pte));
    this.spaces.delete(id);
  }

  /** Drops a mapping's hold on its frame (host and VM spaces hold host frames). */
  private release(pte: number): void {
    if ((pteFlags(pte) & Pte.LAZY) === 0) this.memory.decref(pteFrame(pte));
  }

  private mapPages(d: PagesMapped): void {
    const space = this.space(d.space);
    const first = this.vpn(d.va);
    for (let i = 0; i < d.pages; i++) {
      const frame = d.frames.length === 0 ? 0 : d.frames[i]!;
      if (space.kind !== 'guest' && (d.flags & Pte.LAZY) === 0) this.memory.incref(frame);
      space.table.set(first + i, makePte(frame, d.flags));
    }
  }

  private unmapPages(id: number, va: number, pages: number): void {
    const space = this.space(id);
    const first = this.vpn(va);
    for (let vpn = first; vpn < first + pages; vpn++) {
      const pte = space.table.get(vpn);
      if (pte === 0) continue;
      if (space.kind !== 'guest') this.release(pte);
      space.table.set(vpn, 0);
    }
  }

  private protectPages(d: PagesProtected): void {
    const space = this.space(d.space);
    const first = this.vpn(d.va);
    for (let vpn = first; vpn < first + d.pages; vpn++) {
      const pte = space.table.get(vpn);
      space.table.set(vpn, withFlags(pte, (pteFlags(pte) & ~PERMISSIONS) | d.perms));
    }
  }

  private markPages(d: PagesMarked): void {
    const space = this.space(d.space);
    const first = this.vpn(d.va);
    for (let vpn = first; vpn < first + d.pages; vpn++) {
      const pte = space.table.get(vpn);
      space.table.set(vpn, withFlags(pte, (pteFlags(pte) | d.set) & ~d.clear));
    }
  }

  private sharePages(d: PagesShared): void {
    const from = this.space(d.from);
    const to = this.space(d.to);
    const source = this.vpn(d.va);
    const target = this.vpn(d.toVa);
    for (let i = 0; i < d.pages; i++) {
      const pte = from.table.get(source + i);
      const flags = pteFlags(pte) | Pte.SHARED;
      from.table.set(source + i, withFlags(pte, flags));
      if (from.kind !== 'guest') this.memory.incref(pteFrame(pte));
      to.table.set(
        target + i,
        makePte(pteFrame(pte), (flags & ~(PERMISSIONS | Pte.ACCESSED | Pte.DIRTY)) | d.perms),
      );
    }
  }

  private remapPages(d: PagesRemapped): void {
    const from = this.space(d.from);
    const to = this.space(d.to);
    const source = this.vpn(d.va);
    const target = this.vpn(d.toVa);
    for (let i = 0; i < d.pages; i++) {
      const pte = from.table.get(source + i);
      if (pte === 0) continue;
      from.table.set(source + i, 0);
      to.table.set(target + i, pte);
    }
  }

  private fork(d: SpaceForked): void {
    const parent = this.space(d.parent);
    const guest = parent.kind === 'guest';
    // Private pages become copy-on-write in both, read-only ones too (a later mprotect must not
    // let one side write into the other's page); shared mappings stay shared. A guest's entries
    // hold guest-physical pages, which are not counted: its sharers are its entries.
    parent.table.forEach((vpn, pte) => {
      const flags = pteFlags(pte);
      if (!guest && (flags & Pte.LAZY) === 0) this.memory.incref(pteFrame(pte));
      if ((flags & Pte.SHARED) === 0) parent.table.set(vpn, withFlags(pte, flags | Pte.COW));
    });
    this.createSpace({
      space: d.child,
      kind: parent.kind,
      partition: parent.partition,
      ...(parent.vm === undefined ? {} : { vm: parent.vm }),
    });
    // Both tables now share every node; moving to the next generation makes each copy on write.
    this.space(d.child).table.restore(parent.table.snapshot());
    this.generation.next();
  }

  private loadPage(d: PageLoaded): void {
    const space = this.space(d.space);
    const vpn = this.vpn(d.va);
    const flags = (pteFlags(space.table.get(vpn)) & ~Pte.LAZY) | Pte.PRESENT;
    space.table.set(vpn, makePte(d.frame, flags));
    this.memory.incref(d.frame);
    if (d.data.length > 0) this.memory.write(d.frame * this.config.pageSize, d.data);
  }

  private resolveCow(d: CowResolved): void {
    const space = this.space(d.space);
    const vpn = this.vpn(d.va);
    const pte = space.table.get(vpn);
    if (d.toGpa !== undefined) {
      // A guest's page: its own guest-physical page now, the frames behind them its VM's.
      if (d.to !== d.from) this.memory.copyFrame(d.from, d.to);
      space.table.set(vpn, makePte(this.vpn(d.toGpa), pteFlags(pte) & ~Pte.COW));
      space.tlb.invalidate(vpn, 1);
      return;
    }
    if (d.to !== d.from) {
      this.memory.incref(d.to);
      this.memory.copyFrame(d.from, d.to);
      this.memory.decref(d.from);
    }
    space.table.set(vpn, makePte(d.to, pteFlags(pte) & ~Pte.COW));
    space.tlb.invalidate(vpn, 1);
  }

  /**
   * What the hardware does on an access: a TLB hit is counted; a miss walks the tables, sets the
   * accessed bit and caches the translation; a write sets the dirty bit (walking again if the
   * cached entry was clean, as x86 does). The tables decide, not the event's `hit` field, so a
   * log replayed against a different TLB cannot fake its hits.
   */
  private touch(id: number, va: number, write: boolean): void {
    const space = this.space(id);
    const vpn = this.vpn(va);
    const cached = space.tlb.lookup(vpn);
    const mark = write ? Pte.ACCESSED | Pte.DIRTY : Pte.ACCESSED;
    if (cached !== undefined) {
      const before = cached.flags;
      space.tlb.hitSlot(vpn, cached, mark);
      if ((before & mark) !== mark) this.markTables(space, vpn, mark);
      return;
    }
    const flags = this.markTables(space, vpn, mark);
    space.tlb.fill(vpn, this.walkedFrame, this.walkedGuestFrame, flags);
  }

  /** Set by {@link markTables}: the frames it walked to (fields, so the hot path allocates nothing). */
  private walkedFrame = 0;
  private walkedGuestFrame = -1;

  /** Sets accessed/dirty bits in the page's entries (both stages); returns the combined flags. */
  private markTables(space: AddressSpace, vpn: number, mark: number): number {
    const pte = space.table.get(vpn);
    const flags = pteFlags(pte) | mark;
    if ((pteFlags(pte) & mark) !== mark) space.table.set(vpn, withFlags(pte, flags));
    if (space.kind !== 'guest') {
      this.walkedFrame = pteFrame(pte);
      this.walkedGuestFrame = -1;
      return flags;
    }
    const vm = this.vmOf(space)!;
    const guestFrame = pteFrame(pte);
    const pte2 = vm.table.get(guestFrame);
    const flags2 = pteFlags(pte2) | mark;
    if ((pteFlags(pte2) & mark) !== mark) vm.table.set(guestFrame, withFlags(pte2, flags2));
    this.walkedFrame = pteFrame(pte2);
    this.walkedGuestFrame = guestFrame;
    return combine(flags, flags2);
  }

  /** Empties one space's TLB, or every space's. */
  private flushTlbs(id: number | undefined): void {
    for (const space of id === undefined ? this.spaces.values() : [this.space(id)])
      space.tlb.flush();
  }

  private invalidate(d: TlbInvalidated): void {
    const space = this.space(d.space);
    if (d.reason === 'stage-2') {
      // Guests cache combined translations: a stage-2 change flushes every guest of the VM (as INVEPT).
      for (const guest of this.spaces.values()) if (guest.vm === space.id) guest.tlb.flush();
      return;
    }
    space.tlb.invalidate(this.vpn(d.va), d.pages);
  }

  // ---- snapshots and digest -----------------------------------------------------------------

  snapshot(): MmuSnapshot {
    return this.capture(this.memory.snapshot());
  }

  restore(snapshot: MmuSnapshot): void {
    this.generation.next();
    this.memory.restore(snapshot.memory);
    this.restoreSpaces(snapshot);
  }

  /**
   * The kernel's rollback point: a snapshot whose memory shares no frame but keeps an undo of
   * the writes after it (see `PhysicalMemory.checkpoint`), so no page is copied for it.
   */
  checkpoint(): MmuCheckpoint {
    return this.capture(this.memory.checkpoint());
  }

  rollback(checkpoint: MmuCheckpoint): void {
    this.generation.next();
    this.memory.rollback(checkpoint.memory);
    this.restoreSpaces(checkpoint);
  }

  private capture<M>(memory: M): { memory: M; spaces: AddressSpaceSnapshot[]; nextSpace: number } {
    const spaces = [...this.spaces.values()].map((s) => ({
      id: s.id,
      kind: s.kind,
      partition: s.partition,
      ...(s.vm === undefined ? {} : { vm: s.vm }),
      table: s.table.snapshot(),
      tlb: s.tlb.snapshot(),
      faults: s.faults,
    }));
    for (const { tlb } of spaces) this.generation.allocatedBytes += tlbBytes(tlb);
    this.generation.next();
    return { memory, spaces, nextSpace: this.nextSpace };
  }

  private restoreSpaces(snapshot: Omit<MmuSnapshot, 'memory'>): void {
    this.spaces = new Map();
    for (const s of snapshot.spaces) {
      this.createSpace({
        space: s.id,
        kind: s.kind,
        partition: s.partition,
        ...(s.vm === undefined ? {} : { vm: s.vm }),
      });
      const space = this.space(s.id);
      space.table.restore(s.table);
      space.tlb.restore(s.tlb);
      space.faults = s.faults;
    }
    this.nextSpace = snapshot.nextSpace;
  }

  /** Snapshots from now on hold the memory's writes since the one before (see `PhysicalMemory.keepJournal`). */
  incrementalSnapshots(): void {
    this.memory.keepJournal();
  }

  /** Lets every other key these snapshots build on go of its frames (see `PhysicalMemory.shed`). */
  shed(snapshots: readonly MmuSnapshot[]): boolean {
    return this.memory.shed(snapshots.map((s) => s.memory));
  }

  /**
   * Bytes of structures made so far (frames, chunks, table nodes, their copies, snapshots'
   * directories and TLBs): a snapshot taken now holds at most this much that the snapshots taken
   * or restored before it do not hold, since the last of them.
   */
  allocatedBytes(): number {
    return this.generation.allocatedBytes;
  }

  /** Bytes of writes the journal holds for the next snapshot's patch (a measurement, not state). */
  journaledBytes(): number {
    return this.memory.journaledBytes;
  }

  /** Bytes of frames copied so far because a snapshot still shared them (copy on write). */
  copiedBytes(): number {
    return this.memory.framesCopied * this.config.pageSize;
  }

  /**
   * The memory these snapshots hold together: frame buffers, directory chunks, page-table nodes
   * and TLBs, each counted once however many snapshots (or the live state) share it.
   */
  snapshotBytes(snapshots: readonly MmuSnapshot[]): number {
    const footprint = new Footprint();
    this.memory.measureBase(footprint);
    for (const snapshot of snapshots) {
      PhysicalMemory.measure(snapshot.memory, footprint);
      for (const space of snapshot.spaces) {
        PageTable.measure(space.table, footprint);
        footprint.add(space.tlb, tlbBytes(space.tlb));
      }
    }
    return footprint.bytes;
  }

  /** O(spaces × TLB entries): memory and tables keep running hashes of their contents. */
  digest(): string {
    const hash = createHash('sha256');
    hash.update(canonicalJson(this.config));
    this.memory.hashInto(hash);
    for (const space of [...this.spaces.values()].sort((a, b) => a.id - b.id)) {
      const { hits, misses } = space.tlb;
      const entries = space.tlb.entries();
      hash.update(
        canonicalJson([
          space.id,
          space.kind,
          space.partition,
          space.vm ?? null,
          space.faults,
          space.table.entries,
          space.table.hash.value,
          hits,
          misses,
          entries,
        ]),
      );
    }
    return hash.digest('hex');
  }
}

/** A TLB snapshot: its packed entries and the object around them. */
const tlbBytes = (tlb: TlbSnapshot): number => 64 + typedArrayBytes(tlb.entries);
