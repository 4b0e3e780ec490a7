import { defineCommand, returns } from '@chronovisor/core';
import { bytes, pageCount, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { UPDATE_STEPS, type RevertReason, type UpdateStep } from './vmm-events';

const version = z
  .string()
  .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a semver version such as 1.2.0');
const hypercall = z.string().regex(/^[a-z][a-z0-9_]*$/);

/** What an update came to: the new version, or why it was refused or reverted. */
export type UpdateOutcome =
  | { readonly ok: true; readonly version: string; readonly blackoutMicros: number }
  | { readonly ok: false; readonly refused: string; readonly message: string }
  | {
      readonly ok: false;
      readonly reverted: RevertReason;
      readonly step: UpdateStep;
      readonly message: string;
    };

/** `vmm.install`: the VMM, its code in `pages` pages of its own host partition. */
export const install = defineCommand('vmm.install', {
  args: z.strictObject({
    partition: partitionName,
    version,
    pages: pageCount.max(4096).default(16),
    hypercalls: z.array(hypercall).min(1).max(64),
    /** Guest extension name → the semver range of its versions this VMM works with. */
    compatible: z.record(z.string().min(1), z.string().min(1)).default({}),
  }),
  description:
    'Install the VMM at `version` in `partition`, with its hypercalls and the extension versions it works with.',
});

/** `vmm.attach`: a VM runs on the VMM, with guest extensions at these versions. */
export const attach = defineCommand('vmm.attach', {
  args: z.strictObject({
    vm: spaceId,
    extensions: z.record(z.string().min(1), version).default({}),
  }),
  description:
    'Attach VM `vm` to the VMM, with its guest extensions (drivers, agents) and their versions.',
});

/** `vmm.busy`: a guest enters (or leaves) a section it cannot be quiesced in. */
export const busy = defineCommand('vmm.busy', {
  args: z.strictObject({ vm: spaceId, busy: z.boolean() }),
  description: 'Mark guest `vm` busy (it will not quiesce) or not.',
});

/**
 * `vmm.update`: an updater in guest `from` hands the VMM an update package (its bytes); the VMM
 * verifies it, stages the new code, updates the guest extensions, quiesces, and commits — or
 * reverts from the step that failed. `failAt` fails a step on purpose (tests, demonstrations).
 */
export const update = defineCommand('vmm.update', {
  args: z.strictObject({ from: spaceId, package: bytes, failAt: z.enum(UPDATE_STEPS).optional() }),
  description:
    'Apply the update package `package`, sent by an updater in guest `from`: committed, refused, or reverted.',
  returns: returns<UpdateOutcome>(),
});

/** Every command type the plugin handles. */
export const VMM_COMMANDS = [install, attach, busy, update] as const;
