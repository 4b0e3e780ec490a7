import { defineEvent, hexNumber, type DataOf } from '@chronovisor/core';
import { address, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { POLICIES } from './heap-options';

// Payload schemas describe what the heap emits, no more strictly: they also check imported logs.
const count = z.number().int().min(0);
const byteCount = z.number().int().min(0);
/** A tagged pointer: an address with the tag above its bits, below 2^53 (0 is NULL); shown in hex. */
export const pointer = hexNumber(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));
const seq = z.number().int().min(1);
/** A run of free heap memory: `[address, size]`. */
const chunk = z.tuple([address, byteCount]).readonly();

/** The kinds of pointer misuse the heap catches. */
export const VIOLATION_KINDS = [
  'use-after-free',
  'double-free',
  'invalid-free',
  'stale-realloc',
  'forged-pointer',
  'out-of-bounds',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** The operations a violation can stop. */
export const HEAP_OPERATIONS = ['free', 'realloc', 'load', 'store'] as const;
/** The operation that was stopped. */
export type HeapOperation = (typeof HEAP_OPERATIONS)[number];

/** `heap.region.created`: a space got its heap, empty (the break at `base`). */
export const regionCreated = defineEvent('heap.region.created', {
  data: z
    .object({
      space: spaceId,
      base: address,
      /** Where the allocation info region starts. */
      metaBase: address,
      policy: z.enum(POLICIES),
      tagBits: count,
      addressBits: count,
      alignment: count,
    })
    .readonly(),
  description: 'A space got its heap, empty, with its policy and pointer layout.',
});

/** `heap.region.extended`: the break moved up (its pages mapped); `chunk` is the free chunk that made. */
export const regionExtended = defineEvent('heap.region.extended', {
  data: z.object({ space: spaceId, from: address, to: address, chunk }).readonly(),
  description: 'The break moved up and its pages were mapped.',
});

/** `heap.block.allocated`: a block was carved out of a free chunk. */
export const blockAllocated = defineEvent('heap.block.allocated', {
  data: z
    .object({
      space: spaceId,
      /** The tagged pointer the program got. */
      ptr: pointer,
      address,
      /** Bytes asked for. */
      size: byteCount,
      /** Bytes taken (rounded up by alignment, size class or power of two). */
      span: byteCount,
      /** The allocation count now stored at the block's info address; the pointer's tag is its low bits. */
      count,
      /** The free chunk the block was carved from, and what is left of it. */
      from: chunk,
      rest: z.array(chunk).readonly(),
      /** The ref that holds the pointer from now on, if the caller named one. */
      ref: count.optional(),
      /** For realloc's move: the block this one replaces (freed right after the copy). */
      replaces: address.optional(),
    })
    .readonly(),
  description: 'A block was allocated; the program got a tagged pointer to it.',
});

/** `heap.block.freed`: a block was freed and merged into free memory. */
export const blockFreed = defineEvent('heap.block.freed', {
  data: z
    .object({
      space: spaceId,
      ptr: pointer,
      address,
      size: byteCount,
      span: byteCount,
      count,
      /** Seq of the event that allocated the block. */
      allocSeq: seq,
      /** The free chunk the block became, merged with its free neighbours as the policy merges. */
      chunk,
    })
    .readonly(),
  description: 'A block was freed and merged into free memory.',
});

/** `heap.block.resized`: `realloc` kept the block in place. */
export const blockResized = defineEvent('heap.block.resized', {
  data: z
    .object({ space: spaceId, ptr: pointer, address, size: byteCount, oldSize: byteCount })
    .readonly(),
  description: 'realloc kept a block in place with a new size.',
});

/** A block as a violation report names it. */
const blockReport = z
  .object({
    ptr: pointer,
    address,
    size: byteCount,
    /** Seq of its `heap.block.allocated`. */
    allocSeq: seq,
    /** Seq of its `heap.block.freed`, for a freed block: who freed this. */
    freeSeq: seq.optional(),
  })
  .readonly();

/** `heap.violation.detected`: a bad pointer's operation was stopped; nothing else happened. */
export const violationDetected = defineEvent('heap.violation.detected', {
  data: z
    .object({
      space: spaceId,
      kind: z.enum(VIOLATION_KINDS),
      op: z.enum(HEAP_OPERATIONS),
      ptr: pointer,
      address,
      /** Bytes the access wanted (load, store). */
      length: byteCount.optional(),
      /** The pointer's tag. */
      tag: count,
      /** The info found at the block's info address (absent where there is none). */
      info: z.object({ allocated: z.boolean(), count }).readonly().optional(),
      /** The freed block the pointer belonged to, when the heap remembers it. */
      freed: blockReport.optional(),
      /** The live block at the address, or the one the pointer overran. */
      block: blockReport.optional(),
    })
    .readonly(),
  marks: 'violation',
  description: 'A free, realloc, load or store through a bad pointer was stopped.',
});

/** A block as a heap's state holds it (see `Block`, `FreedBlock`). */
const heldBlock = z.object({
  ptr: pointer,
  address,
  size: byteCount,
  span: byteCount,
  count,
  allocSeq: seq,
});

/**
 * A heap's whole state, as it travels with a process in a checkpoint: its region, break, free
 * chunks (`[address, size, history]`), live blocks, freed blocks (still caught through stale
 * pointers), refs and counters. Seqs name records of the run the checkpoint was taken in.
 */
export const heapStateData = z
  .object({
    created: regionCreated.schema,
    brk: address,
    chunks: z.array(z.tuple([address, byteCount, count]).readonly()).readonly(),
    blocks: z.array(heldBlock.readonly()).readonly(),
    freed: z.array(heldBlock.extend({ freeSeq: seq }).readonly()).readonly(),
    refs: z.array(z.tuple([count, pointer]).readonly()).readonly(),
    liveBytes: byteCount,
    peakLiveBytes: byteCount,
    counters: z
      .object({ allocations: count, frees: count, resizes: count, violations: count })
      .readonly(),
  })
  .readonly();

/** `heap.state.restored`: a space got a heap as a checkpoint kept it (its process restored). */
export const stateRestored = defineEvent('heap.state.restored', {
  data: z.object({ space: spaceId, heap: heapStateData }).readonly(),
  description: 'A restored process got its heap back as its checkpoint kept it.',
});

/** Payload of `heap.region.created`. */
export type HeapCreated = DataOf<typeof regionCreated>;
/** Payload of `heap.region.extended`. */
export type HeapExtended = DataOf<typeof regionExtended>;
/** Payload of `heap.block.allocated`. */
export type BlockAllocated = DataOf<typeof blockAllocated>;
/** Payload of `heap.block.freed`. */
export type BlockFreed = DataOf<typeof blockFreed>;
/** Payload of `heap.block.resized`. */
export type BlockResized = DataOf<typeof blockResized>;
/** Payload of `heap.violation.detected`. */
export type ViolationDetected = DataOf<typeof violationDetected>;
/** Payload of `heap.state.restored`. */
export type StateRestored = DataOf<typeof stateRestored>;
/** A block as a violation names it. */
export type BlockReport = z.output<typeof blockReport>;

/** Every event type the heap emits, for its plugin definition. */
export const HEAP_EVENTS = [
  regionCreated,
  regionExtended,
  blockAllocated,
  blockFreed,
  blockResized,
  violationDetected,
  stateRestored,
] as const;
