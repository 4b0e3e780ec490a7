import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { REFUSAL_REASONS } from './package/update-error';

const version = z.string().min(1);
const extensions = z.record(z.string(), version);
const count = z.number().int().min(0);
const id = z.string().min(1);

/** The steps of an update, in order; an update reverts from any of them. */
export const UPDATE_STEPS = [
  'receive',
  'verify',
  'transfer',
  'extensions',
  'quiesce',
  'commit',
] as const;
export type UpdateStep = (typeof UPDATE_STEPS)[number];

/** Why an update that began was reverted. */
export const REVERT_REASONS = [
  'injected-fault',
  'version-skew',
  'quiesce-timeout',
  'updater-gone',
] as const;
export type RevertReason = (typeof REVERT_REASONS)[number];

/** `vmm.hypervisor.installed`: a VMM runs, its code in its own host partition, with its hypercalls. */
export const vmmInstalled = defineEvent('vmm.hypervisor.installed', {
  data: z
    .object({
      version,
      partition: partitionName,
      space: spaceId,
      va: address,
      pages: count,
      hypercalls: z.array(z.string()).readonly(),
      compatible: z.record(z.string(), z.string()),
    })
    .readonly(),
  description: 'A VMM was installed: its version, its memory, its hypercalls.',
});

/** `vmm.guest.attached`: a VM runs on the VMM, with its guest extensions' versions. */
export const guestAttached = defineEvent('vmm.guest.attached', {
  data: z.object({ vm: spaceId, extensions }).readonly(),
  description: 'A VM was attached to the VMM with its guest extensions.',
});

/** `vmm.guest.busy`: a guest is (or is no longer) in a section it cannot be quiesced in. */
export const guestBusy = defineEvent('vmm.guest.busy', {
  data: z.object({ vm: spaceId, busy: z.boolean() }).readonly(),
  description: 'A guest entered or left a section it cannot be quiesced in.',
});

/** `vmm.package.refused`: an update package was refused before anything changed. */
export const packageRefused = defineEvent('vmm.package.refused', {
  data: z
    .object({
      /** The package's id, when it could be read. */
      id: id.optional(),
      from: spaceId,
      reason: z.enum(REFUSAL_REASONS),
      message: z.string(),
    })
    .readonly(),
  marks: 'violation',
  description:
    'An update package was refused: unsigned, tampered, for another version, or missing a dependency.',
});

/** `vmm.update.step`: an update moved through one step of the protocol. */
export const updateStep = defineEvent('vmm.update.step', {
  data: z
    .object({
      id,
      step: z.enum(UPDATE_STEPS),
      /** The updater's guest. */
      from: spaceId,
      /** For `transfer`: where the new VMM is staged in the VMM's memory. */
      staged: z.object({ va: address, pages: count }).readonly().optional(),
      /** For `extensions`: each guest extension switched, from → to. */
      changes: z
        .array(
          z
            .object({ vm: spaceId, name: z.string(), from: version.optional(), to: version })
            .readonly(),
        )
        .readonly()
        .optional(),
      /** For `quiesce`: the guests quiesced and the attempts it took. */
      quiesced: z.object({ guests: count, attempts: count }).readonly().optional(),
      /** For `commit`: the versions and the blackout the guests saw (µs). */
      commit: z
        .object({
          from: version,
          to: version,
          hypercalls: z.array(z.string()).readonly(),
          compatible: z.record(z.string(), z.string()),
          blackoutMicros: z.number().min(0),
        })
        .readonly()
        .optional(),
    })
    .readonly(),
  description:
    'An update moved through one step: receive, verify, transfer, extensions, quiesce, commit.',
});

/** `vmm.update.reverted`: an update was undone from the step that failed: old versions everywhere. */
export const updateReverted = defineEvent('vmm.update.reverted', {
  data: z
    .object({
      id,
      /** The step that failed. */
      step: z.enum(UPDATE_STEPS),
      reason: z.enum(REVERT_REASONS),
      message: z.string(),
    })
    .readonly(),
  marks: 'fault',
  description:
    'An update was reverted: the VMM and every guest extension back at their old versions.',
});

export type UpdateStepData = DataOf<typeof updateStep>;

/** Every event type the plugin emits. */
export const VMM_EVENTS = [
  vmmInstalled,
  guestAttached,
  guestBusy,
  packageRefused,
  updateStep,
  updateReverted,
] as const;
