import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { ENTRY_BYTES } from './handles-options';

const count = z.number().int().min(0);
const handle = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const objectId = z.number().int().min(1);
const typeName = z.string().min(1);

/** The roles of a table in the hierarchy. */
export const TABLE_ROLES = ['leaf', 'mid', 'top'] as const;
export type TableRole = (typeof TABLE_ROLES)[number];

/** Why a handle was refused. */
export const REJECTION_REASONS = [
  /** Index 0, or an index the table never handed out. */
  'invalid',
  /** The slot is free: the handle was closed and its slot not reused yet. */
  'closed',
  /** The slot holds another handle now: it was closed and its slot reused (US7403887B1's mismatch). */
  'stale',
  /** The identifier was never issued for that slot: made up, not copied. */
  'forged',
  /** The handle is good but names an object of another type than the caller expects. */
  'wrong-type',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** What a handle was given to. */
export const HANDLE_OPERATIONS = ['resolve', 'close', 'duplicate'] as const;
export type HandleOperation = (typeof HANDLE_OPERATIONS)[number];

/**
 * `handles.table.added`: a table page was mapped, filled and linked under its parent (a leaf
 * under a mid table, a mid under the top), or built as a new top over the old one (`child`),
 * all before any resolver can reach it.
 */
export const tableAdded = defineEvent('handles.table.added', {
  data: z
    .object({
      space: spaceId,
      /** Where the table is mapped. */
      table: address,
      role: z.enum(TABLE_ROLES),
      /** The first index it covers. */
      first: count,
      /** The table whose pointer slot now holds it (absent for the first table and a new top). */
      parent: address.optional(),
      slot: count.optional(),
      /** For a new top or mid level: the old top, now its child 0. */
      child: address.optional(),
    })
    .readonly(),
  description: 'A handle table page was mapped, filled and linked into the hierarchy.',
});

/**
 * `handles.code.published`: the table code (top table's address | levels − 1, one word) was
 * stored, atomically: a resolver sees the old tree or the new one, never a mix.
 */
export const codePublished = defineEvent('handles.code.published', {
  data: z
    .object({
      space: spaceId,
      code: z.number().int().min(0),
      top: address,
      levels: z.number().int().min(1).max(3),
    })
    .readonly(),
  description: 'A table code (top table and level count in one word) was published.',
});

/** `handles.handle.created`: a slot got an object, and the handle naming both was handed out. */
export const handleCreated = defineEvent('handles.handle.created', {
  data: z
    .object({
      space: spaceId,
      handle,
      index: count,
      identifier: count,
      /** The entry's address. */
      at: address,
      object: objectId,
      type: typeName,
      /** A new object's name, as its creator gave it. */
      name: z.string().optional(),
      /** The handle this one duplicates, for a duplicate. */
      from: z.object({ space: spaceId, handle }).readonly().optional(),
      /** The slot was taken from the free list (not fresh). */
      reused: z.boolean(),
      /** This handle value was handed out before: a stale copy of it now names this object. */
      wrapped: z.boolean(),
    })
    .readonly(),
  description: 'A handle was created for a new object, or duplicated for an existing one.',
  access: ({ space, at }) => ({ kind: 'write', space, va: at, length: ENTRY_BYTES }),
});

/** `handles.handle.closed`: a handle was closed; its slot's identifier moved on and the slot is free. */
export const handleClosed = defineEvent('handles.handle.closed', {
  data: z
    .object({
      space: spaceId,
      handle,
      index: count,
      at: address,
      object: objectId,
      /** The slot's identifier from now on: what the next handle in it carries. */
      next: count,
      /** It was the object's last handle: the object is gone. */
      last: z.boolean(),
    })
    .readonly(),
  description: 'A handle was closed and its slot freed; the last handle of an object frees it.',
  access: ({ space, at }) => ({ kind: 'write', space, va: at, length: ENTRY_BYTES }),
});

/** `handles.handle.resolved`: a handle was looked up and named a live object. */
export const handleResolved = defineEvent('handles.handle.resolved', {
  data: z
    .object({ space: spaceId, handle, at: address, object: objectId, type: typeName })
    .readonly(),
  description: 'A handle was resolved to its object.',
  access: ({ space, at }) => ({ kind: 'read', space, va: at, length: ENTRY_BYTES }),
});

/** `handles.handle.rejected`: a handle was refused; nothing else happened. */
export const handleRejected = defineEvent('handles.handle.rejected', {
  data: z
    .object({
      space: spaceId,
      op: z.enum(HANDLE_OPERATIONS),
      handle,
      reason: z.enum(REJECTION_REASONS),
      index: count,
      /** The identifier the handle carries. */
      identifier: count,
      /** The slot's entry, where the index names one: its identifier, and its object if in use. */
      entry: z
        .object({ at: address, identifier: count, object: objectId.optional() })
        .readonly()
        .optional(),
      /** For `wrong-type`: the type the caller expected and the object's. */
      expected: typeName.optional(),
      type: typeName.optional(),
    })
    .readonly(),
  marks: 'violation',
  description: 'A stale, closed, forged or invalid handle (or one of another type) was refused.',
});

/** `handles.table.inherited`: a forked space got its parent's handles, at the same values. */
export const tableInherited = defineEvent('handles.table.inherited', {
  data: z
    .object({ from: spaceId, to: spaceId, handles: count, code: z.number().int().min(0) })
    .readonly(),
  description: "A forked space inherited its parent's handle table, every handle at its value.",
});

/** Payload of `handles.table.added`. */
export type TableAdded = DataOf<typeof tableAdded>;
/** Payload of `handles.code.published`. */
export type CodePublished = DataOf<typeof codePublished>;
/** Payload of `handles.handle.created`. */
export type HandleCreated = DataOf<typeof handleCreated>;
/** Payload of `handles.handle.closed`. */
export type HandleClosed = DataOf<typeof handleClosed>;
/** Payload of `handles.handle.resolved`. */
export type HandleResolved = DataOf<typeof handleResolved>;
/** Payload of `handles.handle.rejected`. */
export type HandleRejected = DataOf<typeof handleRejected>;
/** Payload of `handles.table.inherited`. */
export type TableInherited = DataOf<typeof tableInherited>;

/** Every event type the handles plugin emits, for its plugin definition. */
export const HANDLES_EVENTS = [
  tableAdded,
  codePublished,
  handleCreated,
  handleClosed,
  handleResolved,
  handleRejected,
  tableInherited,
] as const;
