import { defineCommand, returns } from '@chronovisor/core';
import { address, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { BOOT_POLICIES } from './boot-options';
import { snapshotImageSchema } from './image';

const imageName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ., _ or - (up to 128)');

/** What a boot made: the VM and its guest processes. */
export interface Booted {
  readonly vm: number;
  readonly guests: readonly number[];
}

/** `snapshot.capture`: captures a running VM into an image in the simulated host's storage. */
export const capture = defineCommand('snapshot.capture', {
  args: z.strictObject({
    vm: spaceId,
    name: imageName,
    /** vCPU and device state as the scenario models them: plain JSON kept in the manifest. */
    vcpu: z.json().optional(),
    /** Where the guest keeps its identity (seed, tokens), which each clone must get fresh. */
    identity: z
      .strictObject({ gpa: address, length: z.number().int().min(1).max(4096) })
      .optional(),
  }),
  description:
    'Capture VM `vm` (its guest-physical memory, guest processes and `vcpu` state) into image `name`.',
});

/** `snapshot.import`: an image read from a file (see `readImageFile`), into the simulated storage. */
export const importImage = defineCommand('snapshot.import', {
  args: z.strictObject({ image: snapshotImageSchema }),
  description: 'Store an image read from a file under the name its manifest gives.',
});

/** `snapshot.boot`: a VM from an image, memory mapped lazily; the policy says what loads first. */
export const boot = defineCommand('snapshot.boot', {
  args: z.strictObject({
    image: imageName,
    partition: partitionName,
    /** Default: the plugin's `policy` option. */
    policy: z.enum(BOOT_POLICIES).optional(),
    /** `fresh` (default): a new identity from the run's RNG where the image keeps one; `keep`: the image's, as a naive clone does. */
    identity: z.enum(['fresh', 'keep']).default('fresh'),
  }),
  description:
    'Boot a VM in `partition` from image `image`, loading first what `policy` says; returns the VM and its guests.',
  returns: returns<Booted>(),
});

/** `snapshot.fault-in`: loads a lazy page of a booted VM (what the plugin's reactor issues on a fault). */
export const faultIn = defineCommand('snapshot.fault-in', {
  args: z.strictObject({ vm: spaceId, gpa: address }),
  description: 'Load the page at guest-physical `gpa` of booted VM `vm` from its image.',
});

/** `snapshot.save-working-set`: keeps a booted VM's first-touch order with its image. */
export const saveWorkingSet = defineCommand('snapshot.save-working-set', {
  args: z.strictObject({ vm: spaceId }),
  description:
    "Keep VM `vm`'s pages, in the order it first touched them, as its image's working set.",
});

/** What makes a code cache compatible with an instance: its VM build, options and components. */
const fingerprint = z.strictObject({
  build: z.string().min(1),
  options: z.record(z.string(), z.json()).default({}),
  components: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        version: z.string().min(1),
        /** Bytes of compiled code it makes. */
        bytes: z
          .number()
          .int()
          .min(1)
          .max(2 ** 26),
      }),
    )
    .min(1),
});
/** A code cache's compatibility fingerprint. */
export type CacheFingerprint = z.output<typeof fingerprint>;

/**
 * `snapshot.cache-open`: a VM instance opens the code cache at `path`: maps it if it exists and is
 * compatible and intact, else compiles its components into a new version and maps that.
 */
export const cacheOpen = defineCommand('snapshot.cache-open', {
  args: z.strictObject({
    vm: spaceId,
    path: z.string().min(1).max(256),
    gpa: address,
    fingerprint,
  }),
  description:
    'Open the code cache at `path` for VM `vm`, mapped read-only at `gpa`: shared if compatible, else (re)built; returns its version.',
  returns: returns<number>(),
});

/** Every command type the plugin handles, for its definition. */
export const SNAPSHOT_COMMANDS = [
  capture,
  importImage,
  boot,
  faultIn,
  saveWorkingSet,
  cacheOpen,
] as const;
