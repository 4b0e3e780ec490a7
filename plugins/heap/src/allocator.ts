import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, map, read, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { Block, Heap } from './heap';
import { HeapError } from './heap-error';
import { blockAllocated, blockFreed, regionCreated, regionExtended } from './heap-events';
import { HeapConfig, heapLayout } from './heap-options';
import { HeapState } from './heap-state';
import { policyNamed } from './policies';
import {
  INFO_BYTES,
  countAt,
  decodeInfo,
  encodeInfo,
  hex,
  nextCount,
  packPointer,
  tagOfCount,
  type AllocationInfo,
} from './pointer';

/**
 * The dynamic memory manager of US12292828B2, one per address space: it places blocks by the
 * configured policy, grows the heap through `mmu.map`, and keeps each block's allocation info
 * (authority + count) in simulated memory at an address derived from the block's start.
 * Everything it changes, it changes by emitting the heap's events and calling the MMU's commands.
 *
 * It may hold a {@link Heap} across the events it emits: a heap is one object for its whole life,
 * which every event changes in place (snapshots take the roots of its persistent collections),
 * so what it reads after an emit is the heap as that event left it.
 */
export class Allocator {
  constructor(
    @inject(HeapState) private readonly state: HeapState,
    @inject(HeapConfig) private readonly config: HeapConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  /** The space's heap, created empty on first use. */
  heapOf(space: number, context: CommandContext): Heap {
    const heap = this.state.heap(space);
    if (heap) return heap;
    const known = this.mmu.spaces().find((s) => s.id === space);
    if (!known)
      throw new HeapError(`Space ${space} does not exist; create it with mmu.create-space`);
    const { pageSize, vaLimit } = this.mmu.config;
    const { alignment, policy, tagBits, addressBits } = this.config;
    const { base, metaBase, metaEnd } = heapLayout(this.config, pageSize);
    if (base % pageSize !== 0)
      throw new HeapError(
        `The heap base ${hex(base)} is not aligned to the MMU's ${pageSize}-byte pages`,
      );
    if (metaEnd > vaLimit)
      throw new HeapError(
        `The heap and its allocation info (${hex(base)} to ${hex(metaEnd)}) run past the MMU's ${hex(vaLimit)} address space`,
      );
    if (metaEnd > 2 ** addressBits)
      throw new HeapError(
        `The heap and its allocation info (${hex(base)} to ${hex(metaEnd)}, the info on ${pageSize}-byte pages) do not fit in ${addressBits} address bits`,
      );
    context.emit(regionCreated, {
      space,
      base,
      metaBase,
      policy,
      tagBits,
      addressBits,
      alignment,
    });
    return this.state.heap(space)!;
  }

  /** Allocates `size` bytes aligned to `align` (at least the heap's alignment); returns the tagged pointer. */
  allocate(
    heap: Heap,
    size: number,
    align: number,
    context: CommandContext,
    { ref, replaces }: { ref?: number | undefined; replaces?: Block } = {},
  ): Block {
    const policy = policyNamed(heap.policy);
    const alignment = Math.max(align, heap.alignment);
    const span = policy.span(size, alignment);
    let placement = policy.place(heap, span, alignment);
    // Buddy doubles the heap at most once per address bit; more growing means a policy bug.
    for (let grown = 0; !placement; grown++) {
      if (grown > 64)
        throw new Error(
          `Policy ${policy.name} grew the heap 64 times without room for ${span} bytes`,
        );
      this.grow(heap, span, alignment, context);
      placement = policy.place(heap, span, alignment);
    }
    const { address, from, rest } = placement;
    const highest = this.highestCount(heap, from[0], address + span);
    const count = this.newCount(heap, highest, address);
    const ptr = packPointer(address, tagOfCount(count, heap.tagBits), heap);
    context.emit(blockAllocated, {
      space: heap.space,
      ptr,
      address,
      size,
      span,
      count,
      from,
      rest,
      ...(ref === undefined ? {} : { ref }),
      ...(replaces ? { replaces: replaces.address } : {}),
    });
    this.writeInfo(heap, address, { allocated: true, count }, context);
    return heap.blocks.get(address)!;
  }

  /** Frees a block the pointer check has accepted. */
  release(heap: Heap, block: Block, context: CommandContext): void {
    const chunk = policyNamed(heap.policy).release(heap, block.address, block.span);
    const { ptr, address, size, span, count, allocSeq } = block;
    context.emit(blockFreed, {
      space: heap.space,
      ptr,
      address,
      size,
      span,
      count,
      allocSeq,
      chunk,
    });
    this.writeInfo(heap, address, { allocated: false, count }, context);
  }

  /** What the info word at a block start says, read through the MMU. */
  readInfo(heap: Heap, address: number): AllocationInfo {
    return decodeInfo(this.infoWords(heap, address, heap.alignment));
  }

  /**
   * The count of a block placed at `address`: one above `highest`, every count its memory had
   * (see `highestCount`), and then, like Scudo's odd/even tagging, past the tags of the live
   * blocks on either side, so a linear overflow into a neighbour is always caught.
   */
  private newCount(heap: Heap, highest: number, address: number): number {
    let count = nextCount(highest);
    const neighbours = heap.adjacent(address).map((b) => tagOfCount(b.count, heap.tagBits));
    while (neighbours.includes(tagOfCount(count, heap.tagBits))) count = nextCount(count);
    return count;
  }

  /**
   * The highest allocation count of the blocks that held memory in `[from, to)`, where `from`
   * starts a free chunk: every count stored there (every block that ever started there) and the
   * chunk's history (the blocks that reached into it from before it; see `FreeChunks`). A new
   * block's count is one more, so it differs from the count of every block that held any of its
   * bytes, and a stale pointer into it escapes only once that memory has been allocated 2^k more
   * times (as Scudo's MTE retagging excludes the previous tag, but for k generations). Without
   * the history, a stale pointer into the tail of a freed block matched a later block carved at
   * that tail with a fresh count.
   */
  private highestCount(heap: Heap, from: number, to: number): number {
    const words = this.infoWords(heap, from, to - from);
    let highest = heap.chunks.historyAt(from);
    for (let i = 0; i < words.length; i += INFO_BYTES) {
      const count = countAt(words, i);
      if (count > highest) highest = count;
    }
    return highest;
  }

  /**
   * The info words of the block starts in `[from, from + bytes)`, read through the MMU into a
   * buffer kept for it (a view, valid until the next read): every allocation scans the info of
   * its whole span, and a fresh array each time was most of the heap's garbage.
   */
  private infoWords(heap: Heap, from: number, bytes: number): Uint8Array {
    const length = (bytes / heap.alignment) * INFO_BYTES;
    if (this.scratch.length < length)
      this.scratch = new Uint8Array(Math.max(length, 2 * this.scratch.length));
    const words = this.scratch.subarray(0, length);
    if (!this.mmu.readInto(heap.space, heap.infoAddress(from), words))
      throw new HeapError(
        `The allocation info of ${hex(from)} at ${hex(heap.infoAddress(from))} in space ${heap.space} is not mapped any more`,
      );
    return words;
  }

  /** Where `infoWords` reads (grown as needed; nothing in it outlives a read). */
  private scratch = new Uint8Array(256);

  /** Copies `length` bytes from one block to another through the MMU. */
  copy(heap: Heap, from: number, to: number, length: number, context: CommandContext): void {
    const piece = this.config.maxAccess;
    for (let done = 0; done < length; done += piece) {
      const n = Math.min(piece, length - done);
      const got = context.call(read, { space: heap.space, va: from + done, length: n });
      if (!got.ok) throw new HeapError(`Copying ${hex(from + done)} faulted (${got.fault.kind})`);
      this.write(heap, to + done, got.bytes, false, context);
    }
  }

  /** Zeroes `length` bytes through the MMU. */
  zero(heap: Heap, address: number, length: number, context: CommandContext): void {
    const piece = this.config.maxAccess;
    for (let done = 0; done < length; done += piece)
      this.write(
        heap,
        address + done,
        new Uint8Array(Math.min(piece, length - done)),
        false,
        context,
      );
  }

  private writeInfo(
    heap: Heap,
    address: number,
    info: AllocationInfo,
    context: CommandContext,
  ): void {
    this.write(heap, heap.infoAddress(address), encodeInfo(info), true, context);
  }

  private write(
    heap: Heap,
    va: number,
    data: Uint8Array,
    kernel: boolean,
    context: CommandContext,
  ): void {
    const outcome = context.call(write, { space: heap.space, va, data, kernel });
    if (!outcome.ok)
      throw new HeapError(
        `Writing ${hex(va)} in space ${heap.space} faulted (${outcome.fault.kind})`,
      );
  }

  /** Moves the break up as the policy says, mapping the new heap pages and their info pages. */
  private grow(heap: Heap, span: number, align: number, context: CommandContext): void {
    const { to, chunk } = policyNamed(heap.policy).grow(heap, span, align);
    if (to - heap.base > this.config.maxBytes)
      throw new HeapError(
        `Out of memory: ${span} more bytes would take the heap of space ${heap.space} past its ${this.config.maxBytes} bytes`,
      );
    const from = heap.brk;
    this.mapUpTo(heap, from, to, context);
    this.mapUpTo(heap, heap.infoAddress(from), heap.infoAddress(to), context, true);
    context.emit(regionExtended, { space: heap.space, from, to, chunk });
  }

  /** Maps the pages that `[from, to)` needs beyond those `from` already needed. */
  private mapUpTo(
    heap: Heap,
    from: number,
    to: number,
    context: CommandContext,
    kernel = false,
  ): void {
    const pageSize = this.mmu.config.pageSize;
    const first = Math.ceil(from / pageSize);
    const end = Math.ceil(to / pageSize);
    if (end > first)
      context.call(map, {
        space: heap.space,
        va: first * pageSize,
        pages: end - first,
        perms: 'rw-',
        kernel,
        lazy: false,
      });
  }
}
