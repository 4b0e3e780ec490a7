import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, bytes, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { BOOT_POLICIES } from './boot-options';
import { imageManifestSchema } from './image';

const count = z.number().int().min(0);
const imageName = z.string().min(1);

/** Why a page was loaded into a booted VM. */
export const LOAD_CAUSES = ['prefetch', 'fault', 'identity'] as const;
export type LoadCause = (typeof LOAD_CAUSES)[number];

/**
 * `snapshot.image.stored`: an image was captured from a running VM, or imported from a file,
 * into the simulated host's storage: its manifest and the bytes of every page that is not zero.
 */
export const imageStored = defineEvent('snapshot.image.stored', {
  data: z
    .object({
      name: imageName,
      origin: z.enum(['capture', 'import']),
      /** The VM captured. */
      vm: spaceId.optional(),
      manifest: imageManifestSchema,
      pages: z.array(z.object({ gpa: address, data: bytes }).readonly()).readonly(),
    })
    .readonly(),
  description: 'A snapshot image was captured from a VM or imported from a file.',
});

/** `snapshot.vm.booted`: a VM was made from an image, its memory mapped lazily in stage 2. */
export const vmBooted = defineEvent('snapshot.vm.booted', {
  data: z
    .object({
      vm: spaceId,
      image: imageName,
      policy: z.enum(BOOT_POLICIES),
      /** The guest processes recreated, in the manifest's order. */
      guests: z.array(spaceId).readonly(),
      /** Pages of guest-physical memory mapped, and pages to prefetch before the VM runs. */
      pages: count,
      prefetch: count,
      /** The identity bytes (hex) the image holds, where it keeps one: what the VM starts with. */
      identity: z.string().optional(),
    })
    .readonly(),
  description: 'A VM was booted from a snapshot image, its memory mapped lazily.',
});

/** `snapshot.page.loaded`: a page of a booted VM was loaded from its image. */
export const pageLoaded = defineEvent('snapshot.page.loaded', {
  data: z
    .object({
      vm: spaceId,
      gpa: address,
      length: count,
      cause: z.enum(['prefetch', 'fault', 'identity']),
      /** The image held the page (else it loads as zeros). */
      stored: z.boolean(),
    })
    .readonly(),
  description: 'A page of a booted VM was loaded from its image, prefetched or on a fault.',
  access: ({ vm, gpa, length }) => ({ kind: 'write', space: vm, va: gpa, length }),
});

/** `snapshot.working-set.saved`: a VM's pages in the order it first touched them, kept with its image. */
export const workingSetSaved = defineEvent('snapshot.working-set.saved', {
  data: z.object({ image: imageName, vm: spaceId, pages: z.array(address).readonly() }).readonly(),
  description: "A booted VM's first-touch order was kept with its image, for the next boot.",
});

/** `snapshot.identity.set`: a booted VM got a fresh identity (seed, tokens) where its image says it keeps one. */
export const identitySet = defineEvent('snapshot.identity.set', {
  data: z.object({ vm: spaceId, gpa: address, token: bytes }).readonly(),
  description: 'A clone got its own identity, written where the image keeps it.',
  access: ({ vm, gpa, token }) => ({ kind: 'write', space: vm, va: gpa, length: token.length }),
});

/** `snapshot.identity.shared`: clones of one image run with the same identity: the clone hazard. */
export const identityShared = defineEvent('snapshot.identity.shared', {
  data: z
    .object({ vm: spaceId, image: imageName, with: z.array(spaceId).readonly(), gpa: address })
    .readonly(),
  marks: 'violation',
  description: 'A VM booted with the same identity as live clones of its image.',
});

/** Payload of `snapshot.image.stored`. */
export type ImageStored = DataOf<typeof imageStored>;
/** Payload of `snapshot.vm.booted`. */
export type VmBooted = DataOf<typeof vmBooted>;
/** Payload of `snapshot.page.loaded`. */
export type PageLoaded = DataOf<typeof pageLoaded>;

/** Every event type the plugin emits, for its definition. */
export const SNAPSHOT_EVENTS = [
  imageStored,
  vmBooted,
  pageLoaded,
  workingSetSaved,
  identitySet,
  identityShared,
] as const;
