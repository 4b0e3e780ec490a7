import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';

const count = z.number().int().min(0);
const program = z.string().min(1);
const version = z.string().min(1);

/** How a version's global relates to the versions before it. */
export const BINDINGS = ['common', 'added', 'transformed'] as const;
export type Binding = (typeof BINDINGS)[number];

/** A global as a version binds it: its place in the shared data segment. */
export const boundGlobal = z
  .object({
    name: z.string().min(1),
    type: z.string().min(1),
    size: count,
    /** Byte offset in the shared data segment: the same physical bytes for every version sharing it. */
    offset: count,
    binding: z.enum(BINDINGS),
    /** The allocation in the segment: the same for every version sharing the global's bytes. */
    slot: count,
  })
  .readonly();
export type BoundGlobal = z.output<typeof boundGlobal>;

/** `overlay.program.created`: a program's shared data segment: the frames of a store space. */
export const programCreated = defineEvent('overlay.program.created', {
  data: z.object({ program, partition: partitionName, store: spaceId, va: address }).readonly(),
  description: "A program's shared data segment was made, in its partition's frames.",
});

/** `overlay.segment.grown`: the shared data segment took more pages, mapped into every live version. */
export const segmentGrown = defineEvent('overlay.segment.grown', {
  data: z.object({ program, pages: count }).readonly(),
  description: 'The shared data segment grew, and every live version maps the new pages.',
});

/**
 * `overlay.version.loaded`: a version's global segment (its own address range, in its own
 * process) was bound to the shared data segment: each global common, added, or transformed.
 */
export const versionLoaded = defineEvent('overlay.version.loaded', {
  data: z
    .object({
      program,
      version,
      space: spaceId,
      /** Where its global segment starts in its process: global g is at base + g.offset. */
      base: address,
      globals: z.array(boundGlobal).readonly(),
    })
    .readonly(),
  description: "A version's global segment was bound to the shared data segment.",
  access: ({ space, base, globals }) => ({
    kind: 'write',
    space,
    va: base,
    length: globals.reduce((end, g) => Math.max(end, g.offset + g.size), 0),
  }),
});

/** `overlay.version.retired`: a version's segment unmapped; globals no live version uses, freed. */
export const versionRetired = defineEvent('overlay.version.retired', {
  data: z
    .object({
      program,
      version,
      /** Globals no live version uses any more: their bytes are free. */
      freed: z.array(z.string()).readonly(),
      /** Common globals whose value differs from when this version loaded: what a rollback keeps. */
      changed: z.array(z.string()).readonly(),
    })
    .readonly(),
  description: 'A version was retired: its segment unmapped, globals no live version uses freed.',
});

/** `overlay.global.written`: a version wrote a global: every version bound to its slot sees it. */
export const globalWritten = defineEvent('overlay.global.written', {
  data: z.object({ program, version, global: z.string(), slot: count }).readonly(),
  description: 'A version wrote a global, which every version sharing its bytes now reads.',
});

export type VersionLoaded = DataOf<typeof versionLoaded>;

/** Every event type the plugin emits. */
export const OVERLAY_EVENTS = [
  programCreated,
  segmentGrown,
  versionLoaded,
  globalWritten,
  versionRetired,
] as const;
