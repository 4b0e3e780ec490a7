import { defineEvent, hexNumber, type DataOf } from '@chronovisor/core';
import { z } from 'zod';
import { address, bytes, pageCount, partitionName, spaceId } from './args';

// Payload schemas describe what the MMU emits, no more strictly: they also check imported logs.
const frame = z.number().int().min(0);
const frames = z.array(frame).readonly();
/** A host or guest physical address: a frame number times the page size, plus an offset. */
const physical = hexNumber(z.number().int().min(0));

const spaceKind = z.enum(['host', 'vm', 'guest']);
const accessKind = z.enum(['read', 'write', 'execute']);
const faultKind = z.enum(['not-present', 'protection', 'lazy']);
const invalidationReason = z.enum([
  'unmap',
  'protect',
  'remap',
  'fork',
  'cow',
  'stage-2',
  'destroy',
]);

/** What kind of address space: a host process, a VM's guest-physical space (stage 2), or a guest process (stage 1). */
export type SpaceKind = z.infer<typeof spaceKind>;
/** What an access does: load, store, or instruction fetch. */
export type AccessKind = z.infer<typeof accessKind>;
/** Why a translation failed: nothing mapped, not allowed, or mapped lazily and not loaded yet. */
export type FaultKind = z.infer<typeof faultKind>;
/** Why TLB entries were shot down. */
export type InvalidationReason = z.infer<typeof invalidationReason>;

/** `mmu.partition.created`: a partition took the next `frames` unassigned frames from `base`. */
export const partitionCreated = defineEvent('mmu.partition.created', {
  data: z.object({ name: partitionName, base: frame, frames: frame }).readonly(),
  description: 'A partition took the next `frames` unassigned frames from `base`.',
});

/** `mmu.space.created`: an address space was created. */
export const spaceCreated = defineEvent('mmu.space.created', {
  data: z
    .object({
      space: spaceId,
      kind: spaceKind,
      partition: partitionName,
      /** For a guest space: the VM (stage-2 space) it runs in. */
      vm: spaceId.optional(),
    })
    .readonly(),
  description: 'An address space was created.',
});

/** `mmu.space.destroyed`: an address space was torn down. */
export const spaceDestroyed = defineEvent('mmu.space.destroyed', {
  data: z
    .object({
      space: spaceId,
      /** Frames nobody held any more, freed. */
      freed: frames,
    })
    .readonly(),
  description: 'An address space was torn down; `freed` frames went back to their partition.',
  frames: ({ freed }) => (freed.length > 0 ? { kind: 'free', frames: freed } : undefined),
});

/** `mmu.space.forked`: a host space was copied copy-on-write. */
export const spaceForked = defineEvent('mmu.space.forked', {
  data: z.object({ parent: spaceId, child: spaceId }).readonly(),
  description: 'A host space was copied copy-on-write into `child`.',
});

/** `mmu.pages.mapped`: pages were mapped. */
export const pagesMapped = defineEvent('mmu.pages.mapped', {
  data: z
    .object({
      space: spaceId,
      va: address,
      pages: pageCount,
      /** Entry flags (see Pte). */
      flags: z.number().int().min(0),
      /** The frame of each page: freshly allocated host frames, or guest frames for a guest space; empty when lazy. */
      frames,
    })
    .readonly(),
  description: 'Pages were mapped (to fresh frames, guest frames, or lazily).',
});

/** `mmu.pages.unmapped`: pages were unmapped. */
export const pagesUnmapped = defineEvent('mmu.pages.unmapped', {
  data: z.object({ space: spaceId, va: address, pages: pageCount, freed: frames }).readonly(),
  description: 'Pages were unmapped; `freed` frames went back to their partition.',
  frames: ({ freed }) => (freed.length > 0 ? { kind: 'free', frames: freed } : undefined),
});

/** `mmu.pages.protected`: pages got new permissions. */
export const pagesProtected = defineEvent('mmu.pages.protected', {
  data: z
    .object({
      space: spaceId,
      va: address,
      pages: pageCount,
      /** The new R, W, X and U bits. */
      perms: z.number().int().min(0),
    })
    .readonly(),
  description: 'Pages got new permissions.',
});

/** `mmu.pages.marked`: software bits changed. */
export const pagesMarked = defineEvent('mmu.pages.marked', {
  data: z
    .object({
      space: spaceId,
      va: address,
      pages: pageCount,
      /** Software bits set, then cleared. */
      set: z.number().int().min(0),
      clear: z.number().int().min(0),
    })
    .readonly(),
  description: "Plugins' software bits changed in some entries.",
});

/** `mmu.pages.shared`: another space's frames were mapped here too. */
export const pagesShared = defineEvent('mmu.pages.shared', {
  data: z
    .object({
      from: spaceId,
      va: address,
      pages: pageCount,
      to: spaceId,
      toVa: address,
      perms: z.number().int().min(0),
    })
    .readonly(),
  description: "Another space's frames were mapped here too.",
});

/** `mmu.pages.remapped`: frames moved between spaces. */
export const pagesRemapped = defineEvent('mmu.pages.remapped', {
  data: z
    .object({ from: spaceId, va: address, pages: pageCount, to: spaceId, toVa: address })
    .readonly(),
  description: 'Frames moved from one space to another without copying.',
});

/** `mmu.frames.exported`: frames were shared with another partition. */
export const framesExported = defineEvent('mmu.frames.exported', {
  data: z.object({ frames, partition: partitionName }).readonly(),
  description: 'Frames were marked shared with another partition.',
});

/** `mmu.page.loaded`: a lazy page got its frame. */
export const pageLoaded = defineEvent('mmu.page.loaded', {
  data: z.object({ space: spaceId, va: address, frame, data: bytes }).readonly(),
  description: 'A lazy page got its frame and contents.',
  frames: ({ space, va, frame }) => ({ kind: 'fill', frame, space, va }),
});

/**
 * `mmu.cow.resolved`: a write to a copy-on-write page gave the space its own frame. In a guest
 * space, its own guest-physical page (`fromGpa` → `toGpa`), and so the frame behind it.
 */
export const cowResolved = defineEvent('mmu.cow.resolved', {
  data: z
    .object({
      space: spaceId,
      va: address,
      from: frame,
      /** The new private frame; equal to `from` when this space was the last holder and keeps it. */
      to: frame,
      /** A guest space's: the guest-physical page it shared, and the one it now has alone. */
      fromGpa: address.optional(),
      toGpa: address.optional(),
    })
    .readonly(),
  description: 'A write to a copy-on-write page gave the space its own frame.',
  frames: ({ space, va, from, to }) =>
    from === to ? undefined : { kind: 'copy', from, to, space, va },
});

/** `mmu.memory.read`: bytes were read through translation. */
export const memoryRead = defineEvent('mmu.memory.read', {
  data: z
    .object({
      space: spaceId,
      va: address,
      length: z.number().int().min(1),
      /** Host physical address. */
      pa: physical,
      /** Guest physical address, for a guest space. */
      gpa: physical.optional(),
      access: z.enum(['read', 'execute']),
      hit: z.boolean(),
    })
    .readonly(),
  description: 'Bytes were read (or fetched to execute) through translation.',
  access: ({ space, va, length, pa }) => ({ kind: 'read', space, va, length, pa }),
});

/** `mmu.memory.written`: bytes were written through translation. */
export const memoryWritten = defineEvent('mmu.memory.written', {
  data: z
    .object({
      space: spaceId,
      va: address,
      pa: physical,
      gpa: physical.optional(),
      data: bytes,
      hit: z.boolean(),
    })
    .readonly(),
  description: 'Bytes were written through translation.',
  access: ({ space, va, data, pa }) => ({ kind: 'write', space, va, length: data.length, pa }),
});

/** `mmu.fault.raised`: a translation failed. */
export const faultRaised = defineEvent('mmu.fault.raised', {
  data: z
    .object({
      space: spaceId,
      va: address,
      access: accessKind,
      kind: faultKind,
      /** 1: delivered to the space's own OS (guest or host); 2: to the VMM. */
      stage: z.literal([1, 2]),
      gpa: physical.optional(),
    })
    .readonly(),
  description: 'A translation failed.',
  marks: 'fault',
});

/** `mmu.isolation.violated`: a mapping would have crossed partitions, and was refused. */
export const isolationViolated = defineEvent('mmu.isolation.violated', {
  data: z
    .object({
      op: z.enum(['share', 'remap']),
      space: spaceId,
      frame,
      /** The partition that tried to map the frame. */
      partition: partitionName,
      /** The partition that owns it (`(none)` for an unassigned frame). */
      owner: z.string(),
    })
    .readonly(),
  description: 'A mapping would have crossed partitions, and was refused.',
  marks: 'violation',
});

/** `mmu.tlb.invalidated`: TLB entries were shot down. */
export const tlbInvalidated = defineEvent('mmu.tlb.invalidated', {
  data: z
    .object({
      space: spaceId,
      va: address,
      // Not a pageCount: a fork shoots down the whole address space.
      pages: z.number().int().min(1),
      reason: invalidationReason,
    })
    .readonly(),
  description: 'TLB entries were shot down after a change to the tables.',
});

/** `mmu.tlb.flushed`: a TLB, or all of them, was flushed. */
export const tlbFlushed = defineEvent('mmu.tlb.flushed', {
  data: z
    .object({
      /** The space whose TLB was flushed; absent for all of them. */
      space: spaceId.optional(),
    })
    .readonly(),
  description: 'A TLB (or all of them) was flushed.',
});

/** Payload of `mmu.partition.created`. */
export type PartitionCreated = DataOf<typeof partitionCreated>;
/** Payload of `mmu.space.created`. */
export type SpaceCreated = DataOf<typeof spaceCreated>;
/** Payload of `mmu.space.destroyed`. */
export type SpaceDestroyed = DataOf<typeof spaceDestroyed>;
/** Payload of `mmu.space.forked`. */
export type SpaceForked = DataOf<typeof spaceForked>;
/** Payload of `mmu.pages.mapped`. */
export type PagesMapped = DataOf<typeof pagesMapped>;
/** Payload of `mmu.pages.unmapped`. */
export type PagesUnmapped = DataOf<typeof pagesUnmapped>;
/** Payload of `mmu.pages.protected`. */
export type PagesProtected = DataOf<typeof pagesProtected>;
/** Payload of `mmu.pages.marked`. */
export type PagesMarked = DataOf<typeof pagesMarked>;
/** Payload of `mmu.pages.shared`. */
export type PagesShared = DataOf<typeof pagesShared>;
/** Payload of `mmu.pages.remapped`. */
export type PagesRemapped = DataOf<typeof pagesRemapped>;
/** Payload of `mmu.frames.exported`. */
export type FramesExported = DataOf<typeof framesExported>;
/** Payload of `mmu.page.loaded`. */
export type PageLoaded = DataOf<typeof pageLoaded>;
/** Payload of `mmu.cow.resolved`. */
export type CowResolved = DataOf<typeof cowResolved>;
/** Payload of `mmu.memory.read`. */
export type MemoryRead = DataOf<typeof memoryRead>;
/** Payload of `mmu.memory.written`. */
export type MemoryWritten = DataOf<typeof memoryWritten>;
/** Payload of `mmu.fault.raised`. */
export type FaultRaised = DataOf<typeof faultRaised>;
/** Payload of `mmu.isolation.violated`. */
export type IsolationViolated = DataOf<typeof isolationViolated>;
/** Payload of `mmu.tlb.invalidated`. */
export type TlbInvalidated = DataOf<typeof tlbInvalidated>;
/** Payload of `mmu.tlb.flushed`. */
export type TlbFlushed = DataOf<typeof tlbFlushed>;

/** Every event type the MMU emits, for its plugin definition. */
export const MMU_EVENTS = [
  partitionCreated,
  spaceCreated,
  spaceDestroyed,
  spaceForked,
  pagesMapped,
  pagesUnmapped,
  pagesProtected,
  pagesMarked,
  pagesShared,
  pagesRemapped,
  framesExported,
  pageLoaded,
  cowResolved,
  memoryRead,
  memoryWritten,
  faultRaised,
  isolationViolated,
  tlbInvalidated,
  tlbFlushed,
] as const;
