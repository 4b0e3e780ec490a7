import { defineCommand, returns } from '@chronovisor/core';
import { spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import type { HandleRejected } from './handles-events';

const handle = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** An object type, as the caller names it: `file`, `event`, `section`. */
const typeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'must be a letter then up to 31 letters, digits, _ or -');

/** A handle that was refused: the rejection, as recorded. */
export interface HandleRefusal {
  readonly ok: false;
  readonly rejection: HandleRejected;
}

/** What `handles.resolve` found: the object and its type, or the refusal. */
export type ResolveOutcome =
  { readonly ok: true; readonly object: number; readonly type: string } | HandleRefusal;
/** What `handles.close` did. */
export type CloseOutcome = { readonly ok: true } | HandleRefusal;
/** What `handles.duplicate` made: the new handle, or the refusal of the one given. */
export type DuplicateOutcome = { readonly ok: true; readonly handle: number } | HandleRefusal;

/** `handles.create`: makes an object of `type` and the first handle to it; returns the handle. */
export const create = defineCommand('handles.create', {
  args: z.strictObject({
    space: spaceId,
    type: typeName,
    name: z.string().min(1).max(256).optional(),
  }),
  description:
    'Create an object of `type` (named `name` if given) and a handle to it in `space`; returns the handle.',
  returns: returns<number>(),
});

/** `handles.duplicate`: another handle to the same object, in the same space or in `to`. */
export const duplicate = defineCommand('handles.duplicate', {
  args: z.strictObject({ space: spaceId, handle, to: spaceId.optional() }),
  description:
    'Duplicate `handle` of `space` into `to` (default: the same space), as DuplicateHandle does.',
  returns: returns<DuplicateOutcome>(),
});

/** `handles.close`: closes a handle; the object goes with its last handle. */
export const close = defineCommand('handles.close', {
  args: z.strictObject({ space: spaceId, handle }),
  description: 'Close `handle` in `space`; a bad handle is reported, not obeyed.',
  returns: returns<CloseOutcome>(),
});

/** `handles.resolve`: the object a handle names, if the handle is good (and of `type`, if given). */
export const resolve = defineCommand('handles.resolve', {
  args: z.strictObject({ space: spaceId, handle, type: typeName.optional() }),
  description:
    'Resolve `handle` in `space` to its object, checking its identifier (and its type, if `type` is given).',
  returns: returns<ResolveOutcome>(),
});

/** `handles.fork`: forks the space (`mmu.fork`) and gives the child every handle, at the same values. */
export const fork = defineCommand('handles.fork', {
  args: z.strictObject({ space: spaceId }),
  description:
    "Fork host space `space` copy-on-write, the child inheriting every handle at its value; returns the child's id.",
  returns: returns<number>(),
});

/**
 * `handles.restore-state`: gives `space` (a restored process, its memory back) the handle table
 * its checkpoint kept (see `HandlesSpaceState`); what a restore calls, its `state` checked first.
 */
export const restoreState = defineCommand('handles.restore-state', {
  args: z.strictObject({ space: spaceId, state: z.unknown() }),
  description:
    'Give `space` (a restored process, its memory back) the handle table its checkpoint kept, as `state`.',
  returns: returns<void>(),
});

/** Every command type the handles plugin handles, for its plugin definition. */
export const HANDLES_COMMANDS = [create, duplicate, close, resolve, fork, restoreState] as const;
