import { defineCommand, returns, type ArgsOf } from '@chronovisor/core';
import { z } from 'zod';
import { address, bytes, pageCount, partitionName, perms, spaceId } from './args';
import type { FaultRaised, IsolationViolated } from './mmu-events';

/** At most this many bytes per access command: a sanity bound, far above any load or store. */
export const MAX_ACCESS = 1 << 20;

const range = { space: spaceId, va: address, pages: pageCount };
const move = { from: spaceId, va: address, pages: pageCount, to: spaceId, toVa: address };

/** What a read found: the bytes, or the fault that stopped it. */
export type ReadOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly fault: FaultRaised };
/** Whether a write happened, or the fault that stopped it. */
export type WriteOutcome =
  { readonly ok: true } | { readonly ok: false; readonly fault: FaultRaised };
/** Whether a share or remap happened, or the isolation violation that stopped it. */
export type MoveOutcome =
  { readonly ok: true } | { readonly ok: false; readonly violation: IsolationViolated };

/** `mmu.create-partition`: gives a named partition the next `frames` unassigned frames. */
export const createPartition = defineCommand('mmu.create-partition', {
  args: z.strictObject({ name: partitionName, frames: z.number().int().min(1) }),
  description: 'Give partition `name` the next `frames` unassigned physical frames.',
  returns: returns<{ base: number; frames: number }>(),
});

/** `mmu.create-space`: a host process space or a VM in a partition, or a guest process space in a VM. */
export const createSpace = defineCommand('mmu.create-space', {
  args: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('host'), partition: partitionName }),
    z.strictObject({ kind: z.literal('vm'), partition: partitionName }),
    z.strictObject({ kind: z.literal('guest'), vm: spaceId }),
  ]),
  description:
    'Create a `host` or `vm` space in `partition`, or a `guest` space in VM `vm`; returns its id.',
  returns: returns<number>(),
});

/** `mmu.destroy-space`: tears a space down, releasing its frames. */
export const destroySpace = defineCommand('mmu.destroy-space', {
  args: z.strictObject({ space: spaceId }),
  description: 'Tear down space `space`, releasing every frame it holds.',
});

/** `mmu.fork`: copies a host space copy-on-write, as fork(2) does. */
export const fork = defineCommand('mmu.fork', {
  args: z.strictObject({ space: spaceId }),
  description: 'Copy host space `space` copy-on-write into a new space; returns its id.',
  returns: returns<number>(),
});

/**
 * `mmu.map`: maps pages. A host or VM space gets fresh frames from its partition (the lowest free
 * ones, zeroed); a guest space maps to guest-physical pages (`to`), which its VM's stage-2 table
 * must back; a lazy mapping takes no frame until `mmu.load`. Returns the frames.
 */
export const map = defineCommand('mmu.map', {
  args: z.strictObject({
    ...range,
    perms: perms.default('rw-'),
    /** Supervisor-only pages (no USER bit). */
    kernel: z.boolean().default(false),
    /** Map the pages as in the image but not loaded: the first access faults (`lazy`). */
    lazy: z.boolean().default(false),
    /**
     * For a guest space: the guest-physical address the pages map to. Without it, the lowest
     * guest-physical pages of the VM's memory that no guest space maps (a guest kernel's pick).
     */
    to: address.optional(),
  }),
  description:
    'Map `pages` pages at `va` in `space`, to fresh frames (host, VM), guest-physical `to` (guest) or lazily.',
  returns: returns<number[]>(),
});

/** `mmu.unmap`: unmaps pages (those not mapped are skipped, as munmap does) and shoots down their TLB entries. */
export const unmap = defineCommand('mmu.unmap', {
  args: z.strictObject(range),
  description: 'Unmap `pages` pages at `va` in `space`; frames nobody holds any more are freed.',
});

/** `mmu.protect`: changes permissions of mapped pages (all must be mapped, as mprotect demands). */
export const protect = defineCommand('mmu.protect', {
  args: z.strictObject({ ...range, perms, kernel: z.boolean().default(false) }),
  description: 'Give `pages` mapped pages at `va` in `space` the permissions `perms`.',
});

/**
 * `mmu.share`: maps another space's frames here too (both marked shared, so a fork keeps them
 * shared). Refused across partitions unless exported. Between guests of one VM: the same
 * guest-physical pages.
 */
export const share = defineCommand('mmu.share', {
  args: z.strictObject({ ...move, perms: perms.default('rw-') }),
  description: "Map `from`'s frames at `va` into `to` at `toVa` as well, with `perms`.",
  returns: returns<MoveOutcome>(),
});

/** `mmu.remap`: moves frames from one space to another without copying (migration by remapping). */
export const remap = defineCommand('mmu.remap', {
  args: z.strictObject(move),
  description: 'Move the frames at `va` in `from` to `toVa` in `to`, without copying them.',
  returns: returns<MoveOutcome>(),
});

/**
 * `mmu.export`: marks the frames behind a range shared with another partition, whose spaces may
 * then map them. (`export` is a keyword, hence the suffix.)
 */
export const exportCommand = defineCommand('mmu.export', {
  args: z.strictObject({ ...range, partition: partitionName }),
  description: 'Mark the frames behind `pages` pages at `va` in `space` shared with `partition`.',
  returns: returns<number[]>(),
});

/** `mmu.load`: gives a lazy page its frame, and optionally its contents (snapshot boot's page-in). */
export const load = defineCommand('mmu.load', {
  args: z.strictObject({ space: spaceId, va: address, data: bytes.optional() }),
  description:
    'Load lazy page `va` of `space`: a fresh frame, filled with `data` if given; returns the frame.',
  returns: returns<number>(),
});

/** `mmu.mark`: sets or clears the entries' software bits, which plugins use and the MMU never reads. */
export const mark = defineCommand('mmu.mark', {
  args: z.strictObject({
    ...range,
    /** Software bits to set and to clear, as a mask of Pte.SOFTWARE bits. */
    set: z.number().int().min(0).default(0),
    clear: z.number().int().min(0).default(0),
  }),
  description:
    'Set bits `set` and clear bits `clear` (software bits only) in `pages` mapped pages at `va`.',
});

/**
 * `mmu.read`: reads bytes through translation (or fetches them to execute); returns them, or the
 * fault. `access` and `kernel` have no schema defaults, so a recorded read holds only what its
 * caller said.
 */
export const read = defineCommand('mmu.read', {
  args: z.strictObject({
    space: spaceId,
    va: address,
    length: z.number().int().min(1).max(MAX_ACCESS),
    /** `execute` for an instruction fetch; default `read`. */
    access: z.enum(['read', 'execute']).optional(),
    /** A supervisor access, allowed on pages without the USER bit; default false. */
    kernel: z.boolean().optional(),
  }),
  description:
    'Read `length` bytes at `va` in `space` through translation (`access: execute` for a fetch).',
  returns: returns<ReadOutcome>(),
});

/** `mmu.write`: writes bytes through translation, breaking copy-on-write first; returns the fault if any. */
export const write = defineCommand('mmu.write', {
  args: z.strictObject({
    space: spaceId,
    va: address,
    data: z
      .custom<Uint8Array>(
        (data) => data instanceof Uint8Array && data.length >= 1 && data.length <= MAX_ACCESS,
        `expected a Uint8Array of 1 to ${MAX_ACCESS} bytes`,
      )
      // A copy: the caller may reuse its buffer, and the command's record must keep what it wrote.
      .transform((data): Uint8Array => data.slice()),
    /** A supervisor access, allowed on pages without the USER bit; default false. */
    kernel: z.boolean().optional(),
  }),
  description: 'Write `data` at `va` in `space` through translation.',
  returns: returns<WriteOutcome>(),
});

/** `mmu.flush`: empties one space's TLB, or every TLB. */
export const flush = defineCommand('mmu.flush', {
  args: z.strictObject({ space: spaceId.optional() }),
  description: "Flush `space`'s TLB, or every TLB when no space is given.",
});

/** Arguments of `mmu.read`. */
export type ReadArgs = ArgsOf<typeof read>;
/** Arguments of `mmu.write`. */
export type WriteArgs = ArgsOf<typeof write>;

/** Every command type the MMU handles, for its plugin definition. */
export const MMU_COMMANDS = [
  createPartition,
  createSpace,
  destroySpace,
  fork,
  map,
  unmap,
  protect,
  share,
  remap,
  exportCommand,
  load,
  mark,
  read,
  write,
  flush,
] as const;
