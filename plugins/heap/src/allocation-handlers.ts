import type { CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { alignField, checkArgs, pointerField, sizeField, spaceField } from './args';
import type { FreeOutcome, ReallocOutcome } from './heap-commands';
import { HeapError } from './heap-error';
import { HeapHandler } from './heap-handler';
import { checkRelease } from './pointer-check';

type MallocArgs = { space: number; size: number; align?: number };
type CallocArgs = { space: number; count: number; size: number };
type ReallocArgs = { space: number; ptr: number; size: number };
type FreeArgs = { space: number; ptr: number };

/** `heap.malloc`: allocates `size` bytes (aligned to `align`, as `aligned_alloc`); returns the tagged pointer. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class MallocHandler extends HeapHandler<MallocArgs, number> {
  readonly type = 'heap.malloc';
  readonly description =
    'Allocate `size` bytes in `space` (aligned to `align`, a power of two, if given); returns a tagged pointer.';

  parse(args: unknown): MallocArgs {
    return checkArgs(this.type, args, { space: spaceField, size: sizeField, align: alignField });
  }

  execute({ space, size, align = 1 }: MallocArgs, context: CommandContext): number {
    const heap = this.allocator.heapOf(space, context);
    return this.allocator.allocate(heap, size, align, context).ptr;
  }
}

/** `heap.calloc`: allocates `count × size` zeroed bytes; returns the tagged pointer. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class CallocHandler extends HeapHandler<CallocArgs, number> {
  readonly type = 'heap.calloc';
  readonly description =
    'Allocate `count` × `size` zeroed bytes in `space`; returns a tagged pointer.';

  parse(args: unknown): CallocArgs {
    return checkArgs(this.type, args, { space: spaceField, count: sizeField, size: sizeField });
  }

  execute({ space, count, size }: CallocArgs, context: CommandContext): number {
    const bytes = count * size;
    if (bytes > 2 ** 30) throw new HeapError(`calloc(${count}, ${size}) asks for more than 1 GiB`);
    const heap = this.allocator.heapOf(space, context);
    const block = this.allocator.allocate(heap, bytes, 1, context);
    if (bytes > 0) this.allocator.zero(heap, block.address, bytes, context);
    return block.ptr;
  }
}

/**
 * `heap.realloc`: resizes a block, in place when its span has room, else by moving it (allocate,
 * copy, free). A null pointer allocates; size 0 frees and returns null.
 */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ReallocHandler extends HeapHandler<ReallocArgs, ReallocOutcome> {
  readonly type = 'heap.realloc';
  readonly description =
    'Resize the block at `ptr` in `space` to `size` bytes, in place or by moving it; returns the new pointer.';

  parse(args: unknown): ReallocArgs {
    return checkArgs(this.type, args, { space: spaceField, ptr: pointerField, size: sizeField });
  }

  execute({ space, ptr, size }: ReallocArgs, context: CommandContext): ReallocOutcome {
    const heap = this.allocator.heapOf(space, context);
    if (ptr === 0) return { ok: true, ptr: this.allocator.allocate(heap, size, 1, context).ptr };
    const verdict = checkRelease(heap, ptr, 'realloc', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    const { block } = verdict;
    if (size === 0) {
      this.allocator.release(heap, block, context);
      return { ok: true, ptr: 0 };
    }
    if (size <= block.span) {
      context.emit('heap.block.resized', {
        space,
        ptr,
        address: block.address,
        size,
        oldSize: block.size,
      });
      return { ok: true, ptr };
    }
    const moved = this.allocator.allocate(heap, size, 1, context, block);
    if (block.size > 0)
      this.allocator.copy(heap, block.address, moved.address, block.size, context);
    this.allocator.release(heap, block, context);
    return { ok: true, ptr: moved.ptr };
  }
}

/** `heap.free`: frees the block at `ptr`, if the pointer's tag and the block's info agree. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class FreeHandler extends HeapHandler<FreeArgs, FreeOutcome> {
  readonly type = 'heap.free';
  readonly description =
    'Free the block at `ptr` in `space`; a bad pointer is reported, not obeyed.';

  parse(args: unknown): FreeArgs {
    return checkArgs(this.type, args, { space: spaceField, ptr: pointerField });
  }

  execute({ space, ptr }: FreeArgs, context: CommandContext): FreeOutcome {
    if (ptr === 0) return { ok: true }; // free(NULL) does nothing
    const heap = this.allocator.heapOf(space, context);
    const verdict = checkRelease(heap, ptr, 'free', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    this.allocator.release(heap, verdict.block, context);
    return { ok: true };
  }
}
