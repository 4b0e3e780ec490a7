import type { MemoryReader, Query } from '@chronovisor/core';
import { inject } from 'inversify';
import type { AddressSpace } from './address-space';
import type { AccessKind, FaultKind, SpaceKind } from './mmu-events';
import { MmuState } from './mmu-state';
import type { Partition } from './physical-memory';
import { Pte, describeFlags, pteFlags, pteFrame } from './pte';
import type { TlbEntry } from './tlb';
import { resolveFrame, translatePage } from './translate';

/** Where an address translates to, or why it does not: computed without touching TLB or tables. */
export type TranslationReport =
  | {
      readonly ok: true;
      readonly pa: number;
      readonly gpa?: number;
      readonly flags: string;
      readonly tlbHit: boolean;
      readonly cow: boolean;
    }
  | { readonly ok: false; readonly kind: FaultKind; readonly stage: 1 | 2; readonly gpa?: number };

/** A run of pages mapped contiguously (consecutive frames, same flags). */
export interface MappingRun {
  readonly va: number;
  readonly pages: number;
  /** First frame (host frame, or guest frame for a guest space); -1 for lazy pages. */
  readonly frame: number;
  readonly flags: string;
}

/** A mapping of a frame. */
export interface FrameMapping {
  readonly space: number;
  readonly va: number;
  readonly flags: string;
}

/** Facts about a frame: who owns it, who maps it. */
export interface FrameOwners {
  readonly frame: number;
  readonly partition?: string;
  readonly sharedWith: readonly string[];
  readonly refcount: number;
  readonly mappings: readonly FrameMapping[];
}

const finish = (run: { va: number; pages: number; frame: number; flags: number }): MappingRun => ({
  va: run.va,
  pages: run.pages,
  frame: run.frame,
  flags: describeFlags(run.flags),
});

/** Counts over the whole MMU. */
export interface MmuStats {
  readonly partitions: readonly {
    readonly name: string;
    readonly base: number;
    readonly frames: number;
    readonly used: number;
    readonly free: number;
  }[];
  /** Frames held by more than one mapping. */
  readonly sharedFrames: number;
  /** Frames behind copy-on-write entries. */
  readonly cowFrames: number;
  /** Frames whose bytes exist (written at least once): the memory the simulation really holds. */
  readonly materializedFrames: number;
  readonly spaces: readonly {
    readonly id: number;
    readonly kind: SpaceKind;
    readonly pages: number;
    readonly tlbHits: number;
    readonly tlbMisses: number;
    readonly tlbHitRate: number;
    readonly faults: number;
  }[];
}

/**
 * The MMU's read-only view, for other plugins, the debugger and the CLI. Nothing here changes
 * state or records anything: a read here is not a memory access (use `mmu.read` for that).
 */
export class MmuQuery implements Query, MemoryReader {
  readonly name = 'mmu';

  constructor(@inject(MmuState) private readonly state: MmuState) {}

  get config() {
    return this.state.config;
  }

  get pageSize(): number {
    return this.state.config.pageSize;
  }

  /** The host frame's address behind `va` now (permissions aside), or undefined where none backs it. */
  physicalAddress(space: number, va: number): number | undefined {
    const s = this.state.findSpace(space);
    if (!s) return undefined;
    const pageSize = this.state.config.pageSize;
    const frame = resolveFrame(s, this.state.vmOf(s), Math.floor(va / pageSize));
    return frame === undefined ? undefined : frame * pageSize + (va % pageSize);
  }

  partitions(): readonly Partition[] {
    return this.state.memory.allPartitions();
  }

  spaces(): readonly { id: number; kind: SpaceKind; partition: string; vm?: number }[] {
    return this.state.allSpaces().map(({ id, kind, partition, vm }) => ({
      id,
      kind,
      partition,
      ...(vm === undefined ? {} : { vm }),
    }));
  }

  /** How `va` would translate for an access, as the hardware would see it now. */
  translate(
    space: number,
    va: number,
    access: AccessKind = 'read',
    kernel = false,
  ): TranslationReport {
    const s = this.state.space(space);
    const pageSize = this.state.config.pageSize;
    const offset = va % pageSize;
    const t = translatePage(s, this.state.vmOf(s), Math.floor(va / pageSize), access, !kernel);
    const gpa = t.guestFrame >= 0 ? { gpa: t.guestFrame * pageSize + offset } : {};
    if (!t.ok) return { ok: false, kind: t.kind, stage: t.stage, ...gpa };
    return {
      ok: true,
      pa: t.frame * pageSize + offset,
      ...gpa,
      flags: describeFlags(t.flags),
      tlbHit: t.hit,
      cow: t.cow,
    };
  }

  /** The bytes at `va` now, ignoring permissions (a debugger's view); undefined where a page is not mapped. */
  read(space: number, va: number, length: number): Uint8Array | undefined {
    const bytes = new Uint8Array(length);
    return this.readInto(space, va, bytes) ? bytes : undefined;
  }

  /**
   * Fills `target` with the bytes at `va` now, as `read` does, into a buffer the caller keeps
   * (a plugin scanning memory on every command allocates nothing); false where a page is not mapped.
   */
  readInto(space: number, va: number, target: Uint8Array): boolean {
    const s = this.state.space(space);
    const vm = this.state.vmOf(s);
    const length = target.length;
    const pageSize = this.state.config.pageSize;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = Math.min(length - offset, pageSize - (at % pageSize));
      const frame = resolveFrame(s, vm, Math.floor(at / pageSize));
      if (frame === undefined) return false;
      this.state.memory.readInto(frame * pageSize + (at % pageSize), n, target, offset);
      offset += n;
    }
    return true;
  }

  /** The bytes at a host physical address. */
  readPhysical(pa: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    const pageSize = this.state.config.pageSize;
    for (let offset = 0; offset < length;) {
      const n = Math.min(length - offset, pageSize - ((pa + offset) % pageSize));
      this.state.memory.readInto(pa + offset, n, bytes, offset);
      offset += n;
    }
    return bytes;
  }

  /** The space's mappings, as runs of contiguous pages with the same flags. */
  mappings(space: number): MappingRun[] {
    const runs: MappingRun[] = [];
    const pageSize = this.state.config.pageSize;
    let run:
      { va: number; pages: number; frame: number; flags: number; lastVpn: number } | undefined;
    this.state.space(space).table.forEach((vpn, pte) => {
      const flags = pteFlags(pte);
      const frame = flags & Pte.LAZY ? -1 : pteFrame(pte);
      const continues =
        run !== undefined &&
        run.lastVpn === vpn - 1 &&
        run.flags === flags &&
        (frame === -1 ? run.frame === -1 : run.frame + run.pages === frame);
      if (continues) {
        run!.pages++;
        run!.lastVpn = vpn;
        return;
      }
      if (run) runs.push(finish(run));
      run = { va: vpn * pageSize, pages: 1, frame, flags, lastVpn: vpn };
    });
    if (run) runs.push(finish(run));
    return runs;
  }

  /** Who owns a host frame and which host and VM spaces map it. */
  owners(frame: number): FrameOwners {
    const memory = this.state.memory;
    const mappings: FrameMapping[] = [];
    for (const space of this.hostFrameSpaces()) {
      space.table.forEach((vpn, pte) => {
        if ((pteFlags(pte) & Pte.LAZY) === 0 && pteFrame(pte) === frame) {
          mappings.push({
            space: space.id,
            va: vpn * this.state.config.pageSize,
            flags: describeFlags(pteFlags(pte)),
          });
        }
      });
    }
    const partition = memory.ownerOf(frame)?.name;
    return {
      frame,
      ...(partition ? { partition } : {}),
      sharedWith: memory.sharedWith(frame),
      refcount: memory.refcount(frame),
      mappings,
    };
  }

  /** The cached translations of a space's TLB. */
  tlb(space: number): TlbEntry[] {
    return this.state.space(space).tlb.entries();
  }

  stats(): MmuStats {
    const memory = this.state.memory;
    const cow = new Set<number>();
    let materializedFrames = 0;
    let sharedFrames = 0;
    for (let frame = 0; frame < memory.frameCount; frame++) {
      if (memory.materialized(frame)) materializedFrames++;
      if (memory.refcount(frame) > 1) sharedFrames++;
    }
    for (const space of this.hostFrameSpaces()) {
      space.table.forEach((_vpn, pte) => {
        if (pteFlags(pte) & Pte.COW) cow.add(pteFrame(pte));
      });
    }
    return {
      partitions: memory.allPartitions().map((p) => {
        const used = memory.usedFrames(p.name);
        return { name: p.name, base: p.base, frames: p.frames, used, free: p.frames - used };
      }),
      sharedFrames,
      cowFrames: cow.size,
      materializedFrames,
      spaces: this.state.allSpaces().map((s) => {
        const { hits, misses } = s.tlb;
        return {
          id: s.id,
          kind: s.kind,
          pages: s.table.entries,
          tlbHits: hits,
          tlbMisses: misses,
          tlbHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
          faults: s.faults,
        };
      }),
    };
  }

  /** Frames copied because a snapshot held them: what snapshots have cost in copying, so far. */
  framesCopiedBySnapshots(): number {
    return this.state.memory.framesCopied;
  }

  private hostFrameSpaces(): AddressSpace[] {
    return this.state.allSpaces().filter((s) => s.kind !== 'guest');
  }
}
