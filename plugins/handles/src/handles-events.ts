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

/** An ordinal of a table's operations (creates and closes, from 1), or -1 for none yet. */
const ordinal = z.number().int().min(-1);
const seq = z.number().int().min(1);

/** A table's counters (see `TableCounters`). */
const tableCounters = z
  .object({
    creates: count,
    closes: count,
    resolves: count,
    rejections: count,
    reuses: count,
    reuseDistanceMin: ordinal,
    reuseDistanceSum: count,
    wraps: count,
    repeatDistanceMin: ordinal,
    repeatDistanceSum: count,
    repeats: count,
  })
  .readonly();

/**
 * A table's hierarchy as its state holds it: each table page in the order growth added it (page
 * n at `base + n × pageSize`), a pointer table with the tables its slots hold from slot 0.
 */
const tablePage = z
  .object({
    table: address,
    role: z.enum(TABLE_ROLES),
    children: z.array(address).readonly().optional(),
  })
  .readonly();

/** A slot the table has handed out (1 to fresh − 1), in use (its object) or closed (free). */
const slotState = z
  .object({
    index: z.number().int().min(1),
    /** The identifier its current handle carries, or, for a free slot, the next one will. */
    identifier: count,
    /** Handles it has handed out. */
    issues: z.number().int().min(1),
    /** The table operation that last closed it (-1: never), and that last handed out its identifier 0. */
    closedAt: ordinal,
    cycleAt: ordinal,
    object: objectId.optional(),
  })
  .readonly();

/**
 * One space's handle table as plain data: its pages, level count and table code, every slot it
 * has handed out, its free list (head first) and its counters. Slots name objects by id.
 */
export const tableStateData = z
  .object({
    levels: z.number().int().min(1).max(3),
    code: z.number().int().min(0),
    tables: z.array(tablePage).min(1).readonly(),
    slots: z.array(slotState).min(1).readonly(),
    free: z.array(z.number().int().min(1)).readonly(),
    counters: tableCounters,
  })
  .readonly();

/**
 * What makes an object the same across checkpoints: the id it was made with and the seq of the
 * event that made it, in the run that made it. An object a restore made anew for a gone one
 * keeps the gone one's origin.
 */
const objectOrigin = z.object({ object: objectId, born: seq }).readonly();

/** An object a table's slots name: its type, its name, its origin. */
const objectFields = z.object({
  object: objectId,
  type: typeName,
  name: z.string().optional(),
  origin: objectOrigin,
});
const stateObject = objectFields.readonly();

/**
 * A space's handle table as it travels with its process in a checkpoint: the layout it was made
 * with (the handles options that shape tables and handle values), the table, and the objects its
 * slots name (ids of the run the checkpoint was taken in). See `HandlesSpaceState`.
 */
export const handlesStateData = z
  .object({
    layout: z
      .object({
        base: address,
        pageSize: count,
        leafEntries: count,
        pointersPerTable: count,
        maxLevels: count,
        indexBits: count,
        identifierBits: count,
      })
      .readonly(),
    table: tableStateData,
    objects: z.array(stateObject).readonly(),
  })
  .readonly();

/**
 * `handles.state.restored`: a space got the handle table a checkpoint kept (its process
 * restored). Its slots name this run's objects: the same object where it still lives here (one
 * more handle names it), else one made anew (`made`), of the same type and name, standing for it.
 */
export const stateRestored = defineEvent('handles.state.restored', {
  data: z
    .object({
      space: spaceId,
      table: tableStateData,
      objects: z
        .array(
          objectFields
            .extend({
              /** The id the checkpoint's state gave it. */
              from: objectId,
              /** Made by this restore (the checkpoint's object is gone here). */
              made: z.boolean(),
            })
            .readonly(),
        )
        .readonly(),
    })
    .readonly(),
  description: 'A restored process got its handle table back as its checkpoint kept it.',
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
/** Payload of `handles.state.restored`. */
export type StateRestored = DataOf<typeof stateRestored>;
/** A handle table as plain data (see {@link tableStateData}). */
export type TableStateData = z.output<typeof tableStateData>;
/** A space's handle state as it travels in a checkpoint (see {@link handlesStateData}). */
export type HandlesStateData = z.output<typeof handlesStateData>;

/** Every event type the handles plugin emits, for its plugin definition. */
export const HANDLES_EVENTS = [
  tableAdded,
  codePublished,
  handleCreated,
  handleClosed,
  handleResolved,
  handleRejected,
  tableInherited,
  stateRestored,
] as const;
