import { handle, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import { Allocator } from './allocator';
import {
  calloc,
  free,
  malloc,
  realloc,
  type FreeOutcome,
  type ReallocOutcome,
} from './heap-commands';
import { HeapChecks } from './heap-checks';
import { blockResized } from './heap-events';
import { checkRelease } from './pointer-check';

/** `heap.malloc`, `heap.calloc`, `heap.realloc` and `heap.free`: blocks made, resized and freed. */
export class AllocationCommands implements CommandHandlers {
  constructor(
    @inject(Allocator) private readonly allocator: Allocator,
    @inject(HeapChecks) private readonly checks: HeapChecks,
  ) {}

  readonly handlers = [
    handle(malloc, ({ space, size, align = 1, ref }, context) => {
      this.checks.checkSize(malloc, 'size', size);
      this.checks.checkSize(malloc, 'align', align);
      const heap = this.allocator.heapOf(space, context);
      return this.allocator.allocate(heap, size, align, context, { ref }).ptr;
    }),

    handle(calloc, ({ space, count, size, ref }, context) => {
      const bytes = count * size;
      this.checks.checkSize(calloc, 'count×size', bytes);
      const heap = this.allocator.heapOf(space, context);
      const block = this.allocator.allocate(heap, bytes, 1, context, { ref });
      if (bytes > 0) this.allocator.zero(heap, block.address, bytes, context);
      return block.ptr;
    }),

    handle(realloc, (args, context): ReallocOutcome => {
      const { space, size, ref } = args;
      this.checks.checkSize(realloc, 'size', size);
      const heap = this.allocator.heapOf(space, context);
      const ptr = this.checks.pointer(heap, args);
      if (ptr === 0)
        return { ok: true, ptr: this.allocator.allocate(heap, size, 1, context, { ref }).ptr };
      const verdict = checkRelease(heap, ptr, 'realloc', this.checks.readInfo);
      if (!verdict.ok) return this.checks.refuse(verdict, context);
      const { block } = verdict;
      if (size === 0) {
        this.allocator.release(heap, block, context);
        return { ok: true, ptr: 0 };
      }
      if (size <= block.span) {
        context.emit(blockResized, {
          space,
          ptr,
          address: block.address,
          size,
          oldSize: block.size,
        });
        return { ok: true, ptr };
      }
      const moved = this.allocator.allocate(heap, size, 1, context, { ref, replaces: block });
      if (block.size > 0)
        this.allocator.copy(heap, block.address, moved.address, block.size, context);
      this.allocator.release(heap, block, context);
      return { ok: true, ptr: moved.ptr };
    }),

    handle(free, (args, context): FreeOutcome => {
      if (args.ptr === 0) return { ok: true }; // free(NULL) does nothing
      const heap = this.allocator.heapOf(args.space, context);
      const ptr = this.checks.pointer(heap, args);
      if (ptr === 0) return { ok: true };
      const verdict = checkRelease(heap, ptr, 'free', this.checks.readInfo);
      if (!verdict.ok) return this.checks.refuse(verdict, context);
      this.allocator.release(heap, verdict.block, context);
      return { ok: true };
    }),
  ];
}
