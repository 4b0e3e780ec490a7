import type { EventTypeDefinition } from '@chronovisor/core';

/** What kind of address space: a host process, a VM's guest-physical space (stage 2), or a guest process (stage 1). */
export type SpaceKind = 'host' | 'vm' | 'guest';
/** What an access does: load, store, or instruction fetch. */
export type AccessKind = 'read' | 'write' | 'execute';
/** Why a translation failed: nothing mapped, not allowed, or mapped lazily and not loaded yet. */
export type FaultKind = 'not-present' | 'protection' | 'lazy';
/** Why TLB entries were shot down. */
export type InvalidationReason =
  'unmap' | 'protect' | 'remap' | 'fork' | 'cow' | 'stage-2' | 'destroy';

/** Payload of `mmu.partition.created`. */
export interface PartitionCreated {
  readonly name: string;
  readonly base: number;
  readonly frames: number;
}
/** Payload of `mmu.space.created`. */
export interface SpaceCreated {
  readonly space: number;
  readonly kind: SpaceKind;
  readonly partition: string;
  /** For a guest space: the VM (stage-2 space) it runs in. */
  readonly vm?: number;
}
/** Payload of `mmu.space.destroyed`. */
export interface SpaceDestroyed {
  readonly space: number;
  /** Frames nobody held any more, freed. */
  readonly freed: readonly number[];
}
/** Payload of `mmu.space.forked`. */
export interface SpaceForked {
  readonly parent: number;
  readonly child: number;
}
/** Payload of `mmu.pages.mapped`. */
export interface PagesMapped {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
  /** Entry flags (see Pte). */
  readonly flags: number;
  /** The frame of each page: freshly allocated host frames, or guest frames for a guest space; empty when lazy. */
  readonly frames: readonly number[];
}
/** Payload of `mmu.pages.unmapped`. */
export interface PagesUnmapped {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
  readonly freed: readonly number[];
}
/** Payload of `mmu.pages.protected`. */
export interface PagesProtected {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
  /** The new R, W, X and U bits. */
  readonly perms: number;
}
/** Payload of `mmu.pages.marked`. */
export interface PagesMarked {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
  /** Software bits set, then cleared. */
  readonly set: number;
  readonly clear: number;
}
/** Payload of `mmu.pages.shared`. */
export interface PagesShared {
  readonly from: number;
  readonly va: number;
  readonly pages: number;
  readonly to: number;
  readonly toVa: number;
  readonly perms: number;
}
/** Payload of `mmu.pages.remapped`. */
export interface PagesRemapped {
  readonly from: number;
  readonly va: number;
  readonly pages: number;
  readonly to: number;
  readonly toVa: number;
}
/** Payload of `mmu.frames.exported`. */
export interface FramesExported {
  readonly frames: readonly number[];
  readonly partition: string;
}
/** Payload of `mmu.page.loaded`. */
export interface PageLoaded {
  readonly space: number;
  readonly va: number;
  readonly frame: number;
  readonly data: Uint8Array;
}
/** Payload of `mmu.cow.resolved`. */
export interface CowResolved {
  readonly space: number;
  readonly va: number;
  readonly from: number;
  /** The new private frame; equal to `from` when this space was the last holder and keeps it. */
  readonly to: number;
}
/** Payload of `mmu.memory.read`. */
export interface MemoryRead {
  readonly space: number;
  readonly va: number;
  readonly length: number;
  /** Host physical address. */
  readonly pa: number;
  /** Guest physical address, for a guest space. */
  readonly gpa?: number;
  readonly access: 'read' | 'execute';
  readonly hit: boolean;
}
/** Payload of `mmu.memory.written`. */
export interface MemoryWritten {
  readonly space: number;
  readonly va: number;
  readonly pa: number;
  readonly gpa?: number;
  readonly data: Uint8Array;
  readonly hit: boolean;
}
/** Payload of `mmu.fault.raised`. */
export interface FaultRaised {
  readonly space: number;
  readonly va: number;
  readonly access: AccessKind;
  readonly kind: FaultKind;
  /** 1: delivered to the space's own OS (guest or host); 2: to the VMM. */
  readonly stage: 1 | 2;
  readonly gpa?: number;
}
/** Payload of `mmu.isolation.violated`. */
export interface IsolationViolated {
  readonly op: 'share' | 'remap';
  readonly space: number;
  readonly frame: number;
  /** The partition that tried to map the frame. */
  readonly partition: string;
  /** The partition that owns it. */
  readonly owner: string;
}
/** Payload of `mmu.tlb.invalidated`. */
export interface TlbInvalidated {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
  readonly reason: InvalidationReason;
}
/** Payload of `mmu.tlb.flushed`. */
export interface TlbFlushed {
  /** The space whose TLB was flushed; absent for all of them. */
  readonly space?: number;
}

declare module '@chronovisor/core' {
  interface EventMap {
    'mmu.partition.created': PartitionCreated;
    'mmu.space.created': SpaceCreated;
    'mmu.space.destroyed': SpaceDestroyed;
    'mmu.space.forked': SpaceForked;
    'mmu.pages.mapped': PagesMapped;
    'mmu.pages.unmapped': PagesUnmapped;
    'mmu.pages.protected': PagesProtected;
    'mmu.pages.marked': PagesMarked;
    'mmu.pages.shared': PagesShared;
    'mmu.pages.remapped': PagesRemapped;
    'mmu.frames.exported': FramesExported;
    'mmu.page.loaded': PageLoaded;
    'mmu.cow.resolved': CowResolved;
    'mmu.memory.read': MemoryRead;
    'mmu.memory.written': MemoryWritten;
    'mmu.fault.raised': FaultRaised;
    'mmu.isolation.violated': IsolationViolated;
    'mmu.tlb.invalidated': TlbInvalidated;
    'mmu.tlb.flushed': TlbFlushed;
  }
}

const d = (type: string, description: string): EventTypeDefinition => ({ type, description });

/** The event types the MMU emits. */
export const MMU_EVENTS: readonly EventTypeDefinition[] = [
  d('mmu.partition.created', 'A partition took the next `frames` unassigned frames from `base`.'),
  d('mmu.space.created', 'An address space was created.'),
  d(
    'mmu.space.destroyed',
    'An address space was torn down; `freed` frames went back to their partition.',
  ),
  d('mmu.space.forked', 'A host space was copied copy-on-write into `child`.'),
  d('mmu.pages.mapped', 'Pages were mapped (to fresh frames, guest frames, or lazily).'),
  d('mmu.pages.unmapped', 'Pages were unmapped; `freed` frames went back to their partition.'),
  d('mmu.pages.protected', 'Pages got new permissions.'),
  d('mmu.pages.marked', "Plugins' software bits changed in some entries."),
  d('mmu.pages.shared', "Another space's frames were mapped here too."),
  d('mmu.pages.remapped', 'Frames moved from one space to another without copying.'),
  d('mmu.frames.exported', 'Frames were marked shared with another partition.'),
  d('mmu.page.loaded', 'A lazy page got its frame and contents.'),
  d('mmu.cow.resolved', 'A write to a copy-on-write page gave the space its own frame.'),
  d('mmu.memory.read', 'Bytes were read (or fetched to execute) through translation.'),
  d('mmu.memory.written', 'Bytes were written through translation.'),
  d('mmu.fault.raised', 'A translation failed.'),
  d('mmu.isolation.violated', 'A mapping would have crossed partitions, and was refused.'),
  d('mmu.tlb.invalidated', 'TLB entries were shot down after a change to the tables.'),
  d('mmu.tlb.flushed', 'A TLB (or all of them) was flushed.'),
];
