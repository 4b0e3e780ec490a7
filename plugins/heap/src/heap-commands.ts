import { defineCommand, returns, type ArgsOf } from '@chronovisor/core';
import { bytes, spaceId, type FaultRaised } from '@chronovisor/mmu';
import { z } from 'zod';
import { pointer, type ViolationDetected } from './heap-events';

/*
 * The schemas check the shape of the arguments; the limits (the largest request, the largest
 * access) depend on the plugin's options, so the handlers check those (see HeapChecks), naming
 * the field the same way.
 */

/** A count of bytes. */
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A name the caller gives a pointer (a program's variable), so commands survive another policy's addresses. */
const ref = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const powerOfTwo = z
  .number()
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .refine((n) => Number.isInteger(Math.log2(n)), 'must be a power of two');

/**
 * Where a pointer comes from: `ptr` as is, or the one held in `ref` plus `offset`. Exactly one
 * of `ptr` and `ref`; a call, which is not checked, gets the same refusal from the handler.
 */
const pointerOperand = {
  ptr: pointer.optional(),
  ref: ref.optional(),
  offset: byteCount.optional(),
};

function checkOperand(
  args: { ptr?: number | undefined; ref?: number | undefined; offset?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((args.ptr === undefined) === (args.ref === undefined))
    ctx.addIssue({ code: 'custom', path: [], message: 'expected either ptr or ref' });
  else if (args.ptr !== undefined && args.offset !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['offset'],
      message: 'only goes with ref (add it to ptr instead)',
    });
}

/** A free, realloc, load or store that a bad pointer stopped, or that faulted in the MMU. */
export type Refusal =
  | { readonly ok: false; readonly violation: ViolationDetected }
  | { readonly ok: false; readonly fault: FaultRaised };

/** What `heap.free` did: freed, or refused. */
export type FreeOutcome = { readonly ok: true } | Refusal;
/** What `heap.realloc` did: the block's pointer now, or the refusal. */
export type ReallocOutcome = { readonly ok: true; readonly ptr: number } | Refusal;
/** What `heap.load` read, or the refusal. */
export type LoadOutcome = { readonly ok: true; readonly bytes: Uint8Array } | Refusal;
/** What `heap.store` did: written, or refused. */
export type StoreOutcome = { readonly ok: true } | Refusal;

/** `heap.malloc`: allocates `size` bytes (aligned to `align`, as `aligned_alloc`); returns the tagged pointer. */
export const malloc = defineCommand('heap.malloc', {
  args: z.strictObject({
    space: spaceId,
    size: byteCount,
    align: powerOfTwo.optional(),
    ref: ref.optional(),
  }),
  description:
    'Allocate `size` bytes in `space` (aligned to `align`, a power of two); returns a tagged pointer, kept in `ref` if given.',
  returns: returns<number>(),
});

/** `heap.calloc`: allocates `count × size` zeroed bytes; returns the tagged pointer. */
export const calloc = defineCommand('heap.calloc', {
  args: z.strictObject({ space: spaceId, count: byteCount, size: byteCount, ref: ref.optional() }),
  description:
    'Allocate `count` × `size` zeroed bytes in `space`; returns a tagged pointer, kept in `ref` if given.',
  returns: returns<number>(),
});

/**
 * `heap.realloc`: resizes a block, in place when its span has room, else by moving it (allocate,
 * copy, free; a ref then holds the new pointer). A null pointer allocates; size 0 frees and
 * returns null.
 */
export const realloc = defineCommand('heap.realloc', {
  args: z
    .strictObject({ space: spaceId, size: byteCount, ...pointerOperand })
    .superRefine(checkOperand),
  description:
    'Resize the block at `ptr` (or held in `ref`) in `space` to `size` bytes, in place or by moving it; returns the new pointer.',
  returns: returns<ReallocOutcome>(),
});

/** `heap.free`: frees the block at `ptr` (or held in `ref`), if the pointer's tag and the block's info agree. */
export const free = defineCommand('heap.free', {
  args: z.strictObject({ space: spaceId, ...pointerOperand }).superRefine(checkOperand),
  description:
    'Free the block at `ptr` (or held in `ref`) in `space`; a bad pointer is reported, not obeyed.',
  returns: returns<FreeOutcome>(),
});

/** `heap.load`: reads through a heap pointer, checked first (synchronously, as MTE's precise mode). */
export const load = defineCommand('heap.load', {
  args: z
    .strictObject({
      space: spaceId,
      length: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      ...pointerOperand,
    })
    .superRefine(checkOperand),
  description:
    'Read `length` bytes through the heap pointer `ptr` (or `ref` + `offset`) in `space`, after checking it.',
  returns: returns<LoadOutcome>(),
});

/** `heap.store`: writes through a heap pointer, checked first. */
export const store = defineCommand('heap.store', {
  args: z
    .strictObject({
      space: spaceId,
      data: bytes
        .refine((data) => data.length >= 1, 'expected at least one byte')
        // The one copy of the bytes: the command's record keeps what was written, whatever the
        // caller does with its buffer; the handler hands this copy on to the MMU as it is.
        .transform((data): Uint8Array => data.slice()),
      ...pointerOperand,
    })
    .superRefine(checkOperand),
  description:
    'Write `data` through the heap pointer `ptr` (or `ref` + `offset`) in `space`, after checking it.',
  returns: returns<StoreOutcome>(),
});

/** Arguments of a command naming a pointer by `ptr` or by `ref` (+ `offset`). */
export type PointerOperand = ArgsOf<typeof free>;

/** Every command type the heap handles, for its plugin definition. */
/**
 * `heap.restore-state`: gives a space the heap a checkpoint kept (see `HeapSpaceState`); what a
 * restore calls, its `state` checked first.
 */
export const restoreState = defineCommand('heap.restore-state', {
  args: z.strictObject({ space: spaceId, state: z.unknown() }),
  description:
    'Give `space` (a restored process, its memory back) the heap its checkpoint kept, as `state`.',
  returns: returns<void>(),
});

export const HEAP_COMMANDS = [malloc, calloc, realloc, free, load, store, restoreState] as const;
