import type { EventTypeDefinition } from '@chronovisor/core';
import type { Chunk } from './free-chunks';
import type { PolicyName } from './heap-options';

/** Payload of `heap.region.created`: a space got its heap, empty (the break at `base`). */
export interface HeapCreated {
  readonly space: number;
  readonly base: number;
  /** Where the allocation info region starts. */
  readonly metaBase: number;
  readonly policy: PolicyName;
  readonly tagBits: number;
  readonly addressBits: number;
  readonly alignment: number;
}

/** Payload of `heap.region.extended`: the break moved up (its pages mapped); `chunk` is the free chunk that made. */
export interface HeapExtended {
  readonly space: number;
  readonly from: number;
  readonly to: number;
  readonly chunk: Chunk;
}

/** Payload of `heap.block.allocated`. */
export interface BlockAllocated {
  readonly space: number;
  /** The tagged pointer the program got. */
  readonly ptr: number;
  readonly address: number;
  /** Bytes asked for. */
  readonly size: number;
  /** Bytes taken (rounded up by alignment, size class or power of two). */
  readonly span: number;
  /** The allocation count now stored at the block's info address; the pointer's tag is its low bits. */
  readonly count: number;
  /** The free chunk the block was carved from, and what is left of it. */
  readonly from: Chunk;
  readonly rest: readonly Chunk[];
  /** The ref that holds the pointer from now on, if the caller named one. */
  readonly ref?: number;
  /** For realloc's move: the block this one replaces (freed right after the copy). */
  readonly replaces?: number;
}

/** Payload of `heap.block.freed`. */
export interface BlockFreed {
  readonly space: number;
  readonly ptr: number;
  readonly address: number;
  readonly size: number;
  readonly span: number;
  readonly count: number;
  /** Seq of the event that allocated the block. */
  readonly allocSeq: number;
  /** The free chunk the block became, merged with its free neighbours as the policy merges. */
  readonly chunk: Chunk;
}

/** Payload of `heap.block.resized`: `realloc` kept the block in place. */
export interface BlockResized {
  readonly space: number;
  readonly ptr: number;
  readonly address: number;
  readonly size: number;
  readonly oldSize: number;
}

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

/** The operation that was stopped. */
export type HeapOperation = 'free' | 'realloc' | 'load' | 'store';

/** A block as a violation report names it. */
export interface BlockReport {
  readonly ptr: number;
  readonly address: number;
  readonly size: number;
  /** Seq of its `heap.block.allocated`. */
  readonly allocSeq: number;
  /** Seq of its `heap.block.freed`, for a freed block: who freed this. */
  readonly freeSeq?: number;
}

/** Payload of `heap.violation.detected`: the operation was stopped, nothing else happened. */
export interface ViolationDetected {
  readonly space: number;
  readonly kind: ViolationKind;
  readonly op: HeapOperation;
  readonly ptr: number;
  readonly address: number;
  /** Bytes the access wanted (load, store). */
  readonly length?: number;
  /** The pointer's tag, and the info found at the block's info address (absent where there is none). */
  readonly tag: number;
  readonly info?: { readonly allocated: boolean; readonly count: number };
  /** The freed block the pointer belonged to, when the heap remembers it. */
  readonly freed?: BlockReport;
  /** The live block at the address, or the one the pointer overran. */
  readonly block?: BlockReport;
}

declare module '@chronovisor/core' {
  interface EventMap {
    'heap.region.created': HeapCreated;
    'heap.region.extended': HeapExtended;
    'heap.block.allocated': BlockAllocated;
    'heap.block.freed': BlockFreed;
    'heap.block.resized': BlockResized;
    'heap.violation.detected': ViolationDetected;
  }
}

const d = (type: string, description: string): EventTypeDefinition => ({ type, description });

/** The event types the heap emits. */
export const HEAP_EVENTS: readonly EventTypeDefinition[] = [
  d('heap.region.created', 'A space got its heap, empty, with its policy and pointer layout.'),
  d('heap.region.extended', 'The break moved up and its pages were mapped.'),
  d('heap.block.allocated', 'A block was allocated; the program got a tagged pointer to it.'),
  d('heap.block.freed', 'A block was freed and merged into free memory.'),
  d('heap.block.resized', 'realloc kept a block in place with a new size.'),
  d('heap.violation.detected', 'A free, realloc, load or store through a bad pointer was stopped.'),
];
